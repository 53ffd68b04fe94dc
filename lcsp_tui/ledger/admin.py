"""Setting up and checking a region's ledger: ``lcsp ledger init`` and ``lcsp ledger check``.

``init_ledger`` is run once by the region's database administrator, connected as the role
that is to own the ledger (not the app). It

1. creates the schema of ``lcsp_tui.ledger.postgres`` if the database has none (the same
   code path a workstation takes, under the same advisory lock);
2. installs the append-only guards (below), so nobody — not even the owner, short of
   disabling the triggers on purpose — can change or remove an event once committed;
3. creates (or re-grants) the role the workstations connect as, with only the rights a push
   and a pull need; by default ``<database>_app`` (roles are cluster-wide: one per database
   keeps training and production apart when they share a cluster). Only the owner,
   superusers and that role may connect to the database (CONNECT revoked from PUBLIC).

What the app role is granted — exactly what a push and a pull execute:

- a push (``PostgresLedger.push``) is one call of ``lcsp_append(…)``: EXECUTE on that
  function only. It is SECURITY DEFINER, owned by the tables' owner (keep that a plain
  role, as the README's setup does), with a fixed search_path: it advances the head and
  inserts the batch already numbered — only the ids not there yet, when some are — in one
  transaction (``lcsp_tui.ledger.postgres``). The numbering is the function's, never the
  client's: the app role has no INSERT, UPDATE or DELETE on any table, so it cannot choose
  a seq, change an event or move the head;
- a pull and the identity check: SELECT on the three tables.

No DELETE, no TRUNCATE, no UPDATE, no CREATE anywhere, not the owner.

The guards (PL/pgSQL triggers, owned by the ledger's owner) hold for the owner too, short of
disabling them on purpose:

- ``lcsp_events``: BEFORE UPDATE refuses anything but numbering an unnumbered row (the next
  guard lets none in); BEFORE DELETE and BEFORE TRUNCATE refuse (SQLSTATE 42501, a
  permission error). A push updates nothing, so these cost it nothing;
- after each INSERT statement, once per statement (a transition table, not a trigger per
  row): every new row has a seq, and none above the head;
- deferred to commit, once per push: every advance of the head is filled exactly
  (``count(seq in (old, new]) = new - old``). With ``seq`` UNIQUE the two keep the sequence
  dense whoever writes.

Upgrading: a ledger set up by an earlier release (its app role INSERTs unnumbered rows and
UPDATEs their seq, checked by a deferred trigger per row: half the write throughput of
this release's, ``BENCHMARKS.md``) keeps working as it is: a push finds no ``lcsp_append`` and takes the earlier
path. ``lcsp ledger check`` reports its guards as from an earlier release and says to run
``lcsp ledger init``, which upgrades them in place in one transaction (the per-row trigger
dropped, the statement trigger and ``lcsp_append`` created, the app role's INSERT and UPDATE
revoked). A workstation of the earlier release can no longer push after that (permission
denied, its work stays in its outbox): upgrade the workstations first, then run init.

``check_ledger`` reads a ledger (PostgreSQL or a SQLite file) and reports what an operator
needs: reachable, ledger id, schema version, head, whether seq is dense, events per kind,
whether the guards are installed (``guards``) and whether they are this release's, with
``lcsp_append`` as init leaves it (``guards_current``; if not, a problem: run init).
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lcsp_tui.domain.words import plural
from lcsp_tui.errors import reason_text
from lcsp_tui.ledger.base import (
    LEDGER_SCHEMA_VERSION,
    LedgerMismatch,
    LedgerUnreachable,
    is_postgres,
)

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

_GUARDS = (
    """
CREATE OR REPLACE FUNCTION {nsp}.lcsp_guard_event_update() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, {nsp}, pg_temp AS $$
BEGIN
    IF OLD.seq IS NOT NULL OR NEW.seq IS NULL
       OR (NEW.event_id, NEW.replica_id, NEW.origin_seq, NEW.kind, NEW.schema_version,
           NEW.actor, NEW.role, NEW.unit, NEW.recorded_at, NEW.payload)
          IS DISTINCT FROM
          (OLD.event_id, OLD.replica_id, OLD.origin_seq, OLD.kind, OLD.schema_version,
           OLD.actor, OLD.role, OLD.unit, OLD.recorded_at, OLD.payload)
    THEN
        RAISE EXCEPTION 'lcsp: den gemensamma databasen tar bara emot nya händelser: händelse % kan inte ändras', OLD.event_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$""",
    """
