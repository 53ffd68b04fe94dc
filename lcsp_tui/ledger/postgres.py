"""The PostgreSQL ledger (psycopg 3): many workstations, one server.

Why not a BIGSERIAL ``seq``: a sequence hands out numbers at insert time, but transactions
commit in another order, so a reader pulling ``seq > cursor`` can move its cursor past a
number whose transaction has not committed yet and never see that event
(``tests/test_pg_concurrency.py`` shows it happening).

Here a push is one statement, and so one short transaction that the server commits before
it answers: a call of the database function ``lcsp_append`` (``APPEND_FUNCTION``; ``lcsp
ledger init`` makes it the app role's only way to write). As a rule every event of a batch
is new, so it

1. advances the head, ``UPDATE lcsp_head SET last_seq = last_seq + n`` — the row lock every
   appending push queues on;
2. inserts the n rows numbered ``last_seq - n + 1 … last_seq`` in batch order;

in a subtransaction (a PL/pgSQL exception block). If an id is in the ledger already (a retry
after a lost reply), the insert's unique_violation rolls back head and rows, and the
function numbers only the ids it does not find (the others keep their seq); should one of
those be committed meanwhile by another push, it raises a serialization failure and the
push is retried.

The head row lock is the last lock the transaction takes and is held until commit (the
insert waits for no one: only the head's holder inserts), so pushes that add events commit
one after the other in seq order; whoever holds a higher seq committed after every lower one
was visible. Hence seq is dense and a reader that pulls ``seq > cursor ORDER BY seq`` never
skips an event. Each event is written once, already numbered, and nothing is updated; no
round trip to the client lies inside the lock.

A ledger set up by an earlier release has no ``lcsp_append`` until ``lcsp ledger init`` is
run again; until then a push takes the earlier path (``_INSERT`` unnumbered, then
``_NUMBER`` them under the head lock, in one explicit transaction), which its guards and
grants expect.
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
from lcsp_tui.ledger import buckets, serving
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

# The push (module doc). Columns by name (``#variable_conflict use_column``: the OUT
# parameters share the names event_id and seq). No SECURITY DEFINER here: ``lcsp ledger
# init`` makes it one, owned by the ledger's owner, with a fixed search_path.
APPEND_SIGNATURE = (
    "lcsp_append(text[], text[], bigint[], text[], integer[], text[], text[], text[], text[], "
    "text[])"
)
APPEND_FUNCTION = """
CREATE OR REPLACE FUNCTION lcsp_append(
    p_event_id text[], p_replica_id text[], p_origin_seq bigint[], p_kind text[],
    p_schema_version integer[], p_actor text[], p_role text[], p_unit text[],
    p_recorded_at text[], p_payload text[]
) RETURNS TABLE (event_id text, seq bigint)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    len integer := cardinality(p_event_id);
    fresh bigint[];
    n integer;
    top bigint;
    added integer;
