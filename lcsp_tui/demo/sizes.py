"""The three sizes (small, region, large) and what each one holds."""

from __future__ import annotations

from dataclasses import dataclass, field

from lcsp_tui.demo.geography import CODES, LOCALITIES
from lcsp_tui.demo.seed_table import APRIL_SIP_TABLE, SMALL_SIP_TABLE
from lcsp_tui.domain.models import Housing

SIZES = ("small", "region", "large")

# Per municipality, counts of: särskilda boenden, LSS-boenden, socialpsykiatriska boenden,
# private providers' boenden, hemsjukvårdsenheter, hemtjänstgrupper, biståndsenheter.
_UnitCounts = tuple[int, int, int, int, int, int, int]
_REGION_UNITS: dict[str, _UnitCounts] = {
    "Härnösand": (4, 2, 1, 1, 2, 4, 1),
    "Timrå": (3, 2, 1, 1, 2, 3, 1),
    "Kramfors": (3, 1, 1, 1, 2, 3, 1),
    "Sollefteå": (3, 1, 1, 1, 2, 3, 1),
    "Ånge": (2, 1, 1, 1, 1, 2, 1),
    "Örnsköldsvik": (8, 3, 2, 2, 4, 6, 2),
    "Sundsvall": (10, 4, 2, 3, 5, 8, 2),
}
_REGION_HEALTH_CENTRES = {
    "Härnösand": 2,
    "Timrå": 2,
    "Kramfors": 3,
    "Sollefteå": 3,
    "Ånge": 2,
    "Örnsköldsvik": 6,
    "Sundsvall": 10,
}
# Share of the patients living in each municipality (Timrå and Örnsköldsvik carry many SIPs).
_PATIENT_SHARE = {
    "Härnösand": 0.10,
    "Timrå": 0.11,
    "Kramfors": 0.08,
    "Sollefteå": 0.08,
    "Ånge": 0.05,
    "Örnsköldsvik": 0.22,
    "Sundsvall": 0.36,
}
_HOUSING_WEIGHTS = (
    (Housing.ORDINART, 74),
    (Housing.SARSKILT_BOENDE, 13),
    (Housing.LSS_BOENDE, 4),
    (Housing.SOCIALPSYKIATRI, 4),
    (Housing.PRIVAT_AKTOR, 5),
)


@dataclass(frozen=True)
class _Size:
    municipalities: tuple[str, ...]
    patients: int
    units: dict[str, _UnitCounts]
    health_centres: dict[str, int]
    ward_copies: int  # 1 = the hospitals' ward lists; n = n numbered series of them
    small_wards: bool  # only SUS-AVD11, SUS-AVD31, SUS-PSY51
    sip_table: dict[str, dict[str, int]]
    closed_sips: int
    ongoing_admissions: int
    discharged_admissions: int
    psych_outpatient: tuple[str, ...] = field(default=())  # empty: all


def _size(name: str) -> _Size:
    names = tuple(CODES)
    if name == "small":
        return _Size(
            municipalities=("Härnösand", "Timrå", "Sundsvall"),
            patients=40,
            units={
                "Härnösand": (1, 0, 0, 0, 1, 0, 1),
                "Timrå": (1, 0, 0, 1, 1, 1, 1),
                "Sundsvall": (1, 1, 1, 1, 1, 1, 1),
            },
            health_centres={"Härnösand": 1, "Timrå": 1, "Sundsvall": 2},
            ward_copies=1,
            small_wards=True,
            sip_table=SMALL_SIP_TABLE,
            closed_sips=2,
            ongoing_admissions=9,
            discharged_admissions=2,
            psych_outpatient=("PSYK-SVL",),
        )
    if name == "region":
        return _Size(
            municipalities=names,
            patients=8000,
            units=_REGION_UNITS,
            health_centres=_REGION_HEALTH_CENTRES,
            ward_copies=1,
            small_wards=False,
            sip_table=APRIL_SIP_TABLE,
            closed_sips=340,
            ongoing_admissions=300,
            discharged_admissions=100,
        )
    if name == "large":
        k = 12
        return _Size(
            municipalities=names,
            patients=100_000,
            units={
                m: (a * k, b * k, c * k, d * k, e * k, f * k, g)
                for m, (a, b, c, d, e, f, g) in _REGION_UNITS.items()
            },
            health_centres={m: len(LOCALITIES[m]) for m in names},
            ward_copies=k,
            small_wards=False,
            sip_table={
                org: {m: n * k for m, n in row.items()} for org, row in APRIL_SIP_TABLE.items()
            },
            closed_sips=340 * k,
            ongoing_admissions=300 * k,
            discharged_admissions=100 * k,
        )
    raise ValueError(f"unknown size {name!r} (choose one of {', '.join(SIZES)})")
