"""The dashboard's tables, filled from ``Stats``. Each builder returns, for every cell with
subjects behind it, the drill-down ``Selector`` and a title (keyed by row and column key;
the column key is None for tables that select whole rows).

Every row is shown (units are a few hundred at most): no cap hides work. The overview's
values wrap within their column, so its lines fit 80 columns."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from rich.text import Text
from textual.widgets import DataTable

from lcsp_tui import timeline as tl
from lcsp_tui.domain.roles import ROLES
from lcsp_tui.domain.words import num, plural
from lcsp_tui.rows import WITHOUT_UNIT, Selector
from lcsp_tui.stats import Stats
from lcsp_tui.stats.export import ORG_LABELS, STEP_NAMES
from lcsp_tui.stats.progress import Tally
from screens.burndown import OVER_TIME, end_text
from screens.widgets import shorten

Key = tuple[str | None, str | None]
Target = tuple[Selector, str] | Literal["burndown"]
Cells = dict[Key, Target]
PROGRESS_VIEWS = ("steg", "kommun", "roll", "enhet")
TALLY_WIDTHS = {"done": 6, "total": 6, "open": 6, "overdue": 8, "missed": 6, "pct": 5}


def pct(t: Tally) -> str:
    return f"{t.percent:.0f} %"


def open_cell(t: Tally | None) -> Text:
    """Open items: red when some are overdue, a green tick when all are done."""
    if t is None or t.total == 0:
        return Text("–", style="dim", justify="right")
    if t.open == 0:
        return Text("✓", style="green", justify="right")
    return Text(num(t.open), style="bold red" if t.overdue else "", justify="right")


def num_cell(n: int, style: str = "") -> Text:
    return Text(num(n), style=style if n else "dim", justify="right")


def _reset(table: DataTable[object], cursor: Literal["row", "cell"]) -> tuple[int, int]:
    keep = table.cursor_coordinate
    table.clear(columns=True)
    table.cursor_type = cursor
    return keep.row, keep.column


def _restore(table: DataTable[object], keep: tuple[int, int]) -> None:
    if table.row_count:
        row = min(keep[0], table.row_count - 1)
        col = min(keep[1], len(table.columns) - 1)
        table.move_cursor(row=row, column=col, animate=False)


# ------------------------------------------------------------------ overview


def overview_table(table: DataTable[object], s: Stats, width: int) -> Cells:
    keep = _reset(table, "row")
    p = s.progress
    year = s.now.year
    label_w = 26
    table.add_column("Nyckeltal", width=label_w, key="label")
    # One cell of padding either side of each column; 2 for a scrollbar.
    table.add_column("Läget", width=max(20, width - label_w - 6), key="value")
    cells: Cells = {}
    ro, arch = tl.countdowns(s.now, s.region.timeline)

    def row(key: str, label: str, value: Text | str, target: Target | None = None) -> None:
        # height None: a long value wraps within its column instead of running off it
        table.add_row(Text(label, style="bold"), value, key=key, height=None)
        if target is not None:
            cells[(key, None)] = target

    phases = s.region.timeline.current_phases(s.now)
    # A phase without steps by the first words of its label ("Förberedelser"); the Tidplan
    # tab has the whole.
    now_text = " · ".join(
        (f"steg {'–'.join(ph.all_steps)}" if ph.all_steps else ph.label.split(" – ")[0])
        + (f" till {tl.day_text(ph.due, end_of_day=True, this_year=year)}" if ph.due else "")
        for ph in phases
    )
    row("nu", "Pågår nu", now_text or "inget steg i tidplanen")
    row("lasläge", "Prator i läsläge", Text(ro.text(), style="bold red" if ro.days <= 3 else ""))
    row("arkivering", "Arkivering börjar", arch.text())
    row(
        "klart",
        "Klart",
        f"{num(p.total.done)} av {plural(p.total.total, 'punkt', 'punkter')} ({pct(p.total)})",
        (Selector("progress", only="open"), "Öppna punkter i hela regionen"),
    )
    row(
        "forsenat",
        "Försenade punkter",
        Text(num(p.total.overdue), style="bold red" if p.total.overdue else "green"),
        (Selector("progress", only="overdue"), "Försenade punkter"),
    )
    if s.read_only:
        missed: Text | str = Text(
            num(p.total.missed), style="bold red" if p.total.missed else "green"
        )
    else:
        missed = Text(
            f"inga än (Prator i läsläge {tl.day_text(ro.at, this_year=year)})", style="dim"
        )
    row(
        "missat",
        "Missade Prator-åtgärder",
        missed,
        (Selector("progress", only="missed"), "Missade Prator-åtgärder") if s.read_only else None,
    )
    flagged = int(s.flagged["total"])
    not_started = int(s.flagged["not_started"])
    row(
        "flaggade",
        "Kan behöva flyttas",
        Text(
            f"{plural(flagged, 'vårdtillfälle', 'vårdtillfällen')} till LCSP "
            f"({plural(not_started, 'ej startat', 'ej startade')} där)",
            style="bold magenta" if not_started else "",
        ),
        (Selector("flagged"), "Kan behöva flyttas till Lifecare SP"),
    )
    dec = s.decisions["by_municipality"]["total"]
    row(
        "obeslutade",
        "SIP:ar utan beslut",
        f"{num(dec['undecided'])} av {num(dec['total'])} pågående (aktuell / ej aktuell)",
        (Selector("undecided"), "SIP:ar utan beslut"),
    )
    unacked = sum(int(r["unacknowledged"]) for r in s.unacknowledged)
    row(
        "okvitterat",
        "Okvitterade meddelanden",
        Text(
            f"{num(unacked)} hos {plural(len(s.unacknowledged), 'enhet', 'enheter')}",
            style="cyan" if unacked else "green",
        ),
        (Selector("unacknowledged"), "Okvitterade meddelanden"),
    )
    orphans = p.by_unit.get(None)
    if orphans is not None and orphans.total:
        row(
            "utan-enhet",
            "Förregistrering utan enhet",
            Text(
                f"{plural(orphans.open, 'öppen punkt', 'öppna punkter')} på ingens arbetslista",
                style="yellow",
            ),
            (
                Selector("progress", unit=WITHOUT_UNIT, only="open"),
                "Förregistrering utan enhet (på ingens arbetslista)",
            ),
        )
    if s.burndown is not None:
        b = s.burndown
        left, plan = b.at(b.today)
        end = b.projected_end()
        text = Text(f"{num(left)} kvar, plan {num(round(plan))}")
        if end is not None and left:
            text.append(f", i nuvarande takt klart {end_text(end, b.today)}")
        row("burndown", OVER_TIME, text, "burndown")
    if keep == (0, 0):  # first time: on the first figure with subjects behind it
        keep = (3, 0)
    _restore(table, keep)
    return cells


# ------------------------------------------------------------------ progress


def right(label: str) -> Text:
    return Text(label, justify="right")


def _tally_cols(table: DataTable[object], wide: bool) -> None:
    w = TALLY_WIDTHS
    table.add_column(right("Klart"), width=w["done"], key="done")
    table.add_column(right("Totalt"), width=w["total"], key="total")
    table.add_column(right("Kvar"), width=w["open"], key="open")
    table.add_column(right("Försenat"), width=w["overdue"], key="overdue")
    if wide:
        table.add_column(right("Missat"), width=w["missed"], key="missed")
    table.add_column(right("%"), width=w["pct"], key="pct")


def tally_width(wide: bool) -> int:
    """The tally columns' cells, each with its padding."""
    return sum(w + 2 for k, w in TALLY_WIDTHS.items() if wide or k != "missed")