CREATE OR REPLACE FUNCTION {nsp}.lcsp_guard_no_removal() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, {nsp}, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'lcsp: den gemensamma databasen tar bara emot nya händelser: % på % nekas', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$""",
    """
CREATE OR REPLACE FUNCTION {nsp}.lcsp_check_inserted() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, {nsp}, pg_temp AS $$
DECLARE
    bad text;
BEGIN
    SELECT n.event_id INTO bad FROM lcsp_inserted n
    WHERE n.seq IS NULL OR n.seq < 1 OR n.seq > (SELECT h.last_seq FROM lcsp_head h WHERE h.id = 1)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'lcsp: den gemensamma databasen: händelse % sparad utan giltigt nummer', bad
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$""",
    """
CREATE OR REPLACE FUNCTION {nsp}.lcsp_check_head() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, {nsp}, pg_temp AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.last_seq < OLD.last_seq
       OR (SELECT count(*) FROM lcsp_events e
           WHERE e.seq > OLD.last_seq AND e.seq <= NEW.last_seq)
          <> NEW.last_seq - OLD.last_seq
    THEN
        RAISE EXCEPTION 'lcsp: den gemensamma databasen: senaste nummer flyttat från % till % utan en händelse för varje nummer',
            OLD.last_seq, NEW.last_seq
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$""",
    "DROP TRIGGER IF EXISTS lcsp_events_append_only ON {nsp}.lcsp_events",
    """CREATE TRIGGER lcsp_events_append_only BEFORE UPDATE ON {nsp}.lcsp_events
       FOR EACH ROW EXECUTE FUNCTION {nsp}.lcsp_guard_event_update()""",
    "DROP TRIGGER IF EXISTS lcsp_events_no_delete ON {nsp}.lcsp_events",
    """CREATE TRIGGER lcsp_events_no_delete BEFORE DELETE ON {nsp}.lcsp_events
       FOR EACH ROW EXECUTE FUNCTION {nsp}.lcsp_guard_no_removal()""",
    "DROP TRIGGER IF EXISTS lcsp_events_no_truncate ON {nsp}.lcsp_events",
    """CREATE TRIGGER lcsp_events_no_truncate BEFORE TRUNCATE ON {nsp}.lcsp_events
       FOR EACH STATEMENT EXECUTE FUNCTION {nsp}.lcsp_guard_no_removal()""",
    # the earlier release's per-row check (_EARLIER_TRIGGERS), replaced by the next one
    "DROP TRIGGER IF EXISTS lcsp_events_numbered ON {nsp}.lcsp_events",
    "DROP FUNCTION IF EXISTS {nsp}.lcsp_check_numbered()",
    "DROP TRIGGER IF EXISTS lcsp_events_inserted_numbered ON {nsp}.lcsp_events",
    """CREATE TRIGGER lcsp_events_inserted_numbered AFTER INSERT ON {nsp}.lcsp_events
       REFERENCING NEW TABLE AS lcsp_inserted
       FOR EACH STATEMENT EXECUTE FUNCTION {nsp}.lcsp_check_inserted()""",
    "DROP TRIGGER IF EXISTS lcsp_head_dense ON {nsp}.lcsp_head",
    """CREATE CONSTRAINT TRIGGER lcsp_head_dense AFTER UPDATE ON {nsp}.lcsp_head
       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {nsp}.lcsp_check_head()""",
    "DROP TRIGGER IF EXISTS lcsp_head_no_delete ON {nsp}.lcsp_head",
    """CREATE TRIGGER lcsp_head_no_delete BEFORE DELETE ON {nsp}.lcsp_head
       FOR EACH ROW EXECUTE FUNCTION {nsp}.lcsp_guard_no_removal()""",
    "DROP TRIGGER IF EXISTS lcsp_head_no_truncate ON {nsp}.lcsp_head",
    """CREATE TRIGGER lcsp_head_no_truncate BEFORE TRUNCATE ON {nsp}.lcsp_head
       FOR EACH STATEMENT EXECUTE FUNCTION {nsp}.lcsp_guard_no_removal()""",
)
_GUARD_TRIGGERS = {
    "lcsp_events_append_only",
    "lcsp_events_no_delete",
    "lcsp_events_no_truncate",
    "lcsp_events_inserted_numbered",
    "lcsp_head_dense",
    "lcsp_head_no_delete",
    "lcsp_head_no_truncate",
}
# The guards of a ledger set up by an earlier release (one deferred check per inserted row).
_EARLIER_TRIGGERS = (_GUARD_TRIGGERS - {"lcsp_events_inserted_numbered"}) | {"lcsp_events_numbered"}


class LedgerAdminError(LedgerMismatch):
    """``ledger init`` cannot or will not do what was asked (exit 2, one line)."""


@dataclass
class InitReport:
    where: str
    ledger_id: str
    schema_version: int
    schema: str  # the PostgreSQL schema (namespace) holding the tables
    owner: str
    app_role: str
    created_role: bool
    password: str | None  # only when generated here: shown once, never stored
    app_url: str  # the URL workstations use (password as *** unless generated)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CheckReport:
    where: str
    backend: str  # postgresql | sqlite
    ledger_id: str
    schema_version: str
    head: int
    events: int
    min_seq: int | None
    max_seq: int | None
    unnumbered: int  # committed events without a seq (never, with the guards)
    dense: bool
    kinds: dict[str, int]
    guards: bool | None  # installed (this release's or an earlier one's); None: SQLite
    guards_current: bool | None  # this release's guards and lcsp_append; None: SQLite
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


# ------------------------------------------------------------------ PostgreSQL helpers


def _short(exc: BaseException) -> str:
    from lcsp_tui.ledger.postgres import _short as short

    return short(exc)


@contextmanager
def _admin_connection(url: str) -> Iterator[Any]:
    import psycopg

    from lcsp_tui.ledger.postgres import CONNECT_TIMEOUT_S, describe

    where = describe(url)
    password = ""
    try:
        password = str(psycopg.conninfo.conninfo_to_dict(url).get("password") or "")
    except psycopg.Error as exc:
        raise LedgerMismatch(
            f"ogiltig adress till den gemensamma databasen: {_short(exc)}"
        ) from None

    def hide(text: str) -> str:
        return text.replace(password, "***") if password else text

    try:
        conn = psycopg.connect(
            url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True, application_name="lcsp-admin"
        )
    except psycopg.OperationalError as exc:
        raise LedgerUnreachable(
            f"den gemensamma databasen på {where} går inte att nå: {hide(_short(exc))}"
        ) from None
    except psycopg.ProgrammingError as exc:
        raise LedgerMismatch(
            f"ogiltig adress till den gemensamma databasen: {hide(_short(exc))}"
        ) from None
    try:
        yield conn
    except psycopg.errors.InsufficientPrivilege as exc:
        raise LedgerAdminError(
            f"inte tillåtet på {where}: {hide(_short(exc))} (kör som databasens ägare eller "
            "som en roll med CREATEROLE)"
        ) from None
    except psycopg.OperationalError as exc:
        raise LedgerUnreachable(
            f"förbindelsen med den gemensamma databasen på {where} bröts: {hide(_short(exc))}"
        ) from None
    except psycopg.Error as exc:
        raise LedgerAdminError(
            f"den gemensamma databasen på {where}: {hide(_short(exc))}"
        ) from None
    finally:
        conn.close()


def _app_url(url: str, role: str, password: str | None) -> str:
    """The admin URL with the app role as user (and the password only if given)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    cred = urllib.parse.quote(role, safe="")
    if password:
        cred += ":" + (password if password == "***" else urllib.parse.quote(password, safe=""))
    return urllib.parse.urlunsplit((parts.scheme, f"{cred}@{host}", parts.path, parts.query, ""))


