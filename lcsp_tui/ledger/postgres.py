"""The PostgreSQL ledger (psycopg 3): many workstations, one server.

Why not a BIGSERIAL ``seq``: a sequence hands out numbers at insert time, but transactions
commit in another order, so a reader pulling ``seq > cursor`` can move its cursor past a
number whose transaction has not committed yet and never see that event
(``tests/test_pg_concurrency.py`` shows it happening).

Here a push is one short transaction:

1. ``INSERT … ON CONFLICT (event_id) DO NOTHING RETURNING event_id`` — the new rows, ``seq``
   still NULL (nobody else can see them before commit anyway);
2. look up the seqs of the ids that were already there;
3. last: ``UPDATE lcsp_head SET last_seq = last_seq + n`` and, in the same statement,
   number the new rows ``last_seq - n + 1 … last_seq`` in batch order; then COMMIT.

The head row lock is the last lock the transaction takes and is held until commit, so
pushes that add events commit one after the other in seq order; whoever holds a higher
seq committed after every lower one was visible. Hence seq is dense and a reader that
pulls ``seq > cursor ORDER BY seq`` never skips an event.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pg_errors

from lcsp_tui.domain.models import Event
from lcsp_tui.ledger.base import (
    LEDGER_SCHEMA_VERSION,
    LedgerMismatch,
    LedgerUnreachable,
    ledger_id_from_meta,
)
from lcsp_tui.ledger.pulled import PULL_COLUMNS, PulledEvent

T = TypeVar("T")

CONNECT_TIMEOUT_S = 5
_SCHEMA_LOCK_KEY = 0x6C637370  # "lcsp": advisory lock serialising schema creation
_RETRIES = 8

_SCHEMA = (
    "CREATE TABLE lcsp_meta (key text PRIMARY KEY, value text NOT NULL)",
    """CREATE TABLE lcsp_events (
        event_id text PRIMARY KEY,
        seq bigint UNIQUE,
        replica_id text NOT NULL,
        origin_seq bigint NOT NULL,
        kind text NOT NULL,
        schema_version int NOT NULL,
        actor text NOT NULL,
        role text NOT NULL,
        unit text NOT NULL,
        recorded_at text NOT NULL,
        payload jsonb NOT NULL
    )""",
    """CREATE TABLE lcsp_head (
        id int PRIMARY KEY CHECK (id = 1),
        last_seq bigint NOT NULL
    )""",
    "INSERT INTO lcsp_head (id, last_seq) VALUES (1, 0)",
)

_COLUMNS = "event_id, replica_id, origin_seq, kind, schema_version, actor, role, unit, recorded_at, payload"

# Rows go in sorted by event_id so two pushes that overlap take the unique-index locks in
# the same order (no deadlock between them).
_INSERT = f"""
INSERT INTO lcsp_events ({_COLUMNS})
SELECT u.event_id, u.replica_id, u.origin_seq, u.kind, u.schema_version, u.actor, u.role,
       u.unit, u.recorded_at, u.payload::jsonb
FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::text[], %s::int[], %s::text[],
            %s::text[], %s::text[], %s::text[], %s::text[])
     AS u(event_id, replica_id, origin_seq, kind, schema_version, actor, role, unit,
          recorded_at, payload)
