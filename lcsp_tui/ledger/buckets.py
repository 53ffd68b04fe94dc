"""Buckets: which events of the ledger a home may hold (issue 15, docs/need-to-know.md).

A home's bucket follows from its role and unit. A care role at a unit (``care``) gets the
events of the patients *related* to the unit — a unit is related to a patient when the
latest version of one of the patient's records names it (``RECORD_UNITS``) — the events
that concern no patient and carry nothing personal (``GLOBAL_KINDS``), and its own events.
Support and systemförvaltning (``region``) get every event with the patient records
redacted (no personnummer: its birth year as ``born``; the first name's initial only); the audit reads of others go to
systemförvaltning alone.

The ledger keeps what the filter needs, in the append's transaction: the patient of each
event (``events.patient_id``), the patient of each admission, SIP and message
(``subject_patient``), the units each record names (``relation``) and every change of the
set of units related to a patient (``relation_log``: granted 1 / revoked 0, at the seq of
the event that changed it). This module is the one place that says which payload fields
name a patient and a unit; the SQL of both ledgers is made from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from lcsp_tui.domain.roles import ROLES

if TYPE_CHECKING:  # (light: a home's start-up asks for its bucket)
    from lcsp_tui.ledger.pulled import PulledEvent

CARE, REGION = "care", "region"

# record upsert kind -> (its id key, the payload key naming its patient or None: through
# subject_patient of ``via``, the key naming a subject of the patient; the keys naming units)
RECORD_UNITS: dict[str, tuple[str, str | None, str | None, tuple[str, ...]]] = {
    "patient.upserted": (
        "patient_id",
        "patient_id",
        None,
        (
            "housing_unit",
            "home_health_unit",
            "assistance_unit",
            "health_centre",
            "psych_outpatient_unit",
        ),
    ),
    "admission.upserted": ("admission_id", "patient_id", None, ("ward",)),
    "sip.upserted": ("sip_id", "patient_id", None, ("responsible_unit",)),
    "message.upserted": ("message_id", None, "admission_id", ("recipient_unit",)),
}

# kind -> the payload key naming the subject (admission, SIP, message or patient) it is about
SUBJECT_KEY: dict[str, str] = {
    "item.ticked": "subject",
    "sip.decided": "sip_id",
    "message.acked": "message_id",
    "admission.discharged": "admission_id",
}

# Events of no patient that every bucket gets: nothing personal in them. Help requests carry
# a patient's initial, surname and birth year (never a personnummer); every home sees the
# desk's requests (a unit acknowledges the messages a request is about).
GLOBAL_KINDS = ("unit.upserted", "import.completed", "demo.fictitious")
GLOBAL_PREFIXES = ("help.",)
AUDIT_PREFIX = "audit."


# What the region bucket gets of a patient record: no personnummer (its birth year as
# ``born``), the first name's initial. ``redact`` in Python, ``sqlite_redacted`` in SQL (a
# test holds them equal).
REDACTED_KIND = "patient.upserted"


def redact(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` as the region bucket may hold it."""
    if kind != REDACTED_KIND:
        return payload
    out = dict(payload)
    pnr = out.pop("personnummer", None)
    out["first_name"] = str(out.get("first_name") or "")[:1]
    out["born"] = int(str(pnr)[:4]) if pnr else out.get("born")
    return out


def sqlite_redacted(kind: str = "e.kind", payload: str = "e.payload") -> str:
    """SQL: ``redact`` of the row's payload (JSON text)."""
    return (
        f"CASE WHEN {kind} = '{REDACTED_KIND}' THEN json_set(json_remove({payload}, "
        f"'$.personnummer'), '$.first_name', substr(json_extract({payload}, '$.first_name'), "
        f"1, 1), '$.born', coalesce(CAST(substr(json_extract({payload}, '$.personnummer'), 1, "
        f"4) AS INTEGER), json_extract({payload}, '$.born'))) ELSE {payload} END"
    )


