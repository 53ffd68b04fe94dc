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
make the state hash) with the pending outbox on top. ``inputs.Pending`` reads the outbox and
``inputs.Inputs`` lays it over the confirmed rows: the one place local work that the ledger has
not confirmed yet reaches what users see. No reader replays the outbox.

Adding a rule
-------------
Change ``domain/rules.py`` (and the data in ``data/`` if it is an item or a condition); if
the rule reads a fact the contexts below do not carry yet, load it in ``inputs.Inputs``; if it
changes with an event kind that does not touch the subject yet, add it to ``touched_by``.
Bump ``READ_MODEL_VERSION``: every home rebuilds its read model when it next opens.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

from lcsp_tui.domain import models as m
from lcsp_tui.domain import rules
from lcsp_tui.domain.regiondata import RegionData
from lcsp_tui.rows import subject_title
from lcsp_tui.store.fold import HELP_KINDS, fold_help, staged_any, staged_ids
from lcsp_tui.store.inputs import Inputs, Pending, Tick, chunks, rows
from lcsp_tui.store.keys import COUNTED as COUNTED
from lcsp_tui.store.keys import NO_UNIT as NO_UNIT
from lcsp_tui.store.keys import READ_MODEL_VERSION as READ_MODEL_VERSION
from lcsp_tui.store.keys import ROLE_BITS as ROLE_BITS
from lcsp_tui.store.keys import UNIT_ROLES as UNIT_ROLES
from lcsp_tui.store.keys import instant as instant
from lcsp_tui.store.keys import reached as reached

# ------------------------------------------------------------------ what an event touches


@dataclass
class Touched:
    """The inputs a batch of events changed."""

    subjects: set[str] = field(default_factory=set)  # admission, SIP or patient ids
    patients: set[str] = field(default_factory=set)  # every subject of the patient
    messages: set[str] = field(default_factory=set)
    discharged: set[str] = field(default_factory=set)  # admissions: their patients' subjects
    help: bool = False

    def __bool__(self) -> bool:
        return bool(self.subjects or self.patients or self.messages or self.help)

    def update(self, other: Touched) -> None:
        self.subjects |= other.subjects
        self.patients |= other.patients
        self.messages |= other.messages
        self.discharged |= other.discharged
        self.help = self.help or other.help

    def clear(self) -> None:
        self.subjects, self.patients, self.messages, self.discharged = set(), set(), set(), set()
        self.help = False

    def add(self, kind: str, value: Callable[[str], object], help_request: bool) -> None:
        """What one event of ``kind`` touches; ``value(key)``: its payload's ``key``."""
        reach = TOUCHES.get(kind)
        if reach is not None:
            for ids, keys in zip(
                (self.subjects, self.patients, self.messages, self.discharged), reach, strict=True
            ):
                ids.update(str(value(k)) for k in keys)
            if kind in (m.MESSAGE_ACKED, m.MESSAGE_UPSERTED):
                self.help = self.help or help_request
        elif kind.startswith("help."):
            self.help = True


# What an event touches, by kind: the payload keys naming (subjects, patients, messages,
# discharged admissions).
TOUCHES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # a patient's step 1 says whether its admissions need "koppla enheter" (5A)
    m.ITEM_TICKED: (("subject",), ("subject",), (), ()),
    m.SIP_DECIDED: (("sip_id",), (), (), ()),
    m.MESSAGE_ACKED: ((), (), ("message_id",), ()),
    m.MESSAGE_UPSERTED: ((), (), ("message_id",), ()),
    m.PATIENT_UPSERTED: ((), ("patient_id",), (), ()),
    # its patient's SIPs read whether the patient has an admission moving to LCSP
    m.ADMISSION_DISCHARGED: (("admission_id",), (), (), ("admission_id",)),
    # its patient's SIPs read whether the patient has an ongoing admission
    m.ADMISSION_UPSERTED: (("admission_id",), ("patient_id",), (), ()),
    # its patient's step 1 reads whether the patient has an ongoing SIP
    m.SIP_UPSERTED: (("sip_id",), ("patient_id",), (), ()),
}


