"""Which subjects are on which role's worklist, as SQL for whole-region statistics.

``View.role_contexts`` answers "what is on this role's list at this unit" one unit at a time,
building a pydantic context per subject. Statistics need the same routing for every unit at
once, fast, so it is said here in SQL. A *source* is one kind of subject (patients for
step 1, moving admissions, ongoing SIPs): its rows, its municipality, and a small
*signature* — the few facts the checklist conditions read (has a home-health unit,
psychiatric, decided "ej aktuell" …). A *lane* is a role (or roles) working on a source,
with the unit column(s) that put a subject on its worklist.

Whether an item applies is never decided here: for each distinct signature a stand-in
``SubjectContext`` is built and ``rules.item_state`` says. The conditions stay in one place
(``rules.condition_holds``); one that reads a fact the signature does not carry fails
loudly (the stand-in lacks the attribute), and ``tests/test_stats.py`` checks every lane
against ``View.worklist`` on demo data.

A subject's done items are summed into a bit mask (one bit per item of the source's kind)
by a correlated subquery on the items table's primary key (``subject, item``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lcsp_tui.domain import rules
from lcsp_tui.domain.models import (
    Admission,
    AdmissionStatus,
    CareForm,
    Housing,
    Patient,
    SipDecision,
)
from lcsp_tui.domain.regiondata import ChecklistItem, RegionData
from lcsp_tui.domain.roles import HSL_ROLES
from lcsp_tui.view import PATIENT_UNIT_OF_ROLE

Signature = tuple[object, ...]

# An ongoing admission that moves to LCSP (rules.admission_moves, in SQL).
MOVING = "a.status = 'pagaende' AND (a.discharge_ready IS NULL OR a.discharge_ready > :cutoff)"
ONGOING_SIP_PATIENTS = "SELECT patient_id FROM sips WHERE status = 'pagaende'"
ONGOING_ADMISSION = (
    "EXISTS (SELECT 1 FROM admissions a2 WHERE a2.patient_id = s.patient_id "
    "AND a2.status = 'pagaende')"
)


@dataclass(frozen=True)
class Source:
    """One kind of subject on the worklists, with the facts the checklist conditions read."""

    kind: str  # patient | admission | sip
    table: str  # FROM … (aliases: p patients, a admissions, s sips, d decisions)
    where: tuple[str, ...]  # disjoint conditions: the subjects are the rows matching any
    subject: str  # SQL: the subject id
    patient: str  # SQL: the subject's patient id
    municipality: str  # SQL
    signature: tuple[str, ...]  # SQL: the facts the conditions read
    context: Callable[[Signature], rules.SubjectContext]  # a stand-in for one signature
    extra: tuple[str, ...] = ()  # SQL: more columns other figures count by (after the municipality)

    def items(self, region: RegionData) -> tuple[ChecklistItem, ...]:
        """The checklist items for this kind of subject, in data order (bit k = item k)."""
        return tuple(i for i in region.checklists.item if i.subject == self.kind)

    def mask_sql(self, region: RegionData, *, exact: bool = True) -> str:
        """SQL: the bit mask of the subject's done items.

        Without ``exact`` every item row counts as done: the primary key index alone answers
        (no table look-up per item), which is right when nothing was ever undone.
        """
        whens = " ".join(f"WHEN '{i.id}' THEN {1 << k}" for k, i in enumerate(self.items(region)))
        done = " AND i.done = 1" if exact else ""
        return (
            f"coalesce((SELECT sum(CASE i.item {whens} END) FROM items i "
            f"WHERE i.subject = {self.subject}{done}), 0)"
        )

    def rows_sql(self, columns: Sequence[str], where: str = "") -> str:
        """SQL: ``columns`` for each subject (optionally narrowed by ``where``)."""
        extra = f" AND ({where})" if where else ""
        return " UNION ALL ".join(
            f"SELECT {', '.join(columns)} FROM {self.table} WHERE ({part}){extra}"
            for part in self.where
        )


@dataclass(frozen=True)
class Lane:
    """A role (or roles) working on a source's subjects, at the unit(s) the SQL names."""

    id: str
    source: Source
    roles: tuple[str, ...]  # every role that may hold the lane's items
    units: tuple[str, ...]  # SQL: the unit(s) whose worklist holds a subject, in order
    role_of: Callable[[Signature], tuple[str, ...]]  # the lane's roles for one signature
    # Without a unit the subject is on no worklist of this lane: it is not counted at all
    # (an admission of a patient without hälsocentral has no step 3), or — for step 1,
    # whose selection does not depend on units — it is counted under "no unit".
    needs_unit: bool = True


