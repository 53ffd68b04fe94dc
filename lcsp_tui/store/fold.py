"""Fold: apply ledger events to the local state tables, set-based.

Pure and deterministic: the result depends only on the events and their order (no clock,
no randomness, no locale). A pulled batch is staged as the ledger's rows (payload still JSON
text) in a temporary table, checked there (``check``), and folded by a few statements that
read the payloads with SQLite's JSON functions — no model and no ``json.loads`` per event.

Order. Upserts of one key, later ticks over earlier ones, the first kvittering that counts:
each statement takes its rows in ``seq`` order, and SQLite applies an ``INSERT … SELECT …
ORDER BY seq ON CONFLICT DO UPDATE`` row by row, so a later row sees the earlier ones. Kinds
that write the same table (a *family*: an admission's upsert and its discharge; a message,
its kvitteringar and the help requests they count on) are applied run by run in ledger order;
kinds that share no table commute, so each is one statement for the whole batch.

Python's meaning of a payload is kept exactly: ``p.get(k)`` is ``json_extract`` (NULL when
missing), a truthiness test is ``_truthy``, ``str(p[k])`` is ``_text``. Events the fold cannot
read (a payload that is no JSON object, a required key missing, a newer schema) are refused
by ``check`` before anything is written; the caller's transaction rolls back.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from lcsp_tui.domain import models as m
from lcsp_tui.domain.lookup import lookup_key
from lcsp_tui.ledger.pulled import PULL_COLUMNS, PulledEvent

FOLD_VERSION = 1

STAGE = "temp.lcsp_pulled"

_UNIT_COLS = ("unit_id", "name", "type", "municipality")
_PATIENT_COLS = (
    "patient_id",
    "personnummer",
    "first_name",
    "last_name",
    "municipality",
    "housing",
    "housing_unit",
    "home_health_unit",
    "assistance_unit",
    "health_centre",
    "psych_outpatient_unit",
    "visiting_address",
    "next_of_kin",
    "protected_identity",
    "born",
)
_ADMISSION_COLS = (
    "admission_id",
    "patient_id",
    "care_form",
    "ward",
    "admitted",
    "discharge_ready",
    "status",
)
_SIP_COLS = (
    "sip_id",
    "patient_id",
    "coordinator_org",
    "responsible_unit",
    "municipality",
    "started",
    "last_meeting",
    "status",
)
_MESSAGE_COLS = ("message_id", "admission_id", "type", "recipient_unit", "sent", "acknowledged")

RECORD_KINDS = (
    m.UNIT_UPSERTED,
    m.PATIENT_UPSERTED,
    m.ADMISSION_UPSERTED,
    m.SIP_UPSERTED,
    m.MESSAGE_UPSERTED,
)
HELP_KINDS = (m.HELP_REQUESTED, m.HELP_UPDATED, m.HELP_RESOLVED)
# Payload keys a kind cannot be folded without.
REQUIRED: dict[str, tuple[str, ...]] = {
    m.PATIENT_UPSERTED: ("first_name", "last_name"),  # and a personnummer or ``born``
    m.ITEM_TICKED: ("subject", "item"),
    m.MESSAGE_ACKED: ("message_id",),
    m.ADMISSION_DISCHARGED: ("admission_id",),
    m.SIP_DECIDED: ("sip_id", "decision"),
}


class EventLike(Protocol):
    """What ``fold_help`` reads of an event: an ``Event`` or a ``PulledEvent``."""

    @property
    def kind(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def recorded_at(self) -> str: ...
    @property
    def seq(self) -> int | None: ...
    @property
    def payload(self) -> dict[str, Any]: ...


class Unfoldable(Exception):
    """A pulled event the fold cannot read; ``newer``: written by a newer release."""

    def __init__(self, seq: int, kind: str, problem: str, *, newer: bool = False) -> None:
        super().__init__(
            f"händelse {seq} ({kind}) i den gemensamma databasen går inte att läsa: den {problem}"
        )
        self.seq = seq
        self.newer = newer


# ------------------------------------------------------------------ Python's meaning in SQL


def _at(key: str) -> str:
    return f"'$.{key}'"


def _get(key: str) -> str:
    """``p.get(key)``."""
    return f"json_extract(payload, {_at(key)})"


def _type(key: str) -> str:
    """The JSON type of ``p[key]``; NULL when the key is missing."""
    return f"json_type(payload, {_at(key)})"


def _truthy(key: str, missing: str = "0") -> str:
    """``bool(p.get(key, missing))`` as 1 or 0."""
    v = _get(key)
    return (
        f"(CASE {_type(key)} WHEN 'true' THEN 1 WHEN 'false' THEN 0 WHEN 'null' THEN 0 "
        f"WHEN 'integer' THEN {v} <> 0 WHEN 'real' THEN {v} <> 0.0 WHEN 'text' THEN {v} <> '' "
        f"WHEN 'array' THEN json_array_length(payload, {_at(key)}) > 0 "
        f"WHEN 'object' THEN {v} <> '{{}}' ELSE {missing} END)"
    )


def _text(key: str) -> str:
    """``str(p[key])`` (Python's spelling of a number, a boolean, a list)."""
    v, t = _get(key), _type(key)
    return (
        f"(CASE {t} WHEN 'text' THEN {v} WHEN 'integer' THEN CAST({v} AS TEXT) "
        f"WHEN 'true' THEN 'True' WHEN 'false' THEN 'False' WHEN 'null' THEN 'None' "
        f"ELSE lcsp_py_str({t}, {v}) END)"
    )


def _py_str(json_type: str | None, value: object) -> str | None:
    if json_type is None:
        return None
    if json_type in ("array", "object"):
        return str(json.loads(str(value)))
    return str(value)


def _lookup_key(first: object, last: object, personnummer: object, born: object) -> str:
    year = int(str(personnummer)[:4]) if personnummer else int(str(born))
    return lookup_key(str(first), str(last), year)


def _id(key: str) -> str:
    """An id as a TEXT column compares it (what binding ``p[key]`` used to match)."""
    return f"CAST({_get(key)} AS TEXT)"


# ------------------------------------------------------------------ statements


def _upsert(table: str, cols: tuple[str, ...], values: list[str], kind: str) -> str:
    sets = ", ".join(f"{c} = excluded.{c}" for c in cols[1:])
    return (
        f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(values)} FROM {STAGE} "
        f"WHERE kind = '{kind}' {{range}} ORDER BY seq ON CONFLICT({cols[0]}) DO UPDATE SET {sets}"
    )


