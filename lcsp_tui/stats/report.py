"""The weekly status report (``lcsp report``): Markdown with the tables and the numbers
behind the burndown ("Kvar att göra över tid"). Counts, units and municipalities only —
never a person. Dates carry the year when it is not the report's own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lcsp_tui import timeline as tl
from lcsp_tui.domain.roles import ROLES
from lcsp_tui.domain.when import day_text
from lcsp_tui.domain.words import num, plural
from lcsp_tui.stats.export import ORG_LABELS, STEP_NAMES
from lcsp_tui.stats.progress import Tally
from lcsp_tui.stats.text import open_by_step, when_text

if TYPE_CHECKING:
    from lcsp_tui.stats import Stats

TOP = 15  # rows in the "worst first" tables
RECENT_DAYS = 14  # burndown rows before today


def pct(t: Tally) -> str:
    return f"{t.percent:.0f}\u00a0%"


def _esc(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(head: Sequence[str], rows: Sequence[Sequence[object]], right_from: int = 1) -> str:
    """A Markdown table; columns from ``right_from`` on are right-aligned (numbers)."""
    align = ["---" if k < right_from else "---:" for k in range(len(head))]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_esc(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _tally_cells(t: Tally) -> list[str]:
    return [num(t.done), num(t.total), num(t.open), num(t.overdue), num(t.missed), pct(t)]


TALLY_HEAD = ["Klart", "Totalt", "Kvar", "Försenade", "Missade", "Klart %"]


def _day(d: dt.date, year: int) -> str:
    """``tis 30/9``, with the year when it is not ``year`` (``lör 12/11 2078``)."""
    return day_text(dt.datetime.combine(d, dt.time()), this_year=year)


def report(stats: Stats, *, env: str, simulated: bool) -> str:
    """The whole report as Markdown."""
    now = stats.now
    year = now.year
    p = stats.progress
    munis = stats.region.municipalities.names
    timeline = stats.region.timeline
    ro, arch = tl.countdowns(now, timeline)
    phases = timeline.current_phases(now)
    out: list[str] = [
        "# Lägesrapport: övergång Prator → Lifecare SP",
        "",
        f"Genererad {tl.day_text(now)} · miljö: {env}"
        + (" · simulerat datum (övning)" if simulated else ""),
        "",
        "## Läget",
        "",
        "- Pågår nu: "
        + ("; ".join(f"{ph.label} ({ph.when})" for ph in phases) or "inget steg i tidplanen"),
        f"- {ro.label}: {ro.text()}",
        f"- {arch.label}: {arch.text()}",
        f"- Framdrift: {num(p.total.done)} av {num(p.total.total)} punkter klara ({pct(p.total)}), "
        f"{plural(p.total.overdue, 'försenad', 'försenade')}, "
        f"{plural(p.total.missed, 'missad Prator-åtgärd', 'missade Prator-åtgärder')}",
    ]
    flagged = stats.flagged
    out.append(
        "- Kan behöva flyttas till Lifecare SP: "
        f"{plural(flagged['total'], 'vårdtillfälle', 'vårdtillfällen')} "
        f"({plural(flagged['not_started'], 'ej startat', 'ej startade')} i LCSP)"
    )
    dec = stats.decisions["by_municipality"]["total"]
    out.append(
        f"- Pågående SIP:ar utan beslut (aktuell/ej aktuell): {num(dec['undecided'])} av {num(dec['total'])}"
    )
    unacked = sum(int(r["unacknowledged"]) for r in stats.unacknowledged)
    out.append(
        f"- Okvitterade meddelanden: {num(unacked)} hos "
        f"{plural(len(stats.unacknowledged), 'enhet', 'enheter')}"
    )
    b = stats.burndown
    if b is not None:
        left, plan = b.at(b.today)
        end = b.projected_end()
        pace = b.pace()
        out.append(
            f"- Kvar att göra över tid: {num(left)} punkter kvar i dag mot {num(plan)} enligt "
            f"plan; takt de senaste 7 dagarna {num(round(pace))} per dag"
            + (f", i den takten klart {_day(end, year)}" if end else "")
        )

    out += ["", "## Framdrift per steg", ""]
    out.append(
        table(
            ["Steg", "Vad", *TALLY_HEAD],
            [[s, STEP_NAMES.get(s, ""), *_tally_cells(p.by_step[s])] for s in stats.steps()]
            + [["**Totalt**", "", *_tally_cells(p.total)]],
            right_from=2,
        )
    )
    out += ["", "## Framdrift per roll", ""]
    out.append(
        table(
            ["Roll", *TALLY_HEAD],
            [[ROLES[r].name, *_tally_cells(p.by_role[r])] for r in stats.roles()],
        )
    )
    out += ["", "## Kvar per steg och kommun", ""]
    out.append(
        table(
            ["Steg", *munis, "Totalt"],
            open_by_step(stats, munis, "**Totalt**"),
        )
    )
    out += ["", f"## Enheter som ligger efter (de {TOP} med mest kvar att göra)", ""]
    out.append(
        table(
            ["Enhet", "Kommun", *TALLY_HEAD],
            [
                [u.name, u.municipality or "", *_tally_cells(u.tally)]
                for u in stats.unit_rows()[:TOP]
            ],
            right_from=2,
        )
    )
    out += ["", "## Pågående SIP:ar per samordningsansvar och kommun", ""]
    sip = stats.sip_by_coordinator
    out.append(
        table(
            ["Samordningsansvar", *munis, "Totalt"],
            [
                [ORG_LABELS[o], *(num(sip[o][m]) for m in munis), num(sip[o]["total"])]
                for o in ORG_LABELS
            ],
        )
    )
    out += ["", "## Beslut om pågående SIP:ar", ""]
    by_muni = stats.decisions["by_municipality"]
    out.append(
        table(
            ["", *munis, "Totalt"],
            [
                [label, *(num(by_muni[m][k]) for m in munis), num(by_muni["total"][k])]
                for k, label in (
                    ("undecided", "Ej beslutade"),
                    ("current", "Aktuella"),
                    ("not_current", "Ej aktuella"),
                    ("total", "Totalt"),
                )
            ],
        )
    )
    out += ["", f"## Okvitterade meddelanden per enhet (de {TOP} med flest)", ""]
    out.append(
        table(
            ["Enhet", "Okvitterade", "Äldsta skickat"],
            [
                [r["name"], num(r["unacknowledged"]), when_text(r["oldest"], year)]
                for r in stats.unacknowledged[:TOP]
            ],
        )
        if stats.unacknowledged
        else "Inga okvitterade meddelanden."
    )
    out += [
        "",
        "## Kan behöva flyttas till Lifecare SP (utskrivningsklar flyttad efter brytdatum)",
        "",
    ]
    by_ward = flagged["by_unit"]
    out.append(
        table(
            ["Avdelning", "Flaggade", "Ej startade i LCSP"],
            [[r["name"], num(r["flagged"]), num(r["not_started"])] for r in by_ward],
        )
        if by_ward
        else "Inga flaggade vårdtillfällen."
    )
    out += ["", "## Missade Prator-åtgärder", ""]
    missed = stats.missed()
    if not stats.read_only:
        out.append(f"Prator är inte i läsläge ännu ({ro.text()}): inga åtgärder är missade.")
    elif not missed["total"]:
        out.append("Inga missade Prator-åtgärder.")
    else:
        out.append(
            table(
                ["Enhet", "Missade"],
                [[r["name"], num(r["missed"])] for r in missed["by_unit"][:TOP]],
            )
        )
    if b is not None:
        out += ["", "## Kvar att göra över tid: siffrorna bakom diagrammet", ""]
        k = b.days.index(b.today)
        lo = max(0, k - RECENT_DAYS)
        rows = [
            [
                _day(d, year) + (" (i dag)" if d == b.today else ""),
                num(r),
                num(pl),
                num(n) if d <= b.today else "",
            ]
            for d, r, pl, n in list(zip(b.days, b.remaining, b.planned, b.done, strict=True))[lo:]
        ]
        out.append(
            f"Öppna punkter vid dagens slut av {num(b.total)} som gäller nu; planen: varje stegs punkter "
            "betas av jämnt under stegets fönster i tidplanen. Dagarna innan:"
            f" {num(sum(b.done[:lo]))} klara före {_day(b.days[lo], year)}."
        )
        out += ["", table(["Dag", "Kvar", "Enligt plan", "Klara under dagen"], rows)]
    out.append("")
    return "\n".join(out)