class Bucket(NamedTuple):
    kind: str  # CARE or REGION
    unit: str = ""  # the care bucket's unit
    audit: bool = False  # the region bucket gets the audit reads of others

    @property
    def name(self) -> str:
        """As a home keeps it (``meta.bucket``): ``care:<unit>``, ``region``, ``region:audit``."""
        if self.kind == CARE:
            return f"{CARE}:{self.unit}"
        return f"{REGION}:audit" if self.audit else REGION

    @classmethod
    def parse(cls, name: str) -> Bucket:
        kind, _, rest = name.partition(":")
        if kind == CARE:
            return cls(CARE, rest)
        return cls(REGION, audit=rest == "audit")


def bucket_of(role: str | None, unit: str | None) -> Bucket:
    """The bucket of a home whose role is ``role`` at ``unit``."""
    if role is None or not ROLES[role].needs_unit:
        return Bucket(REGION, audit=role == "systemforvaltning")
    return Bucket(CARE, unit or "")


# ------------------------------------------------------------------ SQL (SQLite dialect)


def _j(key: str, row: str = "NEW.payload") -> str:
    return f"json_extract({row}, '$.{key}')"


def sqlite_patient_expr(kind: str = ":kind", payload: str = ":payload") -> str:
    """SQL for the patient an event about to be inserted concerns (NULL: none)."""
    whens = []
    for k, (_id, patient_key, via, _units) in RECORD_UNITS.items():
        if patient_key is not None:
            whens.append(f"WHEN '{k}' THEN {_j(patient_key, payload)}")
        else:
            whens.append(
                f"WHEN '{k}' THEN (SELECT patient_id FROM subject_patient "
                f"WHERE subject = {_j(str(via), payload)})"
            )
    for k, key in SUBJECT_KEY.items():
        whens.append(
            f"WHEN '{k}' THEN (SELECT patient_id FROM subject_patient "
            f"WHERE subject = {_j(key, payload)})"
        )
    return f"(CASE {kind} {' '.join(whens)} END)"


SQLITE_TABLES = (
    "CREATE TABLE IF NOT EXISTS subject_patient ("
    "subject TEXT PRIMARY KEY, patient_id TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS relation ("
    "record TEXT NOT NULL, unit TEXT NOT NULL, patient_id TEXT NOT NULL, "
    "PRIMARY KEY (record, unit)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS relation_unit ON relation (unit, patient_id)",
    "CREATE INDEX IF NOT EXISTS relation_patient ON relation (patient_id, unit)",
    "CREATE TABLE IF NOT EXISTS relation_log ("
    "seq INTEGER NOT NULL, unit TEXT NOT NULL, patient_id TEXT NOT NULL, "
    "granted INTEGER NOT NULL, PRIMARY KEY (unit, seq, patient_id)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS relation_log_patient ON relation_log (unit, patient_id, seq)",
    "CREATE INDEX IF NOT EXISTS events_patient ON events (patient_id, seq)",
    "CREATE TABLE IF NOT EXISTS unit_ids (unit_id TEXT PRIMARY KEY) WITHOUT ROWID",
)


def _sqlite_trigger(kind: str) -> str:
    id_key, _patient, _via, unit_keys = RECORD_UNITS[kind]
    record = f"'{kind}:' || {_j(id_key)}"
    named = (
        "(SELECT DISTINCT value AS unit FROM json_each(json_array("
        + ", ".join(_j(k) for k in unit_keys)
        + ")) WHERE value IS NOT NULL AND value <> '')"
    )
    subject = (
        f"INSERT OR REPLACE INTO subject_patient (subject, patient_id) "
        f"VALUES ({_j(id_key)}, NEW.patient_id);"
    )
    return _relation_trigger(f"relation_{kind.split('.')[0]}", f"'{kind}'", record, named, subject)