def touched_by(events: Iterable[m.Event]) -> Touched:
    t = Touched()
    for e in events:
        p = e.payload
        t.add(e.kind, p.__getitem__, bool(p.get("help_request")))
    return t


def touched_by_staged(conn: sqlite3.Connection) -> Touched:
    """``touched_by`` of the batch the fold staged, its ids read inside SQLite."""
    t = Touched()
    for i, ids in enumerate((t.subjects, t.patients, t.messages, t.discharged)):
        ids.update(staged_ids(conn, [(k, key) for k, r in TOUCHES.items() for key in r[i]]))
    t.help = staged_any(conn, HELP_KINDS) or staged_any(
        conn, (m.MESSAGE_ACKED, m.MESSAGE_UPSERTED), "help_request"
    )
    return t


# ------------------------------------------------------------------ applying the rules


_SUBJECT_SQL = (
    "INSERT INTO rm_subject (subject, kind, patient_id, municipality, in_scope, care_form, "
    "holder_unit, coordinator_org, decision, started, flagged, status, own_units, "
    "owing, title, title_hidden) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_ITEM_SQL = (
    "INSERT INTO rm_item (subject, item, pos, step, roles, applies, reason, done, done_by, "
    "done_at, note, value, waiting, waiting_other, prator_action, opens, due, target, "
    "overdue_from, locked_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "?)"
)
_LIST_SQL = (
    "INSERT INTO rm_list (role, unit, subject, role_bit, pending, done, total, step, opens, "
    "due, target, overdue_from, waiting, kind, title, pnr, flagged, unacked, unacked_own) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _subject_rows(
    ctx: rules.SubjectContext, ticks: dict[str, Tick], region: RegionData
) -> tuple[tuple[object, ...] | None, list[tuple[object, ...]], list[tuple[object, ...]]]:
    """(rm_subject row or None, rm_item rows, rm_list rows) of one subject."""
    held = rules.holders(ctx, region)
    cutoff = region.timeline.milestones.discharge_ready_cutoff
    if ctx.kind == "patient" and not held:
        return None, [], []
    owing = rules.owing_units(ctx, region) if ctx.admission is not None else []
    adm, sip = ctx.admission, ctx.sip
    flagged = (
        adm is not None
        and bool(held)
        and rules.moved_past_cutoff(adm, ctx.earliest_discharge_ready, cutoff)
    )
    own = rules.own_units(ctx)
    named, hidden = _titles(ctx)
    pnr = ctx.patient.personnummer or ""
    lists: list[tuple[object, ...]] = []
    facts: dict[str, rules.ItemFacts] = {}
    roles_of: dict[str, int] = defaultdict(int)
    for role, units in held.items():
        mine = rules.checklist(role, ctx, region)
        for f in mine:
            facts[f.item.id] = f
            roles_of[f.item.id] |= ROLE_BITS[role]
        s = rules.summarize(mine, owing)
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
                    instant(s.opens),
                    instant(s.due),
                    int(s.target),
                    instant(s.overdue_from),
                    int(s.waiting),
                    # what the row shows of the subject, so a worklist reads one table:
                    # the care relation sees the name and the personnummer (SPEC §5)
                    ctx.kind,
                    named if unit in own else hidden,
                    pnr if unit in own else "",
                    int(flagged),
                    len(ctx.unacknowledged),
                    sum(msg.recipient_unit == unit for msg in ctx.unacknowledged),
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
                tick.value if tick and f.done else None,
                f.waiting,
                int(f.waiting_other_role),
                int(f.item.prator_action),
                instant(f.opens),
                instant(f.due),
                int(f.target),
                instant(f.overdue_from),
                instant(f.locked_from),
            )
        )
    if adm is not None:
        status = rules.admission_status(ctx, region)
    elif sip is not None:
        status = rules.sip_status(ctx, region)
    else:
        status = "förregistrering"
    subject = (
        ctx.subject_id,
        ctx.kind,
        ctx.patient.patient_id,
        sip.municipality if sip is not None else ctx.patient.municipality,
        int(bool(held)),
        adm.care_form.value if adm is not None else None,
        adm.ward if adm is not None else sip.responsible_unit if sip is not None else None,
        sip.coordinator_org.value if sip is not None else None,
        decision.value if (decision := rules.sip_decision(ctx, region)) is not None else None,
        int(bool(ctx.done.get("s2.inskrivningsmeddelande"))) if adm is not None else 0,
        int(flagged),
        status,
        "," + ",".join(sorted(own)) + ",",
        ",".join(owing),
        named,
        hidden,
    )
    return subject, items, lists