ORDER BY u.event_id
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id
"""

# The head update is the last lock taken; the numbering rides in the same statement. The
# rows it numbers are this transaction's own uncommitted inserts, so it waits for no one.
_NUMBER = """
WITH h AS (
    UPDATE lcsp_head SET last_seq = last_seq + %(n)s WHERE id = 1 RETURNING last_seq
)
UPDATE lcsp_events AS e
SET seq = h.last_seq - %(n)s + u.ord
FROM h, unnest(%(ids)s::text[]) WITH ORDINALITY AS u(event_id, ord)
WHERE e.event_id = u.event_id
RETURNING e.event_id, e.seq
"""

# payload as text: the fold reads it inside SQLite, so psycopg need not decode it to a dict
_PULL = (
    f"SELECT {', '.join(PULL_COLUMNS[:-1])}, payload::text FROM lcsp_events "
    "WHERE seq > %s ORDER BY seq LIMIT %s"
)


def _crash_point(name: str) -> None:
    """Crash tests set LCSP_CRASH_AT to die (SIGKILL, no cleanup) at a named point."""
    if os.environ.get("LCSP_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


# The driver's (libpq's) messages are English; the ones an operator meets, in Swedish.
_DRIVER_TEXT = (
    (re.compile(r"Connection refused"), "anslutningen nekades (ingen server lyssnar där)"),
    (re.compile(r"timeout expired"), "tidsgränsen gick ut"),
    (re.compile(r'password authentication failed for user "([^"]*)"'), 'fel lösenord för "{0}"'),
    (re.compile(r"no password supplied"), "inget lösenord angivet"),
    (re.compile(r'database "([^"]*)" does not exist'), 'databasen "{0}" finns inte'),
    (re.compile(r'role "([^"]*)" does not exist'), 'rollen "{0}" finns inte'),
    (re.compile(r'could not translate host name "([^"]*)"'), 'värden "{0}" finns inte'),
    (re.compile(r"failed to resolve host '([^']*)'"), 'värden "{0}" finns inte'),
    (re.compile(r'invalid URI query parameter: "([^"]*)"'), 'okänd parameter "{0}" i adressen'),
    (re.compile(r"server closed the connection unexpectedly"), "servern stängde förbindelsen"),
    (re.compile(r"permission denied for (\S+ \S+)"), "åtkomst nekad till {0}"),
)


def _short(exc: BaseException) -> str:
    """The driver's error in one line: in Swedish when it is a common one, else its first
    meaningful line."""
    text = str(exc)
    for pattern, swedish in _DRIVER_TEXT:
        if m := pattern.search(text):
            return swedish.format(*m.groups())
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    return first[:300]


def describe(url: str) -> str:
    """``host:port/db`` of a connection URL — never the password."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "<ogiltig adress>"
    host = str(info.get("host") or info.get("hostaddr") or "localhost")
    port = str(info.get("port") or "5432")
    db = str(info.get("dbname") or info.get("user") or "")
    return f"{host}:{port}/{db}"


