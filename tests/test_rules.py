"""The rules of SPEC §5 at their boundaries."""

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
    adm = kw.pop("admission", admission())
    return rules.SubjectContext(
        kind="admission",
        subject_id="V1",
        patient=patient(),
        admission=adm,
        **kw,  # type: ignore[arg-type]
    )


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
    now = dt.datetime(2025, 9, 30, 9, 0)
    som = rules.checklist("slutenvard-somatik", ctx_adm(), now, REGION)
    psy = rules.checklist(
        "slutenvard-psykiatri",
        ctx_adm(admission=admission(care_form=CareForm.PSYKIATRI)),
        now,
        REGION,
    )
    som_ids = [s.item.id for s in som if s.item.step == "2"]
    psy_ids = [s.item.id for s in psy if s.item.step == "2" and s.applies]
    assert "s2.psykiatrisk_oppenvardsenhet" not in som_ids
    assert "s2.psykiatrisk_oppenvardsenhet" in psy_ids
    assert "s2.halsocentral" in psy_ids
    # The psychiatric variant's items do not apply to a somatic admission, with a reason.
    psy_on_som = rules.checklist("slutenvard-psykiatri", ctx_adm(), now, REGION)
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
    now = dt.datetime(2025, 10, 3, 9, 0)
    assert rules.sip_start_item(False) == "s7.skapa_sip_utanfor"
    assert rules.sip_start_item(True) == "s7.erbjud_sip"
    for has_adm, start, other in (
        (False, "s7.skapa_sip_utanfor", "s7.erbjud_sip"),
        (True, "s7.erbjud_sip", "s7.skapa_sip_utanfor"),
    ):
        states = {
            s.item.id: s
            for s in rules.checklist("samordningsansvarig", sip_ctx(has_adm), now, REGION)
        }
        assert states[start].applies
        assert not states[other].applies
        assert not states["s7.avsluta_ej_aktuell"].applies


def test_not_current_sip_only_needs_closing_in_prator() -> None:
    now = dt.datetime(2025, 10, 3, 9, 0)
    states = rules.checklist(
        "samordningsansvarig", sip_ctx(False, SipDecision.EJ_AKTUELL), now, REGION
    )
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


def test_due_and_overdue_step2_at_noon() -> None:
    item = ITEMS["s2.inskrivningsmeddelande"]
    before = rules.item_state(item, ctx_adm(), dt.datetime(2025, 9, 30, 11, 59), REGION)
    at = rules.item_state(item, ctx_adm(), dt.datetime(2025, 9, 30, 12, 0), REGION)
    assert before.due == dt.datetime(2025, 9, 30, 12, 0)
    assert not before.overdue
    assert at.overdue
    done = rules.item_state(item, ctx_adm(done={item.id: True}), dt.datetime(2025, 10, 1), REGION)
    assert not done.overdue


def test_step1_due_end_of_29_september() -> None:
    item = ITEMS["s1.boende"]
    ctx = rules.SubjectContext(kind="patient", subject_id="P1", patient=patient())
    assert not rules.item_state(item, ctx, dt.datetime(2025, 9, 29, 23, 59), REGION).overdue
    assert rules.item_state(item, ctx, dt.datetime(2025, 9, 30, 0, 0), REGION).overdue


# ------------------------------------------------------------------ read-only lock: 15 vs 16 Oct


def test_read_only_lock_15_vs_16_october() -> None:
    item = ITEMS["s3.extrameddelande"]
    ctx = ctx_adm(done={"s2.inskrivningsmeddelande": True})
    on_15 = rules.item_state(item, ctx, dt.datetime(2025, 10, 15, 23, 59), REGION)
    on_16 = rules.item_state(item, ctx, dt.datetime(2025, 10, 16, 0, 0), REGION)
    assert not on_15.locked
    rules.check_tick(on_15, ctx, True)
    assert on_16.locked and on_16.missed
    with pytest.raises(rules.Refusal, match="läsläge"):
        rules.check_tick(on_16, ctx, True)
    # A non-Prator item is not locked by read-only.
    lcsp_item = rules.item_state(ITEMS["s3.fragor"], ctx, dt.datetime(2025, 10, 16), REGION)
    assert not lcsp_item.locked
    rules.check_tick(lcsp_item, ctx, True)


# ------------------------------------------------------------------ waiting and the kvittering gate


def test_step3_waits_for_inskrivningsmeddelande() -> None:
    now = dt.datetime(2025, 9, 30, 13, 0)
    item = ITEMS["s3.kvittera_inskrivning"]
    waiting = rules.item_state(item, ctx_adm(), now, REGION)
    assert waiting.waiting == "s2.inskrivningsmeddelande"
    with pytest.raises(rules.Refusal, match="väntar"):
        rules.check_tick(waiting, ctx_adm(), True)
    ready = ctx_adm(done={"s2.inskrivningsmeddelande": True})
    assert rules.item_state(item, ready, now, REGION).waiting is None


def test_every_item_of_steps_3_to_5_waits_for_step2() -> None:
    for item in REGION.checklists.item:
        if item.step in {"3", "4", "5A", "5B"}:
            assert item.waits_for == ("s2.inskrivningsmeddelande",), item.id
        if item.step in {"1", "7"}:
            assert item.waits_for == (), item.id


def test_kvittering_gate_names_the_units_that_owe() -> None:
    now = dt.datetime(2025, 10, 5, 9, 0)
    ctx = ctx_adm(
        done={"s2.inskrivningsmeddelande": True},
        unacknowledged=(msg("HC1", "M1"), msg("BIST1", "M2"), msg("HC1", "M3")),
    )
    state = rules.item_state(ITEMS["s6.avsluta_lcsp"], ctx, now, REGION)
    with pytest.raises(rules.Refusal, match="okvitterade meddelanden hos BIST1, HC1"):
        rules.check_tick(state, ctx, True)
    # Undoing a close is not gated; once acknowledged, closing is allowed.
    rules.check_tick(state, ctx, False)
    clear = ctx_adm(done={"s2.inskrivningsmeddelande": True})
    rules.check_tick(rules.item_state(ITEMS["s6.avsluta_lcsp"], clear, now, REGION), clear, True)


def test_subject_finished_needs_both_closings_and_no_unacknowledged() -> None:
    both = {"s6.avsluta_prator": True, "s6.avsluta_lcsp": True}
    assert rules.subject_finished(ctx_adm(done=both), REGION)
    assert not rules.subject_finished(ctx_adm(done={"s6.avsluta_prator": True}), REGION)
    assert not rules.subject_finished(ctx_adm(done=both, unacknowledged=(msg("HC1"),)), REGION)


def test_routing_of_an_admission() -> None:
    p = patient(home_health_unit="HSJ1", assistance_unit="BIST1", psych_outpatient_unit="PSY1")
    units = rules.admission_units(admission(care_form=CareForm.PSYKIATRI, ward="PAVD"), p)
    assert units["slutenvard-psykiatri"] == "PAVD"
    assert "slutenvard-somatik" not in units
    assert units["primarvard"] == "HC1"
    assert units["psykiatri-oppenvard"] == "PSY1"
    assert units["bistandshandlaggare"] == "BIST1"
    assert units["hsl-arbetsterapeut"] == "HSJ1"