# ------------------------------------------------------------------ ledger init


def default_app_role(dbname: str) -> str:
    """``<database>_app``: roles are shared by every database of a PostgreSQL cluster, and
    a region often keeps utbildning, acceptanstest and produktion on one cluster — a role
    per database keeps a training workstation's password out of production."""
    base = re.sub(r"[^a-z0-9_]", "_", dbname.lower()) or "lcsp"
    if not re.match(r"[a-z_]", base):
        base = f"lcsp_{base}"
    return f"{base[:59]}_app"


def init_ledger(
    url: str, app_role: str | None = None, app_password: str | None = None
) -> InitReport:
    """Create the schema (if missing), install the guards and set up the app role.

    Idempotent: run again, it re-installs the guards and re-grants exactly the rights of
    the module doc (revoking anything else the app role had on the tables). A new role gets
    ``app_password`` or a generated one; an existing role keeps its password unless
    ``app_password`` is given.
    """
    from psycopg import errors as psycopg_errors

    from lcsp_tui.ledger.postgres import PostgresLedger, describe

    if not is_postgres(url):
        raise LedgerAdminError(
            "lcsp ledger init gäller en gemensam databas i PostgreSQL (postgresql://…); en "
            "SQLite-fil skapas vid första synkningen"
        )
    if app_role is None:
        import psycopg

        try:
            info = psycopg.conninfo.conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise LedgerMismatch(
                f"ogiltig adress till den gemensamma databasen: {_short(exc)}"
            ) from None
        app_role = default_app_role(str(info.get("dbname") or info.get("user") or "lcsp"))
    if not _ROLE_NAME.match(app_role):
        raise LedgerAdminError(
            f"appens roll {app_role!r}: använd gemener, siffror och _ (högst 63 tecken)"
        )
    where = describe(url)
    # The schema itself: the same code (and advisory lock) a workstation uses.
    with PostgresLedger(url, create=True) as ledger:
        ledger_id = ledger.ledger_id

    with _admin_connection(url) as conn:
        for attempt in range(5):
            try:
                with conn.transaction():
                    owner, schema, created, generated = _install(conn, app_role, app_password)
                break
            except psycopg_errors.DeadlockDetected:
                # A push took the tables' locks in the other order; init is idempotent.
                if attempt == 4:
                    raise
    return InitReport(
        where=where,
        ledger_id=ledger_id,
        schema_version=LEDGER_SCHEMA_VERSION,
        schema=schema,
        owner=owner,
        app_role=app_role,
        created_role=created,
        password=generated,
        app_url=_app_url(url, app_role, generated or ("***" if app_password else None)),
    )


