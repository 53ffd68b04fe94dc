"""The read model: the rules applied once, when a subject's inputs change.

Where the rules are applied
---------------------------
``domain/rules.py`` says, purely, what holds for one subject: which worklists hold it
(``rules.holders``), which items apply and why not, what each waits for, when it opens and
is due, from when it is overdue or locked (``rules.item_facts``), the row a worklist shows
(``rules.summarize``) and the status words of the lookup. This module is the only caller:
whenever a subject's inputs change — a pulled event (``LocalStore.apply_pulled``) or a local
one (``LocalStore.record``) — it evaluates the rules for the subjects touched and writes the
answers into the ``rm_*`` tables (``store/schema.py``), in the same transaction. Every reader
(worklist, checklist, counts, statistics, drill-down, lookup, report, burndown) selects from
those tables through ``lcsp_tui.store.queries``; what depends on the clock is a comparison of
a stored instant with "now" in that SQL, never a rule evaluated again.

The one overlay
---------------
The inputs are the confirmed state (the domain tables, folded from the ledger; they alone
make the state hash) with the pending outbox on top. ``Pending.load`` reads the outbox and
``_Inputs`` lays it over the confirmed rows: the one place local work that the ledger has
not confirmed yet reaches what users see. No reader replays the outbox.

Adding a rule
-------------
Change ``domain/rules.py`` (and the data in ``data/`` if it is an item or a condition); if
the rule reads a fact the contexts below do not carry yet, load it in ``_Inputs``; if it
changes with an event kind that does not touch the subject yet, add it to ``touched_by``.
Bump ``READ_MODEL_VERSION``: every home rebuilds its read model when it next opens.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from lcsp_tui.domain import models as m
from lcsp_tui.domain import rules
from lcsp_tui.domain.models import (
    Admission,
    AdmissionStatus,
    CareForm,
    CoordinatorOrg,
    Housing,
    Message,
    Patient,
    Sip,
    SipDecision,
    SipStatus,
)
from lcsp_tui.domain.regiondata import RegionData
from lcsp_tui.domain.roles import ROLES
from lcsp_tui.store.schema import READ_TABLES

READ_MODEL_VERSION = 1  # bump when a rule changes: homes rebuild the read model on open
ROLE_BITS = {r: 1 << k for k, r in enumerate(ROLES)}
NO_UNIT = ""  # rm_list.unit of a subject held at no unit
_CHUNK = 500  # ids per "IN (…)", well under SQLite's variable limit


def instant(t: dt.datetime | None) -> str:
    """How instants are stored and compared: ISO text to the second ('' = never)."""
    return "" if t is None else t.isoformat(timespec="seconds")


def reached(column: str) -> str:
    """SQL: the instant in ``column`` has come at ``:now`` (never for '')."""
    return f"({column} <> '' AND {column} <= :now)"


# An item row (alias i) that counts: it applies, and a role holding its subject ticks it.
COUNTED = "i.applies = 1 AND i.roles <> 0"


# ------------------------------------------------------------------ what an event touches


@dataclass
class Touched:
    """The inputs a batch of events changed."""

    subjects: set[str] = field(default_factory=set)  # admission, SIP or patient ids
    patients: set[str] = field(default_factory=set)  # every subject of the patient
    messages: set[str] = field(default_factory=set)
    help: bool = False

    def __bool__(self) -> bool:
        return bool(self.subjects or self.patients or self.messages or self.help)


def touched_by(events: Iterable[m.Event]) -> Touched:
    t = Touched()
    for e in events:
        p = e.payload
        if e.kind == m.ITEM_TICKED:
            t.subjects.add(str(p["subject"]))
        elif e.kind == m.SIP_DECIDED:
            t.subjects.add(str(p["sip_id"]))
        elif e.kind in (m.MESSAGE_ACKED, m.MESSAGE_UPSERTED):
            t.messages.add(str(p["message_id"]))
            t.help = t.help or bool(p.get("help_request"))
        elif e.kind == m.PATIENT_UPSERTED:
            t.patients.add(str(p["patient_id"]))
        elif e.kind == m.ADMISSION_UPSERTED:
            # its patient's SIPs read whether the patient has an ongoing admission
            t.subjects.add(str(p["admission_id"]))
            t.patients.add(str(p["patient_id"]))
        elif e.kind == m.SIP_UPSERTED:
            # its patient's step 1 reads whether the patient has an ongoing SIP
            t.subjects.add(str(p["sip_id"]))
            t.patients.add(str(p["patient_id"]))
        elif e.kind.startswith("help."):
            t.help = True
    return t


# ------------------------------------------------------------------ the pending outbox


@dataclass(frozen=True)
class Tick:
    done: bool
    note: str | None
    by: str | None
    at: str | None


@dataclass
class Pending:
    """The outbox's effect on what users see, in the outbox's order (last one wins)."""

    ticks: dict[tuple[str, str], Tick] = field(default_factory=dict)
    acks: set[str] = field(default_factory=set)
    decisions: dict[str, str] = field(default_factory=dict)
    events: list[m.Event] = field(default_factory=list)  # help.* and help acks, in order

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> Pending:
        out = cls()
        for kind, actor, recorded_at, payload, event_id in conn.execute(
            "SELECT kind, actor, recorded_at, payload, event_id FROM outbox ORDER BY origin_seq"
        ):
            p = json.loads(payload)
            if kind == m.ITEM_TICKED:
                out.ticks[(p["subject"], p["item"])] = Tick(
                    bool(p.get("done", True)), p.get("note"), actor, recorded_at
                )
            elif kind == m.MESSAGE_ACKED:
                out.acks.add(p["message_id"])
            elif kind == m.SIP_DECIDED:
                out.decisions[p["sip_id"]] = p["decision"]
            if kind.startswith("help.") or (kind == m.MESSAGE_ACKED and p.get("help_request")):
                out.events.append(
                    m.Event(
                        event_id=event_id,
                        kind=kind,
                        actor=actor or "",
                        recorded_at=recorded_at or "",
                        payload=p,
                    )
                )
        return out

    def subjects(self) -> set[str]:
        return {s for s, _ in self.ticks} | set(self.decisions)


# ------------------------------------------------------------------ loading the inputs


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield list(ids[i : i + _CHUNK])


def _rows(conn: sqlite3.Connection, sql: str, ids: Sequence[str]) -> list[sqlite3.Row]:
    """``sql`` has one ``{marks}`` for an IN list; run it in chunks of ``ids``."""
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row
    out: list[sqlite3.Row] = []
    for chunk in _chunks(ids):
        out += cur.execute(sql.format(marks=",".join("?" * len(chunk))), chunk).fetchall()
    return out


def _date(v: object) -> dt.date | None:
    return dt.date.fromisoformat(str(v)) if v else None


def _day(v: object) -> dt.date:
    """A date of a NOT NULL column."""
    return dt.date.fromisoformat(str(v))


def _patient(r: sqlite3.Row) -> Patient:
    # Validated when imported: construct without validating again (fast), typed fields only.
    return Patient.model_construct(
        patient_id=r["patient_id"],
        personnummer="",  # never needed by a rule
        first_name=r["first_name"],
        last_name=r["last_name"],
        municipality=r["municipality"],
        housing=Housing(r["housing"]),
        housing_unit=r["housing_unit"],
        home_health_unit=r["home_health_unit"],
        assistance_unit=r["assistance_unit"],
        health_centre=r["health_centre"],
        psych_outpatient_unit=r["psych_outpatient_unit"],
        visiting_address=r["visiting_address"],
        next_of_kin=r["next_of_kin"],
        protected_identity=bool(r["protected_identity"]),
    )


class _Inputs:
    """Confirmed rows with the pending outbox laid over them, for a set of subjects."""

    def __init__(self, conn: sqlite3.Connection, pending: Pending) -> None:
        self.conn = conn
        self.pending = pending

    def done_maps(self, subjects: Sequence[str]) -> dict[str, dict[str, Tick]]:
        out: dict[str, dict[str, Tick]] = defaultdict(dict)
        for r in _rows(
            self.conn,
            "SELECT i.subject, i.item, i.done, i.note, i.actor, a.recorded_at FROM items i "
            "LEFT JOIN audit a ON a.seq = i.seq WHERE i.subject IN ({marks})",
            subjects,
        ):
            out[r[0]][r[1]] = Tick(bool(r[2]), r[3], r[4], r[5])
        wanted = set(subjects)
        for (subject, item), tick in self.pending.ticks.items():
            if subject in wanted:
                out[subject][item] = tick
        return out

    def messages(self, where: str, ids: Sequence[str]) -> list[tuple[Message, bool, bool]]:
        """(message, acknowledged, by a pending kvittering) for messages matching ``where``."""
        out = []
        for r in _rows(
            self.conn,
            "SELECT message_id, admission_id, type, recipient_unit, sent, acknowledged, "
            f"acked_seq FROM messages WHERE {where} IN ({{marks}})",
            ids,
        ):
            confirmed = r["acknowledged"] is not None or r["acked_seq"] is not None
            local = not confirmed and r["message_id"] in self.pending.acks
            msg = Message.model_construct(
                message_id=r["message_id"],
                admission_id=r["admission_id"],
                type=r["type"],
                recipient_unit=r["recipient_unit"],
                sent=r["sent"],
                acknowledged=r["acknowledged"],
            )
            out.append((msg, confirmed or local, local))
        return out

    def contexts(
        self, ids: Sequence[str]
    ) -> tuple[list[rules.SubjectContext], dict[str, dict[str, Tick]]]:
        """Contexts for the subjects among ``ids`` (of any kind; unknown ids are skipped),
        and each one's latest ticks."""
        adms = _rows(
            self.conn,
            "SELECT a.admission_id AS a_id, a.care_form, a.ward, a.admitted, a.discharge_ready, "
            "a.status AS a_status, a.earliest_discharge_ready, p.* FROM admissions a "
            "JOIN patients p ON p.patient_id = a.patient_id WHERE a.admission_id IN ({marks})",
            ids,
        )
        sips = _rows(
            self.conn,
            "SELECT s.sip_id, s.coordinator_org, s.responsible_unit, s.municipality AS s_muni, "
            "s.started, s.last_meeting, s.status AS s_status, d.decision, "
            "EXISTS (SELECT 1 FROM admissions a WHERE a.patient_id = s.patient_id "
            "AND a.status = 'pagaende') AS ongoing_admission, p.* FROM sips s "
            "JOIN patients p ON p.patient_id = s.patient_id "
            "LEFT JOIN decisions d ON d.sip_id = s.sip_id WHERE s.sip_id IN ({marks})",
            ids,
        )
        pats = _rows(
            self.conn,
            "SELECT p.*, EXISTS (SELECT 1 FROM sips s WHERE s.patient_id = p.patient_id "
            "AND s.status = 'pagaende') AS ongoing_sip FROM patients p "
            "WHERE p.patient_id IN ({marks})",
            ids,
        )
        found = [r["a_id"] for r in adms] + [r["sip_id"] for r in sips]
        found += [r["patient_id"] for r in pats]
        done = self.done_maps(found)
        unacked: dict[str, list[Message]] = defaultdict(list)
        for msg, acked, _local in self.messages("admission_id", [r["a_id"] for r in adms]):
            if not acked:
                unacked[msg.admission_id].append(msg)
        out = []
        for r in adms:
            adm = Admission.model_construct(
                admission_id=r["a_id"],
                patient_id=r["patient_id"],
                care_form=CareForm(r["care_form"]),
                ward=r["ward"],
                admitted=_day(r["admitted"]),
                discharge_ready=_date(r["discharge_ready"]),
                status=AdmissionStatus(r["a_status"]),
            )
            out.append(
                rules.SubjectContext(
                    kind="admission",
                    subject_id=adm.admission_id,
                    patient=_patient(r),
                    admission=adm,
                    has_ongoing_admission=adm.status is AdmissionStatus.PAGAENDE,
                    earliest_discharge_ready=_date(r["earliest_discharge_ready"]),
                    done=_flags(done.get(adm.admission_id)),
                    unacknowledged=tuple(unacked.get(adm.admission_id, ())),
                )
            )
        for r in sips:
            sip = Sip.model_construct(
                sip_id=r["sip_id"],
                patient_id=r["patient_id"],
                coordinator_org=CoordinatorOrg(r["coordinator_org"]),
                responsible_unit=r["responsible_unit"],
                municipality=r["s_muni"],
                started=_day(r["started"]),
                last_meeting=_date(r["last_meeting"]),
                status=SipStatus(r["s_status"]),
            )
            decision = self.pending.decisions.get(sip.sip_id, r["decision"])
            out.append(
                rules.SubjectContext(
                    kind="sip",
                    subject_id=sip.sip_id,
                    patient=_patient(r),
                    sip=sip,
                    has_ongoing_admission=bool(r["ongoing_admission"]),
                    sip_decision=SipDecision(decision) if decision else None,
                    done=_flags(done.get(sip.sip_id)),
                )
            )
        for r in pats:
            out.append(
                rules.SubjectContext(
                    kind="patient",
                    subject_id=r["patient_id"],
                    patient=_patient(r),
                    has_ongoing_sip=bool(r["ongoing_sip"]),
                    done=_flags(done.get(r["patient_id"])),
                )
            )
        return out, done