def _titles(ctx: rules.SubjectContext) -> tuple[str, str]:
    """(title at the patient's own units, title elsewhere): the care relation sees the full
    name and the personnummer, everyone else initial, surname and birth year — no name at all
    when the identity is protected (``queries.work.TITLE``)."""
    p, adm = ctx.patient, ctx.admission
    care_form = adm.care_form.value if adm is not None else None
    year = str(p.birth_year)
    elsewhere = subject_title(
        ctx.kind,
        p.first_name,
        p.last_name,
        year,
        care_form=care_form,
        protected=p.protected_identity,
    )
    if not p.personnummer:  # a bucket that may not hold it has no care relation
        return elsewhere, elsewhere
    own = subject_title(
        ctx.kind, p.first_name, p.last_name, year, care_form=care_form, personnummer=p.personnummer
    )
    return own, elsewhere


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
    pats = set(touched.patients)
    pats.update(
        r[0]
        for r in rows(
            conn,
            "SELECT patient_id FROM admissions WHERE admission_id IN ({marks})",
            sorted(touched.discharged),
        )
    )
    ids.update(pats)
    for sql in (
        "SELECT admission_id FROM admissions WHERE patient_id IN ({marks})",
        "SELECT sip_id FROM sips WHERE patient_id IN ({marks})",
    ):
        ids.update(r[0] for r in rows(conn, sql, sorted(pats)))
    ids.update(
        r[0]
        for r in rows(
            conn,
            "SELECT admission_id FROM messages WHERE message_id IN ({marks})",
            sorted(touched.messages),
        )
    )
    return sorted(ids)


def _derive(
    conn: sqlite3.Connection,
    region: RegionData,
    pending: Pending,
    ids: list[str],
    tally: Tally | None = None,
) -> None:
    """Evaluate the rules for ``ids`` and write their rows (old rows already deleted);
    ``tally`` counts the new rows."""
    inputs = Inputs(conn, pending, region)
    for chunk in chunks(ids):
        subjects, items, lists = [], [], []
        contexts, ticks = inputs.contexts(chunk)
        for ctx in contexts:
            s, i, lst = _subject_rows(ctx, ticks.get(ctx.subject_id, {}), region)
            if s is not None:
                subjects.append(s)
                if tally is not None:
                    tally.add(s, i, lst)
            items += i
            lists += lst
        conn.executemany(_SUBJECT_SQL, subjects)
        conn.executemany(_ITEM_SQL, items)
        conn.executemany(_LIST_SQL, lists)


