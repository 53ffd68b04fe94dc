"""A deterministic, fictitious Region Västernorrland for demos, rehearsals and benchmarks.

``generate(size, seed)`` returns the records a Prator export would hold — units, patients,
admissions (vårdtillfällen), SIPs and messages, in that dependency order — so the CLI can
turn them into events through the importer's ``diff_events`` and ``write_export`` can write
them as an export. Everything is fictitious: names are drawn from common Swedish names,
personnummer are made up (valid date, serial and check digit), phone numbers come from the
range the Swedish PTS reserves for fiction (070-174 06 05 … 070-174 06 99).

Determinism: the output depends only on ``size`` and ``seed``. Every phase draws from its
own ``random.Random`` seeded with a string (seeded through SHA-512, not ``hash()``), and no
wall clock is read. Records are built with ``model_construct`` (no validation, for speed);
the tests validate every record of every size.

Sizes: ``small`` (three municipalities, ~40 patients: for fast tests), ``region`` (the seed's
scale: 8,000 patients and exactly the 2,244 ongoing SIPs of the April table) and ``large``
(100,000 patients, everything else ×12: for performance work).
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from lcsp_tui.domain.models import (
    Admission,
    AdmissionStatus,
    CareForm,
    CoordinatorOrg,
    Housing,
    Message,
    Patient,
    Record,
    Sip,
    SipStatus,
    Unit,
    UnitType,
)
from lcsp_tui.domain.personnummer import with_check_digit
from lcsp_tui.domain.regiondata import load_region

SIZES = ("small", "region", "large")

Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 1000

# The moment the fictitious export was taken: nothing is sent or acknowledged after it.
EXPORTED_AT = dt.datetime(2025, 9, 29, 18, 0)
DISCHARGE_READY_CUTOFF = dt.date(2025, 9, 29)  # as in data/timeline.toml (checked by tests)

# ----------------------------------------------------------------------------- the seed's table

# Ongoing SIPs in Prator, April 2025, per samordningsansvar × municipality (the seed's
# "Statistik april-25"). The seed prints the Slutenvård row with only six numbers for seven
# municipalities: "5 5 17 2 37 49 = 115". Placed left to right with Sollefteå empty
# (Sollefteå's column is already complete: 8 + 8 = 16), the row total 115 and the grand
# total 1032 + 1097 + 115 = 2244 hold, and every column total of "Totalt per kommundel"
# (95 480 71 16 40 976 564) matches except Örnsköldsvik: 754 + 187 + 37 = 978, not 976.
# The seed's column totals cannot all be right: they add up to 2,242, not the 2,244 it
# states. No placement satisfies both; we keep the printed cells (and so the row totals and
# 2,244) and accept Örnsköldsvik = 978. (The alternative, 35 for Örnsköldsvik, would match
# every column but make the row 113 and the total 2,242.)
APRIL_SIP_TABLE: dict[str, dict[str, int]] = {
    "kommun": {
        "Härnösand": 15,
        "Timrå": 29,
        "Kramfors": 39,
        "Sollefteå": 8,
        "Ånge": 35,
        "Örnsköldsvik": 754,
        "Sundsvall": 152,
    },
    "primarvard": {
        "Härnösand": 75,
        "Timrå": 446,
        "Kramfors": 15,
        "Sollefteå": 8,
        "Ånge": 3,
        "Örnsköldsvik": 187,
        "Sundsvall": 363,
    },
    "slutenvard": {
        "Härnösand": 5,
        "Timrå": 5,
        "Kramfors": 17,
        "Sollefteå": 0,
        "Ånge": 2,
        "Örnsköldsvik": 37,
        "Sundsvall": 49,
    },
}
# The totals as the seed prints them (for the tests; see the note above on Örnsköldsvik).
APRIL_ROW_TOTALS = {"kommun": 1032, "primarvard": 1097, "slutenvard": 115}
APRIL_COLUMN_TOTALS = {
    "Härnösand": 95,
    "Timrå": 480,
    "Kramfors": 71,
    "Sollefteå": 16,
    "Ånge": 40,
    "Örnsköldsvik": 976,
    "Sundsvall": 564,
}
APRIL_TOTAL = 2244

SMALL_SIP_TABLE: dict[str, dict[str, int]] = {
    "kommun": {"Härnösand": 1, "Timrå": 2, "Sundsvall": 3},
    "primarvard": {"Härnösand": 1, "Timrå": 3, "Sundsvall": 3},
    "slutenvard": {"Härnösand": 0, "Timrå": 1, "Sundsvall": 1},
}

# ----------------------------------------------------------------------------- municipalities

CODES = {
    "Härnösand": "HAR",
    "Timrå": "TIM",
    "Kramfors": "KRA",
    "Sollefteå": "SOL",
    "Ånge": "ANG",
    "Örnsköldsvik": "OVK",
    "Sundsvall": "SVL",
}

# Localities: hälsocentraler (the first n, see _Size) and districts for home care.
LOCALITIES: dict[str, tuple[str, ...]] = {
    "Härnösand": ("Härnösand", "Säbrå", "Brunne", "Älandsbro", "Viksjö"),
    "Timrå": ("Timrå", "Bergeforsen", "Sörberge", "Söråker", "Fagervik"),
    "Kramfors": ("Kramfors", "Bollstabruk", "Ullånger", "Nordingrå", "Docksta"),
    "Sollefteå": ("Sollefteå", "Ramsele", "Junsele", "Näsåker", "Långsele"),
    "Ånge": ("Ånge", "Fränsta", "Ljungaverk", "Torpshammar"),
    "Örnsköldsvik": (
        "Gullänget",
        "Domsjö",
        "Själevad",
        "Bjästa",
        "Husum",
        "Bredbyn",
        "Arnäsvall",
        "Anundsjö",
    ),
    "Sundsvall": (
        "Nacksta",
        "Skönsberg",
        "Haga",
        "Sidsjön",
        "Granloholm",
        "Matfors",
        "Njurunda",
        "Kvissleby",
        "Stöde",
        "Alnö",
        "Birsta",
        "Bredsand",
    ),
}

POSTCODES = {
    "Härnösand": "871",
    "Timrå": "861",
    "Kramfors": "872",
    "Sollefteå": "881",
    "Ånge": "841",
    "Örnsköldsvik": "891",
    "Sundsvall": "856",
}

# Psychiatric outpatient units (regional) and which municipalities they serve.
PSYCH_OUTPATIENT: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("PSYK-SVL", "Psykiatrisk öppenvård Sundsvall", ("Sundsvall", "Timrå", "Ånge")),
    ("PSYK-SVL-PSYKOS", "Psykosmottagningen Sundsvall", ("Sundsvall",)),
    ("PSYK-SVL-BEROENDE", "Beroendemottagningen Sundsvall", ("Sundsvall", "Timrå")),
    ("PSYK-HAR", "Psykiatrisk öppenvård Härnösand", ("Härnösand", "Kramfors")),
    ("PSYK-SOL", "Psykiatrisk öppenvård Sollefteå", ("Sollefteå", "Kramfors")),
    ("PSYK-OVK", "Psykiatrisk öppenvård Örnsköldsvik", ("Örnsköldsvik",)),
)

# Hospitals: (code, city, somatic wards (number, speciality), psychiatric ward numbers).
HOSPITALS: tuple[tuple[str, str, tuple[tuple[int, str], ...], tuple[int, ...]], ...] = (
    (
        "SUS",
        "Sundsvall",
        (
            (11, "Medicin"),
            (12, "Medicin"),
            (13, "Kardiologi"),
            (21, "Kirurgi"),
            (22, "Ortopedi"),
            (31, "Geriatrik"),
            (32, "Strokeenhet"),
            (41, "Infektion"),
            (42, "Onkologi"),
        ),
        (51, 52, 53, 54),
    ),
    (
        "OVS",
        "Örnsköldsvik",
        ((1, "Medicin"), (2, "Medicin"), (5, "Kirurgi"), (6, "Ortopedi"), (8, "Geriatrik")),
        (1, 2),
    ),
    ("SOS", "Sollefteå", ((3, "Medicin"), (4, "Rehabilitering")), ()),
)

# Which hospital a municipality's patients are admitted to: (code, weight).
SOMATIC_HOSPITAL: dict[str, tuple[tuple[str, int], ...]] = {
    "Härnösand": (("SUS", 1),),
    "Timrå": (("SUS", 1),),
    "Kramfors": (("SUS", 1), ("SOS", 1)),
    "Sollefteå": (("SOS", 4), ("SUS", 1)),
    "Ånge": (("SUS", 1),),
    "Örnsköldsvik": (("OVS", 9), ("SUS", 1)),
    "Sundsvall": (("SUS", 1),),
}
PSYCH_HOSPITAL = {m: ("OVS" if m == "Örnsköldsvik" else "SUS") for m in CODES}

# ----------------------------------------------------------------------------- names


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FEMALE = _words(
    "Anna Astrid Agnes Alice Aina Amina Ann-Marie Anna-Karin Margareta Maria Elisabeth "
    "Kristina Birgitta Karin Ingrid Marianne Eva Gunnel Britt Barbro Ulla Inger Kerstin "
    "Solveig Märta Signe Elsa Greta Ingegerd Gunilla Lena Åsa Ella Sara Emma Linnéa Ebba "
    "Maja Siv Gun Berit Sonja Helena Ylva Majken Dagny Fatima Irma Hjördis Rut Elin Vera"
)
_MALE = _words(
    "Anders Arne Axel Alf Åke Ali Lars Karl Erik Per Olof Nils Gunnar Sven Bengt Bo Göran "
    "Lennart Rolf Kjell Sten Stig Hans Jan Leif Tord Ture Östen Björn Ragnar Gösta Evert "
    "Helge Ingvar Mats Johan Mikael Jonas Oskar Viktor Emil Per-Olof Jan-Erik Mohammed "
    "Torbjörn Sture Holger Yngve Ove"
)
# (surname, weight): common -son names dominate, as in the population register.
_SURNAMES: tuple[tuple[str, int], ...] = (
    ("Larsson", 9),
    ("Andersson", 9),
    ("Johansson", 8),
    ("Eriksson", 8),
    ("Nilsson", 7),
    ("Karlsson", 7),
    ("Persson", 6),
    ("Olsson", 6),
    ("Jonsson", 5),
    ("Svensson", 4),
    ("Gustafsson", 3),
    ("Pettersson", 3),
    ("Hansson", 2),
    ("Berglund", 3),
    ("Hägglund", 3),
    ("Sjölund", 2),
    ("Nordin", 3),
    ("Norberg", 2),
    ("Westin", 2),
    ("Byström", 2),
    ("Edlund", 2),
    ("Öhman", 2),
    ("Åberg", 2),
    ("Öberg", 2),
    ("Ängström", 1),
    ("Åström", 2),
    ("Östlund", 2),
    ("Sjöström", 2),
    ("Nordström", 2),
    ("Holmgren", 2),
    ("Lindström", 2),
    ("Sundqvist", 2),
    ("Forsberg", 2),
    ("Bergström", 2),
    ("Engström", 2),
    ("Wikström", 2),
    ("Dahlberg", 1),
    ("Lundgren", 1),
    ("Häggström", 1),
    ("Näslund", 1),
    ("Strömberg", 1),
    ("Hussein", 1),
    ("Nguyen", 1),
    ("Kowalski", 1),
    ("Yilmaz", 1),
)
_SURNAME_POOL = tuple(name for name, w in _SURNAMES for _ in range(w))

_PLACE_PREFIXES = _words(
    "Sol Björk Lind Ek Gran Tall Rönn Asp Hag Berg Sjö Strand Ängs Ljung Lärk Sval Fur Al "
    "Hassel Lönn Vide Ros Lilje Klöver"
)
_PLACE_SUFFIXES = tuple(
    ("gården backen hemmet lunden hagen udden höjden dalen vången torpet liden stranden").split()  # noqa: SIM905
)
_STREETS = _words(
    "Lärkvägen Tallstigen Björkgatan Storgatan Skolgatan Kyrkvägen Parkvägen Ängsvägen "
    "Backgatan Strandvägen Sjövägen Bruksgatan Nygatan Tegelbruksvägen Älvvägen Åsgatan"
)
_PROVIDERS = ("Nordomsorg AB", "Kustvård Omsorg AB", "Trygghetshemmen AB", "Omsorgshuset Mitt AB")
_RELATIONS = ("Dotter", "Son", "Maka", "Make", "Syster", "Bror", "Sambo", "God man")

# ----------------------------------------------------------------------------- sizes

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
                m: (*(c * k for c in counts[:6]), counts[6])  # type: ignore[misc]
                for m, counts in _REGION_UNITS.items()
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


# ----------------------------------------------------------------------------- helpers


def _ascii_upper(text: str) -> str:
    table = str.maketrans({"å": "a", "ä": "a", "ö": "o", "Å": "A", "Ä": "A", "Ö": "O", "é": "e"})
    return text.translate(table).upper().replace(" ", "-")


def _rng(seed: int, phase: str) -> random.Random:
    return random.Random(f"lcsp-demo/{seed}/{phase}")


def _allocate(total: int, shares: dict[str, float]) -> dict[str, int]:
    """Split ``total`` by ``shares`` exactly (largest remainder), in the dict's order."""
    s = sum(shares.values())
    raw = {k: total * v / s for k, v in shares.items()}
    out = {k: int(v) for k, v in raw.items()}
    rest = total - sum(out.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), list(raw).index(k)))[:rest]:
        out[k] += 1
    return out


