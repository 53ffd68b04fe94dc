"""Admissions (vårdtillfällen): ongoing and discharged, somatic and psychiatric."""

from __future__ import annotations

import datetime as dt

from lcsp_tui.demo.common import DISCHARGE_READY_CUTOFF, _date_between, _rng
from lcsp_tui.demo.progress import Progress, _Reporter
from lcsp_tui.demo.sizes import _Size
from lcsp_tui.demo.units import _Wards
from lcsp_tui.domain.models import Admission, AdmissionStatus, CareForm, Housing, Patient


def _admissions(
    size: _Size, seed: int, patients: list[Patient], wards: _Wards, progress: Progress | None
) -> list[Admission]:
    rng = _rng(seed, "admissions")
    total = size.ongoing_admissions + size.discharged_admissions
    # Distinct patients; psychiatric admissions prefer patients known to psychiatry,
    # somatic ones patients with municipal care.
    psych_known = [
        p for p in patients if p.psych_outpatient_unit or p.housing is Housing.SOCIALPSYKIATRI
    ]
    cared = [p for p in patients if p.home_health_unit or p.assistance_unit]
    used: set[str] = set()

    def pick(pool: list[Patient]) -> Patient:
        while True:
            p = rng.choice(pool if pool and rng.random() < 0.7 else patients)
            if p.patient_id not in used:
                used.add(p.patient_id)
                return p

    out: list[Admission] = []
    rep = _Reporter(progress, "admissions", total)
    seen_by_form = {CareForm.SOMATIK: 0, CareForm.PSYKIATRI: 0}
    n_psych = max(3, round(size.ongoing_admissions * 0.2))
    cutoff = DISCHARGE_READY_CUTOFF
    for i in range(total):
        ongoing = i < size.ongoing_admissions
        # ~80/20 somatik/psykiatri, spread evenly (at least 3 psychiatric: one per cut-off case)
        psych = (
            i + 1
        ) * n_psych // size.ongoing_admissions > i * n_psych // size.ongoing_admissions
        if not ongoing:
            psych = i % 4 == 3
        form = CareForm.PSYKIATRI if psych else CareForm.SOMATIK
        p = pick(psych_known if psych else cared)
        ward = (
            wards.psych_for(rng, p.municipality)
            if psych
            else wards.somatic_for(rng, p.municipality)
        )
        if ongoing:
            # Inskriven in late August or September; the utskrivningsklar date cycles through
            # "on or before the cut-off" / "after the cut-off" / "none yet" per care form, so
            # every size has all three for both forms.
            if rng.random() < 0.15:  # long stays, e.g. waiting for särskilt boende
                admitted = _date_between(rng, dt.date(2025, 8, 11), dt.date(2025, 8, 31))
            else:
                admitted = _date_between(rng, dt.date(2025, 9, 1), cutoff)
            kind = seen_by_form[form] % 3
            first = seen_by_form[form] < 3  # the first of each kind sits on the boundary
            seen_by_form[form] += 1
            if kind == 0:
                ready = _date_between(rng, admitted, cutoff)
                ready = cutoff if first else ready  # the last date handled in Prator
            elif kind == 1:
                ready = _date_between(
                    rng, max(admitted, cutoff + dt.timedelta(days=1)), dt.date(2025, 10, 24)
                )
                ready = cutoff + dt.timedelta(days=1) if first else ready  # the first moved
            else:
                ready = None
            status = AdmissionStatus.PAGAENDE
        else:
            admitted = _date_between(rng, dt.date(2025, 8, 25), dt.date(2025, 9, 20))
            ready = _date_between(rng, admitted, min(admitted + dt.timedelta(days=14), cutoff))
            status = AdmissionStatus.UTSKRIVEN
        out.append(
            Admission.model_construct(
                admission_id=f"VT{i + 1:06d}",
                patient_id=p.patient_id,
                care_form=form,
                ward=ward,
                admitted=admitted,
                discharge_ready=ready,
                status=status,
            )
        )
        rep.tick(i + 1)
    rep.finish()
    return out + _later_export(out)


def _later_export(admissions: list[Admission]) -> list[Admission]:
    """A later export's version of the last admission that was to stay in Prator: its
    utskrivningsklar date moved past the cut-off, so it must move to LCSP (flagged)."""
    cutoff = DISCHARGE_READY_CUTOFF
    stays = [
        a
        for a in admissions
        if a.status is AdmissionStatus.PAGAENDE
        and a.discharge_ready is not None
        and a.discharge_ready <= cutoff
    ]
    if not stays:
        return []
    moved = stays[-1].model_copy(update={"discharge_ready": cutoff + dt.timedelta(days=3)})
    return [moved]