def _install(
    conn: Any, app_role: str, app_password: str | None
) -> tuple[str, str, bool, str | None]:
    """``init_ledger``'s work inside its transaction: guards, lcsp_append, role, grants.
    Returns the tables' owner and schema, whether the role was created and the password
    generated for it (if any)."""
    from psycopg import sql

    from lcsp_tui.ledger.buckets import PG_BUCKET_TABLES, PG_FUNCTIONS
    from lcsp_tui.ledger.postgres import APPEND_FUNCTION, APPEND_SIGNATURE, install_buckets

    owner, schema = conn.execute(
        "SELECT pg_get_userbyid(c.relowner), n.nspname FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.oid = to_regclass('lcsp_events')"
    ).fetchone()
    if owner == app_role:
        raise LedgerAdminError(
            f"{app_role} äger tabellerna; appens roll får inte vara ägaren "
            "(anslut som ägaren och ange en annan --app-role)"
        )
    # Both tables' locks first, in the order the pushes running now take them (the earlier
    # release's push: events, then the head; lcsp_append: the head, then events), so that
    # the DDL below waits for them instead of deadlocking with them.
    (upgraded,) = conn.execute(
        "SELECT to_regprocedure(%s) IS NOT NULL", (APPEND_SIGNATURE,)
    ).fetchone()
    for table in ("lcsp_head", "lcsp_events") if upgraded else ("lcsp_events", "lcsp_head"):
        conn.execute(
            sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(sql.Identifier(schema, table))
        )
    for statement in _GUARDS:
        conn.execute(sql.SQL(statement).format(nsp=sql.Identifier(schema)))
    # The push: made in the tables' schema, then owned by their owner and run as it.
    conn.execute("SELECT set_config('search_path', quote_ident(%s), true)", (schema,))
    conn.execute(APPEND_FUNCTION)
    # The buckets' tables, kept by a trigger whose functions run as the owner too (a ledger
    # of an earlier release is replayed through them once, here).
    install_buckets(conn)
    append = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.SQL(APPEND_SIGNATURE))
    for function in (
        append,
        *(sql.SQL("{}.{}").format(sql.Identifier(schema), sql.SQL(f)) for f in PG_FUNCTIONS),
    ):
        for ddl in (
            sql.SQL("ALTER FUNCTION {} OWNER TO {}").format(function, sql.Identifier(owner)),
            sql.SQL(
                "ALTER FUNCTION {} SECURITY DEFINER SET search_path = pg_catalog, {}, pg_temp"
            ).format(function, sql.Identifier(schema)),
        ):
            conn.execute(ddl)

    role = sql.Identifier(app_role)
    existing = conn.execute(
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles "
        "WHERE rolname = %s",
        (app_role,),
    ).fetchone()
    if existing is not None and any(existing):
        raise LedgerAdminError(
            f"rollen {app_role} har SUPERUSER, CREATEROLE, CREATEDB eller BYPASSRLS; "
            "appens roll ska vara en vanlig inloggningsroll"
        )
    generated = None
    if existing is None:
        password = app_password or secrets.token_urlsafe(24)
        generated = None if app_password else password
        conn.execute(
            sql.SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                "NOBYPASSRLS PASSWORD {}"
            ).format(role, sql.Literal(_encrypted(conn, app_role, password)))
        )
    elif app_password:
        conn.execute(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                role, sql.Literal(_encrypted(conn, app_role, app_password))
            )
        )
    db = sql.Identifier(conn.info.dbname)
    nsp = sql.Identifier(schema)
    tables = sql.SQL(", ").join(
        sql.Identifier(schema, t)
        for t in ("lcsp_meta", "lcsp_events", "lcsp_head", *PG_BUCKET_TABLES)
    )
    for grant in (
        sql.SQL("REVOKE ALL ON {} FROM PUBLIC").format(tables),
        sql.SQL("REVOKE ALL ON {} FROM {}").format(tables, role),
        sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC").format(nsp),
        sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(nsp, role),
        # A dedicated database: only its owner, superusers and the app connect.
        sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(db),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, role),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(nsp, role),
        sql.SQL("GRANT SELECT ON {} TO {}").format(tables, role),
        # The only way to write: lcsp_append (REVOKE ALL above took back the earlier
        # release's INSERT and UPDATE column grants with the table's).
        sql.SQL("REVOKE ALL ON FUNCTION {} FROM PUBLIC").format(append),
        sql.SQL("GRANT EXECUTE ON FUNCTION {} TO {}").format(append, role),
        # The app finds the tables by their bare names whatever its default path is.
        sql.SQL("ALTER ROLE {} IN DATABASE {} SET search_path = {}").format(role, db, nsp),
    ):
        conn.execute(grant)
    return owner, schema, existing is None, generated


