"""Work already under way in the demo region at its rehearsal moment (``DEMO_TODAY``, the
morning of step 2), done by fictitious staff (``staff``) on realistic days (``workdays``):

- **Step 1.** Kommunens registrering has registered most step-1 patients from 6 May, slowly
  at first, hardly at all in July, in a rush in September; some units lag behind, some
  patients are half done, and the patients on no unit's worklist could not be registered.
- **SIPs.** During the preparations (from 28 April) the samordningsansvariga have gone
  through their stale SIPs: many are decided not current and most of those closed in Prator;
  in September some current ones are marked for step 7. Nothing of step 7 itself is ticked:
  it opens 2 October.
- **Step 2.** Since 08:00 the wards have started admissions in LCSP, each nurse one after
  another — among them a few psychiatric admissions with and without an included
  hälsocentral, and a few somatic ones discharged while units still owe a kvittering.
- **Kvitteringar.** The Prator export (taken 29 September 18:00) already holds what was
  acknowledged in Prator until then; on the morning of the 30th the units register some of
  the kvitteringar they still owed (the oldest messages most often).

Every event carries its own ``recorded_at``, ``actor``, ``role`` and ``unit`` (publishing
keeps them) and is what the rules accept at that moment: only items that apply to the
subject, at a unit whose list holds it, after the item's step has opened; a kvittering by
the recipient unit of a message the export has as unacknowledged; a SIP decision by the
samordningsansvarig of the SIP's unit.

The small demo has none of this: its records are the tests' fixed ground.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from lcsp_tui.demo.common import EXPORTED_AT, _rng
from lcsp_tui.demo.home import DEMO_TODAY
from lcsp_tui.demo.staff import Staff, Worker
from lcsp_tui.demo.workdays import Calendar, minutes, office_time, spread, stamp
from lcsp_tui.domain import models as m
from lcsp_tui.domain import rules
from lcsp_tui.domain.models import (
    Admission,
    CareForm,
    Message,
    Patient,
    Record,
    Sip,
    SipDecision,
    SipStatus,
    Unit,
    UnitType,
)
from lcsp_tui.domain.regiondata import ChecklistItem, RegionData, load_region

REHEARSAL = dt.datetime.fromisoformat(DEMO_TODAY)
STARTED = ("s2.personuppgifter", "s2.inskrivningsmeddelande")
REGISTRAR = "kommun-registrering"
COORDINATOR = "samordningsansvarig"

# Step 1: the share of a municipality's step-1 patients not yet started at the rehearsal
# (before a unit's own lag), and the share of the started ones only half done.
_NOT_STARTED = {
    "Härnösand": 0.02,
    "Timrå": 0.025,
    "Kramfors": 0.03,
    "Sollefteå": 0.06,
    "Ånge": 0.01,
    "Örnsköldsvik": 0.025,
    "Sundsvall": 0.04,
}
_HALF_DONE = 0.04
_LAG = (0.3, 0.5, 0.8, 1.0, 1.0, 1.0, 1.3, 1.6, 2.5)  # a registering unit's pace, drawn

# SIPs: no meeting since then (or none at all) and the SIP is probably no longer current.
_STALE_BEFORE = dt.date(2024, 10, 1)
_STALE_DECIDED = 0.5  # of the stale SIPs, decided not current during the preparations
_CLOSED_IN_PRATOR = 0.8  # of those, closed in Prator by the rehearsal
_CURRENT_DECIDED = 0.08  # of the others, marked current in September

# The role that registers a kvittering at a unit of each type (the recipient unit's own).
_ACK_ROLE = {
    UnitType.HALSOCENTRAL: "primarvard",
    UnitType.PSYKIATRISK_OPPENVARD: "psykiatri-oppenvard",
    UnitType.BISTANDSENHET: "bistandshandlaggare",
    UnitType.HEMSJUKVARDSENHET: "hsl-sjukskoterska",
}


@dataclass
class _Region:
    """The latest version of every record (a later export's version wins)."""

    units: dict[str, Unit] = field(default_factory=dict)
    patients: dict[str, Patient] = field(default_factory=dict)
    admissions: dict[str, Admission] = field(default_factory=dict)
    earliest_ready: dict[str, dt.date] = field(default_factory=dict)
    sips: dict[str, Sip] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)

    @classmethod
    def of(cls, records: list[Record]) -> _Region:
        w = cls()
        for r in records:
            if isinstance(r, Patient):
                w.patients[r.patient_id] = r
            elif isinstance(r, Admission):
                w.admissions[r.admission_id] = r
                if r.discharge_ready is not None:
                    before = w.earliest_ready.get(r.admission_id, r.discharge_ready)
                    w.earliest_ready[r.admission_id] = min(before, r.discharge_ready)
            elif isinstance(r, Sip):
                w.sips[r.sip_id] = r
            elif isinstance(r, Message):
                w.messages[r.message_id] = r
            elif isinstance(r, Unit):
                w.units[r.unit_id] = r
        return w


