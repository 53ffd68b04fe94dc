"""The statistics as spreadsheet rows (``lcsp stats --csv``): Swedish headings, one section
after another, separated by an empty row. Counts only: no personnummer, no names of people.
Percentages use a decimal comma, as Swedish Excel reads them. The rows are written by the
one CSV writer (``lcsp_tui.csvout``), which keeps a spreadsheet from running any cell as a
formula."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lcsp_tui.domain.roles import ROLES
from lcsp_tui.domain.words import ORG_LABELS as ORG_LABELS  # (re-exported)
from lcsp_tui.stats.progress import Tally

if TYPE_CHECKING:
    from lcsp_tui.stats import Stats

STEP_NAMES = {
    "1": "Förregistrering av patienter (kommun)",
    "2": "Slutenvården startar vårdtillfällen",
    "3": "Primärvården",
    "4": "Psykiatrisk öppenvård",
    "5A": "Biståndshandläggare",
    "5B": "Kommunal HSL",
    "6": "Utskrivning (slutenvård)",
    "7": "SIP (samordningsansvarig)",
}
TALLY_HEAD = ["Klart", "Totalt", "Kvar", "Försenade", "Missade", "Procent klart"]


def percent_text(t: Tally) -> str:
    return f"{t.percent:.1f}".replace(".", ",")


def _tally(t: Tally) -> list[str]:
    return [str(t.done), str(t.total), str(t.open), str(t.overdue), str(t.missed), percent_text(t)]


def csv_rows(stats: Stats) -> list[list[object]]:
    """Every table of the statistics, for a spreadsheet."""
    munis = stats.region.municipalities.names
    p = stats.progress
    rows: list[list[object]] = [["Samordningsansvar", *munis, "Totalt"]]
    sip = stats.sip_by_coordinator
    for org in ORG_LABELS:
        rows.append([ORG_LABELS[org], *(str(sip[org][m]) for m in munis), str(sip[org]["total"])])

    rows += [[], ["Beslut om pågående SIP", *munis, "Totalt"]]
    dec = stats.decisions["by_municipality"]
    for key, label in (
        ("undecided", "Ej beslutade"),
        ("current", "Aktuella"),
        ("not_current", "Ej aktuella"),
        ("total", "Totalt"),
    ):
        rows.append([label, *(str(dec[m][key]) for m in munis), str(dec["total"][key])])

    rows += [[], ["Steg", "Vad", *TALLY_HEAD]]
    for s in stats.steps():
        rows.append([s, STEP_NAMES.get(s, ""), *_tally(p.by_step[s])])
    rows.append(["Totalt", "", *_tally(p.total)])

    rows += [[], ["Roll", "Namn", *TALLY_HEAD]]
    for role in stats.roles():
        rows.append([role, ROLES[role].name, *_tally(p.by_role[role])])

    rows += [[], ["Kommun", *TALLY_HEAD]]
    for m in munis:
        rows.append([m, *_tally(p.by_municipality.get(m, Tally()))])
    rows.append(["Totalt", *_tally(p.total)])

    rows += [[], ["Kvar (öppna punkter) per steg", *munis, "Totalt"]]
    for s in stats.steps():
        cells = p.by_step_municipality[s]
        rows.append([s, *(str(cells.get(m, Tally()).open) for m in munis), str(p.by_step[s].open)])
    rows.append(
        ["Totalt", *(str(p.by_municipality.get(m, Tally()).open) for m in munis), str(p.total.open)]
    )

    rows += [[], ["Enhet", "Namn", "Kommun", *TALLY_HEAD]]
    for u in stats.unit_rows():
        rows.append([u.unit or "", u.name, u.municipality or "", *_tally(u.tally)])

    rows += [[], ["Enhet", "Namn", "Okvitterade meddelanden", "Äldsta skickat"]]
    for um in stats.unacknowledged:
        rows.append([um["unit"], um["name"], str(um["unacknowledged"]), str(um["oldest"])])

    rows += [[], ["Avdelning", "Namn", "Kan behöva flyttas till Lifecare SP", "Ej startade i LCSP"]]
    for fl in stats.flagged["by_unit"]:
        rows.append([fl["unit"], fl["name"], str(fl["flagged"]), str(fl["not_started"])])

    if stats.burndown is not None:
        b = stats.burndown
        rows += [[], ["Dag", "Kvar", "Enligt plan", "Klara under dagen"]]
        for d, left, plan, done in zip(b.days, b.remaining, b.planned, b.done, strict=True):
            if d <= b.today:
                rows.append([d.isoformat(), str(left), str(plan), str(done)])
    return rows
