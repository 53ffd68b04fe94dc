"""The support desk's dialogs: record a help request, resolve one."""

from __future__ import annotations

from typing import cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Static

from lcsp_tui import helpdesk
from lcsp_tui.domain.personnummer import looks_like_personnummer
from lcsp_tui.domain.rules import Refusal
from lcsp_tui.rows import HelpRequest
from screens.host import Host


class NewRequestScreen(ModalScreen[HelpRequest | None]):
    """Record a help request: unit(s), initial + surname, birth year, what is needed."""

    BINDINGS = [
        Binding("escape", "cancel", "Avbryt", id="arende.avbryt", tooltip="Registrera inget"),
    ]

    def __init__(self, units: str = "", name: str = "", year: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.prefill = (units, name, year)

    def compose(self) -> ComposeResult:
        units, name, year = self.prefill
        with Vertical(classes="dialog"):
            yield Label("Nytt hjälpärende (kvittering)", classes="dialog-title")
            yield Input(
                units, placeholder="Enhet(er): id, kommaseparerade", id="hr-units", compact=True
            )
            yield Input(
                name, placeholder="Patient: initial och efternamn", id="hr-name", compact=True
            )
            yield Input(year, placeholder="Födelseår, fyra siffror", id="hr-year", compact=True)
            yield Input(placeholder="Vad behövs? (Enter registrerar)", id="hr-need", compact=True)
            yield Static(id="hr-error", classes="dialog-detail")
        yield Footer(show_command_palette=False, compact=True)  # the dialog's own keys

    def on_mount(self) -> None:
        first_empty = next(
            (i for i in self.query(Input) if not i.value), self.query_one("#hr-need", Input)
        )
        first_empty.focus()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        """A whole personnummer in any field is refused as soon as it is typed (audited,
        emptied), as in the lookup."""
        if looks_like_personnummer(event.value):
            self._save()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        if event.input is not inputs[-1]:
            inputs[inputs.index(event.input) + 1].focus()
            return
        self._save()

    def _save(self) -> None:
        ws = cast(Host, self.app).ws
        v = {i.id: i.value for i in self.query(Input)}
        try:
            req = helpdesk.record(
                ws,
                (v["hr-units"] or "").split(","),
                v["hr-name"] or "",
                v["hr-year"] or "",
                v["hr-need"] or "",
            )
        except Refusal as e:
            for i in self.query(Input):
                if looks_like_personnummer(i.value):
                    i.value = ""
            self.query_one("#hr-error", Static).update(Text(str(e), style="bold red"))
            cast(Host, self.app).local_change()  # a refusal is audited
            return
        self.dismiss(req)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ResolveScreen(ModalScreen["str | None"]):
    """Resolve a help request with an optional note; "" means resolved without a note."""

    BINDINGS = [
        Binding("escape", "cancel", "Avbryt", id="los.avbryt", tooltip="Lös inte ärendet"),
    ]

    def __init__(self, request_id: str) -> None:
        super().__init__(classes="dialog-screen")
        self.request_id = request_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Lös ärende {self.request_id}", classes="dialog-title")
            yield Input(
                placeholder="Anteckning (valfri) – Enter löser ärendet", id="los-note", compact=True
            )
        yield Footer(show_command_palette=False, compact=True)  # the dialog's own keys

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