def _flags(ticks: dict[str, Tick] | None) -> dict[str, bool]:
    return {item: t.done for item, t in (ticks or {}).items()}


# ------------------------------------------------------------------ applying the rules


_SUBJECT_SQL = (
    "INSERT INTO rm_subject (subject, kind, patient_id, municipality, in_scope, care_form, "
    "holder_unit, coordinator_org, decision, started, flagged, unacked, status, own_units) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_ITEM_SQL = (
    "INSERT INTO rm_item (subject, item, pos, step, roles, applies, reason, done, done_by, "
    "done_at, note, waiting, prator_action, opens, due, overdue_from, locked_from) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_LIST_SQL = (
    "INSERT INTO rm_list (role, unit, subject, role_bit, pending, done, total, step, due, "
    "overdue_from, waiting) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _subject_rows(
    ctx: rules.SubjectContext, ticks: dict[str, Tick], region: RegionData
) -> tuple[tuple[object, ...] | None, list[tuple[object, ...]], list[tuple[object, ...]]]:
    """(rm_subject row or None, rm_item rows, rm_list rows) of one subject."""
    held = rules.holders(ctx, region)
    cutoff = region.timeline.milestones.discharge_ready_cutoff
    if ctx.kind == "patient" and not held:
        return None, [], []
    lists: list[tuple[object, ...]] = []
    facts: dict[str, rules.ItemFacts] = {}
    roles_of: dict[str, int] = defaultdict(int)
    for role, units in held.items():
        mine = rules.checklist(role, ctx, region)
        for f in mine:
            facts[f.item.id] = f
            roles_of[f.item.id] |= ROLE_BITS[role]
        s = rules.summarize(mine, ctx)
        for unit in units:
            lists.append(
                (
                    role,
                    unit or NO_UNIT,
                    ctx.subject_id,
                    ROLE_BITS[role],
                    int(s.pending),
                    s.done,
                    s.total,
                    s.step,
                    instant(s.due),
                    instant(s.overdue_from),
                    int(s.waiting),
                )
            )
    pos = region_positions(region)
    items: list[tuple[object, ...]] = []
    for item_id, f in facts.items():
        tick = ticks.get(item_id)
        items.append(
            (
                ctx.subject_id,
                item_id,
                pos[item_id],
                f.item.step,
                roles_of[item_id],
                int(f.applies),
                f.reason,
                int(f.done),
                tick.by if tick and f.done else None,
                tick.at if tick and f.done else None,
                tick.note if tick else None,
                f.waiting,
                int(f.item.prator_action),
                instant(f.opens),
                instant(f.due),
                instant(f.overdue_from),
                instant(f.locked_from),
            )
        )
    adm, sip = ctx.admission, ctx.sip
    if adm is not None:
        status = rules.admission_status(ctx, region)
        flagged = bool(held) and rules.moved_past_cutoff(adm, ctx.earliest_discharge_ready, cutoff)
    elif sip is not None:
        status, flagged = rules.sip_status(ctx), False
    else:
        status, flagged = "förregistrering", False
    subject = (
        ctx.subject_id,
        ctx.kind,
        ctx.patient.patient_id,
        sip.municipality if sip is not None else ctx.patient.municipality,
        int(bool(held)),
        adm.care_form.value if adm is not None else None,
        adm.ward if adm is not None else sip.responsible_unit if sip is not None else None,
        sip.coordinator_org.value if sip is not None else None,
        ctx.sip_decision.value if ctx.sip_decision is not None else None,
        int(bool(ctx.done.get("s2.inskrivningsmeddelande"))) if adm is not None else 0,
        int(flagged),
        len(ctx.unacknowledged),
        status,
        "," + ",".join(sorted(rules.own_units(ctx))) + ",",
    )
    return subject, items, lists