def _tally_cells(t: Tally, wide: bool) -> list[Text]:
    out = [num_cell(t.done), num_cell(t.total), open_cell(t), num_cell(t.overdue, "bold red")]
    if wide:
        out.append(num_cell(t.missed, "bold red"))
    out.append(Text(pct(t), justify="right"))
    return out


def progress_table(table: DataTable[object], s: Stats, view: str, width: int) -> tuple[Text, Cells]:
    wide = width >= 110
    p = s.progress
    cells: Cells = {}
    title = Text()
    hint = "  v: byt vy · Enter: patienterna"
    fixed = tally_width(wide) + 2  # the tally columns and a scrollbar
    if view == "kommun":
        keep = _reset(table, "cell")
        munis = s.region.municipalities.names
        title.append("Kvar att göra per steg och kommun", style="bold")
        title.append(" – rött: försenat", style="red")
        table.add_column("Steg", width=4, key="step")
        mw = 12 if wide else 6
        for m in munis:
            short = m if wide else s.region.municipalities.get(m).short or m
            table.add_column(right(shorten(short, mw)), width=mw, key=m)
        table.add_column(right("Totalt"), width=7, key="total")
        for step in [*s.steps(), None]:
            row = p.by_step_municipality.get(step, {}) if step else p.by_municipality
            total = p.by_step[step] if step else p.total
            key = step or "totalt"
            table.add_row(
                Text(step or "Tot", style="bold"),
                *(open_cell(row.get(m)) for m in munis),
                open_cell(total),
                key=key,
            )
            what = f"steg {step}" if step else "alla steg"
            for mu in [*munis, None]:
                cells[(key, mu or "total")] = (
                    Selector("progress", step=step, municipality=mu, only="open"),
                    f"Öppna punkter, {what}" + (f", {mu}" if mu else ""),
                )
            cells[(key, "step")] = cells[(key, "total")]
    elif view == "roll":
        keep = _reset(table, "row")
        title.append("Framdrift per roll", style="bold")
        table.add_column("Roll", width=30 if wide else 18, key="name")
        _tally_cols(table, wide)
        for r in s.roles():
            table.add_row(
                shorten(ROLES[r].name, 30 if wide else 18), *_tally_cells(p.by_role[r], wide), key=r
            )
            cells[(r, None)] = (
                Selector("progress", role=r, only="open"),
                f"Öppna punkter, {ROLES[r].name}",
            )
    elif view == "enhet":
        keep = _reset(table, "row")
        rows = s.unit_rows()
        title.append(
            f"Framdrift per enhet ({num(len(rows))}), de som ligger mest efter först", style="bold"
        )
        nw = max(16, min(48, width - fixed - 2 - (14 if wide else 0)))
        table.add_column("Enhet", width=nw, key="name")
        if wide:
            table.add_column("Kommun", width=12, key="muni")
        _tally_cols(table, wide)
        for u in rows:
            key = u.unit if u.unit is not None else WITHOUT_UNIT
            name = Text(shorten(u.name, nw), style="yellow" if u.unit is None else "")
            extra = [u.municipality or ""] if wide else []
            table.add_row(name, *extra, *_tally_cells(u.tally, wide), key=key or "-")
            cells[(key or "-", None)] = (
                Selector("progress", unit=key, only="open"),
                f"Öppna punkter, {u.name}",
            )
    else:
        keep = _reset(table, "row")
        title.append("Framdrift per steg", style="bold")
        nw = max(14, min(max(map(len, STEP_NAMES.values())), width - fixed - 8))
        table.add_column("Steg", width=4, key="step")
        table.add_column("Vad", width=nw, key="name")
        _tally_cols(table, wide)
        for step in s.steps():
            table.add_row(
                Text(step, style="bold"),
                shorten(STEP_NAMES.get(step, ""), nw),
                *_tally_cells(p.by_step[step], wide),
                key=step,
            )
            cells[(step, None)] = (
                Selector("progress", step=step, only="open"),
                f"Öppna punkter, steg {step}",
            )
        table.add_row(
            Text("Tot", style="bold"), "Alla steg", *_tally_cells(p.total, wide), key="totalt"
        )
        cells[("totalt", None)] = (
            Selector("progress", only="open"),
            "Öppna punkter i hela regionen",
        )
    title.append(hint, style="dim")
    _restore(table, keep)
    return title, cells


