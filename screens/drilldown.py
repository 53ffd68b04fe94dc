"""Drill-down for systemforvaltning: the subjects behind a number of the dashboard, and one
subject's checklist for every role that has it (read-only). Both are audited: they show
patients (initial, surname, birth year; nothing for protected identity)."""

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
from lcsp_tui.rows import DrillRow, Selector
from screens.checklist import item_prompt
from screens.host import Host
from screens.widgets import StatusHeader, shorten

ROW_CAP = 500  # rows in the table; the count says how many there are
WIDE = 110


class DrillReady(Message):
    def __init__(self, rows: list[DrillRow]) -> None:
        super().__init__()
        self.rows = rows


def _flags(r: DrillRow) -> Text:
    t = Text()
    for text, style, on_ in (
        (f"{r.missed} missade", "bold red", r.missed),
        (f"{r.overdue} försenade", "red", r.overdue),
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
            rows = q.drill(self.selector, ws.settings.now())
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
        title_w = max(24, min(44, width - (62 if wide else 40)))
        table.add_column("Patient/vad", width=title_w, key="title")
        if wide:
            table.add_column("Id", width=10, key="id")
        table.add_column("Enhet", width=22 if wide else 12, key="unit")
        if progress:
            table.add_column("Klart", width=7, key="klart")
        table.add_column("Status", key="status")
        for r in rows[:ROW_CAP]:
            cells: list[object] = [shorten(r.title, title_w)]
            if wide:
                cells.append(r.subject)
            cells.append(
                shorten(names.get(r.unit or "", r.unit or "(ingen enhet)"), 22 if wide else 12)
            )
            if progress:
                cells.append(f"{r.done}/{r.total}")
            cells.append(_flags(r))
            table.add_row(*cells, key=r.subject)
        head = Text(self.title_text, style="bold")
        head.append(f" · {len(rows):,}".replace(",", " ") + (" st" if rows else " – inga"))
        if len(rows) > ROW_CAP:
            head.append(f" (visar de {ROW_CAP} som ligger mest efter)", style="dim")
        if progress and rows:
            done = sum(r.done for r in rows)
            total = sum(r.total for r in rows)
            head.append(f" · punkter klara {done}/{total}", style="dim")
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
        sections = q.subject_detail(self.subject, ws.settings.now())
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
                    f"{ROLES[sec.role].name} · {unit} · klart {sec.done}/{sec.total}",
                    style="bold underline",
                )
            )
            for row in sec.items:
                out.add_row(item_prompt(row, labels, q.unit_name))
        self.query_one("#subject-text", Static).update(out)
        self.query_one("#subject-body").focus()

    def action_back(self) -> None:
        self.dismiss()