_POSITIONS: dict[int, dict[str, int]] = {}


def region_positions(region: RegionData) -> dict[str, int]:
    """item id -> its place in the checklists' data (the order checklists show)."""
    key = id(region.checklists)
    if key not in _POSITIONS:
        _POSITIONS[key] = {i.id: k for k, i in enumerate(region.checklists.item)}
    return _POSITIONS[key]


def _expand(conn: sqlite3.Connection, touched: Touched) -> list[str]:
    """Every subject whose inputs ``touched`` names."""
    ids = set(touched.subjects)
    pats = sorted(touched.patients)
    ids.update(pats)
    for sql in (
        "SELECT admission_id FROM admissions WHERE patient_id IN ({marks})",
        "SELECT sip_id FROM sips WHERE patient_id IN ({marks})",
    ):
        ids.update(r[0] for r in _rows(conn, sql, pats))
    ids.update(
        r[0]
        for r in _rows(
            conn,
            "SELECT admission_id FROM messages WHERE message_id IN ({marks})",
            sorted(touched.messages),
        )
    )
    return sorted(ids)


def _derive(conn: sqlite3.Connection, region: RegionData, pending: Pending, ids: list[str]) -> None:
    """Evaluate the rules for ``ids`` and write their rows (old rows already deleted)."""
    inputs = _Inputs(conn, pending)
    for chunk in _chunks(ids):
        subjects, items, lists = [], [], []
        contexts, ticks = inputs.contexts(chunk)
        for ctx in contexts:
            s, i, lst = _subject_rows(ctx, ticks.get(ctx.subject_id, {}), region)
            if s is not None:
                subjects.append(s)
            items += i
            lists += lst
        conn.executemany(_SUBJECT_SQL, subjects)
        conn.executemany(_ITEM_SQL, items)
        conn.executemany(_LIST_SQL, lists)


