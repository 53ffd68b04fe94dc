"""The fold as it was before the set-based one (``git show 0e94e95:lcsp_tui/store/fold.py``):
one ``executemany`` per run of a kind, each payload decoded in Python. Kept verbatim (but
for this docstring and the unused ``payload_json``) as the oracle that
``tests/test_pull_fast.py`` compares the set-based fold with.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Sequence

from lcsp_tui.domain import models as m
from lcsp_tui.domain.lookup import lookup_key
from lcsp_tui.domain.models import Event

FOLD_VERSION = 1

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


def _upsert_sql(table: str, cols: tuple[str, ...], extra_set: str = "") -> str:
    sets = ", ".join(f"{c} = excluded.{c}" for c in cols[1:])
    return (
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
        f"ON CONFLICT({cols[0]}) DO UPDATE SET {sets}{extra_set}"
    )


def _record_applier(
    table: str, cols: tuple[str, ...]
) -> Callable[[sqlite3.Connection, Sequence[Event]], None]:
    sql = _upsert_sql(table, cols)

    def apply(conn: sqlite3.Connection, events: Sequence[Event]) -> None:
        conn.executemany(sql, [tuple(e.payload.get(c) for c in cols) for e in events])

    return apply


# earliest_discharge_ready: the earliest utskrivningsklar date any version had (a date moved
# past the cut-off is flagged); ready_changed_at: when (recorded_at) the date last changed.
_ADMISSION_SQL = (
    f"INSERT INTO admissions ({', '.join(_ADMISSION_COLS)}, earliest_discharge_ready, "
    f"ready_changed_at) VALUES ({', '.join('?' * len(_ADMISSION_COLS))}, ?6, ?8) "
    "ON CONFLICT(admission_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _ADMISSION_COLS[1:])
    + ", earliest_discharge_ready = CASE"
    " WHEN excluded.discharge_ready IS NULL THEN admissions.earliest_discharge_ready"
    " WHEN admissions.earliest_discharge_ready IS NULL THEN excluded.discharge_ready"
    " ELSE min(admissions.earliest_discharge_ready, excluded.discharge_ready) END"
    ", ready_changed_at = CASE WHEN excluded.discharge_ready IS admissions.discharge_ready"
    " THEN admissions.ready_changed_at ELSE excluded.ready_changed_at END"
)


def _apply_admissions(conn: sqlite3.Connection, events: Sequence[Event]) -> None:
    conn.executemany(
        _ADMISSION_SQL,
        [(*(e.payload.get(c) for c in _ADMISSION_COLS), e.recorded_at or None) for e in events],
    )


def _apply_patients(conn: sqlite3.Connection, events: Sequence[Event]) -> None:
    sql = _upsert_sql("patients", (*_PATIENT_COLS, "lookup_key"))
    rows = []
    for e in events:
        p = e.payload
        key = lookup_key(p["first_name"], p["last_name"], int(p["personnummer"][:4]))
        rows.append(
            tuple(p.get(c) for c in _PATIENT_COLS[:-1])
            + (1 if p.get("protected_identity") else 0, key)
        )
    conn.executemany(sql, rows)


def _apply_ticks(conn: sqlite3.Connection, events: Sequence[Event]) -> None:
    # A tick without a note (or a value) keeps the one the item has.
    conn.executemany(
        "INSERT INTO items (subject, item, done, note, value, actor, role, unit, seq) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(subject, item) DO UPDATE SET "
        "done = excluded.done, note = coalesce(excluded.note, items.note), "
        "value = coalesce(excluded.value, items.value), actor = excluded.actor, "
        "role = excluded.role, unit = excluded.unit, seq = excluded.seq",
        [
            (
                e.payload["subject"],
                e.payload["item"],
                1 if e.payload.get("done", True) else 0,
                e.payload.get("note"),
                e.payload.get("value"),
                e.actor,
                e.role,
                e.unit,
                e.seq,
            )
            for e in events
        ],
    )
    _audit(conn, events)


def _apply_acks(conn: sqlite3.Connection, events: Sequence[Event]) -> None:
    # The first kvittering counts; later ones for the same message change nothing.
    conn.executemany(
        "UPDATE messages SET acked_seq = ?, acked_by = ?, acked_role = ? "
        "WHERE message_id = ? AND acked_seq IS NULL",
        [(e.seq, e.actor, e.role, e.payload["message_id"]) for e in events],
    )
    # A kvittering made by support for a help request counts on that request (first only).
    linked = [
        (e.payload["help_request"], e.payload["message_id"], e.seq)
        for e in events
        if e.payload.get("help_request")
    ]
    conn.executemany(
        "UPDATE help_requests SET acks = acks + 1 WHERE request_id = ? AND EXISTS "
        "(SELECT 1 FROM messages WHERE message_id = ? AND acked_seq = ?)",
        linked,
    )
    _audit(conn, events)


def _apply_discharges(conn: sqlite3.Connection, events: Sequence[Event]) -> None:
    # The first recorded discharge counts.
    conn.executemany(
        "UPDATE admissions SET discharged_at = coalesce(discharged_at, ?) WHERE admission_id = ?",
        [(e.recorded_at or str(e.seq), e.payload["admission_id"]) for e in events],
    )
    _audit(conn, events)


def _apply_decisions(conn: sqlite3.Connection, events: Sequence[Event]) -> None:
    conn.executemany(
        "INSERT INTO decisions (sip_id, decision, actor, role, unit, seq) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(sip_id) DO UPDATE SET "
        "decision = excluded.decision, actor = excluded.actor, role = excluded.role, "
        "unit = excluded.unit, seq = excluded.seq",
        [
            (e.payload["sip_id"], e.payload["decision"], e.actor, e.role, e.unit, e.seq)
            for e in events
        ],
    )
    _audit(conn, events)


HELP_STATUSES = ("ny", "pagar", "lost")  # new, being worked, resolved


def _apply_help(conn: sqlite3.Connection, events: Sequence[Event]) -> None:
    fold_help(conn, events)
    _audit(conn, events)


def fold_help(
    conn: sqlite3.Connection,
    events: Sequence[Event],
    *,
    table: str = "help_requests",
    acked: Callable[[sqlite3.Connection, str], bool] | None = None,
) -> None:
    """The support desk's help requests: recorded, worked (or reopened), resolved.

    The read model folds the pending outbox into ``rm_help`` with this same code
    (``table``, rows marked pending); there a kvittering for a request counts once per
    message that ``acked`` says was not acknowledged already. In the confirmed table those
    are counted by ``_apply_acks``.
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


