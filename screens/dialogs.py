"""Small modal dialogs: confirm a question, choose an answer, write a note, list the keys."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; dismisses with True for yes."""

    BINDINGS = [
        Binding("j,y", "answer(True)", "Ja", id="bekrafta.ja", tooltip="Ja, gör det"),
        Binding("n,escape", "answer(False)", "Nej", id="bekrafta.nej", tooltip="Nej, avbryt"),
    ]

    def __init__(self, question: str, detail: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title")
            if self.detail:
                yield Static(self.detail, classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Ja (j)", variant="primary", id="yes")
                yield Button("Nej (n)", id="no")
        yield Footer(show_command_palette=False, compact=True)  # the dialog's own keys

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ChoiceScreen(ModalScreen[str | None]):
    """A question with a few answers, each with its key; None when cancelled."""

    BINDINGS = [
        Binding("escape", "answer('')", "Avbryt", id="val.avbryt", tooltip="Avbryt"),
    ]

    def __init__(
        self, question: str, answers: list[tuple[str, str, str]], detail: str = ""
    ) -> None:
        """``answers``: (id, key, label) for each answer."""
        super().__init__(classes="dialog-screen")
        self.question = question
        self.answers = answers
        self.detail = detail
        for answer_id, key, label in answers:
            self._bindings.bind(key, f"answer('{answer_id}')", label, show=True)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title")
            if self.detail:
                yield Static(self.detail, classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                for answer_id, key, label in self.answers:
                    yield Button(f"{label} ({key})", id=f"answer-{answer_id}")
                yield Button("Avbryt (Esc)", id="answer-")
        yield Footer(show_command_palette=False, compact=True)  # the dialog's own keys

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.action_answer(str(event.button.id).removeprefix("answer-"))

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer or None)


class NoteScreen(ModalScreen[str | None]):
    """One line of text for a checklist item; None when cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Avbryt", id="anteckning.avbryt", tooltip="Spara inte"),
    ]

    def __init__(self, about: str, initial: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.about = about
        self.initial = initial

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Anteckning", classes="dialog-title")
            yield Static(self.about, classes="dialog-detail")
            yield Input(
                self.initial, placeholder="Skriv en kort anteckning (Enter sparar)", id="note"
            )
        yield Footer(show_command_palette=False, compact=True)  # the dialog's own keys

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        self.dismiss(text or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class KeysScreen(ModalScreen[None]):
    """The keys of the screen below, in Swedish: each of ours with what it does (Textual's
    own moves — arrows, Tab — are one line, not their English names)."""

    BINDINGS = [
        Binding("escape", "close", "Stäng", id="tangenter.stang", tooltip="Stäng listan"),
    ]
    DEFAULT_CSS = """
    KeysScreen #keys-list { height: auto; max-height: 1fr; }
    KeysScreen .dialog { max-height: 100%; }
    """

    def __init__(self, keys: list[tuple[str, str, str]]) -> None:
        """``keys``: (key as shown, what it does, more about it) for each key."""
        super().__init__(classes="dialog-screen")
        self.keys = keys

    def compose(self) -> ComposeResult:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, style="bold")
        grid.add_column(no_wrap=True)
        grid.add_column(style="dim")
        for key, what, more in self.keys:
            grid.add_row(key, what, more if more != what else "")
        with Vertical(classes="dialog"):
            yield Label("Tangenter här", classes="dialog-title")
            with VerticalScroll(id="keys-list"):
                yield Static(grid)
            yield Static(
                Text(
                    "Piltangenterna, Page Up/Down och Home/End flyttar i listor; Tab går till "
                    "nästa fält. Ctrl+P söker bland alla kommandon.",
                    style="dim",
                )
            )
        yield Footer(show_command_palette=False, compact=True)

    def action_close(self) -> None:
        self.dismiss(None)
