"""Messages: what each admission sent to whom, and when (if ever) it was acknowledged."""

from __future__ import annotations

import datetime as dt
import random

from lcsp_tui.demo.common import EXPORTED_AT, _rng
from lcsp_tui.demo.progress import Progress, _Reporter
from lcsp_tui.domain.models import Admission, AdmissionStatus, CareForm, Message, Patient


def _at(rng: random.Random, day: dt.date, first_hour: int, last_hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, rng.randint(first_hour, last_hour)) + (
        dt.timedelta(minutes=rng.randrange(0, 60))
    )


def _messages(
    seed: int,
    patients: list[Patient],
    admissions: list[Admission],
    progress: Progress | None,
) -> list[Message]:
    rng = _rng(seed, "messages")
    by_id = {p.patient_id: p for p in patients}
    # First the plan (cheap tuples), so progress knows the total.
    plan: list[tuple[str, str, str, dt.datetime]] = []
    for a in admissions:
        p = by_id[a.patient_id]
        recipients: list[str] = []
        if a.care_form is CareForm.PSYKIATRI:
            if p.psych_outpatient_unit:
                recipients.append(p.psych_outpatient_unit)
            # psychiatric slutenvård adds the hälsocentral manually, when it is to be included
            if p.health_centre and rng.random() < 0.5:
                recipients.append(p.health_centre)
        elif p.health_centre:
            recipients.append(p.health_centre)
        recipients += [u for u in (p.assistance_unit, p.home_health_unit) if u]
        if not recipients and p.health_centre:
            recipients.append(p.health_centre)
        admitted_at = _at(rng, a.admitted, 7, 17)
        sends: list[tuple[str, dt.datetime]] = [("inskrivningsmeddelande", admitted_at)]
        if rng.random() < 0.65:
            sends.append(
                (
                    "planeringsunderlag",
                    _at(rng, a.admitted + dt.timedelta(days=rng.randint(1, 3)), 8, 16),
                )
            )
        if rng.random() < 0.2:
            sends.append(
                (
                    "extrameddelande",
                    _at(rng, a.admitted + dt.timedelta(days=rng.randint(1, 9)), 8, 16),
                )
            )
        if a.status is AdmissionStatus.UTSKRIVEN and a.discharge_ready is not None:
            sends.append(
                (
                    "utskrivningsmeddelande",
                    _at(rng, a.discharge_ready + dt.timedelta(days=rng.randint(0, 2)), 9, 15),
                )
            )
        for typ, sent in sends:
            if sent > EXPORTED_AT:
                continue  # not sent yet when the export was taken
            for unit in recipients:
                plan.append((a.admission_id, typ, unit, sent))

    out: list[Message] = []
    rep = _Reporter(progress, "messages", len(plan))
    for i, (admission_id, typ, unit, sent) in enumerate(plan):
        recent = EXPORTED_AT - sent < dt.timedelta(days=2)
        acknowledged: dt.datetime | None = None
        if rng.random() >= (0.45 if recent else 0.15):
            r = rng.random()
            if r < 0.7:
                minutes = rng.randint(5, 8 * 60)
            elif r < 0.95:
                minutes = rng.randint(8 * 60, 3 * 24 * 60)
            else:
                minutes = rng.randint(3 * 24 * 60, 10 * 24 * 60)
            acknowledged = sent + dt.timedelta(minutes=minutes)
            if acknowledged.hour >= 21 or acknowledged.hour < 7:  # office hours, mostly
                morning = acknowledged.date() + dt.timedelta(days=acknowledged.hour >= 21)
                acknowledged = _at(rng, morning, 7, 8)
            if acknowledged > EXPORTED_AT:
                acknowledged = None
        out.append(
            Message.model_construct(
                message_id=f"M{i + 1:07d}",
                admission_id=admission_id,
                type=typ,
                recipient_unit=unit,
                sent=sent,
                acknowledged=acknowledged,
            )
        )
        rep.tick(i + 1)
    rep.finish()
    return out
