"""The rules of SPEC §5 at their boundaries."""

import dataclasses
import datetime as dt

import pytest

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
from lcsp_tui.domain.regiondata import load_region

REGION = load_region()
CUTOFF = REGION.timeline.milestones.discharge_ready_cutoff
ITEMS = REGION.checklists.by_id


def patient(**kw: object) -> Patient:
    base: dict[str, object] = dict(
        patient_id="P1",
        personnummer="191212121212",
        first_name="Anna",
        last_name="Larsson",
        municipality="Timrå",
        housing=Housing.ORDINART,
        health_centre="HC1",
    )
    base.update(kw)
    return Patient.model_validate(base)


def admission(**kw: object) -> Admission:
    base: dict[str, object] = dict(
        admission_id="V1",
        patient_id="P1",
        care_form=CareForm.SOMATIK,
        ward="AVD1",
        admitted=dt.date(2025, 9, 20),
        discharge_ready=None,
        status=AdmissionStatus.PAGAENDE,
    )
    base.update(kw)
    return Admission.model_validate(base)


def msg(unit: str, mid: str = "M1") -> Message:
    return Message(
        message_id=mid,
        admission_id="V1",
        type="inskrivningsmeddelande",
        recipient_unit=unit,
        sent=dt.datetime(2025, 9, 20, 10, 0),
    )