@dataclass(frozen=True, slots=True)
class _Done:
    """One thing done: by whom, when (an event once the work is in time order)."""

    when: dt.datetime
    kind: str
    payload: dict[str, object]
    who: Worker


def _tick(
    subject: str, item: str, who: Worker, when: dt.datetime, value: str | None = None
) -> _Done:
    payload: dict[str, object] = {"subject": subject, "item": item, "done": True}
    if value is not None:
        payload["value"] = value
    return _Done(when, m.ITEM_TICKED, payload, who)


def activity(size: str, records: list[Record], seed: int = 1) -> list[m.Event]:
    """Events of work under way for ``records`` (generated with the same size and seed), in
    the order they were done."""
    if size == "small":
        return []
    region = load_region()
    w = _Region.of(records)
    staff = Staff(seed)
    done = _step1(w, region, staff, _rng(seed, "activity/step1"))
    done += _sip_decisions(w, region, staff, _rng(seed, "activity/sips"))
    step2, keep_unacked = _step2(w, region, staff, _rng(seed, "activity/step2"))
    done += step2
    done += _kvitteringar(w, staff, _rng(seed, "activity/acks"), keep_unacked)
    late = [d for d in done if d.when >= REHEARSAL]
    if late:  # the generator's own mistake: nothing is done after the rehearsal moment
        raise AssertionError(f"demo activity after {DEMO_TODAY}: {late[0].payload}")
    done.sort(key=lambda d: d.when)
    # Event ids are idempotency keys, unique per publication (not content): one random
    # base per call and a counter — cheaper than a uuid4 each for some 150,000 events.
    b = uuid.uuid4().hex
    base = f"{b[:8]}-{b[8:12]}-{b[12:16]}-{b[16:20]}-"
    return [
        m.Event(
            event_id=f"{base}{n:012x}",
            kind=d.kind,
            payload=d.payload,
            actor=d.who.user,
            role=d.who.role,
            unit=d.who.unit,
            recorded_at=stamp(d.when),
        )
        for n, d in enumerate(done)
    ]


# ------------------------------------------------------------------ step 1