# ------------------------------------------------------------------ SIP


def sip_table(table: DataTable[object], s: Stats, wide: bool) -> Cells:
    keep = _reset(table, "cell")
    munis = s.region.municipalities.names
    cells: Cells = {}
    mw = 12 if wide else 6
    table.add_column("", width=12 if wide else 11, key="org")
    for m in munis:
        short = m if wide else s.region.municipalities.get(m).short or m
        table.add_column(right(shorten(short, mw)), width=mw, key=m)
    table.add_column(right("Totalt"), width=7, key="total")
    sip = s.sip_by_coordinator
    for org, label in ORG_LABELS.items():
        row = sip[org]
        style = "bold" if org == "total" else ""
        table.add_row(
            Text(label, style="bold"),
            *(num_cell(row[m], style) for m in munis),
            num_cell(row["total"], "bold"),
            key=org,
        )
        for mu in [*munis, None]:
            cells[(org, mu or "total")] = (
                Selector("sips", org=None if org == "total" else org, municipality=mu),
                f"Pågående SIP:ar, {label.lower()}" + (f", {mu}" if mu else ""),
            )
    dec = s.decisions["by_municipality"]
    for key, label, style in (
        ("undecided", "Ej beslut", "bold yellow"),
        ("current", "Aktuella", ""),
        ("not_current", "Ej aktuella", ""),
    ):
        table.add_row(
            Text(label, style="italic"),
            *(num_cell(dec[m][key], style) for m in munis),
            num_cell(dec["total"][key], "bold"),
            key=key,
        )
        if key == "undecided":
            for mu in [*munis, None]:
                cells[(key, mu or "total")] = (
                    Selector("undecided", municipality=mu),
                    "SIP:ar utan beslut" + (f", {mu}" if mu else ""),
                )
    _restore(table, keep)
    return cells


