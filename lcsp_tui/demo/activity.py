"""Work already under way in the demo region (not in a Prator export): a few admissions
started in LCSP by slutenvård — psychiatric ones with and without an included hälsocentral —
and a few discharged by the ward while units still owe a kvittering, so that each case of
the process shows in a rehearsal. The small demo has none: its records are the tests'
fixed ground."""

from __future__ import annotations

from lcsp_tui.domain import models as m
from lcsp_tui.domain.models import Admission, AdmissionStatus, CareForm, Message, Patient, Record

STARTED = ("s2.personuppgifter", "s2.inskrivningsmeddelande")


def _tick(subject: str, item: str, value: str | None = None) -> m.Event:
    payload: dict[str, object] = {"subject": subject, "item": item, "done": True}
    if value is not None:
        payload["value"] = value
    return m.Event(kind=m.ITEM_TICKED, payload=payload)


def activity(size: str, records: list[Record]) -> list[m.Event]:
    """Events of work under way, for ``records`` (generated with the same size and seed)."""
    if size == "small":
        return []
    patients = {r.patient_id: r for r in records if isinstance(r, Patient)}
    unacked = {r.admission_id for r in records if isinstance(r, Message) and r.acknowledged is None}
    moving = [
        a
        for a in records
        if isinstance(a, Admission)
        and a.status is AdmissionStatus.PAGAENDE
        and (a.discharge_ready is None or a.discharge_ready.isoformat() > "2025-09-29")
    ]
    psych = [a for a in moving if a.care_form is CareForm.PSYKIATRI][:6]
    somatic = [a for a in moving if a.care_form is CareForm.SOMATIK and a.admission_id in unacked]
    events: list[m.Event] = []
    for k, a in enumerate(psych):
        events += [_tick(a.admission_id, i) for i in STARTED]
        hc = patients[a.patient_id].health_centre
        if k % 2 == 0 and hc:  # every other one includes the patient's hälsocentral
            events.append(_tick(a.admission_id, "s2.halsocentral", hc))
    for a in somatic[:4]:  # started, then discharged with messages still unacknowledged
        events += [_tick(a.admission_id, i) for i in STARTED]
        events.append(
            m.Event(kind=m.ADMISSION_DISCHARGED, payload={"admission_id": a.admission_id})
        )
    return events