# A tick whose value names a unit routes the subject there (a psychiatric admission reaches
# the hälsocentral the ward included, ``rules.admission_units``): the unit is related too,
# and stays so (an undone or changed value does not take the relation back: the unit has
# had the patient, and a tick without a value keeps the item's value). One record per value.
_TICK_RECORD = f"'item.ticked:' || {_j('subject')} || ':' || {_j('item')} || ':' || {_j('value')}"
_TICK_NAMED = (
    f"(SELECT {_j('value')} AS unit WHERE {_j('value')} IN (SELECT unit_id FROM unit_ids))"
)


def _relation_trigger(
    name: str, kind: str, record: str, named: str, before: str = "", when: str = "1"
) -> str:
    """A trigger keeping ``relation`` and ``relation_log`` for the record ``record`` of an
    event of ``kind`` (and ``when`` not NULL), which names the units ``named`` (a SELECT of
    ``unit``)."""
    return f"""
CREATE TRIGGER IF NOT EXISTS events_{name}
AFTER INSERT ON events
WHEN NEW.kind = {kind} AND NEW.patient_id IS NOT NULL AND {when} IS NOT NULL
BEGIN
    {before}
    INSERT INTO relation_log (seq, unit, patient_id, granted)
        SELECT NEW.seq, n.unit, NEW.patient_id, 1 FROM {named} AS n
        WHERE NOT EXISTS (SELECT 1 FROM relation r
                          WHERE r.patient_id = NEW.patient_id AND r.unit = n.unit);
    INSERT INTO relation_log (seq, unit, patient_id, granted)
        SELECT NEW.seq, r.unit, r.patient_id, 0 FROM relation r
        WHERE r.record = {record}
          AND (r.patient_id <> NEW.patient_id OR r.unit NOT IN (SELECT unit FROM {named}))
          AND NOT EXISTS (SELECT 1 FROM relation o WHERE o.patient_id = r.patient_id
                          AND o.unit = r.unit AND o.record <> {record});
    DELETE FROM relation WHERE record = {record};
    INSERT INTO relation (record, unit, patient_id)
        SELECT {record}, n.unit, NEW.patient_id FROM {named} AS n;
END"""


SQLITE_TRIGGERS = (
    *(_sqlite_trigger(k) for k in RECORD_UNITS),
    _relation_trigger(
        "relation_tick", "'item.ticked'", _TICK_RECORD, _TICK_NAMED, when=_j("value")
    ),
    f"""
CREATE TRIGGER IF NOT EXISTS events_unit_ids AFTER INSERT ON events
WHEN NEW.kind = 'unit.upserted'
BEGIN
    INSERT OR IGNORE INTO unit_ids (unit_id) VALUES ({_j("unit_id")});
END""",
)


def related_as_of(log: str, unit: str, through: str, true: str) -> str:
    """SQL: the patients related to ``unit`` as of seq ``through`` — the last change of
    the relation (``log``: relation_log) up to it was a grant. A pull filters by the relation
    as of the end of its range, so a bucket's state at a cursor does not depend on when it
    was pulled (two homes of one bucket at one cursor agree)."""
    return (
        f"SELECT l.patient_id FROM {log} l WHERE l.unit = {unit} AND l.seq <= {through} "
        f"AND l.granted = {true} AND NOT EXISTS (SELECT 1 FROM {log} n WHERE n.unit = l.unit "
        f"AND n.patient_id = l.patient_id AND n.seq > l.seq AND n.seq <= {through})"
    )


def bucket_filter(bucket: Bucket, related: str, everything: str, percent: str) -> str:
    """SQL: the event ``e`` belongs to ``bucket`` (``related``: the SELECT of its unit's
    patients; never NULL: its negation picks a home's own events outside it)."""
    if bucket.kind == REGION:
        return everything if bucket.audit else f"e.kind NOT LIKE '{AUDIT_PREFIX}{percent}'"
    globals_ = ", ".join(f"'{k}'" for k in GLOBAL_KINDS)
    prefixes = " OR ".join(f"e.kind LIKE '{p}{percent}'" for p in GLOBAL_PREFIXES)
    return (
        f"((e.patient_id IS NOT NULL AND e.patient_id IN ({related})) "
        f"OR (e.patient_id IS NULL AND (e.kind IN ({globals_}) OR {prefixes})))"
    )