def _step1(w: _Region, region: RegionData, staff: Staff, rng: random.Random) -> list[_Done]:
    opens = region.timeline.window("1").opens
    calendar = Calendar(opens.date(), REHEARSAL.date())
    items = region.checklists.for_role(REGISTRAR, "patient")
    ongoing_sip = {s.patient_id for s in w.sips.values() if s.status is SipStatus.PAGAENDE}
    # Per registering unit, its step-1 patients and the items that apply to each.
    work: dict[str, list[tuple[Patient, list[ChecklistItem]]]] = defaultdict(list)
    for p in w.patients.values():
        has_sip = p.patient_id in ongoing_sip
        if not rules.needs_step1(p, has_sip, region.municipalities):
            continue
        # The biståndsenhet registers where there is one; a patient on no unit is on no
        # worklist: nobody can register it (the dashboard shows it under "ingen enhet").
        unit = p.assistance_unit or p.housing_unit or p.home_health_unit
        if unit is None:
            continue
        ctx = rules.SubjectContext(
            kind="patient", subject_id=p.patient_id, patient=p, has_ongoing_sip=has_sip
        )
        applies = [i for i in items if all(rules.condition_holds(c, ctx) for c in i.applies)]
        work[unit].append((p, applies))
    events: list[_Done] = []
    for unit, jobs in work.items():
        lag = rng.choice(_LAG)
        team = staff.team(REGISTRAR, unit, min(8, 1 + len(jobs) // 150))
        for (p, applies), day in zip(jobs, calendar.draw(rng, len(jobs)), strict=True):
            r = rng.random()
            not_started = min(0.6, _NOT_STARTED.get(p.municipality, 0.05) * lag)
            if r < not_started:
                continue
            n = len(applies)
            if r < not_started + _HALF_DONE and n > 1:
                n = rng.randint(1, n - 1)  # the rest waits for information (next of kin …)
            who = rng.choice(team)
            for item, when in zip(
                applies[:n], spread(rng, _sitting(rng, day), n, (1, 4)), strict=True
            ):
                events.append(_tick(p.patient_id, item.id, who, when))
    return events


def _sitting(rng: random.Random, day: dt.date) -> dt.datetime:
    """When a sitting of work starts on ``day``; on the rehearsal's own day, before it."""
    if day == REHEARSAL.date():
        return dt.datetime.combine(day, dt.time(7, 30)) + minutes(rng, 0, 100)
    return office_time(rng, day)


# ------------------------------------------------------------------ SIPs


def _sip_decisions(w: _Region, region: RegionData, staff: Staff, rng: random.Random) -> list[_Done]:
    """Decisions the rules allow before step 7: not current (and its closing in Prator,
    open from the preparations) and current (nothing of step 7 is ticked: it opens later)."""
    close = region.checklists.by_id["s7.avsluta_ej_aktuell"]
    window = rules.item_window(close, region.timeline)
    assert window is not None
    preparations = Calendar(window.opens.date(), REHEARSAL.date())
    september = Calendar(dt.date(2025, 9, 1), REHEARSAL.date())
    ongoing = [s for s in w.sips.values() if s.status is SipStatus.PAGAENDE]
    per_unit = Counter(s.responsible_unit for s in ongoing)
    events: list[_Done] = []
    for sip in ongoing:
        team = staff.team(
            COORDINATOR, sip.responsible_unit, min(6, 1 + per_unit[sip.responsible_unit] // 100)
        )
        who = rng.choice(team)
        last = sip.last_meeting or sip.started
        if last < _STALE_BEFORE:
            if rng.random() >= _STALE_DECIDED:
                continue
            day = preparations.draw(rng, 1)[0]
            at = _sitting(rng, day)
            events.append(_decision(sip, SipDecision.EJ_AKTUELL, who, at))
            if rng.random() < _CLOSED_IN_PRATOR:
                later = preparations.later(day, rng.choice((0, 0, 1, 2, 3, 5, 8)))
                if later == day:
                    events.append(_tick(sip.sip_id, close.id, who, at + minutes(rng, 2, 15)))
                elif later is not None:
                    events.append(_tick(sip.sip_id, close.id, who, _sitting(rng, later)))
        elif rng.random() < _CURRENT_DECIDED:
            at = _sitting(rng, september.draw(rng, 1)[0])
            events.append(_decision(sip, SipDecision.AKTUELL, who, at))
    return [e for e in events if e.when < REHEARSAL]


def _decision(sip: Sip, decision: SipDecision, who: Worker, at: dt.datetime) -> _Done:
    return _Done(at, m.SIP_DECIDED, {"sip_id": sip.sip_id, "decision": decision.value}, who)


# ------------------------------------------------------------------ step 2


def _step2(
    w: _Region, region: RegionData, staff: Staff, rng: random.Random
) -> tuple[list[_Done], set[str]]:
    """The wards' first two hours of step 2; also the admissions whose messages must stay
    unacknowledged (discharged while units still owe a kvittering)."""
    cutoff = region.timeline.milestones.discharge_ready_cutoff
    opens = region.timeline.window("2").opens
    flagged = {
        a_id
        for a_id, a in w.admissions.items()
        if rules.moved_past_cutoff(a, w.earliest_ready.get(a_id), cutoff)
    }
    # A flagged admission stays unstarted: the coordinators' list of ones to look at.
    moving = [
        a
        for a in w.admissions.values()
        if rules.admission_moves(a, cutoff) and a.admission_id not in flagged
    ]
    unacked = {msg.admission_id for msg in w.messages.values() if msg.acknowledged is None}
    psych = [a for a in moving if a.care_form is CareForm.PSYKIATRI][:6]
    somatic = [a for a in moving if a.care_form is CareForm.SOMATIK and a.admission_id in unacked]
    discharged = {a.admission_id for a in somatic[:4]}
    special: dict[str, list[str]] = {}
    for k, a in enumerate(psych):  # started; every other one includes its hälsocentral
        hc = w.patients[a.patient_id].health_centre
        special[a.admission_id] = [*STARTED, *(("s2.halsocentral",) if k % 2 == 0 and hc else ())]
    for a_id in discharged:
        special[a_id] = list(STARTED)
    queues: dict[str, list[Admission]] = defaultdict(list)
    for a in sorted(moving, key=lambda a: a.admission_id not in special):
        queues[a.ward].append(a)
    events: list[_Done] = []
    for ward, queue in queues.items():
        role = rules.slutenvard_role(queue[0].care_form)
        team = staff.team(role, ward, 2 if len(queue) > 6 else 1)
        # The first nurse starts at 08:00 or after the morning round. A ward with special
        # cases starts at once and does them first, quickly (at most 14 minutes each, at
        # most six on a ward): they are done by 09:30, well before the rehearsal.
        first = 10 if queue[0].admission_id in special else 75
        clocks = [
            opens + minutes(rng, 0, first) + minutes(rng, 0, 20) * k for k in range(len(team))
        ]
        for a in queue:
            k = min(range(len(team)), key=lambda k: clocks[k])
            if clocks[k] >= REHEARSAL - dt.timedelta(minutes=5):
                break
            quick = a.admission_id in special
            ticks = special.get(a.admission_id) or _step2_items(a, w.patients[a.patient_id], rng)
            when = spread(rng, clocks[k], len(ticks) + 1, (1, 3) if quick else (2, 7))
            p = w.patients[a.patient_id]
            for item, at in zip(ticks, when, strict=False):
                value = {
                    "s2.halsocentral": p.health_centre,
                    "s2.psykiatrisk_oppenvardsenhet": p.psych_outpatient_unit,
                }.get(item)
                events.append(_tick(a.admission_id, item, team[k], at, value))
            if a.admission_id in discharged:  # later in the morning, after the round
                out = min(when[-1] + minutes(rng, 30, 90), REHEARSAL - minutes(rng, 3, 8))
                payload: dict[str, object] = {"admission_id": a.admission_id}
                events.append(_Done(out, m.ADMISSION_DISCHARGED, payload, team[k]))
            clocks[k] = when[-1] + (minutes(rng, 1, 5) if quick else minutes(rng, 2, 15))
    kept = [e for e in events if e.when < REHEARSAL]
    done = {str(e.payload.get("admission_id") or e.payload["subject"]) for e in kept}
    if not set(special) <= done:
        raise AssertionError("demo activity: a special case of step 2 is not done by 10:00")
    return kept, discharged


def _step2_items(a: Admission, p: Patient, rng: random.Random) -> list[str]:
    """What a nurse does for one admission in one sitting, in the checklist's order."""
    psych = a.care_form is CareForm.PSYKIATRI
    out = ["s2.personuppgifter"]
    if psych and p.psych_outpatient_unit and rng.random() < 0.8:
        out.append("s2.psykiatrisk_oppenvardsenhet")
    out.append("s2.inskrivningsmeddelande")
    if psych and p.health_centre and rng.random() < 0.5:
        out.append("s2.halsocentral")
    if rng.random() < 0.6:
        out.append("s2.planeringsunderlag")
        if rng.random() < 0.8:
            out.append("s2.hanvisning_prator")
            if rng.random() < 0.5:
                out.append("s2.extrameddelande")
    return out


# ------------------------------------------------------------------ kvitteringar


def _kvitteringar(
    w: _Region, staff: Staff, rng: random.Random, keep_unacked: set[str]
) -> list[_Done]:
    """Kvitteringar made in Prator after the export and registered on the rehearsal's
    morning, by the recipient unit."""
    morning = dt.datetime.combine(REHEARSAL.date(), dt.time(7, 30))
    events: list[_Done] = []
    for msg in w.messages.values():
        if msg.acknowledged is not None or msg.admission_id in keep_unacked:
            continue
        unit = w.units.get(msg.recipient_unit)
        role = _ACK_ROLE.get(unit.type) if unit else None
        if role is None:
            continue
        age = REHEARSAL - msg.sent
        share = 0.4 if age > dt.timedelta(days=7) else 0.3 if age > dt.timedelta(days=2) else 0.2
        if rng.random() >= share:
            continue
        who = rng.choice(staff.team(role, msg.recipient_unit, 2))
        at = max(morning, EXPORTED_AT) + minutes(rng, 0, 145)
        events.append(_Done(at, m.MESSAGE_ACKED, {"message_id": msg.message_id}, who))
    return events
