"""The cutover timeline (SPEC §3): phases with the current moment marked, the countdowns to
Prator's read-only day and archiving, and what each role must do today. Works with a
simulated today like everything else (``--today``)."""

from __future__ import annotations

import datetime as dt
from typing import cast

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from lcsp_tui import timeline as tl
from lcsp_tui.domain.regiondata import Phase, Timeline
from lcsp_tui.domain.words import num
from lcsp_tui.stats.progress import Progress
from screens.host import Host
from screens.widgets import StatusHeader

STATE_STYLES = {
    "now": "bold green",
    "coming": "",
    "late": "bold red",
    "done": "green",
    "none": "dim",
}


def countdown_text(now: dt.datetime, timeline: Timeline) -> Text:
    """``Prator i läsläge: om 16 dagar (tor 16/10) · Arkivering börjar: …``."""
    out = Text()
    for k, c in enumerate(tl.countdowns(now, timeline)):
        if k:
            out.append("\n")
        urgent = not c.passed and c.days <= 3
        out.append(f"{c.label}: ", style="bold")
        out.append(c.text(), style="bold red" if urgent or c.passed else "bold")
    return out


def phases_table(
    now: dt.datetime, timeline: Timeline, wide: bool, progress: Progress | None = None
) -> Table:
    """Every phase in date order, with a "nu" row where the current moment is. A phase
    whose time has passed is done only when its items are (with ``progress``)."""
    grid = Table(expand=True, box=None, show_edge=False, pad_edge=False, header_style="bold")
    grid.add_column("", width=14, no_wrap=True)  # "tis 30/9 12:00", "14 675 kvar"
    if wide:
        grid.add_column("När", ratio=1)
    grid.add_column("Vad", ratio=2)
    marked = False
    year = now.year
    for p in sorted(timeline.phase, key=lambda p: p.opens):
        state = tl.phase_state(p, now, timeline)
        if not marked and p.opens > now:
            here = Text(f"{tl.day_text(now, this_year=year)} ← här står vi", style="bold")
            grid.add_row(Text("▶ nu", style="bold reverse"), *([here, ""] if wide else [here]))
            marked = True
        if state == "now":
            status = Text("pågår", style="bold green")
        elif state == "coming":
            status = Text(tl.day_text(p.opens, this_year=year))
        elif left := _open_items(p, progress):
            status = Text(f"{num(left)} kvar", style="bold red")
        elif progress is None:  # its time has passed; whether its items are done is unknown
            status = Text("passerad", style="dim")
        else:
            status = Text("✓ klart", style="dim")
        label = Text(p.label, style="bold" if state == "now" else "dim" if state == "done" else "")
        if wide:
            grid.add_row(status, Text(p.when, style="dim" if state == "done" else ""), label)
        else:
            grid.add_row(status, label)
    if not marked:
        here = Text(f"{tl.day_text(now, this_year=year)} ← här står vi", style="bold")
        grid.add_row(Text("▶ nu", style="bold reverse"), *([here, ""] if wide else [here]))
    return grid


def _open_items(phase: Phase, progress: Progress | None) -> int:
    """Open items of the phase's steps (0 without progress: time alone decides)."""
    if progress is None:
        return 0
    return sum(t.open for s in phase.all_steps if (t := progress.by_step.get(s)) is not None)


def roles_table(now: dt.datetime, timeline: Timeline, progress: Progress | None) -> Table:
    """What each role must do at ``now``; with progress, how much is left of it."""
    grid = Table(expand=True, box=None, show_edge=False, pad_edge=False, header_style="bold")
    grid.add_column("Roll", ratio=2, no_wrap=True, overflow="ellipsis")
    grid.add_column("I dag", ratio=3)
    if progress is not None:
        grid.add_column("Kvar", justify="right", width=7)
        grid.add_column("Försenat", justify="right", width=8)
    for r in tl.roles_today(now, timeline):
        state = r.state
        row: list[RenderableType] = [r.name]
        if progress is not None:
            t = progress.by_role.get(r.role)
            if t is not None and t.total and not t.open:
                state = "done"
            text = "klart" if state == "done" else r.text
            row.append(Text(text, style=STATE_STYLES.get(state, "")))
            row.append(num(t.open) if t else "–")
            late = t.overdue if t else 0
            row.append(Text(num(late), style="bold red" if late else "dim"))
        else:
            row.append(Text(r.text, style=STATE_STYLES.get(state, "")))
        grid.add_row(*row)
    return grid


def timeline_view(
    now: dt.datetime, timeline: Timeline, progress: Progress | None, wide: bool
) -> Group:
    return Group(
        countdown_text(now, timeline),
        Text(""),
        phases_table(now, timeline, wide, progress),
        Text(""),
        Text("Vad varje roll ska göra nu", style="bold underline"),
        roles_table(now, timeline, progress),
    )


class TimelinePanel(VerticalScroll):
    """The timeline as a scrollable panel (the dashboard's tab, the timeline screen)."""

    DEFAULT_CSS = """
    TimelinePanel { height: 1fr; padding: 0 1; }
    TimelinePanel > Static { height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="timeline-body")

    def show(self, now: dt.datetime, timeline: Timeline, progress: Progress | None) -> None:
        wide = (self.size.width or self.app.size.width) >= 110
        self.query_one("#timeline-body", Static).update(
            timeline_view(now, timeline, progress, wide)
        )


class TimelineScreen(Screen[None]):
    """The timeline for any role (the command palette's "tidplan: visa")."""

    BINDINGS = [
        Binding("escape", "back", "Tillbaka", id="tidplan.tillbaka", tooltip="Tillbaka"),
    ]

    @property
    def lcsp(self) -> Host:
        return cast(Host, self.app)

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        yield TimelinePanel(id="timeline-panel")
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        self.refresh_data()
        self.query_one(TimelinePanel).focus()

    def refresh_data(self) -> None:
        ws = self.lcsp.ws
        self.query_one(TimelinePanel).show(ws.now(), ws.region.timeline, None)

    def action_back(self) -> None:
        self.dismiss()
