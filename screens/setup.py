"""Choosing the role and the operative unit (first start, or a switch at any time).

Both lists fit the terminal, down to 80×24: the list gets the rows the dialog's other lines
leave and scrolls within them, so every role and unit is reachable and the highlighted one is
always in view.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Resize
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from lcsp_tui.domain import fold_text
from lcsp_tui.domain.roles import ROLES, UNIT_TYPE_NAMES
from lcsp_tui.domain.words import num
from lcsp_tui.rows import UnitRow

LIST_MAX = 20  # rows of a chooser's list on a tall terminal


class ChooserScreen(ModalScreen[str | None]):
    """A dialog with one list that takes the height the terminal leaves it."""

    def on_resize(self, event: Resize) -> None:
        self.call_after_refresh(self.fit_list)

    def on_mount(self) -> None:
        self.call_after_refresh(self.fit_list)

    def fit_list(self) -> None:
        """Give the list the screen's height minus the dialog's other lines."""
        dialog = self.query_one(".chooser", Vertical)
        ol = self.query_one(OptionList)
        reserved = dialog.styles.gutter.height + ol.styles.margin.height
        for child in dialog.children:
            if child is not ol and child.display:
                reserved += child.outer_size.height + child.styles.margin.height
        reserved += sum(f.outer_size.height for f in self.query(Footer))
        room = max(3, min(LIST_MAX, self.size.height - reserved))
        if ol.styles.max_height is None or ol.styles.max_height.value != room:
            ol.styles.max_height = room
            if ol.highlighted is not None:
                # after the new height is laid out (a refresh callback runs too early)
                self.set_timer(0.05, ol.scroll_to_highlight)


class RoleScreen(ChooserScreen):
    """Pick a role from ROLES; None when cancelled (only when a role is already set)."""

    BINDINGS = [
        Binding("escape", "cancel", "Avbryt", id="roll.avbryt", tooltip="Behåll nuvarande roll"),
    ]

    def __init__(self, current: str | None, cancellable: bool) -> None:
        super().__init__(classes="dialog-screen")
        self.current = current
        self.cancellable = cancellable

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog chooser"):
            yield Label("Välj din roll", classes="dialog-title")
            yield Static(
                "Rollen styr vilken arbetslista och checklista du ser. "
                "Du kan byta när som helst: r, eller Ctrl+R i ett textfält.",
                classes="dialog-detail",
            )
            options = []
            for role in ROLES.values():
                prompt = Text(role.name)
                if role.id == self.current:
                    prompt.append("  (nuvarande)", style="dim")
                options.append(Option(prompt, id=role.id))
            yield OptionList(*options, id="roles")
        if self.cancellable:  # its own keys; at first start the app's (Ctrl+Q) show below
            yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        ol = self.query_one(OptionList)
        if self.current in ROLES:
            ol.highlighted = list(ROLES).index(self.current)
        else:
            ol.highlighted = 0

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        if self.cancellable:
            self.dismiss(None)
        else:
            self.notify("Välj en roll för att börja", severity="warning")


class UnitScreen(ChooserScreen):
    """Pick the operative unit from the units that fit the role, with a filter."""

    BINDINGS = [
        Binding("escape", "cancel", "Avbryt", id="enhet.avbryt", tooltip="Behåll nuvarande enhet"),
        Binding("down", "to_list", "Lista", id="enhet.lista", show=False),
    ]

    def __init__(
        self,
        role: str,
        load: Callable[[], list[UnitRow]],
        current: str | None,
        cancellable: bool,
        title: str = "Välj din operativa enhet",
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.role = role
        self.title_text = title
        self.load = load
        self.units = load()
        self.current = current
        self.cancellable = cancellable

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog chooser"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(f"Roll: {ROLES[self.role].name}", classes="dialog-detail")
            yield Input(
                placeholder="Skriv för att filtrera (namn, kommun eller id)",
                id="unit-filter",
                compact=True,
            )
            yield OptionList(id="units")
            yield Static("", id="unit-empty", classes="dialog-detail")
        if self.cancellable:  # its own keys; at first start the app's (Ctrl+Q) show below
            yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#unit-filter", Input).focus()

    def _fill(self, query: str) -> None:
        key = fold_text(query)
        ol = self.query_one("#units", OptionList)
        ol.clear_options()
        shown = []
        for u in self.units:
            where = u.municipality or "regionen"
            if key and key not in fold_text(f"{u.name} {u.unit_id} {where}"):
                continue
            prompt = Text(u.name, style="bold" if u.unit_id == self.current else "")
            kind = UNIT_TYPE_NAMES.get(u.type, u.type)
            prompt.append(f"  {u.unit_id} · {kind} · {where}", style="dim")
            shown.append(Option(prompt, id=u.unit_id))
        ol.add_options(shown)
        ids = [o.id for o in shown]
        if shown:
            ol.highlighted = ids.index(self.current) if self.current in ids else 0
        empty = self.query_one("#unit-empty", Static)
        if not self.units:
            empty.update(
                "Inga enheter finns ännu: data från Prator måste först importeras "
                "(lcsp import) och synkas hit."
            )
        elif not shown:
            empty.update("Ingen enhet matchar filtret.")
        else:
            empty.update(f"{num(len(shown))} av {num(len(self.units))} enheter · Enter väljer")

    def refresh_data(self) -> None:
        """After a sync: units may have arrived."""
        self.units = self.load()
        self._fill(self.query_one("#unit-filter", Input).value)

    @on(Input.Changed, "#unit-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#unit-filter")
    def _submit_filter(self, event: Input.Submitted) -> None:
        ol = self.query_one("#units", OptionList)
        if ol.highlighted is not None and ol.option_count:
            self.dismiss(ol.get_option_at_index(ol.highlighted).id)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_to_list(self) -> None:
        self.query_one("#units", OptionList).focus()

    def action_cancel(self) -> None:
        if self.cancellable:
            self.dismiss(None)
        else:
            self.notify("Välj en enhet för att börja", severity="warning")
