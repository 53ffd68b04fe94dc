"""Municipalities, localities, postcodes, psychiatric outpatient units and hospitals."""

from __future__ import annotations

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
