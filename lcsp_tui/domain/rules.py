"""The cutover's rules (SPEC §5) as pure functions: no clock, no I/O.

Every function takes "now" and the region's data explicitly, so a rehearsal can simulate a
day and tests can hit each boundary exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from lcsp_tui.domain import FLAG_TEXT as FLAG_TEXT  # re-exported
from lcsp_tui.domain import Refusal as Refusal
from lcsp_tui.domain.models import (
    Admission,
    AdmissionStatus,
    CareForm,
    Housing,
    Message,
    Patient,
    Sip,
    SipDecision,
    SipStatus,
)
from lcsp_tui.domain.regiondata import (
    ChecklistItem,
    Municipalities,
    Phase,
    RegionData,
    SubjectKind,
    Timeline,
)
from lcsp_tui.domain.roles import HSL_ROLES
from lcsp_tui.domain.when import day_text

STEP1_HOUSING = frozenset({Housing.SARSKILT_BOENDE, Housing.LSS_BOENDE, Housing.SOCIALPSYKIATRI})


# ------------------------------------------------------------------ selection rules


def needs_step1(patient: Patient, has_ongoing_sip: bool, municipalities: Municipalities) -> bool:
    """Step 1 selection: everyone not in ordinary housing, and everyone with an ongoing SIP.

    Private providers (privat_aktor) are included, except where the municipality says
    otherwise (Sundsvall in the seed).
    """
    return in_step1(patient.housing, patient.municipality, has_ongoing_sip, municipalities)


def in_step1(
    housing: Housing | str, municipality: str, has_ongoing_sip: bool, municipalities: Municipalities
) -> bool:
    """``needs_step1`` from the patient's housing and municipality alone (the read model
    asks it of a stored row before it builds the patient)."""
    housing = Housing(housing)
    if has_ongoing_sip or housing in STEP1_HOUSING:
        return True
    if housing is Housing.PRIVAT_AKTOR:
        try:
            return municipalities.get(municipality).private_provider_step1
        except KeyError:
            return True
    return False


def finished_in_prator(admission: Admission, cutoff: dt.date) -> bool:
    """Utskrivningsklar on or before the cut-off: stays in Prator, no checklist."""
    return admission.discharge_ready is not None and admission.discharge_ready <= cutoff


def admission_moves(admission: Admission, cutoff: dt.date) -> bool:
    """An ongoing admission with a later (or no) utskrivningsklar date moves to LCSP."""
    return admission.status is AdmissionStatus.PAGAENDE and not finished_in_prator(
        admission, cutoff
    )


def moved_past_cutoff(
    admission: Admission, earliest_discharge_ready: dt.date | None, cutoff: dt.date
) -> bool:
    """Flag "must move to LCSP": the date was on or before the cut-off and now is later."""
    return (
        admission.status is AdmissionStatus.PAGAENDE
        and earliest_discharge_ready is not None
        and earliest_discharge_ready <= cutoff
        and not finished_in_prator(admission, cutoff)
    )


SIP_START_ITEMS = ("s7.erbjud_sip", "s7.skapa_sip_utanfor")  # either starts (and moves) it


def slutenvard_role(care_form: CareForm) -> str:
    """The step-2 variant: somatic or psychiatric slutenvård."""
    return "slutenvard-psykiatri" if care_form is CareForm.PSYKIATRI else "slutenvard-somatik"


# ------------------------------------------------------------------ routing to worklists


def admission_units(ctx: SubjectContext) -> dict[str, str | None]:
    """The unit at which each role works on this admission (None: the role has no unit).

    A psychiatric admission is routed in step 2: it reaches primärvård only once
    slutenvård has included a hälsocentral (``s2.halsocentral``: the patient's listed one,
    or the one given as its value), and the psykiatrisk öppenvårdsenhet recorded by
    ``s2.psykiatrisk_oppenvardsenhet`` (or else the patient's own from the export).
    """
    admission, patient = ctx.admission, ctx.patient
    assert admission is not None
    health_centre = patient.health_centre
    psych_unit = patient.psych_outpatient_unit
    if admission.care_form is CareForm.PSYKIATRI:
        included = ctx.done.get("s2.halsocentral", False)
        health_centre = ctx.values.get("s2.halsocentral", health_centre) if included else None
        if ctx.done.get("s2.psykiatrisk_oppenvardsenhet", False):
            psych_unit = ctx.values.get("s2.psykiatrisk_oppenvardsenhet", psych_unit)
    hsl = patient.home_health_unit
    units: dict[str, str | None] = {
        slutenvard_role(admission.care_form): admission.ward,
        "primarvard": health_centre,
        "psykiatri-oppenvard": psych_unit,
        "bistandshandlaggare": patient.assistance_unit,
    }
    for r in HSL_ROLES:
        units[r] = hsl
    return units


def patient_units(patient: Patient) -> set[str]:
    """Units at which kommunens registrering sees a patient for step 1."""
    return {
        u
        for u in (patient.housing_unit, patient.home_health_unit, patient.assistance_unit)
        if u is not None
    }


# ------------------------------------------------------------------ checklist state


@dataclass(frozen=True)
class SubjectContext:
    """Everything the rules need about one subject (patient, admission or SIP)."""

    kind: SubjectKind
    subject_id: str
    patient: Patient
    admission: Admission | None = None
    sip: Sip | None = None
    # the patient has an admission that is (or is being) moved to LCSP (the SIP's branch)
    has_ongoing_admission: bool = False
    has_ongoing_sip: bool = False
    earliest_discharge_ready: dt.date | None = None
    sip_decision: SipDecision | None = None
    done: Mapping[str, bool] = field(default_factory=dict)
    values: Mapping[str, str] = field(default_factory=dict)  # what ticked items set
    unacknowledged: tuple[Message, ...] = ()  # Prator messages of the admission
    discharged: bool = False  # an export says utskriven, or the ward recorded it
    changed_at: dt.datetime | None = None  # when the admission's latest version came in
    pre_registered: bool = False  # the admission's patient was registered in step 1


def condition_holds(name: str, ctx: SubjectContext) -> bool:
    p = ctx.patient
    match name:
        case "patient_has_home_health_unit":
            return p.home_health_unit is not None
        case "patient_has_visiting_address":
            return bool(p.visiting_address)
        case "patient_has_next_of_kin":
            return bool(p.next_of_kin)
        case "patient_has_health_centre":
            return p.health_centre is not None
        case "psychiatric":
            return ctx.admission is not None and ctx.admission.care_form is CareForm.PSYKIATRI
        case "no_ongoing_admission":
            return not ctx.has_ongoing_admission
        case "ongoing_admission":
            return ctx.has_ongoing_admission
        case "sip_current":
            return ctx.sip_decision is not SipDecision.EJ_AKTUELL
        case "sip_not_current":
            return ctx.sip_decision is SipDecision.EJ_AKTUELL
        case "discharged":
            return ctx.discharged
        case "not_pre_registered":
            return not ctx.pre_registered
    raise ValueError(f"unknown condition {name!r}")


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """What the rules say about one item of one subject, whatever the clock says.

    Time-dependent facts are instants, compared with "now" when the item is read:
    it can be ticked from ``opens``; open (applies, not done) and ``now >= overdue_from``
    is overdue; ``now >= locked_from`` can no longer be ticked (a Prator action once
    Prator is read-only).
    """

    item: ChecklistItem
    done: bool
    applies: bool
    reason: str | None  # why it does not apply
    waiting: str | None  # the item it waits for, if any
    waiting_other_role: bool  # ... and that item is another role's
    opens: dt.datetime | None
    due: dt.datetime | None
    target: bool  # the due time is a target (mål): the seed gives no end
    overdue_from: dt.datetime | None  # None: never overdue
    locked_from: dt.datetime | None  # None: never locked

    @property
    def open(self) -> bool:
        return self.applies and not self.done


def item_window(item: ChecklistItem, timeline: Timeline) -> Phase | None:
    """The phase whose window (opens, due) the item has: its own, or its step's."""
    try:
        return timeline.phase_by_id(item.phase) if item.phase else timeline.window(item.step)
    except (KeyError, StopIteration):
        return None


class _Unset:
    pass


UNSET = _Unset()


def item_facts(
    item: ChecklistItem,
    ctx: SubjectContext,
    region: RegionData,
    flagged_at: dt.datetime | None | _Unset = UNSET,
) -> ItemFacts:
    """``flagged_at``: ``flagged_at_of(ctx, region)`` when the caller has it (a checklist
    asks once per subject, not once per item)."""
    conds = region.checklists.conditions
    failed = next((c for c in item.applies if not condition_holds(c, ctx)), None)
    done = bool(ctx.done.get(item.id, False))
    waiting = (
        None if done else next((w for w in item.waits_for if not ctx.done.get(w, False)), None)
    )
    fixed = _fixed(item, region)
    other = waiting is not None and waiting not in fixed.shares_roles
    opens, due = fixed.opens, fixed.due
    if isinstance(flagged_at, _Unset):
        flagged_at = flagged_at_of(ctx, region)
    if flagged_at is not None and due is not None and flagged_at >= due:
        due = flagged_at + FRESH_WINDOW  # flagged after its step's window: a fresh due time
    target = fixed.target
    applies = failed is None
    # Never overdue: a target (mål), or work that waits for another role.
    overdue = applies and not target and not (waiting and other)
    return ItemFacts(
        item=item,
        done=done,
        applies=applies,
        reason=None if applies else conds[failed] if failed else None,
        waiting=waiting,
        waiting_other_role=other,
        opens=opens,
        due=due,
        target=target,
        overdue_from=due if overdue else None,
        locked_from=fixed.locked_from,
    )


class _Fixed(NamedTuple):
    """What the data alone says of an item: its window, and the items it may wait for
    that share one of its roles."""

    opens: dt.datetime | None
    due: dt.datetime | None
    target: bool
    locked_from: dt.datetime | None
    shares_roles: frozenset[str]


_FIXED: dict[tuple[int, str], _Fixed] = {}
_PINNED: dict[int, RegionData] = {}  # a region keyed by id() is kept, so its id is never reused


def _fixed(item: ChecklistItem, region: RegionData) -> _Fixed:
    key = (id(region), item.id)
    fixed = _FIXED.get(key)
    if fixed is None:
        _PINNED[id(region)] = region
        window = item_window(item, region.timeline)
        roles = set(item.roles)
        fixed = _FIXED[key] = _Fixed(
            window.opens if window else None,
            window.due if window else None,
            window is not None and window.target,
            region.timeline.milestones.prator_read_only if item.prator_action else None,
            frozenset(w for w in item.waits_for if roles & set(region.checklists.by_id[w].roles)),
        )
    return fixed


FRESH_WINDOW = dt.timedelta(days=1)


def flagged_at_of(ctx: SubjectContext, region: RegionData) -> dt.datetime | None:
    """When an admission was flagged (its utskrivningsklar date moved past the cut-off):
    the steps whose window had passed by then get a day from that moment."""
    adm = ctx.admission
    cutoff = region.timeline.milestones.discharge_ready_cutoff
    if adm is None or ctx.changed_at is None:
        return None
    if not moved_past_cutoff(adm, ctx.earliest_discharge_ready, cutoff):
        return None
    return ctx.changed_at


def checklist(role: str, ctx: SubjectContext, region: RegionData) -> list[ItemFacts]:
    """The role's items for a subject, in data order."""
    items = region.checklists.for_role(role, ctx.kind)
    flagged_at = flagged_at_of(ctx, region)
    return [item_facts(i, ctx, region, flagged_at) for i in items]


def progress(facts: Iterable[ItemFacts]) -> tuple[int, int]:
    """(done, total) over the items that apply."""
    applicable = [f for f in facts if f.applies]
    return sum(1 for f in applicable if f.done), len(applicable)


# ------------------------------------------------------------------ who holds a subject


def holders(ctx: SubjectContext, region: RegionData) -> dict[str, tuple[str | None, ...]]:
    """The worklists that hold the subject: role -> the units whose list has it.

    Empty when the subject has no checklist at all: an admission that stays in Prator, one
    discharged before it was started in LCSP, one closed with every message acknowledged
    (it leaves every list by itself); a closed SIP; a patient outside step 1. A step-1
    patient connected to no unit is held by kommunens registrering at no unit (``None``):
    counted, on no worklist.
    """
    if ctx.kind == "patient":
        if not needs_step1(ctx.patient, ctx.has_ongoing_sip, region.municipalities):
            return {}
        return {"kommun-registrering": tuple(sorted(patient_units(ctx.patient))) or (None,)}
    if ctx.kind == "admission":
        if not admission_in_lcsp(ctx, region) or admission_finished(ctx, region):
            return {}
        return {r: (u,) for r, u in admission_units(ctx).items() if u is not None}
    assert ctx.sip is not None
    if not sip_is_ongoing(ctx.sip):
        return {}
    return {"samordningsansvarig": (ctx.sip.responsible_unit,)}


def admission_in_lcsp(ctx: SubjectContext, region: RegionData) -> bool:
    """Moved (or being moved) to LCSP: ongoing with a later or no utskrivningsklar date
    (also once the ward has recorded the discharge: step 6 closes it) — or, when a later
    export says utskriven, started in LCSP by slutenvård (step 6 closes it there too)."""
    assert ctx.admission is not None
    if ctx.admission.status is AdmissionStatus.UTSKRIVEN:
        return bool(ctx.done.get("s2.inskrivningsmeddelande", False))
    return admission_moves(ctx.admission, region.timeline.milestones.discharge_ready_cutoff)


def owing_units(ctx: SubjectContext, region: RegionData) -> list[str]:
    """The units that still owe a kvittering of the admission: its unacknowledged Prator
    messages, and the LCSP kvittering items of steps 3–5 not yet done (sorted, unique)."""
    owing = {m.recipient_unit for m in ctx.unacknowledged}
    if ctx.admission is not None and admission_in_lcsp(ctx, region):
        units = admission_units(ctx)
        for item in region.checklists.item:
            if item.acknowledges and item.subject == "admission" and not ctx.done.get(item.id):
                owing.update(
                    u
                    for r in item.roles
                    if (u := units.get(r)) and item_facts(item, ctx, region).applies
                )
    return sorted(owing)


def admission_finished(ctx: SubjectContext, region: RegionData) -> bool:
    """Closed in Prator and LCSP and nothing left to acknowledge: off every list."""
    closing = [i.id for i in region.checklists.item if i.closes]
    return all(ctx.done.get(i, False) for i in closing) and not owing_units(ctx, region)


def own_units(ctx: SubjectContext) -> set[str]:
    """The units with a care relation to the subject's patient."""
    p = ctx.patient
    units = {
        u
        for u in (
            p.housing_unit,
            p.home_health_unit,
            p.assistance_unit,
            p.health_centre,
            p.psych_outpatient_unit,
        )
        if u
    }
    if ctx.admission is not None:
        units.update(u for u in admission_units(ctx).values() if u)
    if ctx.sip is not None:
        units.add(ctx.sip.responsible_unit)
    return units


@dataclass(frozen=True, slots=True)
class ListSummary:
    """One subject's row on one role's worklist."""

    pending: bool  # shown on the worklist (work is left)
    done: int
    total: int
    step: str  # the step of the first open item (or of the last item)
    opens: dt.datetime | None  # the first open item opens then
    due: dt.datetime | None  # the earliest due time of the open items
    target: bool  # that due time is a target (mål)
    overdue_from: dt.datetime | None  # from then the row is overdue (None: never)
    waiting: bool  # every open item waits for another role


def summarize(facts: Sequence[ItemFacts], owing: Sequence[str]) -> ListSummary:
    done, total = progress(facts)
    open_facts = [f for f in facts if f.open]
    first = open_facts[0] if open_facts else (facts[-1] if facts else None)
    timed = sorted((f.due, f.target) for f in open_facts if f.due is not None)
    overdue = [f.overdue_from for f in open_facts if f.overdue_from is not None]
    opens = [f.opens for f in open_facts if f.opens is not None]
    pending = done < total
    if any(f.item.closes for f in facts):
        # The ward keeps the admission until it is closed (its closing items are open, so
        # done < total) and every kvittering is made — also one that came in later.
        pending = pending or bool(owing)
    return ListSummary(
        pending=pending,
        done=done,
        total=total,
        step=first.item.step if first else "",
        opens=min(opens) if opens and len(opens) == len(open_facts) else None,
        due=timed[0][0] if timed else None,
        target=timed[0][1] if timed else False,
        overdue_from=min(overdue) if overdue else None,
        waiting=bool(open_facts) and all(f.waiting and f.waiting_other_role for f in open_facts),
    )


# ------------------------------------------------------------------ status words


def admission_status(ctx: SubjectContext, region: RegionData) -> str:
    """Where an admission stands in the cutover, in the words the support desk reads."""
    adm = ctx.admission
    assert adm is not None
    cutoff = region.timeline.milestones.discharge_ready_cutoff
    started = ctx.done.get("s2.inskrivningsmeddelande", False)
    if admission_in_lcsp(ctx, region) and admission_finished(ctx, region):
        return "avslutad i Prator och LCSP"
    if ctx.discharged:
        return "utskriven – ska avslutas i Prator och LCSP" if started else "utskriven"
    if finished_in_prator(adm, cutoff):
        return "stannar i Prator (utskrivningsklar senast brytdatum)"
    if started:
        return "startad i LCSP"
    if moved_past_cutoff(adm, ctx.earliest_discharge_ready, cutoff):
        return f"{FLAG_TEXT} – ej startad"
    return "ej startad i LCSP"


def sip_decision(ctx: SubjectContext, region: RegionData) -> SipDecision | None:
    """The SIP's decision as it stands: the samordningsansvarig's, or current once a
    step-7 start item is ticked (starting it makes it current)."""
    if ctx.sip_decision is not None:
        return ctx.sip_decision
    started = any(ctx.done.get(i, False) for i in SIP_START_ITEMS)
    return SipDecision.AKTUELL if started else None


def sip_status(ctx: SubjectContext, region: RegionData) -> str:
    sip = ctx.sip
    assert sip is not None
    decision = sip_decision(ctx, region)
    if not sip_is_ongoing(sip):
        return "avslutad"
    if decision is SipDecision.EJ_AKTUELL:
        if ctx.done.get("s7.avsluta_ej_aktuell", False):
            return "ej aktuell – avslutad i Prator"
        return "ej aktuell – ska avslutas i Prator"
    if ctx.done.get("s7.avsluta_prator", False):
        return "flyttad till LCSP"
    return "aktuell – ska flyttas" if decision is SipDecision.AKTUELL else "ej beslutad"


# ------------------------------------------------------------------ refusals


@dataclass(frozen=True, slots=True)
class TickCheck:
    """An item as read at the moment someone ticks it."""

    item: ChecklistItem
    applies: bool
    reason: str | None
    waiting: str | None
    locked: bool  # now at or after its locked_from
    opens: dt.datetime | None  # not open yet: it opens then (None: open)
    owing: tuple[str, ...]  # units that still owe a kvittering of the admission


def check_tick(t: TickCheck, done: bool) -> None:
    """Raise ``Refusal`` when the item cannot be set to ``done`` now."""
    item = t.item
    if not t.applies:
        raise Refusal(f"{item.id} gäller inte här: {t.reason}")
    if t.opens is not None:
        raise Refusal(f"Steg {item.step} öppnar {day_text(t.opens)}")
    if t.locked:
        raise Refusal(
            f"{item.id} kräver en åtgärd i Prator och Prator är i läsläge: kan inte längre ändras"
        )
    if done and t.waiting:
        raise Refusal(f"{item.id} väntar på {t.waiting}")
    if done and item.closes and t.owing:
        raise Refusal(
            f"Vårdtillfället kan inte avslutas: okvitterade meddelanden hos {', '.join(t.owing)}"
        )


def sip_is_ongoing(sip: Sip) -> bool:
    return sip.status is SipStatus.PAGAENDE
