"""The cutover's rules (SPEC §5) as pure functions: no clock, no I/O.

Every function takes "now" and the region's data explicitly, so a rehearsal can simulate a
day and tests can hit each boundary exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
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
from lcsp_tui.domain.regiondata import ChecklistItem, Municipalities, RegionData, Timeline
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

    kind: str  # patient | admission | sip
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


@dataclass(slots=True)
class ItemState:
    item: ChecklistItem
    done: bool
    applies: bool
    reason: str | None  # why it does not apply
    waiting: str | None  # the item it waits for (another role's), if any
    locked: bool  # a Prator action after the read-only date
    due: dt.datetime | None
    overdue: bool

    @property
    def missed(self) -> bool:
        """An open Prator-action item that can no longer be done."""
        return self.applies and self.locked and not self.done

    @property
    def open(self) -> bool:
        return self.applies and not self.done


def is_read_only(now: dt.datetime, timeline: Timeline) -> bool:
    return now >= timeline.milestones.prator_read_only


def step_due(step: str, timeline: Timeline) -> dt.datetime | None:
    try:
        return timeline.window(step).due
    except KeyError:
        return None


def is_overdue(due: dt.datetime | None, now: dt.datetime) -> bool:
    return due is not None and now >= due


def item_state(
    item: ChecklistItem, ctx: SubjectContext, now: dt.datetime, region: RegionData
) -> ItemState:
    conds = region.checklists.conditions
    failed = next((c for c in item.applies if not condition_holds(c, ctx)), None)
    done = bool(ctx.done.get(item.id, False))
    waiting = next((w for w in item.waits_for if not ctx.done.get(w, False)), None)
    due = step_due(item.step, region.timeline)
    applies = failed is None
    return ItemState(
        item=item,
        done=done,
        applies=applies,
        reason=None if applies else conds[failed] if failed else None,
        waiting=None if done else waiting,
        locked=item.prator_action and is_read_only(now, region.timeline),
        due=due,
        overdue=applies and not done and is_overdue(due, now),
    )


def checklist(
    role: str, ctx: SubjectContext, now: dt.datetime, region: RegionData
) -> list[ItemState]:
    """The role's items for a subject, in data order."""
    items = region.checklists.for_role(role, ctx.kind)  # type: ignore[arg-type]
    return [item_state(i, ctx, now, region) for i in items]


def progress(states: Iterable[ItemState]) -> tuple[int, int]:
    """(done, total) over the items that apply."""
    applicable = [s for s in states if s.applies]
    return sum(1 for s in applicable if s.done), len(applicable)


def units_owing_kvittering(unacknowledged: Iterable[Message]) -> list[str]:
    """The units that still owe a kvittering (sorted, unique)."""
    return sorted({m.recipient_unit for m in unacknowledged})


class Refusal(Exception):
    """An action the rules refuse; the message is one Swedish line for the user."""


def check_tick(state: ItemState, ctx: SubjectContext, done: bool) -> None:
    """Raise ``Refusal`` when the item cannot be set to ``done`` now."""
    item = state.item
    if not state.applies:
        raise Refusal(f"{item.id} gäller inte här: {state.reason}")
    if state.locked:
        raise Refusal(
            f"{item.id} kräver en åtgärd i Prator och Prator är i läsläge: kan inte längre ändras"
        )
    if done and state.waiting:
        raise Refusal(f"{item.id} väntar på {state.waiting} (annan roll)")
    if done and item.closes and ctx.unacknowledged:
        owing = ", ".join(units_owing_kvittering(ctx.unacknowledged))
        raise Refusal(f"Vårdtillfället kan inte avslutas: okvitterade meddelanden hos {owing}")


def subject_finished(ctx: SubjectContext, region: RegionData) -> bool:
    """Step 6 is done and every message is acknowledged: it leaves the overview."""
    closing = [i.id for i in region.checklists.item if i.closes]
    return all(ctx.done.get(i, False) for i in closing) and not ctx.unacknowledged


def sip_is_ongoing(sip: Sip) -> bool:
    return sip.status is SipStatus.PAGAENDE
