"""The seed's table of ongoing SIPs (April 2025) and the small size's miniature of it."""

from __future__ import annotations

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