def _encrypted(conn: Any, role: str, password: str) -> str:
    """The SCRAM verifier, made client-side: the plain password never reaches the server
    (nor its statement log)."""
    return str(
        conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()
    )


# ------------------------------------------------------------------ ledger check


def check_ledger(spec: str) -> CheckReport:
    """Read the ledger named by ``spec`` (URL or SQLite file) and report on it."""
    if is_postgres(spec):
        return _check_postgres(spec)
    return _check_sqlite(Path(spec))


def _finish(report: CheckReport) -> CheckReport:
    if report.schema_version != str(LEDGER_SCHEMA_VERSION):
        report.problems.append(
            f"schemaversion {report.schema_version}; den här versionen av lcsp kan "
            f"{LEDGER_SCHEMA_VERSION}"
        )
    if not report.ledger_id:
        report.problems.append("id saknas")
    if report.unnumbered:
        report.problems.append(
            f"{plural(report.unnumbered, 'sparad händelse', 'sparade händelser')} utan nummer"
        )
    numbered = report.events - report.unnumbered
    report.dense = (
        numbered == report.head
        and (report.max_seq or 0) == report.head
        and (numbered == 0 or report.min_seq == 1)
    )
    if not report.dense:
        report.problems.append(
            f"nummerföljden är bruten: {plural(numbered, 'numrerad händelse', 'numrerade händelser')}"
            f", nummer {report.min_seq}..{report.max_seq}, senaste nummer {report.head}"
        )
    if report.guards is False:
        report.problems.append("skydden mot ändring saknas (kör lcsp ledger init)")
    elif report.guards and not report.guards_current:
        report.problems.append(
            "skydden och appens rättigheter är från en tidigare version av lcsp, med "
            "långsammare skrivningar (kör lcsp ledger init)"
        )
    return report


