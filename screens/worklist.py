"""The worklist: one role's pending subjects at its unit, sorted by due time, filterable."""

from __future__ import annotations

from typing import cast

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.coordinate import Coordinate
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from lcsp_tui.domain import FLAG_TEXT, fold_text
from lcsp_tui.domain.roles import ROLES
from lcsp_tui.domain.when import day_text
from lcsp_tui.domain.words import num, plural
from lcsp_tui.rows import WorkRow
from screens.host import Host
from screens.widgets import StatusHeader, fmt_day, fmt_due, shorten

WIDE = 110  # from this width the subject id gets its own column
FIRST_ROWS = 300  # rows in the first paint; the rest follow in batches of BATCH
BATCH = 2000


class WorkTable(DataTable[object]):
    """The worklist table; Enter opens the highlighted subject."""

    BINDINGS = [
        Binding(
            "enter",
            "select_cursor",
            "Öppna",
            id="arbetslista.oppna",
            tooltip="Öppna checklistan för raden",
        ),
        Binding(
            "home",
            "scroll_top",
            "Först",
            id="arbetslista.forst",
            show=False,
            tooltip="Första raden",
        ),
        Binding(
            "end", "scroll_bottom", "Sist", id="arbetslista.sist", show=False, tooltip="Sista raden"
        ),
    ]


def status_flags(row: WorkRow, short: bool) -> list[tuple[str, str]]:
    """The row's status as (text, style) pairs, long or short."""
    flags: list[tuple[str, str]] = []
    if row.opens is not None and not short:
        flags.append((f"öppnar {day_text(row.opens)}", "yellow"))
    if row.flagged:
        flags.append(("KAN BEHÖVA FLYTTAS" if short else FLAG_TEXT.upper(), "bold magenta"))
    if row.overdue:
        flags.append(("FÖRSENAD", "bold red"))
    if row.waiting:
        flags.append(("VÄNTAR" if short else "VÄNTAR på annan roll", "yellow"))
    # Whose kvittering is missing: this unit's own (k acts on them) or other units'.
    own, others = row.own_unacknowledged, row.unacknowledged - row.own_unacknowledged
    if own:
        word = "okvitterat" if own == 1 else "okvitterade"
        flags.append((f"{own} okv. här" if short else f"{own} {word} hos dig (k)", "bold cyan"))
    if others:
        word = "okvitterat" if others == 1 else "okvitterade"
        flags.append((f"{others} okv. andra" if short else f"{others} {word} hos andra", "cyan"))
    if row.opens is not None and short:  # last when short: the header says when a step opens
        flags.append((day_text(row.opens), "yellow"))
    return flags


def status_text(row: WorkRow, width: int) -> Text:
    for short in (False, True):
        flags = status_flags(row, short)
        plain = " · ".join(f for f, _ in flags)
        if len(plain) <= width or short:
            break
    out = Text()
    for i, (text, style) in enumerate(flags):
        if i:
            out.append(" · ", style="dim")
        out.append(text, style=style)
    out.truncate(width, overflow="ellipsis")
    return out


def title_text(title: str, width: int) -> str:
    """The title, without its "– what" part when that does not fit."""
    if len(title) > width and " – " in title:
        title = title.split(" – ", 1)[0]
    return shorten(title, width)


def filter_rows(rows: list[WorkRow], typed: str) -> list[WorkRow]:
    """The rows that match what was typed: a personnummer (10 or 12 digits, with or without
    ``-``/``+``) finds the patient where the unit may see it; anything else is looked for in
    the titles and ids (case- and accent-tolerant)."""
    digits = typed.strip().replace("-", "").replace("+", "")
    if digits.isdigit() and len(digits) in (10, 12):
        return [r for r in rows if r.personnummer and r.personnummer.endswith(digits)]
    key = fold_text(typed)
    if not key:
        return rows
    return [r for r in rows if key in fold_text(f"{r.title} {r.subject}")]