def sqlite_backfill() -> list[str]:
    """Fill the bucket tables of a ledger of an earlier release from its events, set-based:
    the latest version of each record; the relation's history is not replayed (the relation
    as it is counts from before the first event: every home of that release starts its
    bucket from the first event, and all of them the same way)."""
    out = [
        "INSERT OR IGNORE INTO unit_ids (unit_id) SELECT json_extract(payload, '$.unit_id') "
        "FROM events WHERE kind = 'unit.upserted'"
    ]
    for kind, (id_key, patient_key, via, unit_keys) in RECORD_UNITS.items():
        latest = (
            f"SELECT payload, {_j(id_key, 'payload')} AS rid, row_number() OVER (PARTITION BY "
            f"{_j(id_key, 'payload')} ORDER BY seq DESC) AS k FROM events WHERE kind = '{kind}'"
        )
        patient = (
            _j(patient_key, "l.payload")
            if patient_key is not None
            else f"(SELECT patient_id FROM subject_patient WHERE subject = {_j(str(via), 'l.payload')})"
        )
        out.append(
            f"INSERT OR REPLACE INTO subject_patient (subject, patient_id) "
            f"SELECT l.rid, {patient} FROM ({latest}) l WHERE l.k = 1 AND {patient} IS NOT NULL"
        )
        units = ", ".join(_j(k, "l.payload") for k in unit_keys)
        out.append(
            "INSERT OR REPLACE INTO relation (record, unit, patient_id) "
            f"SELECT DISTINCT '{kind}:' || l.rid, j.value, sp.patient_id FROM ({latest}) l "
            f"JOIN subject_patient sp ON sp.subject = l.rid, json_each(json_array({units})) j "
            "WHERE l.k = 1 AND j.value IS NOT NULL AND j.value <> ''"
        )
    out.append(
        f"UPDATE events SET patient_id = {sqlite_patient_expr('events.kind', 'events.payload')}"
    )
    out.append(
        "INSERT OR REPLACE INTO relation (record, unit, patient_id) "
        f"SELECT {_TICK_RECORD.replace('NEW.payload', 'payload')}, "
        "json_extract(payload, '$.value'), patient_id FROM events "
        "WHERE kind = 'item.ticked' AND patient_id IS NOT NULL "
        "AND json_extract(payload, '$.value') IN (SELECT unit_id FROM unit_ids)"
    )
    # the relation as it is, granted before the first event (its history is not replayed)
    out.append(
        "INSERT OR IGNORE INTO relation_log (seq, unit, patient_id, granted) "
        "SELECT DISTINCT 0, unit, patient_id, 1 FROM relation"
    )
    return out


class BucketPull(NamedTuple):
    """One pull of a bucket.

    ``rows``: the bucket's events in ``(after, through]``, ascending, and, before them in
    seq order, the whole history up to ``through`` of each patient in ``refill``;
    ``through``: how far the ledger looked (the home's next cursor); ``confirmed``: the
    pulling home's own events in the range that are not its bucket's (an audit read, a tick
    on a patient it has lost): they leave its outbox, nothing is folded; ``purge``: patients whose
    relation to the unit changed in the range — the home deletes what it holds of them before
    folding ``rows`` (those in ``refill`` come back whole: related now; the others are gone).
    """

    rows: list[PulledEvent]
    through: int
    head: int  # the ledger's head when it answered: through < head, more to pull
    confirmed: list[str]
    purge: frozenset[str]
    refill: frozenset[str]


def merge(rows: list[PulledEvent], history: list[PulledEvent]) -> list[PulledEvent]:
    """``rows`` and a refill's ``history``, each ascending, as one ascending list without
    duplicates."""
    if not history:
        return rows
    by_seq = {r.seq: r for r in history}
    by_seq.update((r.seq, r) for r in rows)
    return [by_seq[s] for s in sorted(by_seq)]


# ------------------------------------------------------------------ SQL (PostgreSQL dialect)


def _pj(key: str, payload: str = "p_payload") -> str:
    return f"({payload} ->> '{key}')"


