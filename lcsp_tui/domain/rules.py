"""The cutover's rules (SPEC §5) as pure functions: no clock, no I/O.

Every function takes "now" and the region's data explicitly, so a rehearsal can simulate a
day and tests can hit each boundary exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

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
    RegionData,
    SubjectKind,
    Timeline,
)
from lcsp_tui.domain.roles import HSL_ROLES

STEP1_HOUSING = frozenset({Housing.SARSKILT_BOENDE, Housing.LSS_BOENDE, Housing.SOCIALPSYKIATRI})


# ------------------------------------------------------------------ selection rules


def needs_step1(patient: Patient, has_ongoing_sip: bool, municipalities: Municipalities) -> bool:
    """Step 1 selection: everyone not in ordinary housing, and everyone with an ongoing SIP.

    Private providers (privat_aktor) are included, except where the municipality says
    otherwise (Sundsvall in the seed).
    """
    if has_ongoing_sip or patient.housing in STEP1_HOUSING:
        return True
    if patient.housing is Housing.PRIVAT_AKTOR:
        try:
            return municipalities.get(patient.municipality).private_provider_step1
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


def sip_start_item(has_ongoing_admission: bool) -> str:
    """The SIP branch: which start item applies."""
    return "s7.erbjud_sip" if has_ongoing_admission else "s7.skapa_sip_utanfor"


def slutenvard_role(care_form: CareForm) -> str:
    """The step-2 variant: somatic or psychiatric slutenvård."""
    return "slutenvard-psykiatri" if care_form is CareForm.PSYKIATRI else "slutenvard-somatik"


# ------------------------------------------------------------------ routing to worklists


def admission_units(admission: Admission, patient: Patient) -> dict[str, str | None]:
    """The unit at which each role works on this admission (None: the role has no unit)."""
    hsl = patient.home_health_unit
    units: dict[str, str | None] = {
        slutenvard_role(admission.care_form): admission.ward,
        "primarvard": patient.health_centre,
        "psykiatri-oppenvard": patient.psych_outpatient_unit,
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
    has_ongoing_admission: bool = False
    has_ongoing_sip: bool = False
    earliest_discharge_ready: dt.date | None = None
    sip_decision: SipDecision | None = None
    done: Mapping[str, bool] = field(default_factory=dict)
    unacknowledged: tuple[Message, ...] = ()


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
    raise ValueError(f"unknown condition {name!r}")


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """What the rules say about one item of one subject, whatever the clock says.

    Time-dependent facts are instants, compared with "now" when the item is read:
    open (applies, not done) and ``now >= overdue_from`` is overdue; ``now >= locked_from``
    can no longer be ticked (a Prator action once Prator is read-only).
    """

    item: ChecklistItem
    done: bool
    applies: bool
    reason: str | None  # why it does not apply
    waiting: str | None  # the item it waits for (another role's), if any
    opens: dt.datetime | None
    due: dt.datetime | None
    overdue_from: dt.datetime | None  # None: never overdue
    locked_from: dt.datetime | None  # None: never locked

    @property
    def open(self) -> bool:
        return self.applies and not self.done


def step_window(step: str, timeline: Timeline) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(opens, due) of a step's phase in the timeline."""
    try:
        w = timeline.window(step)
    except KeyError:
        return None, None
    return w.opens, w.due


def item_facts(item: ChecklistItem, ctx: SubjectContext, region: RegionData) -> ItemFacts:
    conds = region.checklists.conditions
    failed = next((c for c in item.applies if not condition_holds(c, ctx)), None)
    done = bool(ctx.done.get(item.id, False))
    waiting = next((w for w in item.waits_for if not ctx.done.get(w, False)), None)
    opens, due = step_window(item.step, region.timeline)
    applies = failed is None
    return ItemFacts(
        item=item,
        done=done,
        applies=applies,
        reason=None if applies else conds[failed] if failed else None,
        waiting=None if done else waiting,
        opens=opens,
        due=due,
        overdue_from=due if applies else None,
        locked_from=region.timeline.milestones.prator_read_only if item.prator_action else None,
    )


def checklist(role: str, ctx: SubjectContext, region: RegionData) -> list[ItemFacts]:
    """The role's items for a subject, in data order."""
    items = region.checklists.for_role(role, ctx.kind)
    return [item_facts(i, ctx, region) for i in items]


def progress(facts: Iterable[ItemFacts]) -> tuple[int, int]:
    """(done, total) over the items that apply."""
    applicable = [f for f in facts if f.applies]
    return sum(1 for f in applicable if f.done), len(applicable)


# ------------------------------------------------------------------ who holds a subject