def _record(table: str, cols: tuple[str, ...], kind: str) -> str:
    return _upsert(table, cols, [_get(c) for c in cols], kind)


_PATIENTS = _upsert(
    "patients",
    (*_PATIENT_COLS, "lookup_key"),
    [
        *(_get(c) for c in _PATIENT_COLS[:-2]),
        _truthy("protected_identity"),
        _get("born"),
        f"lcsp_lookup_key({_get('first_name')}, {_get('last_name')}, {_get('personnummer')}, "
        f"{_get('born')})",
    ],
    m.PATIENT_UPSERTED,
)

# earliest_discharge_ready: the earliest utskrivningsklar date any version had (a date moved
# past the cut-off is flagged); ready_changed_at: when (recorded_at) the date last changed.
_ADMISSIONS = (
    f"INSERT INTO admissions ({', '.join(_ADMISSION_COLS)}, earliest_discharge_ready, "
    f"ready_changed_at) SELECT {', '.join(_get(c) for c in _ADMISSION_COLS)}, "
    f"{_get('discharge_ready')}, nullif(recorded_at, '') FROM {STAGE} "
    f"WHERE kind = '{m.ADMISSION_UPSERTED}' {{range}} ORDER BY seq "
    "ON CONFLICT(admission_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _ADMISSION_COLS[1:])
    + ", earliest_discharge_ready = CASE"
    " WHEN excluded.discharge_ready IS NULL THEN admissions.earliest_discharge_ready"
    " WHEN admissions.earliest_discharge_ready IS NULL THEN excluded.discharge_ready"
    " ELSE min(admissions.earliest_discharge_ready, excluded.discharge_ready) END"
    ", ready_changed_at = CASE WHEN excluded.discharge_ready IS admissions.discharge_ready"
    " THEN admissions.ready_changed_at ELSE excluded.ready_changed_at END"
)

# A tick without a note (or a value) keeps the one the item has.
_TICKS = (
    "INSERT INTO items (subject, item, done, note, value, actor, role, unit, seq) "
    f"SELECT {_get('subject')}, {_get('item')}, {_truthy('done', '1')}, {_get('note')}, "
    f"{_get('value')}, actor, role, unit, seq FROM {STAGE} "
    f"WHERE kind = '{m.ITEM_TICKED}' {{range}} ORDER BY seq ON CONFLICT(subject, item) DO UPDATE "
    "SET done = excluded.done, note = coalesce(excluded.note, items.note), "
    "value = coalesce(excluded.value, items.value), actor = excluded.actor, "
    "role = excluded.role, unit = excluded.unit, seq = excluded.seq"
)