def audit_subject(event: Event) -> str | None:
    p = event.payload
    for key in ("subject", "message_id", "sip_id", "admission_id", "patient_id", "request_id"):
        if p.get(key):
            return str(p[key])
    return None


def audit_what(event: Event) -> str:
    p = event.payload
    if event.kind == m.ITEM_TICKED:
        return f"{p['item']} {'klar' if p.get('done', True) else 'ångrad'}"
    if event.kind == m.SIP_DECIDED:
        return f"beslut: {p['decision']}"
    if event.kind == m.ADMISSION_DISCHARGED:
        return "utskrivning registrerad"
    if event.kind == m.MESSAGE_ACKED:
        return "kvittering"
    if event.kind == m.HELP_REQUESTED:
        return "hjälpärende registrerat"
    if event.kind == m.HELP_UPDATED:
        return "hjälpärende återöppnat" if p.get("status") == "ny" else "hjälpärende pågår"
    if event.kind == m.HELP_RESOLVED:
        return "hjälpärende löst"
    return str(p.get("what", ""))


def _audit(conn: sqlite3.Connection, events: Sequence[Event]) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO audit "
        "(seq, event_id, kind, actor, role, unit, recorded_at, subject, what, outcome, "
        "on_behalf_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                e.seq,
                e.event_id,
                e.kind,
                e.actor,
                e.role,
                e.unit,
                e.recorded_at,
                audit_subject(e),
                audit_what(e),
                e.payload.get("outcome", "ok"),
                e.payload.get("on_behalf_of"),
            )
            for e in events
        ],
    )


APPLIERS: dict[str, Callable[[sqlite3.Connection, Sequence[Event]], None]] = {
    m.UNIT_UPSERTED: _record_applier("units", _UNIT_COLS),
    m.PATIENT_UPSERTED: _apply_patients,
    m.ADMISSION_UPSERTED: _apply_admissions,
    m.SIP_UPSERTED: _record_applier("sips", _SIP_COLS),
    m.MESSAGE_UPSERTED: _record_applier("messages", _MESSAGE_COLS),
    m.ITEM_TICKED: _apply_ticks,
    m.MESSAGE_ACKED: _apply_acks,
    m.SIP_DECIDED: _apply_decisions,
    m.ADMISSION_DISCHARGED: _apply_discharges,
    m.HELP_REQUESTED: _apply_help,
    m.HELP_UPDATED: _apply_help,
    m.HELP_RESOLVED: _apply_help,
}


def fold(conn: sqlite3.Connection, events: Sequence[Event]) -> None:
    """Apply ``events`` (in seq order) inside the caller's transaction.

    Audit events (kinds starting with ``audit.`` or ``import.``) go to the audit table; so do
    all changes, the support desk's ``help.`` events (also folded into ``help_requests``) and
    unknown kinds from a newer version, which are kept there rather than dropped.
    """
    for kind, group in itertools.groupby(events, key=lambda e: e.kind):
        batch = list(group)
        applier = APPLIERS.get(kind)
        if applier is not None:
            applier(conn, batch)
        else:
            _audit(conn, batch)
