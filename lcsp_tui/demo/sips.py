"""SIPs: the ongoing ones per the size's table, plus closed ones."""

from __future__ import annotations

import datetime as dt

from lcsp_tui.demo.common import _date_between, _rng
from lcsp_tui.demo.progress import Progress, _Reporter
from lcsp_tui.demo.sizes import _Size
from lcsp_tui.demo.units import _MunicipalUnits, _Wards
from lcsp_tui.domain.models import (
    Admission,
    AdmissionStatus,
    CoordinatorOrg,
    Patient,
    Sip,
    SipStatus,
)


def _sips(
    size: _Size,
    seed: int,
    patients: list[Patient],
    admissions: list[Admission],
    by_m: dict[str, _MunicipalUnits],
    wards: _Wards,
    progress: Progress | None,
) -> list[Sip]:
    rng = _rng(seed, "sips")
    by_municipality: dict[str, list[Patient]] = {}
    for p in patients:
        by_municipality.setdefault(p.municipality, []).append(p)
    ongoing_ward = {
        a.patient_id: a.ward for a in admissions if a.status is AdmissionStatus.PAGAENDE
    }
    # (org, patient, status): one ongoing SIP per patient, drawn per municipality.
    plan: list[tuple[CoordinatorOrg, Patient, SipStatus]] = []
    for m in size.municipalities:
        cells = [(CoordinatorOrg(org), row.get(m, 0)) for org, row in size.sip_table.items()]
        need = sum(n for _, n in cells)
        chosen = rng.sample(by_municipality[m], need)
        k = 0
        for org, n in cells:
            for p in chosen[k : k + n]:
                plan.append((org, p, SipStatus.PAGAENDE))
            k += n
    orgs = (
        [CoordinatorOrg.KOMMUN] * 5 + [CoordinatorOrg.PRIMARVARD] * 4 + [CoordinatorOrg.SLUTENVARD]
    )
    for _ in range(size.closed_sips):
        plan.append((rng.choice(orgs), rng.choice(patients), SipStatus.AVSLUTAD))
    rng.shuffle(plan)

    today = dt.date(2025, 9, 26)
    out: list[Sip] = []
    rep = _Reporter(progress, "sips", len(plan))
    for i, (org, p, status) in enumerate(plan):
        mu = by_m[p.municipality]
        if org is CoordinatorOrg.KOMMUN:
            unit = p.assistance_unit or mu.assistance[0]
        elif org is CoordinatorOrg.PRIMARVARD:
            unit = p.health_centre or mu.health_centres[0]
        else:
            unit = ongoing_ward.get(p.patient_id) or (
                wards.psych_for(rng, p.municipality)
                if p.psych_outpatient_unit and rng.random() < 0.5
                else wards.somatic_for(rng, p.municipality)
            )
        # Many ongoing SIPs are stale (the seed: "borde varit avslutade").
        age = min(int(rng.expovariate(1 / 420)), 2400)
        started = today - dt.timedelta(days=age + (30 if status is SipStatus.AVSLUTAD else 0))
        if status is SipStatus.PAGAENDE and rng.random() < 0.1:
            last_meeting = None
        else:
            last_meeting = _date_between(rng, started, min(started + dt.timedelta(days=400), today))
        out.append(
            Sip.model_construct(
                sip_id=f"SIP{i + 1:06d}",
                patient_id=p.patient_id,
                coordinator_org=org,
                responsible_unit=unit,
                municipality=p.municipality,
                started=started,
                last_meeting=last_meeting,
                status=status,
            )
        )
        rep.tick(i + 1)
    rep.finish()
    return out