class WorklistScreen(Screen[None]):
    """The main screen. Roles without a worklist see what is coming and the timeline."""

    BINDINGS = [
        Binding(
            "slash",
            "filter",
            "Filtrera",
            id="arbetslista.filtrera",
            show=False,  # the filter's placeholder shows the key; keeps the footer in 80 columns
            tooltip="Filtrera listan",
        ),
        Binding(
            "k",
            "kvittering",
            "Kvittering",
            id="arbetslista.kvittera",
            tooltip="Enhetens okvitterade Prator-meddelanden: registrera kvittering gjord i Prator",
        ),
        Binding("r", "app.choose_role", "Byt roll", id="arbetslista.roll", tooltip="Välj roll"),
        Binding("e", "app.choose_unit", "Byt enhet", id="arbetslista.enhet", tooltip="Välj enhet"),
        Binding(
            "s",
            "app.sync",
            "Synka",
            id="arbetslista.synka",
            tooltip="Skicka ditt arbete och hämta de andras från liggaren",
        ),
        Binding(
            "escape",
            "clear_filter",
            "Rensa filter",
            id="arbetslista.rensa",
            tooltip="Töm filtret och gå till listan",
        ),
    ]

    def __init__(self) -> None:
        super().__init__(id="worklist-screen")
        self._rows: list[WorkRow] = []
        self._unit_unacked = 0
        self._width = 0
        self._generation = 0  # bumped on every redraw: stale batches are dropped
        self._columns: tuple[int, int, bool] = (20, 12, False)

    @property
    def lcsp(self) -> Host:
        return cast(Host, self.app)

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        yield Input(
            placeholder="Filtrera: namn, personnummer, födelseår eller id  ( / )", id="filter"
        )
        yield Static(id="empty")
        yield WorkTable(id="worklist", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="later-box"):
            yield Static(id="later")
            yield Static(id="timeline")
        yield Static(id="summary")
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        # The data is loaded once the screen is shown (on_screen_resume): loading here too
        # would compute the whole worklist twice on every start. The focus is set now, not
        # after the first paint (``focus()`` waits for it): its new style would render the
        # whole table again (issue 14).
        self.set_focus(self.query_one("#worklist" if self.has_worklist else "#later-box"))
        self.refresh_bindings()

    def on_screen_resume(self) -> None:
        self.reload()

    def refresh_data(self) -> None:
        self.reload()

    def on_resize(self, event: Resize) -> None:
        if event.size.width != self._width:
            self._render_rows()

    # ------------------------------------------------------------ data

    @property
    def has_worklist(self) -> bool:
        role = self.lcsp.ws.role
        return role is not None and bool(ROLES[role].steps) and self.lcsp.ws.unit is not None

    def reload(self) -> None:
        ws = self.lcsp.ws
        has = self.has_worklist
        for wid in ("#filter", "#worklist", "#summary"):
            self.query_one(wid).display = has
        self.query_one("#later-box").display = not has
        if self.is_current and (self.focused is None or not self.focused.display):
            self.query_one("#worklist" if has else "#later-box").focus()
        if not has:
            self.query_one("#empty").display = False
            self._show_later()
            return
        role, unit = ws.role, ws.unit
        assert role is not None and unit is not None
        # not ws.worklist(): before the first sync the unit may not be known yet (no list)
        self._rows = ws.q.worklist(role, unit, ws.now())
        self._unit_unacked = len(ws.q.unacknowledged(unit))
        self._render_rows()

    def _filtered(self) -> list[WorkRow]:
        return filter_rows(self._rows, self.query_one("#filter", Input).value)

    def _render_rows(self) -> None:
        if not self.has_worklist or not self.is_mounted:
            return
        table = self.query_one("#worklist", WorkTable)
        width = self.size.width or self.app.size.width
        self._width = width
        keep = None
        if table.row_count and table.cursor_row is not None:
            try:
                keep = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
            except Exception:
                keep = None
        wide = width >= WIDE
        # Each column has one cell of padding either side; keep 2 for the scrollbar.
        fixed = {"steg": 4, "klart": 5, "senast": 11}
        if wide:
            fixed["id"] = 9
        ncols = len(fixed) + 2
        rest = max(width - 2 - 2 * ncols - sum(fixed.values()), 30)
        status_w = min(40, max(12, int(rest * 0.3)))
        longest = max((len(r.title) for r in self._rows), default=20)
        title_w = min(rest - status_w, max(longest, 20))
        status_w = rest - title_w  # what the titles do not need goes to the status
        table.clear(columns=True)
        table.add_column("Patient/vad", width=title_w, key="title")
        if wide:
            table.add_column("Id", width=fixed["id"], key="id")
        table.add_column("Steg", width=fixed["steg"], key="steg")
        table.add_column("Klart", width=fixed["klart"], key="klart")
        table.add_column("Senast", width=fixed["senast"], key="senast")
        table.add_column("Status", width=status_w, key="status")
        rows = self._filtered()
        # The first rows (and the one the cursor was on) at once, the rest in batches after
        # the first paint: every row is reachable by scrolling, and a list of thousands
        # paints as fast as a short one.
        self._generation += 1
        at = next((i for i, r in enumerate(rows) if r.subject == keep), -1)
        first = max(FIRST_ROWS, at + 1)
        self._columns = (title_w, status_w, wide)
        self._add_rows(rows[:first])
        if at >= 0:
            table.move_cursor(row=at, animate=False)
        if len(rows) > first:
            self.call_after_refresh(self._add_more, rows, first, self._generation)
        self._update_summary(rows)

    def _add_rows(self, rows: list[WorkRow]) -> None:
        table = self.query_one("#worklist", WorkTable)
        title_w, status_w, wide = self._columns
        for r in rows:
            due = Text(
                f"mål {fmt_due(r.due)[:5]}" if r.target else fmt_due(r.due),
                style="bold red" if r.overdue else "dim" if r.target else "",
            )
            cells: list[object] = [title_text(r.title, title_w)]
            if wide:
                cells.append(r.subject)
            cells += [r.step, f"{r.done}/{r.total}", due, status_text(r, status_w)]
            table.add_row(*cells, key=r.subject)

    def _add_more(self, rows: list[WorkRow], start: int, generation: int) -> None:
        if generation != self._generation or not self.is_mounted:
            return  # the list was drawn anew meanwhile
        self._add_rows(rows[start : start + BATCH])
        if start + BATCH < len(rows):
            self.call_after_refresh(self._add_more, rows, start + BATCH, generation)

    def _update_summary(self, shown: list[WorkRow]) -> None:
        ws = self.lcsp.ws
        empty = self.query_one("#empty", Static)
        role_name = ROLES[ws.role].name if ws.role else ""
        unit_name = ws.q.unit_name(ws.unit) if ws.unit else ""
        if not self._rows:
            empty.update(
                f"Inget att göra för {role_name} på {unit_name} just nu.\n"
                "Listan uppdateras när något nytt kommer vid synk (s)."
            )
        elif not shown:
            value = self.query_one("#filter", Input).value
            empty.update(f"Inget på listan matchar ”{value}”. Esc rensar filtret.")
        empty.display = not shown
        # The table stays (and keeps the focus, so the keys work) even when empty.
        f = self.query_one("#filter", Input)
        f.display = bool(self._rows) or bool(f.value)
        s = Text()
        n = len(self._rows)
        s.append(f"{num(n)} att göra", style="bold")
        if len(shown) != n:
            s.append(f" (visar {num(len(shown))})")
        late = sum(r.overdue for r in self._rows)
        if late:
            s.append(" · ")
            s.append(plural(late, "försenad", "försenade"), style="bold red")
        waiting = sum(r.waiting for r in self._rows)
        if waiting:
            s.append(" · ")
            s.append(f"{num(waiting)} väntar på annan roll", style="yellow")
        s.append(" · ")
        if self._unit_unacked:
            s.append(
                plural(self._unit_unacked, "okvitterat", "okvitterade") + " till din enhet (k)",
                style="bold cyan",
            )
        else:
            s.append("inga okvitterade meddelanden till din enhet", style="dim")
        self.query_one("#summary", Static).update(s)

    def _show_later(self) -> None:
        ws = self.lcsp.ws
        role = ws.role
        if role is not None and ROLES[role].needs_unit and ws.unit is None:
            text = "Välj din operativa enhet (e) för att se arbetslistan."
        else:
            text = "Välj din roll (r) för att se arbetslistan."
        self.query_one("#later", Static).update(Text(text))
        grid = Table(expand=True, box=None, show_edge=False, pad_edge=False, header_style="bold")
        grid.add_column("", width=14, no_wrap=True)
        grid.add_column("När", ratio=1)
        grid.add_column("Vad", ratio=2)
        now = ws.settings.now()
        current = {p.id for p in ws.region.timeline.current_phases(now)}
        for p in sorted(ws.region.timeline.phase, key=lambda p: p.opens):
            if p.id in current:
                status = Text("pågår", style="bold green")
            elif p.opens > now:
                status = Text(f"{fmt_day(p.opens, midnight_as_24=False)}", style="")
            else:
                status = Text("klart", style="dim")
            grid.add_row(status, p.when, p.label)
        self.query_one("#timeline", Static).update(grid)

    # ------------------------------------------------------------ actions

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._render_rows()
        self.refresh_bindings()

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.query_one("#worklist").focus()

    @on(DataTable.RowSelected, "#worklist")
    def _open(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.lcsp.open_subject(str(event.row_key.value))

    def action_filter(self) -> None:
        if self.has_worklist:
            self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        f = self.query_one("#filter", Input)
        if f.value:
            f.value = ""
        self.query_one("#worklist" if self.has_worklist else "#later-box").focus()
        self.refresh_bindings()

    def action_kvittering(self) -> None:
        self.lcsp.action_kvittering()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            f = self.query_one("#filter", Input)
            return self.has_worklist and (bool(f.value) or f.has_focus)
        if action in ("filter", "kvittering"):
            return self.has_worklist
        return True