def _derive_messages(
    conn: sqlite3.Connection, pending: Pending, where: str, ids: Sequence[str]
) -> None:
    rows = [
        (msg.message_id, msg.admission_id, msg.type, msg.recipient_unit, msg.sent, acked, local)
        for msg, acked, local in _Inputs(conn, pending).messages(where, ids)
    ]
    conn.executemany(
        "INSERT OR REPLACE INTO rm_message (message_id, admission_id, type, recipient_unit, "
        "sent, acked, pending) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def _derive_help(conn: sqlite3.Connection, pending: Pending) -> None:
    """The help requests: the confirmed table with the pending events folded on top, by the
    fold's own code (they are few: the whole table each time)."""
    from lcsp_tui.store.fold import fold_help

    conn.execute("DELETE FROM rm_help")
    conn.execute(
        "INSERT INTO rm_help (request_id, units, name, lookup_key, birth_year, need, status, "
        "note, acks, requested_by, requested_at, requested_seq, updated_by, updated_at) "
        "SELECT request_id, units, name, lookup_key, birth_year, need, status, note, acks, "
        "requested_by, requested_at, requested_seq, updated_by, updated_at FROM help_requests"
    )
    fold_help(conn, pending.events, table="rm_help", acked=_acked_before_pending)


def _acked_before_pending(conn: sqlite3.Connection, message_id: str) -> bool:
    row = conn.execute(
        "SELECT acknowledged IS NOT NULL OR acked_seq IS NOT NULL FROM messages "
        "WHERE message_id = ?",
        (message_id,),
    ).fetchone()
    return row is None or bool(row[0])


_COUNT_SQL = (
    "INSERT INTO rm_count (municipality, step, roles, done, overdue_from, locked_from, day, n) "
    "SELECT s.municipality, i.step, i.roles, i.done, i.overdue_from, i.locked_from, "
    "CASE WHEN i.done = 1 THEN substr(coalesce(i.done_at, ''), 1, 10) ELSE '' END, "
    "{sign} * count(*) FROM rm_item i JOIN rm_subject s ON s.subject = i.subject "
    f"WHERE {COUNTED} {{only}} GROUP BY 1, 2, 3, 4, 5, 6, 7 "
    "ON CONFLICT (municipality, step, roles, done, overdue_from, locked_from, day) "
    "DO UPDATE SET n = n + excluded.n"
)
_UNIT_COUNT_SQL = (
    "INSERT INTO rm_unit_count (unit, done, overdue_from, locked_from, n) "
    "SELECT l.unit, i.done, i.overdue_from, i.locked_from, {sign} * count(*) "
    "FROM (SELECT unit, subject, sum(role_bit) AS rb FROM rm_list WHERE 1 {only_l} "
    "GROUP BY unit, subject) l JOIN rm_item i ON i.subject = l.subject "
    f"AND (i.roles & l.rb) <> 0 WHERE {COUNTED} GROUP BY 1, 2, 3, 4 "
    "ON CONFLICT (unit, done, overdue_from, locked_from) DO UPDATE SET n = n + excluded.n"
)


def _count(conn: sqlite3.Connection, ids: Sequence[str] | None, sign: int) -> None:
    """Add (or, with ``sign`` -1, take away) the subjects' rows to the kept figures; every
    subject with None."""
    for chunk in _chunks(ids) if ids is not None else [None]:
        marks = ",".join("?" * len(chunk)) if chunk else ""
        only = f"AND i.subject IN ({marks})" if chunk else ""
        only_l = f"AND subject IN ({marks})" if chunk else ""
        conn.execute(_COUNT_SQL.format(sign=sign, only=only), chunk or ())
        conn.execute(_UNIT_COUNT_SQL.format(sign=sign, only_l=only_l), chunk or ())
    conn.execute("DELETE FROM rm_count WHERE n = 0")
    conn.execute("DELETE FROM rm_unit_count WHERE n = 0")


def refresh(conn: sqlite3.Connection, region: RegionData, touched: Touched) -> None:
    """Bring the read model up to date for what ``touched`` names (inside the caller's
    transaction)."""
    if not touched:
        return
    pending = Pending.load(conn)
    ids = _expand(conn, touched)
    _count(conn, ids, -1)
    for table in ("rm_subject", "rm_item", "rm_list"):
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            conn.execute(f"DELETE FROM {table} WHERE subject IN ({marks})", chunk)
    _derive(conn, region, pending, ids)
    _count(conn, ids, +1)
    messages = sorted(touched.messages)
    adms = [i for i in ids if i not in touched.messages]
    _derive_messages(conn, pending, "message_id", messages)
    _derive_messages(conn, pending, "admission_id", adms)
    if touched.help:
        _derive_help(conn, pending)


def rebuild(conn: sqlite3.Connection, region: RegionData) -> None:
    """The whole read model from the confirmed state and the outbox (an upgrade, a rule
    change): inside the caller's transaction."""
    for table in READ_TABLES:
        conn.execute(f"DELETE FROM {table}")
    pending = Pending.load(conn)
    ids = sorted(
        r[0]
        for r in conn.execute(
            "SELECT admission_id FROM admissions UNION ALL SELECT sip_id FROM sips "
            "UNION ALL SELECT patient_id FROM patients"
        )
    )
    _derive(conn, region, pending, ids)
    _count(conn, None, +1)
    _derive_messages(
        conn, pending, "message_id", [r[0] for r in conn.execute("SELECT message_id FROM messages")]
    )
    _derive_help(conn, pending)