def _numbered(names: Sequence[str], count: int) -> list[str]:
    """``count`` distinct names: the list, then the list again with " 2", " 3" … appended."""
    return [
        names[j % len(names)] + ("" if j < len(names) else f" {j // len(names) + 1}")
        for j in range(count)
    ]


class _Reporter:
    def __init__(self, progress: Progress | None, phase: str, total: int) -> None:
        self.progress, self.phase, self.total = progress, phase, total
        if progress:
            progress(phase, 0, total)

    def tick(self, done: int) -> None:
        if self.progress and done % PROGRESS_EVERY == 0:
            self.progress(self.phase, done, self.total)

    def finish(self) -> None:
        if self.progress and self.total % PROGRESS_EVERY:
            self.progress(self.phase, self.total, self.total)


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


# ----------------------------------------------------------------------------- patients


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
        digits = f"{year // 100:02d}{with_check_digit(nine)}"
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


# ----------------------------------------------------------------------------- admissions


def _date_between(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    return lo + dt.timedelta(days=rng.randint(0, max(0, (hi - lo).days)))


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
            seen_by_form[form] += 1
            if kind == 0:
                ready = _date_between(rng, admitted, cutoff)
            elif kind == 1:
                ready = _date_between(
                    rng, max(admitted, cutoff + dt.timedelta(days=1)), dt.date(2025, 10, 24)
                )
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
    return out


# ----------------------------------------------------------------------------- SIPs


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


# ----------------------------------------------------------------------------- messages


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


# ----------------------------------------------------------------------------- entry point


def generate(size: str = "region", seed: int = 1, progress: Progress | None = None) -> list[Record]:
    """The fictitious region's records, in dependency order (units, patients, admissions,
    SIPs, messages). Same ``size`` and ``seed`` → the same records.

    ``progress(phase, done, total)`` is called at the start of each phase (units, patients,
    admissions, sips, messages), every 1,000 records and at its end.
    """
    spec = _size(size)
    known = load_region().municipalities.names
    unknown = [m for m in spec.municipalities if m not in known]
    if unknown:  # the demo's tables must follow data/municipalities.toml
        raise ValueError(f"municipalities not in the region data: {unknown}")
    units, by_m, wards = _units(spec, seed)
    if progress:
        progress("units", len(units), len(units))
    patients = _patients(spec, seed, by_m, progress)
    admissions = _admissions(spec, seed, patients, wards, progress)
    sips = _sips(spec, seed, patients, admissions, by_m, wards, progress)
    messages = _messages(seed, patients, admissions, progress)
    records: list[Record] = []
    records += units
    records += patients
    records += admissions
    records += sips
    records += messages
    return records