def _pg_apply() -> str:
    """``lcsp_bucket_apply(seq, kind, payload)``: what ``SQLITE_TRIGGERS`` and the patient of
    ``sqlite_patient_expr`` do for one event, in PL/pgSQL; returns the event's patient."""
    whens = []
    for k, (_id, patient_key, via, _units) in RECORD_UNITS.items():
        key = patient_key if patient_key is not None else str(via)
        look = patient_key is None
        whens.append((k, key, look))
    patient = " ".join(
        f"WHEN '{k}' THEN "
        + (
            f"(SELECT s.patient_id FROM lcsp_subject_patient s WHERE s.subject = {_pj(key)})"
            if look
            else _pj(key)
        )
        for k, key, look in whens
    )
    patient += " " + " ".join(
        f"WHEN '{k}' THEN (SELECT s.patient_id FROM lcsp_subject_patient s "
        f"WHERE s.subject = {_pj(key)})"
        for k, key in SUBJECT_KEY.items()
    )
    records = []
    for k, (id_key, _p, _v, unit_keys) in RECORD_UNITS.items():
        units = ", ".join(_pj(u) for u in unit_keys)
        records.append(
            f"""ELSIF p_kind = '{k}' THEN
        rec := '{k}:' || {_pj(id_key)};
        named := ARRAY(SELECT DISTINCT u FROM unnest(ARRAY[{units}]) AS u
                       WHERE u IS NOT NULL AND u <> '');
        INSERT INTO lcsp_subject_patient AS s (subject, patient_id)
        VALUES ({_pj(id_key)}, pid)
        ON CONFLICT (subject) DO UPDATE SET patient_id = excluded.patient_id;"""
        )
    tick = _pj("value")
    return f"""
CREATE OR REPLACE FUNCTION lcsp_bucket_apply(p_seq bigint, p_kind text, p_payload jsonb)
RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    pid text;
    rec text;
    named text[];
BEGIN
    IF p_kind = 'unit.upserted' THEN
        INSERT INTO lcsp_unit_ids (unit_id) VALUES ({_pj("unit_id")}) ON CONFLICT DO NOTHING;
    END IF;
    pid := CASE p_kind {patient} END;
    IF pid IS NULL THEN
        RETURN NULL;
    END IF;
    IF false THEN
        NULL;
    {" ".join(records)}
    ELSIF p_kind = 'item.ticked' THEN
        rec := 'item.ticked:' || {_pj("subject")} || ':' || {_pj("item")} || ':' || {tick};
        named := CASE WHEN EXISTS (SELECT 1 FROM lcsp_unit_ids WHERE unit_id = {tick})
                      THEN ARRAY[{tick}] ELSE '{{}}'::text[] END;
    ELSE
        RETURN pid;
    END IF;
    INSERT INTO lcsp_relation_log (seq, unit, patient_id, granted)
        SELECT p_seq, u, pid, true FROM unnest(named) AS u
        WHERE NOT EXISTS (SELECT 1 FROM lcsp_relation r WHERE r.patient_id = pid AND r.unit = u);
    INSERT INTO lcsp_relation_log (seq, unit, patient_id, granted)
        SELECT p_seq, r.unit, r.patient_id, false FROM lcsp_relation r
        WHERE r.record = rec AND (r.patient_id <> pid OR NOT r.unit = ANY (named))
          AND NOT EXISTS (SELECT 1 FROM lcsp_relation o WHERE o.patient_id = r.patient_id
                          AND o.unit = r.unit AND o.record <> rec);
    DELETE FROM lcsp_relation WHERE record = rec;
    INSERT INTO lcsp_relation (record, unit, patient_id) SELECT rec, u, pid FROM unnest(named) AS u;
    RETURN pid;
END $$"""