# ------------------------------------------------------------------ stand-in contexts


def _stand_in_patient(**facts: object) -> Patient:
    """A patient that has only the given facts: reading any other attribute fails."""
    return Patient.model_construct(**facts)  # type: ignore[arg-type]


def _patient_context(sig: Signature) -> rules.SubjectContext:
    code = int(sig[0])  # bits: 1 home-health unit, 2 visiting address, 4 next of kin
    hhu, visiting, kin = code & 1, code & 2, code & 4
    return rules.SubjectContext(
        kind="patient",
        subject_id="",
        patient=_stand_in_patient(
            home_health_unit="x" if hhu else None,
            visiting_address="x" if visiting else None,
            next_of_kin="x" if kin else None,
        ),
    )


def _admission_context(sig: Signature) -> rules.SubjectContext:
    (care_form,) = sig
    return rules.SubjectContext(
        kind="admission",
        subject_id="",
        patient=_stand_in_patient(),
        admission=Admission.model_construct(
            care_form=CareForm(care_form), status=AdmissionStatus.PAGAENDE
        ),
        has_ongoing_admission=True,
    )


def _sip_context(sig: Signature) -> rules.SubjectContext:
    ongoing_admission, decision = sig
    return rules.SubjectContext(
        kind="sip",
        subject_id="",
        patient=_stand_in_patient(),
        has_ongoing_admission=bool(ongoing_admission),
        sip_decision=SipDecision(decision) if decision else None,
    )


# ------------------------------------------------------------------ the sources and lanes


def step1_where(region: RegionData) -> tuple[str, ...]:
    """``rules.needs_step1`` in SQL, as two disjoint parts (a scan, then index look-ups).

    Housing (and private providers, per the municipalities' data), or an ongoing SIP.
    """
    housing = ", ".join(f"'{h.value}'" for h in sorted(rules.STEP1_HOUSING))
    excluded = [m.name for m in region.municipalities.municipality if not m.private_provider_step1]
    private = f"p.housing = '{Housing.PRIVAT_AKTOR.value}'"
    if excluded:
        names = ", ".join("'" + n.replace("'", "''") + "'" for n in excluded)
        private += f" AND p.municipality NOT IN ({names})"
    by_housing = f"(p.housing IN ({housing}) OR ({private}))"
    return (by_housing, f"p.patient_id IN ({ONGOING_SIP_PATIENTS}) AND NOT {by_housing}")


def sources(region: RegionData) -> dict[str, Source]:
    return {
        "patient": Source(
            kind="patient",
            table="patients p",
            where=step1_where(region),
            subject="p.patient_id",
            patient="p.patient_id",
            municipality="p.municipality",
            # One integer (fewer columns to fetch): see _patient_context.
            signature=(
                "(p.home_health_unit IS NOT NULL) + 2 * (coalesce(p.visiting_address, '') <> '')"
                " + 4 * (coalesce(p.next_of_kin, '') <> '')",
            ),
            context=_patient_context,
        ),
        "admission": Source(
            kind="admission",
            table="admissions a JOIN patients p ON p.patient_id = a.patient_id",
            where=(MOVING,),
            subject="a.admission_id",
            patient="a.patient_id",
            municipality="p.municipality",
            signature=("a.care_form",),
            context=_admission_context,
        ),
        "sip": Source(
            kind="sip",
            table="sips s LEFT JOIN decisions d ON d.sip_id = s.sip_id",
            where=("s.status = 'pagaende'",),
            subject="s.sip_id",
            patient="s.patient_id",
            municipality="s.municipality",
            signature=(ONGOING_ADMISSION, "d.decision"),
            context=_sip_context,
            extra=("s.coordinator_org",),  # the SIP table counts by it
        ),
    }


def _fixed(roles: tuple[str, ...]) -> Callable[[Signature], tuple[str, ...]]:
    return lambda _sig: roles


