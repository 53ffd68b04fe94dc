"""A ledger as ``lcsp ledger init`` of the earlier release left it (``git show
50af0d5:lcsp_tui/ledger/admin.py``): the append-only guards with a deferred check per
inserted row, and an app role that INSERTs unnumbered rows and UPDATEs their seq. No
``lcsp_append``. The guards and grants below are that release's, verbatim; the tests of the
upgrade (``tests/test_ledger_upgrade.py``), the concurrency tests and
``bench/bench_pg_writers.py`` build such a ledger to check that it keeps working, that
``lcsp ledger check`` says what to run and that ``lcsp ledger init`` upgrades it in place.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from lcsp_tui.ledger.admin import default_app_role
from lcsp_tui.ledger.postgres import APPEND_SIGNATURE, PostgresLedger

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
CREATE OR REPLACE FUNCTION {nsp}.lcsp_check_numbered() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, {nsp}, pg_temp AS $$
DECLARE
    s bigint;
BEGIN
    SELECT e.seq INTO s FROM lcsp_events e WHERE e.event_id = NEW.event_id;
    IF s IS NULL OR s > (SELECT h.last_seq FROM lcsp_head h WHERE h.id = 1) THEN
        RAISE EXCEPTION 'lcsp: den gemensamma databasen: händelse % sparad utan giltigt nummer', NEW.event_id
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
    "DROP TRIGGER IF EXISTS lcsp_events_numbered ON {nsp}.lcsp_events",
    """CREATE CONSTRAINT TRIGGER lcsp_events_numbered AFTER INSERT ON {nsp}.lcsp_events
       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {nsp}.lcsp_check_numbered()""",
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
EARLIER_TRIGGERS = {
    "lcsp_events_append_only",
    "lcsp_events_no_delete",
    "lcsp_events_no_truncate",
    "lcsp_events_numbered",
    "lcsp_head_dense",
    "lcsp_head_no_delete",
    "lcsp_head_no_truncate",
}
_APP_INSERT_COLUMNS = (
    "event_id",
    "replica_id",
    "origin_seq",
    "kind",
    "schema_version",
    "actor",
    "role",
    "unit",
    "recorded_at",
    "payload",
)


def drop_append(url: str) -> None:
    """Remove ``lcsp_append`` (a ledger made before it existed)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP FUNCTION IF EXISTS {APPEND_SIGNATURE}")


def drop_buckets(url: str) -> None:
    """Remove what serves buckets (a ledger made before issue 15)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TRIGGER IF EXISTS lcsp_events_bucket ON lcsp_events")
        conn.execute(
            "DROP FUNCTION IF EXISTS lcsp_bucket_row(), lcsp_bucket_apply(bigint, text, jsonb)"
        )
        conn.execute(
            "DROP TABLE IF EXISTS lcsp_subject_patient, lcsp_relation, lcsp_relation_log, "
            "lcsp_unit_ids"
        )
        conn.execute("ALTER TABLE lcsp_events DROP COLUMN IF EXISTS patient_id")


def earlier_ledger(url: str) -> str:
    """Make the ledger of ``url`` (an empty database, as its owner) what the earlier
    release's ``lcsp ledger init`` made: schema, guards, the app role (``<database>_app``)
    and its grants. Returns the app role's URL (the test server trusts loopback)."""
    app_role = default_app_role(url.rsplit("/", 1)[1])
    PostgresLedger(url).close()
    drop_append(url)
    drop_buckets(url)
    schema = "public"
    nsp = sql.Identifier(schema)
    role = sql.Identifier(app_role)
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        for statement in _GUARDS:
            conn.execute(sql.SQL(statement).format(nsp=nsp))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
        db = sql.Identifier(conn.info.dbname)
        tables = sql.SQL(", ").join(
            sql.Identifier(schema, t) for t in ("lcsp_meta", "lcsp_events", "lcsp_head")
        )
        insert_cols = sql.SQL(", ").join(sql.Identifier(c) for c in _APP_INSERT_COLUMNS)
        for grant in (
            sql.SQL("REVOKE ALL ON {} FROM PUBLIC").format(tables),
            sql.SQL("REVOKE ALL ON {} FROM {}").format(tables, role),
            sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC").format(nsp),
            sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(nsp, role),
            sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(db),
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, role),
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(nsp, role),
            sql.SQL("GRANT SELECT ON {} TO {}").format(tables, role),
            sql.SQL("GRANT INSERT ({}) ON {} TO {}").format(
                insert_cols, sql.Identifier(schema, "lcsp_events"), role
            ),
            sql.SQL("GRANT UPDATE (seq) ON {} TO {}").format(
                sql.Identifier(schema, "lcsp_events"), role
            ),
            sql.SQL("GRANT UPDATE (last_seq) ON {} TO {}").format(
                sql.Identifier(schema, "lcsp_head"), role
            ),
            sql.SQL("ALTER ROLE {} IN DATABASE {} SET search_path = {}").format(role, db, nsp),
        ):
            conn.execute(grant)
    return url.replace("postgres@", f"{app_role}@", 1)