# ------------------------------------------------------------------ escalation


def escalation_table(table: DataTable[object], s: Stats, width: int) -> Cells:
    keep = _reset(table, "row")
    cells: Cells = {}
    year = s.now.year
    note_w = 26
    nw = max(24, min(60, width - note_w - 7 - 8))
    table.add_column("Enhet", width=nw, key="name")
    table.add_column(right("Antal"), width=7, key="n")
    table.add_column("", width=note_w, key="note")

    def head(key: str, text: str) -> None:
        table.add_row(Text(text, style="bold underline"), "", "", key=key)

    head("h-missat", "Missade Prator-åtgärder")
    missed = s.missed()
    ro, _ = tl.countdowns(s.now, s.region.timeline)
    if not s.read_only:
        when = Text(f"Prator i läsläge {tl.day_text(ro.at, this_year=year)}", style="dim")
        table.add_row(Text("  inga än", style="dim"), "", when, key="m-none")
    elif not missed["total"]:
        table.add_row(Text("  inga", style="green"), "", "", key="m-none")
    for r in missed["by_unit"]:
        key = f"m:{r['unit'] or '-'}"
        name = str(r["name"] or "(ingen enhet)")
        table.add_row("  " + shorten(name, nw - 2), num_cell(r["missed"], "bold red"), "", key=key)
        unit = r["unit"] if r["unit"] is not None else WITHOUT_UNIT
        cells[(key, None)] = (
            Selector("progress", unit=unit, only="missed"),
            f"Missade Prator-åtgärder, {r['name']}",
        )
    head("h-flaggade", "Kan behöva flyttas till Lifecare SP")
    by_ward = s.flagged["by_unit"]
    if not by_ward:
        table.add_row(Text("  inga", style="green"), "", "", key="f-none")
    for fl in by_ward:
        key = f"f:{fl['unit']}"
        note = Text(
            f"{plural(int(fl['not_started']), 'ej startat', 'ej startade')} i LCSP",
            style="bold magenta" if fl["not_started"] else "dim",
        )
        table.add_row(
            "  " + shorten(str(fl["name"]), nw - 2), num_cell(fl["flagged"]), note, key=key
        )
        cells[(key, None)] = (
            Selector("flagged", unit=str(fl["unit"])),
            f"Kan behöva flyttas till Lifecare SP, {fl['name']}",
        )
    head(
        "h-okvitterat",
        "Missade kvitteringar (Prator i läsläge), flest först"
        if s.read_only  # they can no longer be acknowledged
        else "Okvitterade meddelanden, flest först",
    )
    if not s.unacknowledged:
        table.add_row(Text("  inga", style="green"), "", "", key="k-none")
    for um in s.unacknowledged:
        key = f"k:{um['unit']}"
        oldest = dt.datetime.fromisoformat(str(um["oldest"])) if um["oldest"] else None
        table.add_row(
            "  " + shorten(str(um["name"]), nw - 2),
            num_cell(int(um["unacknowledged"]), "bold red" if um["missed"] else "cyan"),
            Text(f"äldsta {tl.day_text(oldest, this_year=year)}" if oldest else "", style="dim"),
            key=key,
        )
        cells[(key, None)] = (
            Selector("unacknowledged", unit=str(um["unit"])),
            f"Okvitterade meddelanden, {um['name']}",
        )
    _restore(table, keep)
    return cells