class PostgresLedger:
    """A ledger in a PostgreSQL database (see module doc). One connection per object."""

    ledger_id: str

    def __init__(self, url: str, create: bool = True) -> None:
        self.url = url
        self.where = describe(url)
        try:
            info = psycopg.conninfo.conninfo_to_dict(url)
        except psycopg.ProgrammingError as exc:
            raise LedgerMismatch(
                f"ogiltig adress till den gemensamma databasen: {_short(exc)}"
            ) from None
        self._password = str(info.get("password") or "")
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None
        self.ledger_id = ""
        self.ledger_id = self._connect(create)

    # -- connection -------------------------------------------------------------------

    def _unreachable(self, exc: BaseException) -> LedgerUnreachable:
        reason = _short(exc)
        if self._password:
            reason = reason.replace(self._password, "***")
        return LedgerUnreachable(
            f"den gemensamma databasen på {self.where} går inte att nå: {reason}"
        )

    def _connect(self, create: bool) -> str:
        try:
            conn = psycopg.connect(
                self.url,
                connect_timeout=CONNECT_TIMEOUT_S,
                autocommit=True,  # every transaction below is an explicit conn.transaction()
                application_name="lcsp",
            )
        except psycopg.OperationalError as exc:
            raise self._unreachable(exc) from None
        except psycopg.ProgrammingError as exc:
            raise LedgerMismatch(
                f"ogiltig adress till den gemensamma databasen: {_short(exc)}"
            ) from None
        try:
            ledger_id = self._ensure_schema(conn, create)
        except psycopg.OperationalError as exc:
            conn.close()
            raise self._unreachable(exc) from None
        except psycopg.Error as exc:
            conn.close()
            raise LedgerMismatch(
                f"den gemensamma databasen på {self.where} går inte att använda: {_short(exc)}"
            ) from None
        except BaseException:
            conn.close()
            raise
        if self.ledger_id and ledger_id != self.ledger_id:
            conn.close()
            raise LedgerMismatch(
                f"den gemensamma databasen på {self.where} har bytts ut (dess id har ändrats)"
            )
        self._conn = conn
        return ledger_id

    def _ensure_schema(self, conn: psycopg.Connection[Any], create: bool) -> str:
        with conn.transaction():
            if create:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_KEY,))
            row = conn.execute("SELECT to_regclass('lcsp_meta') IS NOT NULL").fetchone()
            if not (row and row[0]):
                if not create:
                    raise LedgerMismatch("ingen gemensam lcsp-databas (schemat saknas)")
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO lcsp_meta (key, value) VALUES ('ledger_id', %s), "
                    "('schema_version', %s)",
                    (str(uuid.uuid4()), str(LEDGER_SCHEMA_VERSION)),
                )
            meta = dict(conn.execute("SELECT key, value FROM lcsp_meta").fetchall())
        return ledger_id_from_meta(meta, f"på {self.where}")

    def _run(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """Run ``work`` on the connection (reconnecting if it broke), retrying conflicts."""
        with self._lock:
            for attempt in range(_RETRIES):
                conn = self._conn
                if conn is None or conn.closed or conn.broken:
                    if conn is not None:
                        conn.close()
                    self._conn = None
                    self._connect(create=False)
                    conn = self._conn
                    assert conn is not None
                try:
                    return work(conn)
                except (pg_errors.SerializationFailure, pg_errors.DeadlockDetected):
                    if attempt == _RETRIES - 1:
                        raise
                    time.sleep(random.uniform(0, 0.01 * 2**attempt))
                except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                    raise self._unreachable(exc) from None
            raise AssertionError("unreachable")

    # -- the Ledger protocol ------------------------------------------------------------

    def push(self, events: Sequence[Event]) -> dict[str, int]:
        if not events:
            return {}
        first: dict[str, Event] = {}
        for e in events:
            first.setdefault(e.event_id, e)
        batch = list(first.values())
        ids = [e.event_id for e in batch]
        columns: list[list[Any]] = [
            ids,
            [e.replica_id for e in batch],
            [e.origin_seq for e in batch],
            [e.kind for e in batch],
            [e.schema_version for e in batch],
            [e.actor for e in batch],
            [e.role for e in batch],
            [e.unit for e in batch],
            [e.recorded_at for e in batch],
            [json.dumps(e.payload, ensure_ascii=False, separators=(",", ":")) for e in batch],
        ]

        def work(conn: psycopg.Connection[Any]) -> dict[str, int]:
            result: dict[str, int] = {}
            with conn.transaction(), conn.cursor() as cur:
                inserted = {r[0] for r in cur.execute(_INSERT, columns).fetchall()}
                old = [i for i in ids if i not in inserted]
                if old:
                    cur.execute(
                        "SELECT event_id, seq FROM lcsp_events WHERE event_id = ANY(%s::text[])",
                        (old,),
                    )
                    result.update(cur.fetchall())
                if inserted:
                    new = [i for i in ids if i in inserted]  # batch order
                    cur.execute(_NUMBER, {"n": len(new), "ids": new})
                    result.update(cur.fetchall())
            return {i: result[i] for i in ids}  # batch order

        result = self._run(work)
        _crash_point("after_ledger_commit")
        return result

    def pull(self, after_seq: int, limit: int = 5000) -> list[Event]:
        return [p.event() for p in self.pull_rows(after_seq, limit)]

    def pull_rows(self, after_seq: int, limit: int = 5000) -> list[PulledEvent]:
        """``pull`` as the ledger's rows, payload as JSON text (what ``lcsp sync`` folds)."""

        def work(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
            return conn.execute(_PULL, (after_seq, limit)).fetchall()

        return list(map(PulledEvent._make, self._run(work)))

    def head(self) -> int:
        def work(conn: psycopg.Connection[Any]) -> int:
            row = conn.execute("SELECT last_seq FROM lcsp_head WHERE id = 1").fetchone()
            return int(row[0]) if row else 0

        return self._run(work)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> PostgresLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresLedger({self.where!r})"
