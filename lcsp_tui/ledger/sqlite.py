"""The SQLite ledger: one file, one machine.

``seq`` is the table's ``INTEGER PRIMARY KEY``. Every insert runs under ``BEGIN IMMEDIATE``
(one writer at a time) and rows are never deleted, so SQLite hands out ``max(seq) + 1``:
seq is dense and equals commit order. Do not put this file on a network share — many
workstations use the PostgreSQL ledger.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import urllib.parse
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lcsp_tui.domain.models import Event
from lcsp_tui.errors import reason_text
from lcsp_tui.ledger import buckets, serving
from lcsp_tui.ledger.base import (
    LEDGER_SCHEMA_VERSION,
    LedgerMismatch,
    LedgerUnreachable,
    ledger_id_from_meta,
)
from lcsp_tui.ledger.pulled import PULL_COLUMNS, PulledEvent

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    event_id TEXT UNIQUE NOT NULL,
    replica_id TEXT NOT NULL,
    origin_seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    unit TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    patient_id TEXT
);
"""

_COLUMNS = "event_id, replica_id, origin_seq, kind, schema_version, actor, role, unit, recorded_at, payload"
_INSERT = (
    f"INSERT INTO events ({_COLUMNS}, patient_id) VALUES (:event_id, :replica_id, :origin_seq, "
    ":kind, :schema_version, :actor, :role, :unit, :recorded_at, :payload, "
    f"{buckets.sqlite_patient_expr()}) ON CONFLICT(event_id) DO NOTHING"
)
_SELECT = f"SELECT {', '.join(PULL_COLUMNS)} FROM events"
_CHUNK = 500  # ids per "IN (…)" lookup, well under SQLite's variable limit


SQLITE = serving.Dialect(
    "events", "relation_log", ":{}", "1", "%", "e.payload", buckets.sqlite_redacted()
)


def _crash_point(name: str) -> None:
    """Crash tests set LCSP_CRASH_AT to die (SIGKILL, no cleanup) at a named point."""
    if os.environ.get("LCSP_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _row(event: Event) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "replica_id": event.replica_id,
        "origin_seq": event.origin_seq,
        "kind": event.kind,
        "schema_version": event.schema_version,
        "actor": event.actor,
        "role": event.role,
        "unit": event.unit,
        "recorded_at": event.recorded_at,
        "payload": json.dumps(event.payload, ensure_ascii=False, separators=(",", ":")),
    }


