"""The local store: one SQLite file per workstation home.

It holds the confirmed state folded from the ledger, the outbox of local events that the
ledger has not confirmed yet, the pull cursor, and the read model: the rules applied to the
confirmed state with the pending outbox on top (``lcsp_tui.store.readmodel``), updated in
the same transaction as every pull and every local event, so local edits never leak into
confirmed state. Readers use ``queries()``; the connection is the store's own.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from lcsp_tui.errors import reason_text
from lcsp_tui.ledger.buckets import REGION, Bucket
from lcsp_tui.store.keys import READ_MODEL_VERSION
from lcsp_tui.store.queries import Queries
from lcsp_tui.store.schema import (
    DOMAIN_TABLES,
    INDEXES,
    OTHER_TABLES,
    READ_INDEXES,
    READ_TABLES,
    STORE_SCHEMA_VERSION,
)

if TYPE_CHECKING:
    from lcsp_tui.domain.models import Event
    from lcsp_tui.domain.regiondata import RegionData
    from lcsp_tui.ledger.pulled import PulledEvent
    from lcsp_tui.store.readmodel import Touched


class StoreError(Exception):
    """The local store cannot be used; one line for the user."""


class NewerStore(StoreError):
    """A home made by a newer release: refused (exit 2), left as it is."""


class NewerEvents(NewerStore):
    """The ledger holds events of a newer schema than this release folds: refused (exit 2)
    before anything of the batch is written."""


class BucketChanged(StoreError):
    """The home entered another bucket while a pull of the old one was under way: that
    pull stops (nothing of its batch is written); the next one pulls the new bucket."""


# The bucket that gets every event (systemförvaltning's): its pulls must be dense.
EVERY_EVENT = Bucket(REGION, audit=True).name

# Set while the read model lags the confirmed state (see ``LocalStore.apply_pulled``).
READ_MODEL_BEHIND = "read_model_behind"


class NotAStore(StoreError):
    """A ``store.sqlite`` that is not ours: its directory is no lcsp home (exit 2, untouched)."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"--home: {path.parent} är inget lcsp-hem (dess store.sqlite är ingen lokal "
            "lcsp-databas) – ange en ny eller tom katalog (inget i den har ändrats)"
        )


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=10000")
    conn.execute("PRAGMA foreign_keys=ON")
    # What a home may no longer hold (a bucket left, a patient moved away) is overwritten
    # when deleted, not left in free pages (issue 15)
    conn.execute("PRAGMA secure_delete=ON")
    return conn


def _crash_point(name: str) -> None:
    """Crash tests kill the process at named points (LCSP_CRASH_AT=name)."""
    if os.environ.get("LCSP_CRASH_AT") == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def _new_id() -> str:
    """A random id (``uuid4``) as text. ``uuid``, ``hashlib`` and ``signal`` are imported where
    they are used: a command that only reads needs none of them (issue 14)."""
    import uuid

    return str(uuid.uuid4())


