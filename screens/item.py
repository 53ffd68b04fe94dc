"""One checklist item opened with Enter: what it asks, its state, note, unit, who and when.

Enter never ticks (issue 12): here Enter (or Esc) closes; Space marks the item done or not
done and ``n`` writes a note — the same keys as on the list, each said in the footer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from lcsp_tui.domain.when import day_text
from lcsp_tui.rows import ItemRow
from screens.widgets import fmt_day

TOGGLE, NOTE = "toggle", "note"


def item_details(
    state: ItemRow,
    waiting_label: str | None,
    unit_name: Callable[[str], str],
    this_year: int,
) -> Text:
    """The item's facts as lines: state, who and when, unit, note, timing."""
    t = Text()

    def line(head: str, text: str, style: str = "") -> None:
        if t.plain:
            t.append("\n")
        t.append(f"{head}: ", style="bold")
        t.append(text, style=style)

    item = state.item
    line("Steg", item.step + (" · åtgärd i Prator" if item.prator_action else ""))
    if not state.applies:
        line("Status", f"gäller ej ({state.reason})" if state.reason else "gäller ej", "dim")
    elif state.done:
        who = f" av {state.by}" if state.by else ""
        when = ""
        if state.at:
            when = " " + day_text(dt.datetime.fromisoformat(state.at), this_year=this_year)
        line("Status", f"klar{who}{when}", "bold green")
    elif state.missed:
        line("Status", "MISSAD: Prator är i läsläge", "bold red")
    else:
        line("Status", "ej klar", "bold")
    if state.open and state.opens is not None:
        line("Öppnar", day_text(state.opens, this_year=this_year), "yellow")
    if state.open and state.waiting:
        who = "annan roll: " if state.waiting_other_role else ""
        line("Väntar på", f"{who}{waiting_label or state.waiting}", "yellow")
    if state.open and state.due is not None:
        word = "Mål" if state.target else "Senast"
        line(word, fmt_day(state.due), "bold red" if state.overdue else "")
    if state.value:
        line("Enhet", unit_name(state.value), "cyan")
    line("Anteckning", state.note or "–", "italic" if state.note else "dim")
    return t


class ItemScreen(ModalScreen[str | None]):
    """Dismisses with ``toggle``, ``note`` or None (closed)."""

    BINDINGS = [
        Binding("escape,enter", "close", "Stäng", id="punkt.stang", tooltip="Tillbaka till listan"),
        Binding(
            "space",
            f"answer('{TOGGLE}')",
            "Klar/ej klar",
            id="punkt.bocka",
            tooltip="Markera punkten som klar eller ej klar",
        ),
        Binding(
            "n",
            f"answer('{NOTE}')",
            "Anteckning",
            id="punkt.anteckning",
            tooltip="Skriv en anteckning",
        ),
    ]

    def __init__(self, state: ItemRow, details: Text) -> None:
        super().__init__(classes="dialog-screen")
        self.state = state
        self.details = details

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.state.item.label, classes="dialog-title")
            yield Static(self.details, classes="dialog-detail", id="item-details")
            with Horizontal(classes="dialog-buttons"):
                if self.state.applies:
                    mark = "Ej klar" if self.state.done else "Klar"
                    yield Button(f"{mark} (Mellanslag)", id="toggle")
                yield Button("Anteckning (n)", id="note")
                yield Button("Stäng (Esc)", variant="primary", id="close")
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        # Enter on the focused button closes: a tick is never one Enter away.
        self.query_one("#close", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss({"toggle": TOGGLE, "note": NOTE}.get(str(event.button.id)))

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer)

    def action_close(self) -> None:
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "answer" and parameters == (TOGGLE,):
            return self.state.applies
        return True
