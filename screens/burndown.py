"""What is left to do over time ("Kvar att göra över tid", a burndown) as a chart in the
terminal (textual-plotext): open items at the end of each day against the plan, today marked.
Above it, the figures in one or two lines; below it, the legend on a line of its own (never
drawn over the chart's lines)."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from lcsp_tui.domain.when import day_text
from lcsp_tui.domain.words import NBSP, num
from lcsp_tui.stats.burndown import Burndown

OVER_TIME = "Kvar att göra över tid"  # the seed's words for the burndown
AROUND_TODAY = 28  # days shown before the read-only day (or today), unless the whole period
PLAN_COLOUR, LEFT_COLOUR, TODAY_COLOUR = "blue", "red", "green"


def fmt(n: float | int | None) -> str:
    """``1 913`` (rounded to a whole number); ``–`` for none."""
    return num(None if n is None else round(n))


def end_text(end: dt.date, today: dt.date) -> str:
    """``mån 5/1`` (``mån 5/1 2026`` when it is not this year's)."""
    return day_text(dt.datetime.combine(end, dt.time()), this_year=today.year)


def legend() -> Text:
    """The chart's legend, for a line of its own below the chart."""
    t = Text()
    t.append("▀▀", style=PLAN_COLOUR)
    t.append(" plan   ")
    t.append("▄▄", style=LEFT_COLOUR)
    t.append(" kvar   ")
    t.append("│", style=TODAY_COLOUR)
    t.append(" i dag")
    return t


def burndown_numbers(b: Burndown) -> Text:
    left, plan = b.at(b.today)
    t = Text()
    t.append("Kvar i dag ", style="bold")
    behind = (left or 0) - plan
    t.append(fmt(left), style="bold red" if behind > 0 else "bold green")
    t.append(f" av {fmt(b.total)} · enligt plan {fmt(plan)}")
    if behind > 0:
        t.append(f" ({fmt(behind)} efter)", style="red")
    pace = b.pace()
    rate = f"{pace:,.1f}" if pace < 100 else f"{pace:,.0f}"
    t.append(" · takt 7 dagar: " + rate.replace(",", NBSP).replace(".", ",") + " per dag")
    end = b.projected_end()
    if end is not None and left:
        t.append(f" · i den takten klart {end_text(end, b.today)}")
    elif left:
        t.append(" · ingen takt att räkna på", style="dim")
    return t


class BurndownChart(PlotextPlot):
    """Open items per day (remaining) and the plan, from a ``Burndown``."""

    def show(self, b: Burndown, whole: bool) -> None:
        lo, hi = 0, len(b.days)
        if not whole:
            k = b.days.index(b.today)
            lo = max(0, hi - 1 - AROUND_TODAY)
            if k < lo:  # today is long before the read-only day: the weeks around today
                lo = max(0, k - AROUND_TODAY // 2)
                hi = min(hi, lo + AROUND_TODAY + 1)
        days = list(b.days[lo:hi])
        x = list(range(len(days)))
        plt = self.plt
        plt.clear_figure()
        # No labels: plotext would draw its legend inside the plot, over the lines.
        plt.plot(x, list(b.planned[lo:hi]), color=PLAN_COLOUR)
        actual = [(k, r) for k, r in enumerate(b.remaining[lo:hi]) if r is not None]
        if actual:
            plt.plot([k for k, _ in actual], [r for _, r in actual], color=LEFT_COLOUR, marker="hd")
        if b.today in days:
            plt.vline(days.index(b.today), color=TODAY_COLOUR)
        step = max(1, len(days) // 8)
        ticks = list(range(0, len(days), step))
        positions: list[float] = list(ticks)
        plt.xticks(positions, [f"{days[k].day}/{days[k].month}" for k in ticks])
        shown = [r for r in b.remaining[lo:hi] if r is not None]
        top = max(b.total, *b.planned[lo:hi], *shown) or 1
        plt.ylim(0, top)
        yticks: list[float] = [round(top * k / 4) for k in range(5)]
        plt.yticks(yticks, [fmt(v) for v in yticks])
        plt.title("Öppna punkter vid dagens slut")
        self.refresh()


class BurndownGraph(Vertical):
    """The chart with its legend on the line below."""

    DEFAULT_CSS = """
    BurndownGraph { height: 1fr; }
    BurndownGraph BurndownChart { height: 1fr; min-height: 7; }
    BurndownGraph .bd-legend { height: 1; padding: 0 1; content-align: center middle; }
    """

    def compose(self) -> ComposeResult:
        yield BurndownChart()
        yield Static(legend(), classes="bd-legend")

    def show(self, b: Burndown, whole: bool) -> None:
        self.query_one(BurndownChart).show(b, whole)


class BurndownPanel(Vertical):
    DEFAULT_CSS = """
    BurndownPanel { height: 1fr; }
    BurndownPanel #bd-numbers { height: auto; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="bd-numbers")
        yield BurndownGraph(id="bd-chart")

    def show(self, b: Burndown, whole: bool) -> None:
        numbers = burndown_numbers(b)
        numbers.append(
            "\na: " + ("visa veckorna kring i dag" if whole else "visa hela perioden"), style="dim"
        )
        self.query_one("#bd-numbers", Static).update(numbers)
        self.query_one(BurndownGraph).show(b, whole)
