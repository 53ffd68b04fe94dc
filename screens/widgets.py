"""Widgets and text helpers shared by the screens: the status header, dates, phase lines."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Static

from lcsp_tui.config import ENV_LABELS
from lcsp_tui.domain.roles import ROLES
from lcsp_tui.domain.when import WEEKDAYS
from lcsp_tui.domain.words import plural

if TYPE_CHECKING:  # the region's data is loaded by the first screen that reads it
    from lcsp_tui.domain.regiondata import Phase, RegionData, Timeline

# The environment badge: never to be mistaken for another (SPEC §10).
ENV_STYLES = {
    "utbildning": "bold #ffffff on #1d6b2e",
    "acceptanstest": "bold #000000 on #e0a000",
    "produktion": "bold #ffffff on #b3001b",
}
SIMULATED_STYLE = "bold #ffffff on #6a3fa0"


# ------------------------------------------------------------------ dates


def _midnight_as_24(when: dt.datetime) -> tuple[dt.date, str]:
    """A due time of 00:00 means "by the end of the day before": show it as 24:00."""
    if when.hour == 0 and when.minute == 0:
        return (when - dt.timedelta(days=1)).date(), "24:00"
    return when.date(), when.strftime("%H:%M")


def fmt_due(when: dt.datetime | None) -> str:
    """``30/09 12:00`` (dd/mm HH:MM); midnight as 24:00 of the day before."""
    if when is None:
        return "–"
    day, clock = _midnight_as_24(when)
    return f"{day:%d/%m} {clock}"


def fmt_day(when: dt.datetime, *, midnight_as_24: bool = True, this_year: int | None = None) -> str:
    """``tis 30/9 12:00`` (``tis 30/9 2026 12:00`` when it is not ``this_year``)."""
    if midnight_as_24:
        day, clock = _midnight_as_24(when)
    else:
        day, clock = when.date(), when.strftime("%H:%M")
    year = "" if this_year is None or day.year == this_year else f" {day.year}"
    return f"{WEEKDAYS[day.weekday()]} {day.day}/{day.month}{year} {clock}"


def fmt_now(when: dt.datetime) -> str:
    return fmt_day(when, midnight_as_24=False)


# ------------------------------------------------------------------ timeline text


def _steps_text(phase: Phase) -> str:
    steps = phase.all_steps
    if not steps:
        return ""
    return "Steg " + "–".join(steps) + ": "


def phase_line(now: dt.datetime, timeline: Timeline) -> str:
    """What is under way in the timeline now."""
    phases = timeline.current_phases(now)
    if not phases:
        return "Inget steg i tidplanen pågår just nu"
    parts = []
    for p in phases:
        until = f" (till {fmt_day(p.due, this_year=now.year)})" if p.due else ""
        parts.append(f"{_steps_text(p)}{p.label}{until}")
    return " · ".join(parts)


def role_today(role: str | None, now: dt.datetime, timeline: Timeline) -> str:
    """One short line: what the timeline means for this role at ``now``."""
    if role is None or role not in ROLES:
        return "Välj din roll och operativa enhet för att se din arbetslista"
    tail = ""
    if now >= timeline.milestones.prator_read_only:
        tail = " · Prator i läsläge: Prator-åtgärder kan inte bockas av"  # whole at 120
    if not ROLES[role].steps:
        return "Du arbetar för hela regionen (ingen egen enhet)" + tail
    from lcsp_tui import timeline as tl

    today = tl.role_today(role, now, timeline)
    prefix = {"now": "Din tur nu: ", "coming": "Ditt "}.get(today.state, "")
    text = today.text if prefix else today.text[:1].upper() + today.text[1:]
    return prefix + text + tail


# ------------------------------------------------------------------ header


@dataclass(frozen=True)
class SyncState:
    """The sync indicator: ``online`` None means "not synced yet in this session"."""

    online: bool | None = None
    syncing: bool = False
    pending: int = 0
    last_sync: dt.datetime | None = None
    problem: str | None = None  # mismatch or another error, short

    def text(self) -> Text:
        t = Text()
        if self.problem:
            t.append("● SYNKFEL", style="bold red")
        elif self.online is None:
            t.append("○ ", style="dim")
            t.append("synkar…" if self.syncing else "ej synkad", style="dim")
        elif self.online:
            t.append("● ansluten", style="bold green")
        else:
            t.append("● EJ ANSLUTEN", style="bold red")
        if self.last_sync is not None and not self.problem:
            t.append(f" {self.last_sync:%H:%M}", style="dim" if self.online else "")
        if self.pending:
            t.append(f" · {plural(self.pending, 'ej synkad', 'ej synkade')}", style="yellow")
        if self.syncing and self.online is not None:
            t.append(" ⟳", style="dim")
        return t


@dataclass(frozen=True)
class HeaderInfo:
    env: str
    simulated: bool
    role_name: str
    unit_name: str | None
    now: dt.datetime
    phases: str
    today: str
    sync: SyncState


class StatusHeader(Widget):
    """Always visible: environment, who and where, sync state, timeline now, role today."""

    DEFAULT_CSS = """
    StatusHeader { height: auto; dock: top; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal(id="hdr-top"):
            yield Static(id="hdr-env")
            yield Static(id="hdr-who")
        with Horizontal(id="hdr-mid"):
            yield Static(id="hdr-phase")
            yield Static(id="hdr-sync")
        yield Static(id="hdr-today")

    def on_mount(self) -> None:
        info = getattr(self.app, "header_info", None)
        if callable(info):
            self.show(info())

    def show(self, info: HeaderInfo) -> None:
        env = self.query_one("#hdr-env", Static)
        label = ENV_LABELS.get(info.env, info.env.upper())
        badge = Text(f" {label} ", style=ENV_STYLES.get(info.env, "bold reverse"))
        if info.simulated:
            badge.append(" ÖVNING ", style=SIMULATED_STYLE)
        env.update(badge)
        env.set_classes(f"env-{info.env}")
        who = Text(info.role_name, style="bold")  # one line, cut with … (app.tcss)
        if info.unit_name:
            who.append(" · ")
            who.append(info.unit_name)
        self.query_one("#hdr-who", Static).update(who)
        self.query_one("#hdr-sync", Static).update(info.sync.text())
        phase = Text()
        phase.append(f"{fmt_now(info.now)}  ", style="bold")
        phase.append(info.phases)
        self.query_one("#hdr-phase", Static).update(phase)
        self.query_one("#hdr-today", Static).update(Text(info.today, style="italic"))


def shorten(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` cells with an ellipsis."""
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def kvittering_help(region: RegionData) -> str:
    """The seed's two channels for help with a kvittering."""
    h = region.checklists.kvittering_help
    return f"Hjälp att kvittera: {h.region} · {h.municipalities}"