_DECISIONS = (
    "INSERT INTO decisions (sip_id, decision, actor, role, unit, seq) "
    f"SELECT {_get('sip_id')}, {_get('decision')}, actor, role, unit, seq FROM {STAGE} "
    f"WHERE kind = '{m.SIP_DECIDED}' {{range}} ORDER BY seq ON CONFLICT(sip_id) DO UPDATE SET "
    "decision = excluded.decision, actor = excluded.actor, role = excluded.role, "
    "unit = excluded.unit, seq = excluded.seq"
)

# The first kvittering of a message counts; later ones change nothing. (min(seq) with bare
# columns: SQLite takes actor and role from the row of the minimum.)
_ACKS = (
    "UPDATE messages SET acked_seq = f.seq, acked_by = f.actor, acked_role = f.role FROM "
    f"(SELECT {_id('message_id')} AS mid, min(seq) AS seq, actor, role FROM {STAGE} "
    f"WHERE kind = '{m.MESSAGE_ACKED}' {{range}} GROUP BY 1) AS f "
    "WHERE messages.message_id = f.mid AND messages.acked_seq IS NULL"
)
# A kvittering made by support for a help request counts on that request (first only).
_HELP_ACKS = (
    "UPDATE help_requests SET acks = acks + c.n FROM "
    f"(SELECT {_id('help_request')} AS rid, count(*) AS n FROM {STAGE} "
    f"JOIN messages ON messages.message_id = {_id('message_id')} AND messages.acked_seq = seq "
    f"WHERE kind = '{m.MESSAGE_ACKED}' {{range}} AND {_truthy('help_request')} GROUP BY 1) AS c "
    "WHERE help_requests.request_id = c.rid"
)
# The first recorded discharge counts.
_DISCHARGES = (
    "UPDATE admissions SET discharged_at = f.at FROM "
    f"(SELECT {_id('admission_id')} AS aid, coalesce(nullif(recorded_at, ''), "
    f"CAST(seq AS TEXT)) AS at, min(seq) FROM {STAGE} "
    f"WHERE kind = '{m.ADMISSION_DISCHARGED}' {{range}} GROUP BY 1) AS f "
    "WHERE admissions.admission_id = f.aid AND admissions.discharged_at IS NULL"
)


def _audit_subject() -> str:
    keys = ("subject", "message_id", "sip_id", "admission_id", "patient_id", "request_id")
    whens = " ".join(f"WHEN {_truthy(k)} THEN {_text(k)}" for k in keys)
    return f"(CASE {whens} END)"


def _audit_what() -> str:
    reopened = f"{_type('status')} = 'text' AND {_get('status')} = 'ny'"
    return (
        f"(CASE kind WHEN '{m.ITEM_TICKED}' THEN {_text('item')} || ' ' || "
        f"CASE WHEN {_truthy('done', '1')} THEN 'klar' ELSE 'ångrad' END "
        f"WHEN '{m.SIP_DECIDED}' THEN 'beslut: ' || {_text('decision')} "
        f"WHEN '{m.ADMISSION_DISCHARGED}' THEN 'utskrivning registrerad' "
        f"WHEN '{m.MESSAGE_ACKED}' THEN 'kvittering' "
        f"WHEN '{m.HELP_REQUESTED}' THEN 'hjälpärende registrerat' "
        f"WHEN '{m.HELP_UPDATED}' THEN CASE WHEN {reopened} THEN 'hjälpärende återöppnat' "
        "ELSE 'hjälpärende pågår' END "
        f"WHEN '{m.HELP_RESOLVED}' THEN 'hjälpärende löst' "
        f"ELSE CASE WHEN {_type('what')} IS NULL THEN '' ELSE {_text('what')} END END)"
    )


# Every event but a record upsert goes to the audit trail: changes, reads, the support
# desk's help.* events, and kinds from a newer version (kept there rather than dropped).
_AUDIT = (
    "INSERT OR IGNORE INTO audit (seq, event_id, kind, actor, role, unit, recorded_at, "
    "subject, what, outcome, on_behalf_of) "
    f"SELECT seq, event_id, kind, actor, role, unit, recorded_at, {_audit_subject()}, "
    f"{_audit_what()}, CASE WHEN {_type('outcome')} IS NULL THEN 'ok' "
    f"ELSE {_get('outcome')} END, {_get('on_behalf_of')} FROM {STAGE} "
    f"WHERE kind NOT IN ({', '.join(repr(k) for k in RECORD_KINDS)}) ORDER BY seq"
)