BEGIN
    IF len IS NULL
       OR cardinality(p_replica_id) IS DISTINCT FROM len
       OR cardinality(p_origin_seq) IS DISTINCT FROM len
       OR cardinality(p_kind) IS DISTINCT FROM len
       OR cardinality(p_schema_version) IS DISTINCT FROM len
       OR cardinality(p_actor) IS DISTINCT FROM len
       OR cardinality(p_role) IS DISTINCT FROM len
       OR cardinality(p_unit) IS DISTINCT FROM len
       OR cardinality(p_recorded_at) IS DISTINCT FROM len
       OR cardinality(p_payload) IS DISTINCT FROM len
    THEN
        RAISE EXCEPTION 'lcsp_append: kolumnerna har olika längd' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF len = 0 THEN
        RETURN;
    END IF;
    -- 1. As a rule every event of a push is new: advance the head (the last lock, held until
    --    commit) and insert them all numbered in batch order. An id already in the ledger
    --    (or twice in the batch) is a unique_violation that rolls this block back, head and
    --    rows, and leaves it to 2.
    BEGIN
        UPDATE lcsp_head AS h SET last_seq = h.last_seq + len WHERE h.id = 1
        RETURNING h.last_seq INTO top;
        INSERT INTO lcsp_events (seq, event_id, replica_id, origin_seq, kind, schema_version,
                                 actor, role, unit, recorded_at, payload)
        SELECT top - len + u.ord, u.event_id, u.replica_id, u.origin_seq, u.kind,
               u.schema_version, u.actor, u.role, u.unit, u.recorded_at, u.payload::jsonb
        FROM unnest(p_event_id, p_replica_id, p_origin_seq, p_kind, p_schema_version,
                    p_actor, p_role, p_unit, p_recorded_at, p_payload) WITH ORDINALITY
             AS u(event_id, replica_id, origin_seq, kind, schema_version, actor, role,
                  unit, recorded_at, payload, ord);
    EXCEPTION WHEN unique_violation THEN
        top := NULL;
    END;
    IF top IS NOT NULL THEN
        RETURN QUERY
        SELECT u.id, top - len + u.ord FROM unnest(p_event_id) WITH ORDINALITY AS u(id, ord);
        RETURN;
    END IF;
    -- 2. Some are there already (a retry after a lost reply). The positions of the ids not
    --    in the ledger yet (first occurrence), in batch order; planned at each call (EXECUTE),
    --    as a plan cached while the table was small would scan all of it.
    EXECUTE 'SELECT coalesce(array_agg(f.ord ORDER BY f.ord), ''{}'')
             FROM (SELECT DISTINCT ON (u.id) u.id, u.ord
                   FROM unnest($1) WITH ORDINALITY AS u(id, ord)
                   ORDER BY u.id, u.ord) AS f
             WHERE NOT EXISTS (SELECT 1 FROM lcsp_events AS e WHERE e.event_id = f.id)'
        INTO fresh USING p_event_id;
    n := cardinality(fresh);
    IF n > 0 THEN
        UPDATE lcsp_head AS h SET last_seq = h.last_seq + n WHERE h.id = 1
        RETURNING h.last_seq INTO top;
        RETURN QUERY
        INSERT INTO lcsp_events AS e (seq, event_id, replica_id, origin_seq, kind,
                                      schema_version, actor, role, unit, recorded_at, payload)
        SELECT top - n + f.k, u.event_id, u.replica_id, u.origin_seq, u.kind,
               u.schema_version, u.actor, u.role, u.unit, u.recorded_at, u.payload::jsonb
        FROM unnest(fresh) WITH ORDINALITY AS f(ord, k)
        JOIN unnest(p_event_id, p_replica_id, p_origin_seq, p_kind, p_schema_version,
                    p_actor, p_role, p_unit, p_recorded_at, p_payload) WITH ORDINALITY
             AS u(event_id, replica_id, origin_seq, kind, schema_version, actor, role,
                  unit, recorded_at, payload, ord)
          ON u.ord = f.ord
        ON CONFLICT (event_id) DO NOTHING
        RETURNING e.event_id, e.seq;
        GET DIAGNOSTICS added = ROW_COUNT;
        IF added <> n THEN  -- one went in meanwhile, by a push that held the head before us
            RAISE EXCEPTION 'lcsp_append: en händelse sparades samtidigt av en annan synkning'
                USING ERRCODE = 'serialization_failure';
        END IF;
    END IF;
    -- the ids already there: committed before we took the head, so numbered below our range
    RETURN QUERY EXECUTE
        'SELECT e.event_id, e.seq FROM lcsp_events AS e
         WHERE e.event_id = ANY ($1) AND ($2 = 0 OR e.seq <= $3 - $2)'
        USING p_event_id, n, top;
END $$"""

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
    APPEND_FUNCTION,
)

_COLUMNS = "event_id, replica_id, origin_seq, kind, schema_version, actor, role, unit, recorded_at, payload"

_APPEND = "SELECT event_id, seq FROM lcsp_append(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
# lcsp_append is ours to call if we may, and if it may write (run as the owner, as init
# leaves it, or we may insert the seq ourselves, as the owner of a ledger without init).
_HAS_APPEND = f"""
SELECT coalesce(bool_and(has_function_privilege(p.oid, 'EXECUTE')
                         AND (p.prosecdef OR has_column_privilege('lcsp_events', 'seq', 'INSERT'))),
                false)