class Tally:
    """The kept figures of rows as ``_derive`` makes them: what ``_count`` counts from the
    tables with SQL (``COUNTED`` item rows per municipality, step, roles, state and day; per
    unit whose lists hold the subject, an item shared by roles there once), counted in hand
    while the rows are made instead of read back."""

    def __init__(self) -> None:
        self.steps: Counter[tuple[object, ...]] = Counter()
        self.units: Counter[tuple[object, ...]] = Counter()

    def add(
        self,
        subject: tuple[object, ...],
        items: list[tuple[object, ...]],
        lists: list[tuple[object, ...]],
    ) -> None:
        municipality = subject[3]
        role_bits: dict[object, int] = defaultdict(int)
        for row in lists:  # (role, unit, subject, role_bit, …): one row per role and unit
            role_bits[row[1]] += cast(int, row[3])
        for i in items:  # the columns of _ITEM_SQL
            roles, done, done_at = cast(int, i[4]), i[7], i[9]
            if i[5] != 1 or roles == 0:
                continue
            day = str(done_at or "")[:10] if done == 1 else ""
            self.steps[(municipality, i[3], roles, done, i[18], i[19], day)] += 1
            for unit, bits in role_bits.items():
                if roles & bits:
                    self.units[(unit, done, i[18], i[19])] += 1

    def write(self, conn: sqlite3.Connection) -> None:
        conn.executemany(
            "INSERT INTO rm_count (municipality, step, roles, done, overdue_from, locked_from, "
            "day, n) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (municipality, step, roles, "
            "done, overdue_from, locked_from, day) DO UPDATE SET n = n + excluded.n",
            [(*k, n) for k, n in self.steps.items()],
        )
        conn.executemany(
            "INSERT INTO rm_unit_count (unit, done, overdue_from, locked_from, n) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (unit, done, overdue_from, locked_from) "
            "DO UPDATE SET n = n + excluded.n",
            [(*k, n) for k, n in self.units.items()],
        )
        conn.execute("DELETE FROM rm_count WHERE n = 0")
        conn.execute("DELETE FROM rm_unit_count WHERE n = 0")


def _derive_messages(inputs: Inputs, where: str, ids: Sequence[str]) -> None:
    found = [
        (msg.message_id, msg.admission_id, msg.type, msg.recipient_unit, msg.sent, acked, local)
        for msg, acked, local in inputs.messages(where, ids)
    ]
    inputs.conn.executemany(
        "INSERT OR REPLACE INTO rm_message (message_id, admission_id, type, recipient_unit, "
        "sent, acked, pending) VALUES (?, ?, ?, ?, ?, ?, ?)",
        found,
    )


def _derive_help(conn: sqlite3.Connection, pending: Pending) -> None:
    """The help requests: the confirmed table with the pending events folded on top, by the
    fold's own code (they are few: the whole table each time)."""
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
    f"FROM ({UNIT_ROLES.format(where='WHERE 1 {only_l}')}) l JOIN rm_item i "
    "ON i.subject = l.subject "
    f"AND (i.roles & l.rb) <> 0 WHERE {COUNTED} GROUP BY 1, 2, 3, 4 "
    "ON CONFLICT (unit, done, overdue_from, locked_from) DO UPDATE SET n = n + excluded.n"
)


def _count(conn: sqlite3.Connection, ids: Sequence[str] | None, sign: int) -> None:
    """Add (or, with ``sign`` -1, take away) the subjects' rows to the kept figures; every
    subject with None."""
    for chunk in chunks(ids) if ids is not None else [None]:
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
    # An empty read model (a new home's first pull) has no old rows to take away.
    empty = not conn.execute("SELECT EXISTS (SELECT 1 FROM rm_subject)").fetchone()[0]
    if not empty:
        _count(conn, ids, -1)
        for table in ("rm_subject", "rm_item", "rm_list"):
            for chunk in chunks(ids):
                marks = ",".join("?" * len(chunk))
                conn.execute(f"DELETE FROM {table} WHERE subject IN ({marks})", chunk)
    tally = Tally()
    _derive(conn, region, pending, ids, tally)
    tally.write(conn)
    inputs = Inputs(conn, pending, region)
    _derive_messages(inputs, "message_id", sorted(touched.messages))
    _derive_messages(inputs, "admission_id", ids)
    if touched.help:
        _derive_help(conn, pending)


def rebuild(conn: sqlite3.Connection, region: RegionData) -> None:
    """The whole read model from the confirmed state and the outbox (an upgrade, a rule
    change), into empty ``rm_*`` tables: inside the caller's transaction."""
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
    every = [r[0] for r in conn.execute("SELECT message_id FROM messages")]
    _derive_messages(Inputs(conn, pending, region), "message_id", every)
    _derive_help(conn, pending)