class SqliteLedger:
    """A ledger in one SQLite file (see module doc)."""

    ledger_id: str

    def __init__(self, path: Path | str, create: bool = True) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        existed = self.path.exists()
        if not existed and not create:
            raise LedgerUnreachable(f"den gemensamma databasens fil finns inte: {self.path}")
        try:
            if not existed:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # Make the file ourselves so it is private (0600) from the first byte.
                os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            mode = "rwc" if create else "rw"
            uri = f"file:{urllib.parse.quote(str(self.path.absolute()))}?mode={mode}"
            self._conn = sqlite3.connect(
                uri, uri=True, isolation_level=None, timeout=10.0, check_same_thread=False
            )
        except (OSError, sqlite3.OperationalError) as exc:
            raise LedgerUnreachable(
                f"den gemensamma databasens fil {self.path} går inte att öppna: {reason_text(exc)}"
            ) from None
        try:
            self.ledger_id = self._open(create)
        except sqlite3.OperationalError as exc:
            self._conn.close()
            raise LedgerUnreachable(
                f"den gemensamma databasens fil {self.path} går inte att öppna: {reason_text(exc)}"
            ) from None
        except sqlite3.DatabaseError as exc:  # e.g. "file is not a database"
            self._conn.close()
            raise LedgerMismatch(
                f"ingen gemensam lcsp-databas: {self.path} ({reason_text(exc)})"
            ) from None
        except LedgerMismatch:
            self._conn.close()
            raise

    def _open(self, create: bool) -> str:
        conn = self._conn
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if not tables and create:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [
                        ("ledger_id", str(uuid.uuid4())),
                        ("schema_version", str(LEDGER_SCHEMA_VERSION)),
                    ],
                )
                tables = {"meta", "events"}
            if not {"meta", "events"} <= tables:
                raise LedgerMismatch(f"ingen gemensam lcsp-databas: {self.path}")
            if "relation" not in tables:
                self._add_buckets(conn)
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return ledger_id_from_meta(meta, str(self.path))

    @staticmethod
    def _add_buckets(conn: sqlite3.Connection) -> None:
        """What the buckets' filter needs (``buckets``): made with the ledger, or added to a
        ledger of an earlier release and filled from its events (in the open's transaction)."""
        columns = {r[1] for r in conn.execute("PRAGMA table_info(events)")}
        if "patient_id" not in columns:
            conn.execute("ALTER TABLE events ADD COLUMN patient_id TEXT")
        for ddl in (*buckets.SQLITE_TABLES, *buckets.SQLITE_TRIGGERS):
            conn.execute(ddl)
        if conn.execute("SELECT EXISTS (SELECT 1 FROM events)").fetchone()[0]:
            for statement in buckets.sqlite_backfill():
                conn.execute(statement)

    def push(self, events: Sequence[Event]) -> dict[str, int]:
        if not events:
            return {}
        rows = [_row(e) for e in events]
        ids = list(dict.fromkeys(r["event_id"] for r in rows))
        result: dict[str, int] = {}
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany(_INSERT, rows)
                    for start in range(0, len(ids), _CHUNK):
                        chunk = ids[start : start + _CHUNK]
                        marks = ",".join("?" * len(chunk))
                        result.update(
                            conn.execute(
                                f"SELECT event_id, seq FROM events WHERE event_id IN ({marks})",
                                chunk,
                            ).fetchall()
                        )
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.OperationalError as exc:
                raise LedgerUnreachable(
                    f"den gemensamma databasen {self.path}: {reason_text(exc)}"
                ) from None
        _crash_point("after_ledger_commit")
        return {i: result[i] for i in ids}  # batch order

    def pull(self, after_seq: int, limit: int = 5000) -> list[Event]:
        return [p.event() for p in self.pull_rows(after_seq, limit)]

    def pull_rows(self, after_seq: int, limit: int = 5000) -> list[PulledEvent]:
        """``pull`` as the ledger's rows, payload as JSON text (what ``lcsp sync`` folds)."""
        with self._lock:
            try:
                rows = self._conn.execute(
                    f"{_SELECT} WHERE seq > ? ORDER BY seq LIMIT ?", (after_seq, limit)
                ).fetchall()
            except sqlite3.OperationalError as exc:
                raise LedgerUnreachable(
                    f"den gemensamma databasen {self.path}: {reason_text(exc)}"
                ) from None
        return list(map(PulledEvent._make, rows))

    def pull_bucket(
        self, after_seq: int, limit: int, bucket: buckets.Bucket, me: str, upto: int | None = None
    ) -> buckets.BucketPull:
        """The events of ``bucket`` after ``after_seq`` (``serving.serve``), read in one
        snapshot; ``me``: the pulling replica, whose own events outside it are confirmed;
        ``upto``: read as if the ledger ended there (a bucket's state at a cursor, in tests)."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN")
                try:
                    (head,) = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
                    return serving.serve(
                        lambda sql, params: conn.execute(sql, params).fetchall(),
                        min(int(head), upto if upto is not None else int(head)),
                        after_seq,
                        limit,
                        bucket,
                        me,
                        SQLITE,
                    )
                finally:
                    conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                raise LedgerUnreachable(
                    f"den gemensamma databasen {self.path}: {reason_text(exc)}"
                ) from None

    def patient_records(self) -> dict[str, dict[str, Any]]:
        """The latest ``patient.upserted`` payload of every patient (the importer's diff on
        a home that may not hold personnummer)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT payload FROM events WHERE kind = 'patient.upserted' ORDER BY seq"
            ).fetchall()
        return {p["patient_id"]: p for (text,) in rows for p in [json.loads(text)]}

    def head(self) -> int:
        with self._lock:
            try:
                (value,) = self._conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
            except sqlite3.OperationalError as exc:
                raise LedgerUnreachable(
                    f"den gemensamma databasen {self.path}: {reason_text(exc)}"
                ) from None
        return int(value)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SqliteLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqliteLedger({str(self.path)!r})"