def _pg_trigger() -> str:
    """The trigger: most events (ticks, kvitteringar, decisions) only need their patient,
    one index probe; the others go through ``lcsp_bucket_apply``."""
    keys = " ".join(f"WHEN '{k}' THEN '{key}'" for k, key in SUBJECT_KEY.items())
    records = ", ".join(f"'{k}'" for k in RECORD_UNITS)
    return f"""
CREATE OR REPLACE FUNCTION lcsp_bucket_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    key text;
BEGIN
    IF NEW.kind IN ({records}, 'unit.upserted')
       OR (NEW.kind = 'item.ticked' AND NEW.payload ->> 'value' IS NOT NULL) THEN
        NEW.patient_id := lcsp_bucket_apply(NEW.seq, NEW.kind, NEW.payload);
        RETURN NEW;
    END IF;
    key := CASE NEW.kind {keys} END;
    IF key IS NOT NULL THEN
        SELECT s.patient_id INTO NEW.patient_id FROM lcsp_subject_patient s
        WHERE s.subject = NEW.payload ->> key;
    END IF;
    RETURN NEW;
END $$"""


PG_TRIGGER_FUNCTION = _pg_trigger()

# What the buckets' filter needs on PostgreSQL (kept by a BEFORE INSERT trigger, so by every
# push in its own transaction; ``lcsp ledger init`` makes the functions SECURITY DEFINER).
PG_TABLES = (
    "ALTER TABLE lcsp_events ADD COLUMN IF NOT EXISTS patient_id text",
    "CREATE TABLE IF NOT EXISTS lcsp_subject_patient ("
    "subject text PRIMARY KEY, patient_id text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS lcsp_relation (record text NOT NULL, unit text NOT NULL, "
    "patient_id text NOT NULL, PRIMARY KEY (record, unit))",
    "CREATE INDEX IF NOT EXISTS lcsp_relation_unit ON lcsp_relation (unit, patient_id)",
    "CREATE INDEX IF NOT EXISTS lcsp_relation_patient ON lcsp_relation (patient_id, unit)",
    "CREATE TABLE IF NOT EXISTS lcsp_relation_log (seq bigint NOT NULL, unit text NOT NULL, "
    "patient_id text NOT NULL, granted boolean NOT NULL, PRIMARY KEY (unit, seq, patient_id))",
    "CREATE INDEX IF NOT EXISTS lcsp_relation_log_patient ON lcsp_relation_log "
    "(unit, patient_id, seq)",
    "CREATE TABLE IF NOT EXISTS lcsp_unit_ids (unit_id text PRIMARY KEY)",
    "CREATE INDEX IF NOT EXISTS lcsp_events_patient ON lcsp_events (patient_id, seq)",
    _pg_apply(),
    PG_TRIGGER_FUNCTION,
    "DROP TRIGGER IF EXISTS lcsp_events_bucket ON lcsp_events",
    "CREATE TRIGGER lcsp_events_bucket BEFORE INSERT ON lcsp_events "
    "FOR EACH ROW EXECUTE FUNCTION lcsp_bucket_row()",
)
PG_BUCKET_TABLES = ("lcsp_subject_patient", "lcsp_relation", "lcsp_relation_log", "lcsp_unit_ids")
PG_FUNCTIONS = ("lcsp_bucket_apply(bigint, text, jsonb)", "lcsp_bucket_row()")

# A ledger of an earlier release: every event replayed through the same function, in order.
PG_BACKFILL = """
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT seq, kind, payload FROM lcsp_events ORDER BY seq LOOP
        UPDATE lcsp_events SET patient_id = lcsp_bucket_apply(r.seq, r.kind, r.payload)
        WHERE seq = r.seq;
    END LOOP;
END $$"""


def pg_redacted() -> str:
    """SQL: ``redact`` of ``e.payload`` (jsonb), as text."""
    return (
        f"CASE WHEN e.kind = '{REDACTED_KIND}' THEN ((e.payload - 'personnummer') || "
        "jsonb_build_object('first_name', left(e.payload ->> 'first_name', 1), 'born', "
        "coalesce(left(e.payload ->> 'personnummer', 4)::int, (e.payload ->> 'born')::int)))"
        "::text ELSE e.payload::text END"
    )