FROM pg_proc p WHERE p.oid = to_regprocedure('{APPEND_SIGNATURE}')
"""

# The earlier release's push, for a ledger whose ``lcsp ledger init`` predates lcsp_append.
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


POSTGRES = serving.Dialect(
    "lcsp_events",
    "lcsp_relation_log",
    "%({})s",
    "true",
    "%%",
    "e.payload::text",
    buckets.pg_redacted(),
)


def _one(conn: psycopg.Connection[Any], query: str) -> Any:
    """The one value ``query`` selects."""
    row = conn.execute(query).fetchone()
    assert row is not None
    return row[0]


def install_buckets(conn: psycopg.Connection[Any]) -> None:
    """The buckets' tables and trigger (``buckets.PG_TABLES``), as the tables' owner, inside
    the caller's transaction; a ledger that has events but no buckets yet is replayed through
    the trigger's function once (``buckets.PG_BACKFILL``)."""
    if _one(conn, "SELECT to_regclass('lcsp_relation') IS NOT NULL"):
        return
    for statement in buckets.PG_TABLES:
        conn.execute(statement)
    if _one(conn, "SELECT EXISTS (SELECT 1 FROM lcsp_events)"):
        guarded = _one(
            conn,
            "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = 'lcsp_events'::regclass "
            "AND tgname = 'lcsp_events_append_only')",
        )
        if guarded:  # (the append-only guard: only this replay may fill the new column)
            conn.execute("ALTER TABLE lcsp_events DISABLE TRIGGER lcsp_events_append_only")
        conn.execute(buckets.PG_BACKFILL)
        if guarded:
            conn.execute("ALTER TABLE lcsp_events ENABLE TRIGGER lcsp_events_append_only")


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
                install_buckets(conn)  # (an existing ledger gets them from lcsp ledger init)
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

    _append_on: psycopg.Connection[Any] | None = None  # the connection _append was found on
    _append = False

    def _appends(self, conn: psycopg.Connection[Any]) -> bool:
        """Whether this ledger has ``lcsp_append`` for us (looked up once per connection)."""
        if self._append_on is not conn:
            row = conn.execute(_HAS_APPEND).fetchone()
            self._append = bool(row and row[0])
            self._append_on = conn
        return self._append

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

        def earlier(cur: psycopg.Cursor[Any]) -> dict[str, int]:
            """The push of a ledger whose guards predate lcsp_append (module doc)."""
            result: dict[str, int] = {}
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
            return result

        def work(conn: psycopg.Connection[Any]) -> dict[str, int]:
            append = self._appends(conn)
            try:
                with conn.cursor() as cur:
                    if append:
                        # One statement, its own transaction: the server commits it before
                        # it answers, so no round trip to this process (which may wait for
                        # a CPU) lies between taking the head lock and releasing it.
                        result = dict(cur.execute(_APPEND, columns).fetchall())
                    else:
                        with conn.transaction():
                            result = earlier(cur)
            except (pg_errors.InsufficientPrivilege, pg_errors.UndefinedFunction):
                # ``lcsp ledger init`` upgraded (or an older one downgraded) the ledger
                # while this connection was open: look again, once.
                self._append_on = None
                if self._appends(conn) == append:
                    raise
                return work(conn)
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

    def patient_records(self) -> dict[str, dict[str, Any]]:
        """The latest ``patient.upserted`` payload of every patient (the importer's diff on
        a home that may not hold personnummer)."""

        def work(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
            return conn.execute(
                "SELECT payload FROM lcsp_events WHERE kind = 'patient.upserted' ORDER BY seq"
            ).fetchall()

        return {
            p["patient_id"]: p
            for (value,) in self._run(work)
            for p in [value if isinstance(value, dict) else json.loads(value)]
        }

    def pull_bucket(
        self, after_seq: int, limit: int, bucket: buckets.Bucket, me: str, upto: int | None = None
    ) -> buckets.BucketPull:
        """The events of ``bucket`` after ``after_seq`` (``serving.serve``), filtered on the
        server (the relation log's and the events' patient indexes) in one REPEATABLE READ
        snapshot; ``me``: the pulling replica, whose own events outside it are confirmed;
        ``upto``: read as if the ledger ended there (a bucket's state at a cursor, in tests)."""

        def work(conn: psycopg.Connection[Any]) -> buckets.BucketPull:
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                if _one(conn, "SELECT to_regclass('lcsp_relation') IS NULL"):
                    raise LedgerMismatch(
                        f"den gemensamma databasen på {self.where} delar inte upp uppgifterna "
                        "per enhet ännu: kör lcsp ledger init som dess ägare"
                    )
                head = int(_one(conn, "SELECT last_seq FROM lcsp_head WHERE id = 1"))
                return serving.serve(
                    lambda sql, params: conn.execute(sql, params).fetchall(),
                    min(head, upto if upto is not None else head),
                    after_seq,
                    limit,
                    bucket,
                    me,
                    POSTGRES,
                )

        return self._run(work)

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