# Kinds that share no table commute: one statement each over the whole batch.
ALONE: dict[str, tuple[str, ...]] = {
    m.UNIT_UPSERTED: (_record("units", _UNIT_COLS, m.UNIT_UPSERTED),),
    m.PATIENT_UPSERTED: (_PATIENTS,),
    m.SIP_UPSERTED: (_record("sips", _SIP_COLS, m.SIP_UPSERTED),),
    m.ITEM_TICKED: (_TICKS,),
    m.SIP_DECIDED: (_DECISIONS,),
}
# Kinds that write a shared table: applied run by run, in ledger order.
FAMILIES: dict[str, dict[str, tuple[str, ...]]] = {
    "admissions": {m.ADMISSION_UPSERTED: (_ADMISSIONS,), m.ADMISSION_DISCHARGED: (_DISCHARGES,)},
    "messages": {
        m.MESSAGE_UPSERTED: (_record("messages", _MESSAGE_COLS, m.MESSAGE_UPSERTED),),
        m.MESSAGE_ACKED: (_ACKS, _HELP_ACKS),
        **{k: () for k in HELP_KINDS},  # folded in Python (few): ``fold_help``
    },
}


# ------------------------------------------------------------------ staging and checking


def stage(conn: sqlite3.Connection, events: Sequence[PulledEvent]) -> None:
    """Put a batch (in seq order) into the staging table, replacing the previous one."""
    conn.create_function("lcsp_py_str", 2, _py_str, deterministic=True)
    conn.create_function("lcsp_lookup_key", 4, _lookup_key, deterministic=True)
    conn.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {STAGE.split('.')[1]} "
        f"(seq INTEGER PRIMARY KEY, {', '.join(PULL_COLUMNS[1:])})"
    )
    conn.execute(f"DELETE FROM {STAGE}")
    marks = ", ".join("?" * len(PULL_COLUMNS))
    conn.executemany(f"INSERT INTO {STAGE} VALUES ({marks})", events)


def _problem() -> str:
    """SQL: why the staged event cannot be folded, or NULL."""
    text_cols = ("event_id", "replica_id", "kind", "actor", "role", "unit", "recorded_at")
    untyped = " OR ".join(f"typeof({c}) <> 'text'" for c in text_cols)
    required = " ".join(
        f"WHEN kind = '{kind}' AND {_type(key)} IS NULL THEN 'saknar {key}'"
        for kind, keys in REQUIRED.items()
        for key in keys
    )
    return (
        "CASE WHEN typeof(schema_version) <> 'integer' THEN 'har ingen schemaversion' "
        f"WHEN schema_version > {m.SCHEMA_VERSION} THEN 'newer' "
        f"WHEN {untyped} OR typeof(origin_seq) <> 'integer' THEN 'har ett trasigt kuvert' "
        "WHEN typeof(payload) <> 'text' OR NOT json_valid(payload) "
        "THEN 'har inget giltigt JSON-innehåll' "
        "WHEN json_type(payload) <> 'object' THEN 'har inget JSON-objekt som innehåll' "
        f"{required} "
        f"WHEN kind = '{m.PATIENT_UPSERTED}' AND coalesce({_type('personnummer')}, 'null') "
        f"<> 'text' AND coalesce({_type('born')}, 'null') <> 'integer' "
        "THEN 'saknar personnummer' END"
    )


_CHECK = (
    f"SELECT seq, kind, schema_version, problem FROM (SELECT seq, kind, schema_version, "
    f"{_problem()} AS problem FROM {STAGE}) WHERE problem IS NOT NULL ORDER BY seq LIMIT 1"
)


def check(conn: sqlite3.Connection) -> None:
    """Refuse the staged batch if the fold cannot read one of its events (``Unfoldable``):
    the envelope's types, a payload that is a JSON object, the keys its kind needs, and a
    schema version this release knows (a newer one: update lcsp)."""
    row = conn.execute(_CHECK).fetchone()
    if row is None:
        return
    seq, kind, version, problem = row
    if problem == "newer":
        raise Unfoldable(
            seq,
            str(kind),
            f"har schemaversion {version}, den här versionen av lcsp kan version "
            f"{m.SCHEMA_VERSION}: uppdatera lcsp",
            newer=True,
        )
    raise Unfoldable(seq, str(kind), str(problem))