def holders(ctx: SubjectContext, region: RegionData) -> dict[str, tuple[str | None, ...]]:
    """The worklists that hold the subject: role -> the units whose list has it.

    Empty when the subject has no checklist at all (an admission that stays in Prator or is
    discharged, a closed SIP, a patient outside step 1). A step-1 patient connected to no
    unit is held by kommunens registrering at no unit (``None``): counted, on no worklist.
    """
    cutoff = region.timeline.milestones.discharge_ready_cutoff
    if ctx.kind == "patient":
        if not needs_step1(ctx.patient, ctx.has_ongoing_sip, region.municipalities):
            return {}
        return {"kommun-registrering": tuple(sorted(patient_units(ctx.patient))) or (None,)}
    if ctx.kind == "admission":
        assert ctx.admission is not None
        if not admission_moves(ctx.admission, cutoff):
            return {}
        return {
            r: (u,) for r, u in admission_units(ctx.admission, ctx.patient).items() if u is not None
        }
    assert ctx.sip is not None
    if not sip_is_ongoing(ctx.sip):
        return {}
    return {"samordningsansvarig": (ctx.sip.responsible_unit,)}


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
        units.add(ctx.admission.ward)
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
    due: dt.datetime | None  # the earliest due time of the open items
    overdue_from: dt.datetime | None  # from then the row is overdue (None: never)
    waiting: bool  # every open item waits for another role


def summarize(facts: Sequence[ItemFacts], ctx: SubjectContext) -> ListSummary:
    done, total = progress(facts)
    open_facts = [f for f in facts if f.open]
    first = open_facts[0] if open_facts else (facts[-1] if facts else None)
    dues = [f.due for f in open_facts if f.due is not None]
    overdue = [f.overdue_from for f in open_facts if f.overdue_from is not None]
    pending = done < total
    if any(f.item.closes for f in facts):
        # The ward keeps the admission until it is closed (its closing items are open, so
        # done < total) and every message is acknowledged — also one that came in later.
        pending = pending or bool(ctx.unacknowledged)
    return ListSummary(
        pending=pending,
        done=done,
        total=total,
        step=first.item.step if first else "",
        due=min(dues) if dues else None,
        overdue_from=min(overdue) if overdue else None,
        waiting=bool(open_facts) and all(f.waiting for f in open_facts),
    )


def units_owing_kvittering(unacknowledged: Iterable[Message]) -> list[str]:
    """The units that still owe a kvittering (sorted, unique)."""
    return sorted({m.recipient_unit for m in unacknowledged})


# ------------------------------------------------------------------ status words


def admission_status(ctx: SubjectContext, region: RegionData) -> str:
    """Where an admission stands in the cutover, in the words the support desk reads."""
    adm = ctx.admission
    assert adm is not None
    cutoff = region.timeline.milestones.discharge_ready_cutoff
    if adm.status is not AdmissionStatus.PAGAENDE:
        return "utskriven"
    if finished_in_prator(adm, cutoff):
        return "stannar i Prator (utskrivningsklar senast brytdatum)"
    if all(ctx.done.get(i.id, False) for i in region.checklists.item if i.closes):
        return "avslutad i Prator och LCSP"
    if ctx.done.get("s2.inskrivningsmeddelande", False):
        return "startad i LCSP"
    if moved_past_cutoff(adm, ctx.earliest_discharge_ready, cutoff):
        return "måste flyttas till LCSP – ej startad"
    return "ej startad i LCSP"


def sip_status(ctx: SubjectContext) -> str:
    sip = ctx.sip
    assert sip is not None
    if not sip_is_ongoing(sip):
        return "avslutad"
    if ctx.sip_decision is SipDecision.EJ_AKTUELL:
        return "ej aktuell – ska avslutas i Prator"
    if ctx.done.get("s7.avsluta_prator", False):
        return "flyttad till LCSP"
    return "aktuell – ska flyttas" if ctx.sip_decision is SipDecision.AKTUELL else "ej beslutad"


# ------------------------------------------------------------------ refusals


class Refusal(Exception):
    """An action the rules refuse; the message is one Swedish line for the user."""


@dataclass(frozen=True, slots=True)
class TickCheck:
    """An item as read at the moment someone ticks it."""

    item: ChecklistItem
    applies: bool
    reason: str | None
    waiting: str | None
    locked: bool  # now at or after its locked_from
    owing: tuple[str, ...]  # units that still owe a kvittering of the admission


def check_tick(t: TickCheck, done: bool) -> None:
    """Raise ``Refusal`` when the item cannot be set to ``done`` now."""
    item = t.item
    if not t.applies:
        raise Refusal(f"{item.id} gäller inte här: {t.reason}")
    if t.locked:
        raise Refusal(
            f"{item.id} kräver en åtgärd i Prator och Prator är i läsläge: kan inte längre ändras"
        )
    if done and t.waiting:
        raise Refusal(f"{item.id} väntar på {t.waiting} (annan roll)")
    if done and item.closes and t.owing:
        raise Refusal(
            f"Vårdtillfället kan inte avslutas: okvitterade meddelanden hos {', '.join(t.owing)}"
        )


def sip_is_ongoing(sip: Sip) -> bool:
    return sip.status is SipStatus.PAGAENDE