class LocalStore:
    def __init__(self, path: Path, region: RegionData | None = None) -> None:
        self.path = path
        if region is None:
            from lcsp_tui.domain.regiondata import load_region

            region = load_region()
        self.region = region
        new = not path.exists()
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._conn = connect(path)
            if new:
                os.chmod(path, 0o600)
                self._create()
            else:
                self._open_existing()
        except sqlite3.DatabaseError as e:
            if not new and getattr(e, "sqlite_errorcode", None) == sqlite3.SQLITE_NOTADB:
                raise NotAStore(path) from None
            raise StoreError(
                f"den lokala databasen {path} går inte att öppna: {reason_text(e)}"
            ) from None

    # ------------------------------------------------------------ schema and meta

    def _create(self) -> None:
        with self.transaction():
            for ddl in (
                *OTHER_TABLES.values(),
                *DOMAIN_TABLES.values(),
                *INDEXES,
                *READ_TABLES.values(),
                *READ_INDEXES,
            ):
                self._conn.execute(ddl)
            self._conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [
                    ("schema_version", str(STORE_SCHEMA_VERSION)),
                    ("read_model", str(READ_MODEL_VERSION)),
                    ("replica_id", _new_id()),
                    ("cursor", "0"),
                    ("origin_seq", "0"),
                ],
            )

    def _open_existing(self) -> None:
        """Check the schema; upgrade a home of an earlier release in place (its identity,
        outbox and cursor kept; the read model rebuilt); refuse a newer one untouched."""
        try:
            version = int(self.get_meta("schema_version") or "")
        except (sqlite3.OperationalError, ValueError):
            raise NotAStore(self.path) from None
        if version > STORE_SCHEMA_VERSION:
            raise NewerStore(
                f"hemmet {self.path.parent} är skapat av en nyare version av lcsp (schema "
                f"{version}, detta program kan {STORE_SCHEMA_VERSION}): uppdatera lcsp"
            )
        if version < 2:
            raise StoreError(
                f"{self.path} är en lokal lcsp-databas med schema {version}: för gammal"
            )
        if version < STORE_SCHEMA_VERSION:
            # Before buckets (4) a home held the whole region: what it pulled is dropped and
            # its bucket pulled anew on the next sync; its identity and outbox are kept.
            with self.transaction() as c:
                self._set_meta("schema_version", str(STORE_SCHEMA_VERSION))
                self._reset(c, None)
        elif self.get_meta("read_model") != str(READ_MODEL_VERSION):
            with self.transaction() as c:
                self._rebuild(c)

    def _reset(self, c: sqlite3.Connection, bucket: str | None) -> None:
        """Forget everything pulled (the confirmed tables, the audit trail, the help
        requests, the cursor) and belong to ``bucket``; the outbox and the identity stay, the
        read model is rebuilt from the outbox alone. The units are kept (every bucket has
        them, nothing personal: a screen can name them before the new bucket is pulled).
        Inside the caller's transaction."""
        pulled = (*(t for t in DOMAIN_TABLES if t != "units"), "audit", "help_requests")
        for table in pulled:
            c.execute(f"DROP TABLE IF EXISTS {table}")
        for table in pulled:
            c.execute((DOMAIN_TABLES | OTHER_TABLES)[table])
        for ddl in INDEXES:
            c.execute(ddl.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS"))
        self._set_meta("cursor", "0")
        self._set_meta("bucket", bucket)
        self._set_meta(READ_MODEL_BEHIND, None)
        self._rebuild(c)

    def enter_bucket(self, bucket: str) -> bool:
        """Belong to ``bucket`` (``lcsp_tui.ledger.buckets``): a home that held another one
        forgets what it pulled (``_reset``, one transaction: the outbox is kept until
        pushed) and pulls the new one from the start. True when it had to."""
        if self.get_meta("bucket") == bucket:
            return False
        with self.transaction() as c:
            self._reset(c, bucket)
        self._forget_old_pages()
        return True

    def _forget_old_pages(self) -> None:
        """Copy the WAL into the file and empty it: the frames of rows deleted when the
        home left a bucket or a patient are gone from the disk, not only from the tables."""
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @property
    def bucket(self) -> str | None:
        return self.get_meta("bucket")

    def _rebuild(self, c: sqlite3.Connection) -> None:
        """The read model made anew: its tables as this release defines them (they are
        derived, so nothing is lost), then every row from the confirmed state and outbox."""
        from lcsp_tui.store import readmodel

        for table in READ_TABLES:
            c.execute(f"DROP TABLE IF EXISTS {table}")
        for ddl in (*READ_TABLES.values(), *READ_INDEXES):
            c.execute(ddl)
        readmodel.rebuild(c, self.region)
        self._set_meta("read_model", str(READ_MODEL_VERSION))

    def queries(self) -> Queries:
        """Every read of the store: the read model, records, the audit trail."""
        return Queries(self._conn, self.region)

    def known(self) -> Callable[[str, str], dict[str, object] | None]:
        """The importer's view of confirmed records: ``(kind, id) -> payload``."""
        from lcsp_tui.store.queries.records import known_lookup

        return known_lookup(self._conn)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An explicit ``BEGIN IMMEDIATE`` transaction."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def get_meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str | None) -> None:
        with self.transaction():
            self._set_meta(key, value)

    def _set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self._conn.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self._conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    @property
    def replica_id(self) -> str:
        return self.get_meta("replica_id") or ""

    @property
    def cursor(self) -> int:
        return int(self.get_meta("cursor") or 0)

    def close(self) -> None:
        self._conn.close()

    # ------------------------------------------------------------ outbox

    @overload
    def record(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        actor: str,
        role: str,
        unit: str,
        recorded_at: str,
        event: Literal[True] = True,
    ) -> Event: ...

    @overload
    def record(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        actor: str,
        role: str,
        unit: str,
        recorded_at: str,
        event: Literal[False],
    ) -> str: ...

    def record(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        actor: str,
        role: str,
        unit: str,
        recorded_at: str,
        event: bool = True,
    ) -> Event | str:
        """Append a local event to the outbox, durably, before returning; it syncs later.

        One ``BEGIN IMMEDIATE`` … ``COMMIT`` (WAL with ``synchronous=FULL``: the commit's one
        fsync of the WAL) that numbers the event (one upsert of the ``origin_seq`` meta row,
        which the insert reads itself: no ``RETURNING``, older SQLite has none), inserts it,
        and brings the read model up to date for what it touches. An ``audit.read`` touches
        nothing there, so an audited read is two prepared statements and the commit: no read
        model, and with ``event=False`` no ``Event`` model either (the event id is returned;
        pydantic is not imported).
        """
        event_id = _new_id()
        # byte for byte ``fold.payload_json`` (tests/test_lookup_audit.py holds them equal)
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        touches = kind != "audit.read"  # models.AUDIT_READ: touches no read model row
        ev: Event | None = None
        with self.transaction() as c:
            c.execute(
                "INSERT INTO meta (key, value) VALUES ('origin_seq', '1') ON CONFLICT(key) "
                "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
            )
            origin = c.execute(  # origin_seq is the outbox's rowid
                "INSERT INTO outbox (origin_seq, event_id, kind, actor, role, unit, "
                "recorded_at, payload) VALUES ((SELECT CAST(value AS INTEGER) FROM meta "
                "WHERE key = 'origin_seq'), ?, ?, ?, ?, ?, ?, ?)",
                (event_id, kind, actor, role, unit, recorded_at, body),
            ).lastrowid
            assert origin is not None
            if touches or event:
                from lcsp_tui.domain.models import Event

                ev = Event(
                    event_id=event_id,
                    replica_id=self.replica_id,
                    origin_seq=origin,
                    kind=kind,
                    actor=actor,
                    role=role,
                    unit=unit,
                    recorded_at=recorded_at,
                    payload=payload,
                )
            if touches and ev is not None:
                from lcsp_tui.store import readmodel

                readmodel.refresh(c, self.region, readmodel.touched_by([ev]))
            _crash_point("before_record_commit")
        _crash_point("after_record_commit")
        return ev if event and ev is not None else event_id

    def outbox(self, limit: int | None = None) -> list[Event]:
        from lcsp_tui.domain.models import Event

        sql = (
            "SELECT event_id, origin_seq, kind, actor, role, unit, recorded_at, payload "
            "FROM outbox ORDER BY origin_seq"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rid = self.replica_id
        return [
            Event(
                event_id=r[0],
                replica_id=rid,
                origin_seq=r[1],
                kind=r[2],
                actor=r[3] or "",
                role=r[4] or "",
                unit=r[5] or "",
                recorded_at=r[6] or "",
                payload=json.loads(r[7]),
            )
            for r in self._conn.execute(sql)
        ]

    def pending_count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM outbox").fetchone()[0])

    # ------------------------------------------------------------ applying pulled events

    def apply_pulled(
        self,
        events: Sequence[PulledEvent] | Sequence[Event],
        *,
        deferred: Touched | None = None,
        last: bool = True,
        through: int | None = None,
        confirmed: Sequence[str] = (),
        purge: Collection[str] = (),
        bucket: str | None = None,
    ) -> int:
        """Fold a batch pulled from the ledger and advance the cursor, in one transaction.

        A whole-ledger batch (``through`` None) must continue the cursor densely. A bucket's
        batch (``lcsp_tui.ledger.buckets.BucketPull``) is ascending and ends at or before
        ``through``, the cursor's next value, and is folded only if the home still belongs
        to ``bucket`` (else ``BucketChanged``); it may hold older events of the patients it
        refills. First what the home may no longer hold, or gets anew, is deleted (``purge``),
        and its own events the bucket does not serve leave the outbox (``confirmed``).
        Anything else is a bug and stops loudly. The read model is brought up to date for
        what the batch touched in the same transaction — unless more batches follow
        (``last`` false): then what it touched is added to ``deferred`` and the store is
        marked as behind (``READ_MODEL_BEHIND``, in the same transaction), so a pull of many
        batches derives each subject once, at its last batch (which takes ``deferred``
        along). A pull that never gets there leaves the mark, and ``catch_up`` rebuilds the
        read model before the next one.
        """
        from lcsp_tui.ledger.pulled import PulledEvent
        from lcsp_tui.store import fold, readmodel

        if not events and not (through and through > self.cursor) and not confirmed:
            return self.cursor
        rows = [e if isinstance(e, PulledEvent) else PulledEvent.of(e) for e in events]
        with self.transaction() as c:
            if bucket is not None and self.get_meta("bucket") != bucket:
                raise BucketChanged("hemmet bytte roll eller enhet under hämtningen")
            cursor = int(self.get_meta("cursor") or 0)
            if through is None:
                for i, e in enumerate(rows, start=cursor + 1):
                    if e.seq != i:
                        raise StoreError(
                            "lucka i den gemensamma databasens nummerföljd: väntade händelse "
                            f"{i}, fick {e.seq}"
                        )
                new_cursor = cursor + len(rows)
            else:
                seqs = [e.seq for e in rows]
                if through < cursor or seqs != sorted(set(seqs)) or (seqs and seqs[-1] > through):
                    raise StoreError(
                        f"den gemensamma databasen svarade i fel ordning (läst till {cursor}, "
                        f"svaret till {through})"
                    )
                if bucket == EVERY_EVENT and seqs != list(range(cursor + 1, through + 1)):
                    gap = next(i for i, s in enumerate(seqs + [0], start=cursor + 1) if s != i)
                    raise StoreError(
                        f"lucka i den gemensamma databasens nummerföljd: väntade händelse {gap}"
                    )
                new_cursor = through
            touched = self._purge(c, purge) if purge else readmodel.Touched()
            if confirmed:
                c.execute(
                    "DELETE FROM outbox WHERE event_id IN (SELECT value FROM json_each(?))",
                    (json.dumps(list(confirmed)),),
                )
            fold.stage(c, rows)
            try:
                fold.check(c)
            except fold.Unfoldable as e:
                raise (NewerEvents if e.newer else StoreError)(str(e)) from None
            fold.fold(c, rows)
            if c.execute("SELECT EXISTS (SELECT 1 FROM outbox)").fetchone()[0]:
                c.execute(
                    f"DELETE FROM outbox WHERE event_id IN (SELECT event_id FROM {fold.STAGE})"
                )
            touched.update(readmodel.touched_by_staged(c))
            if confirmed:
                touched.help = True  # (a pending help event may have left the outbox)
            if last:
                if deferred is not None:
                    touched.update(deferred)
                readmodel.refresh(c, self.region, touched)
                self._set_meta(READ_MODEL_BEHIND, None)
            else:
                assert deferred is not None, "a batch that is not the last defers its refresh"
                if touched:
                    deferred.update(touched)
                    self._set_meta(READ_MODEL_BEHIND, "1")
            _crash_point("after_fold")
            self._set_meta("cursor", str(new_cursor))
        if last and deferred is not None:
            deferred.clear()
        if purge:
            self._forget_old_pages()
        return new_cursor

    def _purge(self, c: sqlite3.Connection, patients: Collection[str]) -> Touched:
        """Delete every confirmed row of ``patients`` — the records, their subjects' ticks
        and decisions, the messages, their audit rows, their messages in the read model —
        and say what that touched (the read model's rows of them go in its refresh)."""
        from lcsp_tui.store.readmodel import Touched

        pids = json.dumps(sorted(patients))
        each = "SELECT value FROM json_each(:pids)"
        admissions = f"SELECT admission_id FROM admissions WHERE patient_id IN ({each})"
        sips = f"SELECT sip_id FROM sips WHERE patient_id IN ({each})"
        args = {"pids": pids}
        subjects = {r[0] for r in c.execute(f"{admissions} UNION {sips}", args)} | set(patients)
        messages = {
            r[0]
            for r in c.execute(
                f"SELECT message_id FROM messages WHERE admission_id IN ({admissions})", args
            )
        }
        ids = {"pids": pids, "subjects": json.dumps(sorted(subjects | messages))}
        for sql in (
            "DELETE FROM items WHERE subject IN (SELECT value FROM json_each(:subjects))",
            "DELETE FROM decisions WHERE sip_id IN (SELECT value FROM json_each(:subjects))",
            "DELETE FROM audit WHERE subject IN (SELECT value FROM json_each(:subjects))",
            "DELETE FROM rm_message WHERE message_id IN (SELECT value FROM json_each(:subjects))",
            f"DELETE FROM messages WHERE admission_id IN ({admissions})",
            f"DELETE FROM admissions WHERE patient_id IN ({each})",
            f"DELETE FROM sips WHERE patient_id IN ({each})",
            f"DELETE FROM patients WHERE patient_id IN ({each})",
        ):
            c.execute(sql, ids if ":subjects" in sql else args)
        return Touched(subjects=subjects, patients=set(patients), messages=messages)

    def catch_up(self, deferred: Touched | None = None) -> None:
        """Bring a read model left behind up to date: the subjects ``deferred`` names when
        this process knows them, else (a pull cut off by a crash) all of it, rebuilt."""
        from lcsp_tui.store import readmodel

        if deferred is not None and deferred:
            with self.transaction() as c:
                readmodel.refresh(c, self.region, deferred)
                self._set_meta(READ_MODEL_BEHIND, None)
            deferred.clear()
        elif self.get_meta(READ_MODEL_BEHIND):
            with self.transaction() as c:
                self._rebuild(c)
                self._set_meta(READ_MODEL_BEHIND, None)

    # ------------------------------------------------------------ state hash

    def state_hash(self) -> str:
        """Digest of the confirmed domain state; equal on replicas at the same cursor."""
        import hashlib

        h = hashlib.sha256()
        for table in sorted(DOMAIN_TABLES):
            cols = [r[1] for r in self._conn.execute(f"PRAGMA table_info({table})")]
            pk = [r[1] for r in self._conn.execute(f"PRAGMA table_info({table})") if r[5]]
            h.update(f"\x1e{table}\x1f{','.join(cols)}".encode())
            order = ", ".join(pk)
            for row in self._conn.execute(f"SELECT * FROM {table} ORDER BY {order}"):
                h.update(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode())
                h.update(b"\n")
        return h.hexdigest()

    # ------------------------------------------------------------ the importer's bulk diff

    def known_many(self, kind: str, ids: Sequence[str]) -> dict[str, dict[str, object]]:
        """``known`` for many ids at once: ``id -> payload`` of each confirmed record among
        ``ids`` (as ``model_dump(mode="json")``), by one query (the ids bound as one JSON
        array, joined on the table's primary key), not one per id."""
        from lcsp_tui.store.queries.records import TABLE_OF_KIND

        table, model = TABLE_OF_KIND[kind]
        fields = list(model.model_fields)
        rows = self._conn.execute(
            f"SELECT {', '.join(fields)} FROM {table} "
            f"WHERE {fields[0]} IN (SELECT value FROM json_each(?))",
            (json.dumps(list(ids), ensure_ascii=False),),
        )
        out: dict[str, dict[str, object]] = {}
        for row in rows:
            payload = dict(zip(fields, row, strict=True))
            if kind == "patient":
                payload["protected_identity"] = bool(payload["protected_identity"])
            out[row[0]] = payload
        return out
