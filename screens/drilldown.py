"""Drill-down for systemforvaltning: the subjects behind a number of the dashboard, and one
subject's checklist for every role that has it (read-only). Both are audited: they show
patients (initial, surname, birth year; nothing for protected identity).

Every subject behind a figure is a row — no cap: a DataTable takes the region's thousands
(6 077 open subjects in the ``region`` demo paint in about half a second)."""

from __future__ import annotations

from typing import cast

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from lcsp_tui.domain.roles import ROLES
from lcsp_tui.domain.words import num, plural
from lcsp_tui.rows import DrillRow, Selector
from screens.checklist import item_prompt
from screens.host import Host
from screens.widgets import StatusHeader, shorten

WIDE = 110


class DrillReady(Message):
    def __init__(self, rows: list[DrillRow]) -> None:
        super().__init__()
        self.rows = rows


def _flags(r: DrillRow) -> Text:
    t = Text()
    for text, style, on_ in (
        (f"{num(r.missed)} missade", "bold red", r.missed),
        (f"{num(r.overdue)} försenade", "red", r.overdue),
        (r.note, "", r.note),
    ):
        if on_:
            if t:
                t.append(" · ", style="dim")
            t.append(text, style=style)
    if not t and r.total and not r.open:
        t.append("klart", style="green")
    return t


class DrillScreen(Screen[None]):
    """The subjects behind one figure, worst first; Enter shows one subject."""

    BINDINGS = [
        Binding(
            "escape", "back", "Tillbaka", id="drill.tillbaka", tooltip="Tillbaka till översikten"
        ),
    ]
    DEFAULT_CSS = """
    DrillScreen #drill-title { height: auto; padding: 0 1; background: $boost; }
    DrillScreen #drill-table { height: 1fr; }
    """

    def __init__(self, selector: Selector, title: str) -> None:
        super().__init__(id="drill-screen")
        self.selector = selector
        self.title_text = title
        self.rows: list[DrillRow] = []
        self.loaded = False

    @property
    def lcsp(self) -> Host:
        return cast(Host, self.app)

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        yield Static(Text(f"{self.title_text} · hämtar …", style="bold"), id="drill-title")
        yield DataTable(id="drill-table", cursor_type="row", zebra_stripes=True)
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        ws = self.lcsp.ws
        ws.audit_read(None, f"översikt: {self.title_text}")
        self.lcsp.local_change()
        self.query_one("#drill-table").focus()
        self._load()

    @work(thread=True, exclusive=True, group="drill", exit_on_error=False)
    def _load(self) -> None:
        ws = self.lcsp.ws
        with ws.reading() as q:  # a connection of this thread's own
            rows = q.drill(self.selector, ws.now())
        self.post_message(DrillReady(rows))

    @on(DrillReady)
    def _ready(self, msg: DrillReady) -> None:
        self.rows = msg.rows
        self.loaded = True
        self._show_rows()

    def _show_rows(self) -> None:
        rows = self.rows
        progress = self.selector.figure == "progress"
        wide = (self.size.width or self.app.size.width) >= WIDE
        names = {u: n for u, (n, _m) in self._units().items()}
        table = self.query_one("#drill-table", DataTable)
        table.clear(columns=True)
        width = self.size.width or self.app.size.width
        roomy = width >= 150
        title_w = 50 if roomy else max(24, min(44, width - (62 if wide else 42)))
        unit_w = 32 if roomy else 22 if wide else 14  # "(ingen enhet)" whole
        table.add_column("Patient/vad", width=title_w, key="title")
        if wide:
            table.add_column("Id", width=10, key="id")
        table.add_column("Enhet", width=unit_w, key="unit")
        if progress:
            table.add_column("Klart", width=7, key="klart")
        table.add_column("Status", key="status")
        for r in rows:
            cells: list[object] = [shorten(r.title, title_w)]
            if wide:
                cells.append(r.subject)
            unit = names.get(r.unit, r.unit) if r.unit else "(ingen enhet)"
            cells.append(shorten(unit, unit_w))
            if progress:
                cells.append(f"{r.done}/{r.total}")
            cells.append(_flags(r))
            table.add_row(*cells, key=r.subject)
        head = Text(self.title_text, style="bold")
        head.append(
            f" · {num(len(rows))} st, de som ligger mest efter först" if rows else " – inga"
        )
        if progress and rows:
            done = sum(r.done for r in rows)
            total = sum(r.total for r in rows)
            head.append(f" · {num(done)} av {plural(total, 'punkt', 'punkter')} klara", style="dim")
        head.append("\nEnter: visa checklistorna för raden · Esc: tillbaka", style="dim")
        self.query_one("#drill-title", Static).update(head)

    def _units(self) -> dict[str, tuple[str, str | None]]:
        return self.lcsp.ws.q.unit_names()

    @on(DataTable.RowSelected, "#drill-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        subject = event.row_key.value
        if subject is not None:
            title = next((r.title for r in self.rows if r.subject == subject), "")
            self.app.push_screen(SubjectScreen(str(subject), title))

    def action_back(self) -> None:
        self.dismiss()


class SubjectScreen(Screen[None]):
    """One subject's items for every role that has it, read-only."""

    BINDINGS = [
        Binding(
            "escape", "back", "Tillbaka", id="subjekt.tillbaka", tooltip="Tillbaka till listan"
        ),
    ]
    DEFAULT_CSS = """
    SubjectScreen #subject-body { height: 1fr; padding: 0 1; }
    SubjectScreen #subject-body > Static { height: auto; }
    """

    def __init__(self, subject: str, title: str = "") -> None:
        super().__init__(id="subject-screen")
        self.subject = subject
        self.title_text = title

    @property
    def lcsp(self) -> Host:
        return cast(Host, self.app)

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        with VerticalScroll(id="subject-body"):
            yield Static(id="subject-text")
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        ws = self.lcsp.ws
        ws.audit_read(self.subject, "översikt: checklistor visade")
        self.lcsp.local_change()
        q = ws.q
        sections = q.subject_detail(self.subject, ws.now())
        labels = {i.id: i.label for i in ws.region.checklists.item}
        out = Table.grid(padding=(0, 0))
        out.add_column()
        head = Text(self.title_text or self.subject, style="bold")
        head.append(f" · {self.subject} · alla rollers checklistor (läsläge)", style="dim")
        out.add_row(head)
        if not sections:
            out.add_row(Text("Inga checklistor för detta id.", style="dim"))
        for sec in sections:
            unit = ", ".join(q.unit_name(u) for u in sec.units if u) or "ingen enhet"
            out.add_row(Text(""))
            out.add_row(
                Text(
                    f"{ROLES[sec.role].name} · {unit} · klart {num(sec.done)} av {num(sec.total)}",
                    style="bold underline",
                )
            )
            for row in sec.items:
                out.add_row(item_prompt(row, labels, q.unit_name))
        self.query_one("#subject-text", Static).update(out)
        self.query_one("#subject-body").focus()

    def action_back(self) -> None:
        self.dismiss()
