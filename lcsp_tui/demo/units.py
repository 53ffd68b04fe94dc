"""Units: municipal units, hälsocentraler, psychiatric outpatient units and hospital wards."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from lcsp_tui.demo.common import _ascii_upper, _numbered, _rng
from lcsp_tui.demo.geography import (
    CODES,
    HOSPITALS,
    LOCALITIES,
    PSYCH_HOSPITAL,
    PSYCH_OUTPATIENT,
    SOMATIC_HOSPITAL,
)
from lcsp_tui.demo.names import _PLACE_PREFIXES, _PLACE_SUFFIXES, _PROVIDERS, _STREETS
from lcsp_tui.demo.sizes import _Size
from lcsp_tui.domain.models import Housing, Unit, UnitType


@dataclass
class _MunicipalUnits:
    sabo: list[str] = field(default_factory=list)
    lss: list[str] = field(default_factory=list)
    socialpsykiatri: list[str] = field(default_factory=list)
    private: list[str] = field(default_factory=list)
    home_health: list[str] = field(default_factory=list)
    home_care: list[str] = field(default_factory=list)
    assistance: list[str] = field(default_factory=list)
    health_centres: list[str] = field(default_factory=list)
    psych_outpatient: list[str] = field(default_factory=list)

    def housing_units(self, housing: Housing) -> list[str]:
        return {
            Housing.SARSKILT_BOENDE: self.sabo,
            Housing.LSS_BOENDE: self.lss,
            Housing.SOCIALPSYKIATRI: self.socialpsykiatri,
            Housing.PRIVAT_AKTOR: self.private,
        }.get(housing, [])


@dataclass
class _Wards:
    somatic: dict[str, list[str]] = field(default_factory=dict)  # hospital code -> unit ids
    psych: dict[str, list[str]] = field(default_factory=dict)

    def somatic_for(self, rng: random.Random, municipality: str) -> str:
        options = [(h, w) for h, w in SOMATIC_HOSPITAL[municipality] if self.somatic.get(h)]
        hospitals = [h for h, w in options for _ in range(w)]
        return rng.choice(self.somatic[rng.choice(hospitals)])

    def psych_for(self, rng: random.Random, municipality: str) -> str:
        wards = self.psych.get(PSYCH_HOSPITAL[municipality]) or self.psych["SUS"]
        return rng.choice(wards)


# ----------------------------------------------------------------------------- units


def _units(size: _Size, seed: int) -> tuple[list[Unit], dict[str, _MunicipalUnits], _Wards]:
    rng = _rng(seed, "units")
    units: list[Unit] = []
    by_m: dict[str, _MunicipalUnits] = {}

    def add(unit_id: str, name: str, typ: UnitType, municipality: str | None) -> str:
        units.append(
            Unit.model_construct(unit_id=unit_id, name=name, type=typ, municipality=municipality)
        )
        return unit_id

    places = [p + s for p in _PLACE_PREFIXES for s in _PLACE_SUFFIXES]
    streets = [f"{s} {n}" for n in (2, 4, 7, 9, 12, 15, 21, 33) for s in _STREETS]
    for m in size.municipalities:
        code = CODES[m]
        sabo, lss, spsy, priv, hsv, ht, bist = size.units[m]
        mu = by_m[m] = _MunicipalUnits()
        own_places = rng.sample(places, sabo + spsy + priv)
        own_streets = rng.sample(streets, lss)
        for j in range(sabo):
            mu.sabo.append(
                add(
                    f"{code}-BOE-{j + 1:02d}",
                    f"{own_places[j]} särskilt boende",
                    UnitType.BOENDEENHET,
                    m,
                )
            )
        for j in range(lss):
            mu.lss.append(
                add(
                    f"{code}-LSS-{j + 1:02d}",
                    f"Gruppbostad {own_streets[j]} LSS",
                    UnitType.BOENDEENHET,
                    m,
                )
            )
        for j in range(spsy):
            name = f"{own_places[sabo + j]} stödboende socialpsykiatri"
            mu.socialpsykiatri.append(add(f"{code}-SPB-{j + 1:02d}", name, UnitType.BOENDEENHET, m))
        for j in range(priv):
            name = (
                f"{own_places[sabo + spsy + j]} vård- och omsorgsboende "
                f"({_PROVIDERS[(j + len(m)) % len(_PROVIDERS)]})"
            )
            mu.private.append(add(f"{code}-PRIV-{j + 1:02d}", name, UnitType.BOENDEENHET, m))
        districts = [m] + [loc for loc in LOCALITIES[m] if loc != m]
        for j, d in enumerate(_numbered(districts, hsv)):
            mu.home_health.append(
                add(f"{code}-HSV-{j + 1:02d}", f"Hemsjukvården {d}", UnitType.HEMSJUKVARDSENHET, m)
            )
        for j, d in enumerate(_numbered(districts, ht)):
            mu.home_care.append(
                add(f"{code}-HT-{j + 1:02d}", f"Hemtjänst {d}", UnitType.HEMTJANSTGRUPP, m)
            )
        bist_names = (
            [f"Biståndsenheten {m}"]
            if bist == 1
            else [f"Biståndsenheten {m} äldreomsorg", f"Biståndsenheten {m} funktionsstöd"]
            + [f"Biståndsenheten {m} {j + 3}" for j in range(bist - 2)]
        )
        for j, name in enumerate(bist_names):
            mu.assistance.append(add(f"{code}-BIST-{j + 1:02d}", name, UnitType.BISTANDSENHET, m))

    # Regional units: kommun is empty.
    for m in size.municipalities:
        for loc in LOCALITIES[m][: size.health_centres[m]]:
            by_m[m].health_centres.append(
                add(f"HC-{_ascii_upper(loc)}", f"Hälsocentral {loc}", UnitType.HALSOCENTRAL, None)
            )
    for unit_id, name, serves in PSYCH_OUTPATIENT:
        if size.psych_outpatient and unit_id not in size.psych_outpatient:
            continue
        add(unit_id, name, UnitType.PSYKIATRISK_OPPENVARD, None)
        for m in serves:
            if m in by_m:
                by_m[m].psych_outpatient.append(unit_id)
    for m in size.municipalities:  # the Sundsvall unit serves those no other unit does
        if not by_m[m].psych_outpatient:
            by_m[m].psych_outpatient.append("PSYK-SVL")

    wards = _Wards()
    for hcode, city, somatic, psych in HOSPITALS:
        for copy in range(size.ward_copies):
            for number, speciality in somatic:
                n = number + 100 * copy
                if size.small_wards and (hcode, n) not in {("SUS", 11), ("SUS", 31)}:
                    continue
                wards.somatic.setdefault(hcode, []).append(
                    add(
                        f"{hcode}-AVD{n}",
                        f"Avd {n} {speciality} {city}",
                        UnitType.SLUTENVARD_SOMATIK,
                        None,
                    )
                )
            for number in psych:
                n = number + 100 * copy
                if size.small_wards and (hcode, n) != ("SUS", 51):
                    continue
                wards.psych.setdefault(hcode, []).append(
                    add(
                        f"{hcode}-PSY{n}",
                        f"Psykiatrisk avd {n} {city}",
                        UnitType.SLUTENVARD_PSYKIATRI,
                        None,
                    )
                )
    return units, by_m, wards
