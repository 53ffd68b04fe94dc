"""The statistics as people read them in a terminal (``lcsp stats``): titled tables whose
columns are as wide as their widest cell, numbers right-aligned and written the Swedish way
(``1 913``, ``13,3 %``), times as ``30/9 10:00``. ``text_table`` lays out any such table
(the CLI's worklist, audit trail and import summary use it too); it and ``when_text`` live
in the light ``lcsp_tui.textout`` and are re-exported here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lcsp_tui.domain.roles import ROLES
from lcsp_tui.domain.when import day_text
from lcsp_tui.domain.words import NBSP, num
from lcsp_tui.stats.export import ORG_LABELS, STEP_NAMES, percent_text
from lcsp_tui.stats.progress import Tally
from lcsp_tui.textout import text_table as text_table
from lcsp_tui.textout import when_text as when_text

if TYPE_CHECKING:
    from lcsp_tui.stats import Stats

TALLY_HEAD = ["Klart", "Totalt", "Kvar", "Försenade", "Missade", "Andel klart"]


def percent(t: Tally) -> str:
    """``13,3 %`` (decimal comma, a no-break space before the sign)."""
    return f"{percent_text(t)}{NBSP}%"


def _tally(t: Tally) -> list[str]:
    return [num(t.done), num(t.total), num(t.open), num(t.overdue), num(t.missed), percent(t)]


def stats_text(stats: Stats) -> str:
    """Every table of ``lcsp stats``, each under its title, separated by an empty line."""
    munis = stats.region.municipalities.names
    p = stats.progress
    year = stats.now.year
    blocks: list[list[str]] = []

    def table(title: str, head: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> None:
        blocks.append([title, *text_table(head, rows, align)])

    def note(title: str, text: str) -> None:
        blocks.append([title, text])

    by_muni = "l" + "r" * (len(munis) + 1)
    sip = stats.sip_by_coordinator
    table(
        "Pågående SIP:ar per samordningsansvar och kommun",
        ["Samordningsansvar", *munis, "Totalt"],
        [
            [ORG_LABELS[o], *(num(sip[o][m]) for m in munis), num(sip[o]["total"])]
            for o in ORG_LABELS
        ],
        by_muni,
    )
    dec = stats.decisions["by_municipality"]
    table(
        "Beslut om pågående SIP:ar (aktuell eller ej aktuell)",
        ["Beslut", *munis, "Totalt"],
        [
            [label, *(num(dec[m][key]) for m in munis), num(dec["total"][key])]
            for key, label in (
                ("undecided", "Ej beslutade"),
                ("current", "Aktuella"),
                ("not_current", "Ej aktuella"),
                ("total", "Totalt"),
            )
        ],
        by_muni,
    )
    tally = "r" * len(TALLY_HEAD)
    table(
        "Framdrift per steg",
        ["Steg", "Vad", *TALLY_HEAD],
        [[s, STEP_NAMES.get(s, ""), *_tally(p.by_step[s])] for s in stats.steps()]
        + [["Totalt", "", *_tally(p.total)]],
        "ll" + tally,
    )
    table(
        "Framdrift per roll",
        ["Roll", *TALLY_HEAD],
        [[ROLES[r].name, *_tally(p.by_role[r])] for r in stats.roles()],
        "l" + tally,
    )
    table(
        "Framdrift per kommun",
        ["Kommun", *TALLY_HEAD],
        [[m, *_tally(p.by_municipality.get(m, Tally()))] for m in munis]
        + [["Totalt", *_tally(p.total)]],
        "l" + tally,
    )
    table(
        "Kvar (öppna punkter) per steg och kommun",
        ["Steg", *munis, "Totalt"],
        open_by_step(stats, munis, "Totalt"),
        by_muni,
    )
    table(
        "Framdrift per enhet (de som ligger mest efter först)",
        ["Enhet", "Namn", "Kommun", *TALLY_HEAD],
        [[u.unit or "", u.name, u.municipality or "", *_tally(u.tally)] for u in stats.unit_rows()],
        "lll" + tally,
    )
    title = "Okvitterade Prator-meddelanden per enhet"
    if stats.unacknowledged:
        table(
            title,
            ["Enhet", "Namn", "Okvitterade", "Äldsta skickat"],
            [
                [r["unit"], r["name"], num(r["unacknowledged"]), when_text(r["oldest"], year)]
                for r in stats.unacknowledged
            ],
            "llrr",
        )
    else:
        note(title, "Inga okvitterade meddelanden.")
    title = "Kan behöva flyttas till Lifecare SP (utskrivningsklar flyttad efter brytdatum)"
    if stats.flagged["by_unit"]:
        table(
            title,
            ["Avdelning", "Namn", "Flaggade", "Ej startade i LCSP"],
            [
                [r["unit"], r["name"], num(r["flagged"]), num(r["not_started"])]
                for r in stats.flagged["by_unit"]
            ],
            "llrr",
        )
    else:
        note(title, "Inga flaggade vårdtillfällen.")
    b = stats.burndown
    if b is not None:
        table(
            f"Kvar att göra över tid (öppna punkter vid dagens slut, av {num(b.total)})",
            ["Dag", "Kvar", "Enligt plan", "Klara under dagen"],
            [
                [
                    day_text(dt.datetime.combine(d, dt.time()), this_year=year)
                    + (" (i dag)" if d == b.today else ""),
                    num(left),
                    num(plan),
                    num(done),
                ]
                for d, left, plan, done in zip(b.days, b.remaining, b.planned, b.done, strict=True)
                if d <= b.today
            ],
            "lrrr",
        )
    head = f"Statistik för hela regionen – läget {day_text(stats.now, this_year=year)}"
    return "\n\n".join("\n".join(b) for b in [[head], *blocks])


def open_by_step(stats: Stats, munis: Sequence[str], total: str) -> list[list[str]]:
    """Open items per step and municipality, a row a step and the total row (``total``):
    one table for ``lcsp stats`` and the report."""
    p = stats.progress
    return [
        [
            s,
            *(num(p.by_step_municipality[s].get(m, Tally()).open) for m in munis),
            num(p.by_step[s].open),
        ]
        for s in stats.steps()
    ] + [
        [
            total,
            *(num(p.by_municipality.get(m, Tally()).open) for m in munis),
            num(p.total.open),
        ]
    ]