def _slutenvard_role(sig: Signature) -> tuple[str, ...]:
    return (rules.slutenvard_role(CareForm(sig[0])),)


def lanes(region: RegionData) -> tuple[Lane, ...]:
    """Every lane, in step order (mirrors ``View.role_contexts``)."""
    src = sources(region)
    adm = src["admission"]
    col_role = {c: r for r, c in PATIENT_UNIT_OF_ROLE.items() if r not in HSL_ROLES}
    hsl = tuple(sorted(HSL_ROLES))

    def by_patient_unit(lane_id: str, col: str, roles: tuple[str, ...]) -> Lane:
        return Lane(lane_id, adm, roles, (f"p.{col}",), _fixed(roles))

    return (
        Lane(
            "steg1",
            src["patient"],
            ("kommun-registrering",),
            ("p.housing_unit", "p.home_health_unit", "p.assistance_unit"),
            _fixed(("kommun-registrering",)),
            needs_unit=False,
        ),
        Lane(
            "slutenvard",
            adm,
            ("slutenvard-somatik", "slutenvard-psykiatri"),
            ("a.ward",),
            _slutenvard_role,
        ),
        by_patient_unit("primarvard", "health_centre", (col_role["health_centre"],)),
        by_patient_unit(
            "psykiatri-oppenvard", "psych_outpatient_unit", (col_role["psych_outpatient_unit"],)
        ),
        by_patient_unit("bistand", "assistance_unit", (col_role["assistance_unit"],)),
        by_patient_unit("hsl", "home_health_unit", hsl),
        Lane(
            "sip",
            src["sip"],
            ("samordningsansvarig",),
            ("s.responsible_unit",),
            _fixed(("samordningsansvarig",)),
        ),
    )


# ------------------------------------------------------------------ item facts per signature


@dataclass(frozen=True)
class ItemFacts:
    """What the rules say about one item for one signature, were it open."""

    item: ChecklistItem
    bit: int
    roles: tuple[str, ...]  # the lane's roles (for this signature) that hold the item
    overdue: bool  # open now means overdue
    missed: bool  # open now means missed (a Prator action after read-only)


@dataclass(frozen=True)
class SignatureBits:
    """Bit sets (bit k = item k of the source) for one signature."""

    applies: int
    overdue: int  # open now means overdue
    missed: int  # open now means missed
    steps: tuple[tuple[str, int], ...]  # (step, its items that apply)
    roles: tuple[tuple[str, int], ...]  # (role, its items that apply)


class LaneRules:
    """A lane's items and, per signature, which of them apply (cached: few signatures)."""

    def __init__(self, lane: Lane, region: RegionData, now: dt.datetime) -> None:
        self.lane = lane
        self.region = region
        self.now = now
        self.items = lane.source.items(region)
        self._cache: dict[Signature, tuple[ItemFacts, ...]] = {}
        self._bits: dict[Signature, SignatureBits] = {}

    def applicable(self, sig: Signature) -> tuple[ItemFacts, ...]:
        found = self._cache.get(sig)
        if found is None:
            ctx = self.lane.source.context(sig)
            roles = self.lane.role_of(sig)
            out = []
            for k, item in enumerate(self.items):
                holders = tuple(r for r in roles if r in item.roles)
                if not holders:
                    continue
                state = rules.item_state(item, ctx, self.now, self.region)
                if state.applies:
                    out.append(ItemFacts(item, 1 << k, holders, state.overdue, state.missed))
            found = self._cache[sig] = tuple(out)
        return found

    def bits(self, sig: Signature) -> SignatureBits:
        found = self._bits.get(sig)
        if found is None:
            facts = self.applicable(sig)
            steps: dict[str, int] = {}
            roles: dict[str, int] = {}
            for f in facts:
                steps[f.item.step] = steps.get(f.item.step, 0) | f.bit
                for r in f.roles:
                    roles[r] = roles.get(r, 0) | f.bit
            found = self._bits[sig] = SignatureBits(
                applies=sum(f.bit for f in facts),
                overdue=sum(f.bit for f in facts if f.overdue),
                missed=sum(f.bit for f in facts if f.missed),
                steps=tuple(steps.items()),
                roles=tuple(roles.items()),
            )
        return found