def ctx_adm(**kw: object) -> rules.SubjectContext:
    kw.setdefault("admission", admission())
    kw.setdefault("patient", patient())
    return rules.SubjectContext(kind="admission", subject_id="V1", **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------ utskrivningsklar cut-off


def test_cutoff_29_vs_30_september() -> None:
    assert dt.date(2025, 9, 29) == CUTOFF
    on_cutoff = admission(discharge_ready=dt.date(2025, 9, 29))
    after = admission(discharge_ready=dt.date(2025, 9, 30))
    assert rules.finished_in_prator(on_cutoff, CUTOFF)
    assert not rules.admission_moves(on_cutoff, CUTOFF)
    assert not rules.finished_in_prator(after, CUTOFF)
    assert rules.admission_moves(after, CUTOFF)


def test_no_date_moves_and_discharged_never_moves() -> None:
    assert rules.admission_moves(admission(discharge_ready=None), CUTOFF)
    gone = admission(status=AdmissionStatus.UTSKRIVEN, discharge_ready=dt.date(2025, 10, 5))
    assert not rules.admission_moves(gone, CUTOFF)


def test_moved_past_the_cutoff_is_flagged() -> None:
    moved = admission(discharge_ready=dt.date(2025, 10, 3))
    assert rules.moved_past_cutoff(moved, dt.date(2025, 9, 25), CUTOFF)
    assert rules.moved_past_cutoff(admission(discharge_ready=None), dt.date(2025, 9, 29), CUTOFF)
    # Never on or before the cut-off: nothing moved, no flag.
    assert not rules.moved_past_cutoff(moved, dt.date(2025, 9, 30), CUTOFF)
    assert not rules.moved_past_cutoff(moved, None, CUTOFF)
    # Still on the cut-off: stays in Prator, no flag.
    still = admission(discharge_ready=dt.date(2025, 9, 29))
    assert not rules.moved_past_cutoff(still, dt.date(2025, 9, 20), CUTOFF)


# ------------------------------------------------------------------ step-1 selection


@pytest.mark.parametrize(
    ("housing", "municipality", "sip", "expected"),
    [
        (Housing.ORDINART, "Timrå", False, False),
        (Housing.ORDINART, "Timrå", True, True),
        (Housing.SARSKILT_BOENDE, "Sundsvall", False, True),
        (Housing.LSS_BOENDE, "Ånge", False, True),
        (Housing.SOCIALPSYKIATRI, "Kramfors", False, True),
        (Housing.PRIVAT_AKTOR, "Timrå", False, True),
        (Housing.PRIVAT_AKTOR, "Sundsvall", False, False),  # the Sundsvall exception
        (Housing.PRIVAT_AKTOR, "Sundsvall", True, True),  # but an ongoing SIP still counts
    ],
)
def test_step1_selection(housing: Housing, municipality: str, sip: bool, expected: bool) -> None:
    p = patient(housing=housing, municipality=municipality)
    assert rules.needs_step1(p, sip, REGION.municipalities) is expected


# ------------------------------------------------------------------ somatic vs psychiatric


def test_step2_variant_by_care_form() -> None:
    assert rules.slutenvard_role(CareForm.SOMATIK) == "slutenvard-somatik"
    assert rules.slutenvard_role(CareForm.PSYKIATRI) == "slutenvard-psykiatri"
    som = rules.checklist("slutenvard-somatik", ctx_adm(), REGION)
    psy = rules.checklist(
        "slutenvard-psykiatri",
        ctx_adm(admission=admission(care_form=CareForm.PSYKIATRI)),
        REGION,
    )
    som_ids = [s.item.id for s in som if s.item.step == "2"]
    psy_ids = [s.item.id for s in psy if s.item.step == "2" and s.applies]
    assert "s2.psykiatrisk_oppenvardsenhet" not in som_ids
    assert "s2.psykiatrisk_oppenvardsenhet" in psy_ids
    assert "s2.halsocentral" in psy_ids
    # The psychiatric variant's items do not apply to a somatic admission, with a reason.
    psy_on_som = rules.checklist("slutenvard-psykiatri", ctx_adm(), REGION)
    extra = next(s for s in psy_on_som if s.item.id == "s2.halsocentral")
    assert not extra.applies and extra.reason == "Gäller bara psykiatrisk slutenvård"


# ------------------------------------------------------------------ SIP branch


def sip_ctx(has_adm: bool, decision: SipDecision | None = None) -> rules.SubjectContext:
    sip = Sip(
        sip_id="S1",
        patient_id="P1",
        coordinator_org=CoordinatorOrg.KOMMUN,
        responsible_unit="BIST1",
        municipality="Timrå",
        started=dt.date(2024, 3, 1),
        status=SipStatus.PAGAENDE,
    )
    return rules.SubjectContext(
        kind="sip",
        subject_id="S1",
        patient=patient(),
        sip=sip,
        has_ongoing_admission=has_adm,
        sip_decision=decision,
    )


def test_sip_branch() -> None:
    for has_adm, start, other in (
        (False, "s7.skapa_sip_utanfor", "s7.erbjud_sip"),
        (True, "s7.erbjud_sip", "s7.skapa_sip_utanfor"),
    ):
        states = {
            s.item.id: s for s in rules.checklist("samordningsansvarig", sip_ctx(has_adm), REGION)
        }
        assert states[start].applies
        assert not states[other].applies
        assert not states["s7.avsluta_ej_aktuell"].applies


def test_not_current_sip_only_needs_closing_in_prator() -> None:
    states = rules.checklist("samordningsansvarig", sip_ctx(False, SipDecision.EJ_AKTUELL), REGION)
    applying = [s.item.id for s in states if s.applies]
    assert applying == ["s7.avsluta_ej_aktuell"]
    assert rules.progress(states) == (0, 1)


# ------------------------------------------------------------------ timeline: 08:00 / 12:00 on 30 Sep


def test_morning_and_lunch_on_30_september() -> None:
    tl = REGION.timeline
    assert tl.window("2").opens == dt.datetime(2025, 9, 30, 8, 0)
    assert tl.window("3").opens == dt.datetime(2025, 9, 30, 12, 0)
    assert tl.window("4").opens == dt.datetime(2025, 9, 30, 12, 0)
    ids = lambda t: {p.id for p in tl.current_phases(t)}  # noqa: E731
    assert "steg2" not in ids(dt.datetime(2025, 9, 30, 7, 59))
    assert "steg2" in ids(dt.datetime(2025, 9, 30, 8, 0))
    assert "steg3-4" not in ids(dt.datetime(2025, 9, 30, 11, 59))
    assert "steg3-4" in ids(dt.datetime(2025, 9, 30, 12, 0))
    assert "steg2" not in ids(dt.datetime(2025, 9, 30, 12, 0))


def test_step2_has_a_target_not_a_deadline() -> None:
    """The seed gives step 2 no end ("från morgonen"): 12:00 is a target (mål), never
    overdue. Step 5's day (1 October) is a window: overdue from its end — but not while the
    item waits for another role (tests/test_boundaries.py: the same through the CLI)."""
    f = rules.item_facts(ITEMS["s2.inskrivningsmeddelande"], ctx_adm(), REGION)
    assert f.opens == dt.datetime(2025, 9, 30, 8, 0)
    assert f.due == dt.datetime(2025, 9, 30, 12, 0) and f.target
    assert f.overdue_from is None
    assert f.locked_from is None  # not a Prator action
    waiting = rules.item_facts(ITEMS["s5a.fragor"], ctx_adm(), REGION)
    assert waiting.waiting and waiting.waiting_other_role and waiting.overdue_from is None
    ready = ctx_adm(done={"s2.inskrivningsmeddelande": True})
    due = rules.item_facts(ITEMS["s5a.fragor"], ready, REGION)
    assert due.overdue_from == due.due == dt.datetime(2025, 10, 2, 0, 0) and not due.target


def test_step1_due_end_of_29_september() -> None:
    ctx = rules.SubjectContext(kind="patient", subject_id="P1", patient=patient())
    f = rules.item_facts(ITEMS["s1.boende"], ctx, REGION)
    assert f.overdue_from == dt.datetime(2025, 9, 30, 0, 0)


# ------------------------------------------------------------------ read-only lock: 15 vs 16 Oct


def tick_check(item: str, ctx: rules.SubjectContext, locked: bool = False) -> rules.TickCheck:
    f = rules.item_facts(ITEMS[item], ctx, REGION)
    owing = tuple(rules.owing_units(ctx, REGION))
    return rules.TickCheck(f.item, f.applies, f.reason, f.waiting, locked, None, owing)


def test_read_only_lock_from_16_october() -> None:
    ctx = ctx_adm(done={"s2.inskrivningsmeddelande": True})
    prator = rules.item_facts(ITEMS["s3.extrameddelande"], ctx, REGION)
    assert prator.locked_from == dt.datetime(2025, 10, 16, 0, 0)
    rules.check_tick(tick_check("s3.extrameddelande", ctx, locked=False), True)
    with pytest.raises(rules.Refusal, match="läsläge"):
        rules.check_tick(tick_check("s3.extrameddelande", ctx, locked=True), True)
    # A non-Prator item is never locked by read-only.
    assert rules.item_facts(ITEMS["s3.fragor"], ctx, REGION).locked_from is None


# ------------------------------------------------------------------ waiting and the kvittering gate


def test_step3_waits_for_inskrivningsmeddelande() -> None:
    waiting = tick_check("s3.kvittera_inskrivning", ctx_adm())
    assert waiting.waiting == "s2.inskrivningsmeddelande"
    with pytest.raises(rules.Refusal, match="väntar"):
        rules.check_tick(waiting, True)
    ready = ctx_adm(done={"s2.inskrivningsmeddelande": True})
    assert tick_check("s3.kvittera_inskrivning", ready).waiting is None


def test_every_item_of_steps_3_to_5_waits_for_step2() -> None:
    for item in REGION.checklists.item:
        if item.step in {"3", "4", "5A", "5B"}:
            assert item.waits_for == ("s2.inskrivningsmeddelande",), item.id
        if item.step in {"1", "7"}:
            assert item.waits_for == (), item.id


def test_kvittering_gate_names_the_units_that_owe() -> None:
    """Closing waits for the Prator messages and for the LCSP kvittering of steps 3–5."""
    acked = {
        "s2.inskrivningsmeddelande": True,
        "s3.kvittera_inskrivning": True,
        "s5a.kvittera_inskrivning": True,
        "s5b.kvittera_inskrivning": True,
    }
    p = patient(home_health_unit="HSJ1", assistance_unit="BIST1")
    base = {"patient": p, "discharged": True}
    ctx = ctx_adm(done=acked, unacknowledged=(msg("HC1", "M1"), msg("BIST1", "M2")), **base)
    gate = tick_check("s6.avsluta_lcsp", ctx)
    with pytest.raises(rules.Refusal, match="okvitterade meddelanden hos BIST1, HC1"):
        rules.check_tick(gate, True)
    rules.check_tick(gate, False)  # undoing a close is not gated
    rules.check_tick(tick_check("s6.utskrivningsmeddelande_lcsp", ctx), True)  # sending never
    # The hemsjukvård's kvittering inside LCSP is owed too.
    owes = ctx_adm(done={**acked, "s5b.kvittera_inskrivning": False}, **base)
    assert rules.owing_units(owes, REGION) == ["HSJ1"]
    with pytest.raises(rules.Refusal, match="hos HSJ1"):
        rules.check_tick(tick_check("s6.avsluta_prator", owes), True)
    rules.check_tick(tick_check("s6.avsluta_lcsp", ctx_adm(done=acked, **base)), True)


def test_step6_applies_once_discharged() -> None:
    ward = "slutenvard-somatik"
    before = {f.item.id: f for f in rules.checklist(ward, ctx_adm(), REGION)}
    after = {f.item.id: f for f in rules.checklist(ward, ctx_adm(discharged=True), REGION)}
    step6 = [i for i in before if i.startswith("s6.")]
    assert step6 == [
        "s6.utskrivningsmeddelande_prator",
        "s6.utskrivningsmeddelande_lcsp",
        "s6.avsluta_prator",
        "s6.avsluta_lcsp",
    ]
    assert not any(before[i].applies for i in step6)
    assert all(after[i].applies for i in step6)
    assert before["s6.avsluta_prator"].reason.startswith("Gäller när patienten är utskriven")


def test_ward_keeps_the_admission_until_closed_and_acknowledged() -> None:
    every = {i.id: True for i in REGION.checklists.for_role("slutenvard-somatik", "admission")}

    def on_ward_list(ctx: rules.SubjectContext) -> bool:
        held = rules.holders(ctx, REGION)
        if "slutenvard-somatik" not in held:
            return False
        facts = rules.checklist("slutenvard-somatik", ctx, REGION)
        return rules.summarize(facts, rules.owing_units(ctx, REGION)).pending

    p = patient(health_centre=None)  # no other unit: nobody else owes a kvittering
    assert on_ward_list(ctx_adm(patient=p, discharged=True, done={"s6.avsluta_prator": True}))
    assert on_ward_list(
        ctx_adm(patient=p, discharged=True, done=every, unacknowledged=(msg("HC1"),))
    )
    # closed and acknowledged: off every list by itself
    assert rules.holders(ctx_adm(patient=p, discharged=True, done=every), REGION) == {}
    # an utskriven export keeps it while it was started in LCSP and is not closed
    gone = admission(status=AdmissionStatus.UTSKRIVEN)
    started = {"s2.inskrivningsmeddelande": True}
    assert on_ward_list(ctx_adm(admission=gone, patient=p, discharged=True, done=started))
    assert rules.holders(ctx_adm(admission=gone, patient=p, discharged=True), REGION) == {}


def test_routing_of_an_admission() -> None:
    p = patient(home_health_unit="HSJ1", assistance_unit="BIST1", psych_outpatient_unit="PSY1")
    units = rules.admission_units(ctx_adm(patient=p, admission=admission(ward="AVD1")))
    assert units["slutenvard-somatik"] == "AVD1"
    assert "slutenvard-psykiatri" not in units
    assert units["primarvard"] == "HC1"
    assert units["psykiatri-oppenvard"] == "PSY1"
    assert units["bistandshandlaggare"] == "BIST1"
    assert units["hsl-arbetsterapeut"] == "HSJ1"


def test_psychiatric_routing_is_decided_in_step_2() -> None:
    """A psychiatric admission reaches primärvård only once its hälsocentral is included;
    it reaches the öppenvårdsenhet recorded in step 2, else the patient's own."""
    psy = admission(care_form=CareForm.PSYKIATRI, ward="PAVD")
    p = patient(psych_outpatient_unit="PSY1")
    units = rules.admission_units(ctx_adm(admission=psy, patient=p))
    assert units["slutenvard-psykiatri"] == "PAVD"
    assert units["primarvard"] is None and units["psykiatri-oppenvard"] == "PSY1"
    included = ctx_adm(admission=psy, patient=p, done={"s2.halsocentral": True})
    assert rules.admission_units(included)["primarvard"] == "HC1"  # the listed one
    other = ctx_adm(
        admission=psy,
        patient=patient(psych_outpatient_unit=None),
        done={"s2.halsocentral": True, "s2.psykiatrisk_oppenvardsenhet": True},
        values={"s2.halsocentral": "HC2", "s2.psykiatrisk_oppenvardsenhet": "PSY2"},
    )
    units = rules.admission_units(other)
    assert units["primarvard"] == "HC2" and units["psykiatri-oppenvard"] == "PSY2"
    # no unit in Prator: step 4 is reached through step 2, never unreachable
    assert "psykiatri-oppenvard" in rules.holders(other, REGION)


def test_sip_branch_follows_lcsp_and_starting_makes_it_current() -> None:
    sip = sip_ctx(True)
    assert rules.sip_decision(sip, REGION) is None
    started = rules.SubjectContext(**{**sip.__dict__, "done": {"s7.erbjud_sip": True}})
    assert rules.sip_decision(started, REGION) is SipDecision.AKTUELL
    f = rules.item_facts(
        ITEMS["s7.avsluta_ej_aktuell"], sip_ctx(False, SipDecision.EJ_AKTUELL), REGION
    )
    assert f.opens == dt.datetime(2025, 4, 28) and f.due == dt.datetime(2025, 10, 16)


def test_flagged_after_its_window_gets_a_fresh_due_time() -> None:
    moved = admission(discharge_ready=dt.date(2025, 10, 3))
    early = dt.date(2025, 9, 20)

    def due(changed_at: dt.datetime) -> dt.datetime | None:
        ctx = ctx_adm(admission=moved, earliest_discharge_ready=early, changed_at=changed_at)
        return rules.item_facts(ITEMS["s2.personuppgifter"], ctx, REGION).due

    assert due(dt.datetime(2025, 9, 30, 10, 0)) == dt.datetime(2025, 9, 30, 12, 0)  # in time
    assert due(dt.datetime(2025, 10, 3, 9, 0)) == dt.datetime(2025, 10, 4, 9, 0)  # a fresh day


def test_sip_status_says_when_a_not_current_sip_is_closed_in_prator() -> None:
    ctx = sip_ctx(False, SipDecision.EJ_AKTUELL)
    assert rules.sip_status(ctx, REGION) == "ej aktuell – ska avslutas i Prator"
    closed = dataclasses.replace(ctx, done={"s7.avsluta_ej_aktuell": True})
    assert rules.sip_status(closed, REGION) == "ej aktuell – avslutad i Prator"