def staged_ids(conn: sqlite3.Connection, sources: Iterable[tuple[str, str]]) -> set[str]:
    """``{str(p[key])}`` over the staged events of each ``(kind, key)`` in ``sources`` that
    have the key (what the read model needs to know the batch touched)."""
    by_key: dict[str, list[str]] = {}
    for kind, key in sources:
        by_key.setdefault(key, []).append(f"'{kind}'")
    if not by_key:
        return set()
    sql = " UNION ".join(
        f"SELECT {_text(key)} FROM {STAGE} WHERE kind IN ({', '.join(kinds)})"
        for key, kinds in by_key.items()
    )
    return {r[0] for r in conn.execute(sql) if r[0] is not None}


def staged_any(conn: sqlite3.Connection, kinds: Iterable[str], flag: str | None = None) -> bool:
    """Whether a staged event is of ``kinds`` (and has a true ``p.get(flag)``)."""
    wanted = ", ".join(f"'{k}'" for k in kinds)
    also = f" AND {_truthy(flag)}" if flag else ""
    sql = f"SELECT EXISTS (SELECT 1 FROM {STAGE} WHERE kind IN ({wanted}){also})"
    return bool(conn.execute(sql).fetchone()[0])


# ------------------------------------------------------------------ the fold


def fold(conn: sqlite3.Connection, events: Sequence[PulledEvent]) -> None:
    """Fold the staged batch ``events`` (staged by ``stage``, checked by ``check``) inside
    the caller's transaction."""
    if not events:
        return
    present = {e.kind for e in events}
    for kind, statements in ALONE.items():
        if kind in present:
            for sql in statements:
                conn.execute(sql.replace("{range}", ""))
    for family in FAMILIES.values():
        if not present.intersection(family):
            continue
        mine = [e for e in events if e.kind in family]
        for kind, run in itertools.groupby(mine, key=lambda e: e.kind):
            batch = list(run)
            if kind in HELP_KINDS:
                fold_help(conn, batch)
                continue
            between = f"AND seq BETWEEN {int(batch[0].seq)} AND {int(batch[-1].seq)}"
            for sql in family[kind]:
                conn.execute(sql.replace("{range}", between))
    conn.execute(_AUDIT)


HELP_STATUSES = ("ny", "pagar", "lost")  # new, being worked, resolved


def fold_help(
    conn: sqlite3.Connection,
    events: Sequence[EventLike],
    *,
    table: str = "help_requests",
    acked: Callable[[sqlite3.Connection, str], bool] | None = None,
) -> None:
    """The support desk's help requests: recorded, worked (or reopened), resolved.

    The read model folds the pending outbox into ``rm_help`` with this same code
    (``table``, rows marked pending); there a kvittering for a request counts once per
    message that ``acked`` says was not acknowledged already. In the confirmed table those
    are counted by the fold's kvittering statements (``_HELP_ACKS``).
    """
    overlay = table != "help_requests"
    mark = ", pending = 1" if overlay else ""
    counted: set[str] = set()
    for e in events:
        p = e.payload
        rid = str(p.get("request_id", ""))
        if e.kind == m.MESSAGE_ACKED:
            mid = str(p["message_id"])
            if acked is None or mid in counted or acked(conn, mid):
                continue
            counted.add(mid)
            conn.execute(
                f"UPDATE {table} SET acks = acks + 1{mark} WHERE request_id = ?",
                (str(p["help_request"]),),
            )
        elif e.kind == m.HELP_REQUESTED:
            conn.execute(
                f"INSERT INTO {table} (request_id, units, name, lookup_key, birth_year, "
                "need, status, requested_by, requested_at, requested_seq, updated_by, "
                f"updated_at{', pending' if overlay else ''}) VALUES (?, ?, ?, ?, ?, ?, 'ny', "
                f"?, ?, ?, ?, ?{', 1' if overlay else ''}) ON CONFLICT(request_id) DO NOTHING",
                (
                    rid,
                    ",".join(str(u) for u in p.get("units") or ()),
                    str(p.get("name", "")),
                    str(p.get("lookup_key", "")),
                    int(p.get("birth_year") or 0),
                    str(p.get("need", "")),
                    e.actor,
                    e.recorded_at,
                    e.seq or 0,
                    e.actor,
                    e.recorded_at,
                ),
            )
        else:
            status = "lost" if e.kind == m.HELP_RESOLVED else str(p.get("status", "pagar"))
            conn.execute(
                f"UPDATE {table} SET status = ?, note = coalesce(?, note), "
                f"updated_by = ?, updated_at = ?{mark} WHERE request_id = ?",
                (
                    status if status in HELP_STATUSES else "pagar",
                    p.get("note"),
                    e.actor,
                    e.recorded_at,
                    rid,
                ),
            )


def payload_json(payload: dict[str, object]) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
