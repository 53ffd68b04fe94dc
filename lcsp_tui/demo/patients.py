"""Patients: home municipality, housing, birth year, personnummer, care units, next of kin."""

from __future__ import annotations

import calendar
import random

from lcsp_tui.demo.common import _allocate, _rng
from lcsp_tui.demo.geography import LOCALITIES, POSTCODES
from lcsp_tui.demo.names import _FEMALE, _MALE, _RELATIONS, _STREETS, _SURNAME_POOL
from lcsp_tui.demo.progress import Progress, _Reporter
from lcsp_tui.demo.sizes import _HOUSING_WEIGHTS, _PATIENT_SHARE, _Size
from lcsp_tui.demo.units import _MunicipalUnits
from lcsp_tui.domain.models import Housing, Patient


def _birth_year(rng: random.Random, housing: Housing) -> int:
    if housing in (Housing.LSS_BOENDE, Housing.SOCIALPSYKIATRI):
        return rng.randint(1950, 2005)
    if housing in (Housing.SARSKILT_BOENDE, Housing.PRIVAT_AKTOR):
        # mostly 80–100 years old; centenarians are rare
        return int(rng.triangular(1920, 1961, 1937))
    r = rng.random()
    if r < 0.70:
        return int(rng.triangular(1920, 1961, 1942))
    if r < 0.90:
        return rng.randint(1951, 1980)
    return rng.randint(1981, 2005)


# Each digit of an odd position (1st, 3rd …) doubled, then its digits summed (Luhn).
_DOUBLED = {str(d): (2 * d) // 10 + (2 * d) % 10 for d in range(10)}
_DIGIT = {str(d): d for d in range(10)}


def _with_check_digit(nine: str) -> str:
    """Nine digits (YYMMDDNNN) and their Luhn check digit: what
    ``personnummer.with_check_digit`` gives, computed at once (100,000 times in large)."""
    s = sum(_DOUBLED[c] for c in nine[0::2]) + sum(_DIGIT[c] for c in nine[1::2])
    return f"{nine}{-s % 10}"


def _personnummer(rng: random.Random, year: int, male: bool, taken: set[str]) -> str:
    while True:
        month = rng.randint(1, 12)
        day = rng.randint(1, calendar.monthrange(year, month)[1])
        if rng.random() < 0.015:
            day += 60  # samordningsnummer
        serial = rng.randrange(0, 100) * 10 + rng.randrange(1 if male else 0, 10, 2)
        if serial == 0:
            continue
        nine = f"{year % 100:02d}{month:02d}{day:02d}{serial:03d}"
        digits = f"{year // 100:02d}{_with_check_digit(nine)}"
        if digits not in taken:
            taken.add(digits)
            return digits


def _patients(
    size: _Size, seed: int, by_m: dict[str, _MunicipalUnits], progress: Progress | None
) -> list[Patient]:
    rng = _rng(seed, "patients")
    counts = _allocate(size.patients, {m: _PATIENT_SHARE[m] for m in size.municipalities})
    homes = [m for m, n in counts.items() for _ in range(n)]
    rng.shuffle(homes)
    housing_pool = [h for h, w in _HOUSING_WEIGHTS for _ in range(w)]
    taken: set[str] = set()
    out: list[Patient] = []
    rep = _Reporter(progress, "patients", size.patients)
    protected_every = 330  # ~0.3 %; patient 18 is one, so even `small` has one
    # Make sure every housing form occurs in every size (small has only 40 patients).
    forced = [h for h, _ in _HOUSING_WEIGHTS if h is not Housing.ORDINART]
    for i, m in enumerate(homes):
        mu = by_m[m]
        housing = forced.pop(0) if m == "Sundsvall" and forced else rng.choice(housing_pool)
        options = mu.housing_units(housing)
        if housing is not Housing.ORDINART and not options:
            housing = Housing.ORDINART
        housing_unit = rng.choice(options) if options else None
        male = rng.random() < 0.46
        year = _birth_year(rng, housing)
        pnr = _personnummer(rng, year, male, taken)
        first = rng.choice(_MALE if male else _FEMALE)
        last = rng.choice(_SURNAME_POOL)

        special = housing is not Housing.ORDINART
        if housing in (Housing.SARSKILT_BOENDE, Housing.PRIVAT_AKTOR):
            p_hsv, p_bist, p_psych = 0.95, 0.9, 0.03
        elif housing is Housing.LSS_BOENDE:
            p_hsv, p_bist, p_psych = 0.4, 0.95, 0.15
        elif housing is Housing.SOCIALPSYKIATRI:
            p_hsv, p_bist, p_psych = 0.3, 0.9, 0.8
        else:
            p_hsv, p_bist, p_psych = 0.35, 0.6, 0.06
        home_health = rng.choice(mu.home_health) if rng.random() < p_hsv else None
        if rng.random() < p_bist:
            # funktionsstöd (the last biståndsenhet) for LSS and socialpsykiatri
            assistance = (
                mu.assistance[-1]
                if housing in (Housing.LSS_BOENDE, Housing.SOCIALPSYKIATRI)
                else mu.assistance[0]
            )
        else:
            assistance = None
        health_centre = rng.choice(mu.health_centres) if rng.random() < 0.985 else None
        psych = rng.choice(mu.psych_outpatient) if rng.random() < p_psych else None
        visiting = None
        if rng.random() < 0.04:
            visiting = (
                f"{rng.choice(_STREETS)} {rng.randint(1, 40)}, "
                f"{POSTCODES[m]} {rng.randint(10, 99)} {rng.choice(LOCALITIES[m])}"
            )
        kin = None
        if rng.random() < (0.55 if special else 0.3):
            kin = (
                f"{rng.choice(_RELATIONS)} {rng.choice(_FEMALE + _MALE)} "
                f"{last if rng.random() < 0.6 else rng.choice(_SURNAME_POOL)}, "
                f"070-174 06 {rng.randint(5, 99):02d}"
            )
        out.append(
            Patient.model_construct(
                patient_id=f"P{i + 1:06d}",
                personnummer=pnr,
                first_name=first,
                last_name=last,
                municipality=m,
                housing=housing,
                housing_unit=housing_unit,
                home_health_unit=home_health,
                assistance_unit=assistance,
                health_centre=health_centre,
                psych_outpatient_unit=psych,
                visiting_address=visiting,
                next_of_kin=kin,
                protected_identity=(i % protected_every == 17),
            )
        )
        rep.tick(i + 1)
    rep.finish()
    return out