def _check_postgres(url: str) -> CheckReport:
    from lcsp_tui.ledger.postgres import APPEND_SIGNATURE, describe

    where = describe(url)
    with _admin_connection(url) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            row = conn.execute("SELECT to_regclass('lcsp_meta') IS NOT NULL").fetchone()
            if not (row and row[0]):
                raise LedgerMismatch(f"ingen gemensam lcsp-databas (schemat saknas) på {where}")
            meta = dict(conn.execute("SELECT key, value FROM lcsp_meta").fetchall())
            head_row = conn.execute("SELECT last_seq FROM lcsp_head WHERE id = 1").fetchone()
            events, min_seq, max_seq, unnumbered = conn.execute(
                "SELECT count(*), min(seq), max(seq), count(*) FILTER (WHERE seq IS NULL) "
                "FROM lcsp_events"
            ).fetchone()
            kinds = dict(
                conn.execute(
                    "SELECT kind, count(*) FROM lcsp_events GROUP BY kind ORDER BY kind"
                ).fetchall()
            )
            triggers = {
                r[0]
                for r in conn.execute(
                    "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' "
                    "AND tgrelid IN (to_regclass('lcsp_events'), to_regclass('lcsp_head'))"
                )
            }
            # lcsp_append as init leaves it: run as the tables' owner, not callable by all
            row = conn.execute(
                "SELECT p.prosecdef AND p.proowner = c.relowner "
                "AND NOT has_function_privilege('public', p.oid, 'EXECUTE') "
                "FROM pg_class c, pg_proc p WHERE c.oid = to_regclass('lcsp_events') "
                "AND p.oid = to_regprocedure(%s)",
                (APPEND_SIGNATURE,),
            ).fetchone()
            append_ok = bool(row and row[0])
        finally:
            conn.execute("ROLLBACK")
    return _finish(
        CheckReport(
            where=where,
            backend="postgresql",
            ledger_id=str(meta.get("ledger_id") or ""),
            schema_version=str(meta.get("schema_version")),
            head=int(head_row[0]) if head_row else 0,
            events=int(events),
            min_seq=min_seq,
            max_seq=max_seq,
            unnumbered=int(unnumbered),
            dense=False,
            kinds={str(k): int(v) for k, v in kinds.items()},
            guards=_GUARD_TRIGGERS.issubset(triggers) or _EARLIER_TRIGGERS.issubset(triggers),
            guards_current=_GUARD_TRIGGERS.issubset(triggers)
            and "lcsp_events_numbered" not in triggers
            and append_ok,
        )
    )


def _check_sqlite(path: Path) -> CheckReport:
    if not path.exists():
        raise LedgerUnreachable(f"den gemensamma databasens fil finns inte: {path}")
    uri = f"file:{urllib.parse.quote(str(path.absolute()))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=10.0)
    except sqlite3.Error as exc:
        raise LedgerUnreachable(
            f"den gemensamma databasens fil {path} går inte att öppna: {reason_text(exc)}"
        ) from None
    try:
        conn.execute("BEGIN")  # one snapshot for every count below
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        if not {"meta", "events"} <= tables:
            raise LedgerMismatch(f"ingen gemensam lcsp-databas: {path}")
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        events, min_seq, max_seq = conn.execute(
            "SELECT count(*), min(seq), max(seq) FROM events"
        ).fetchone()
        kinds = dict(conn.execute("SELECT kind, count(*) FROM events GROUP BY kind ORDER BY kind"))
    except sqlite3.DatabaseError as exc:
        raise LedgerMismatch(f"ingen gemensam lcsp-databas: {path} ({reason_text(exc)})") from None
    finally:
        conn.close()
    return _finish(
        CheckReport(
            where=str(path),
            backend="sqlite",
            ledger_id=str(meta.get("ledger_id") or ""),
            schema_version=str(meta.get("schema_version")),
            head=int(max_seq or 0),  # SQLite: the head is the highest seq
            events=int(events),
            min_seq=min_seq,
            max_seq=max_seq,
            unnumbered=0,
            dense=False,
            kinds={str(k): int(v) for k, v in kinds.items()},
            guards=None,
            guards_current=None,
        )
    )
