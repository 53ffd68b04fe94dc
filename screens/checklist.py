"""One subject's checklist for the role: tick, undo, note; the reminders and the kvittering gate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import cast

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, VerticalScroll
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from lcsp_tui.domain import models as m
from lcsp_tui.domain import rules
from lcsp_tui.domain.regiondata import RegionData
from lcsp_tui.domain.roles import ROLES, UNIT_TYPE_NAMES
from lcsp_tui.domain.rules import FLAG_TEXT
from lcsp_tui.domain.when import day_text
from lcsp_tui.rows import Checklist, ItemRow
from screens.dialogs import ChoiceScreen, ConfirmScreen, NoteScreen
from screens.host import Host
from screens.item import NOTE, TOGGLE, ItemScreen, item_details
from screens.setup import UnitScreen
from screens.widgets import StatusHeader, fmt_day, kvittering_help

WIDE = 120  # from this width reminders and the gate go beside the list


def short_label(label: str) -> str:
    """The label up to its first parenthesis or colon (for "väntar på …")."""
    for sep in (" (", ": "):
        if sep in label:
            label = label.split(sep, 1)[0]
    return label


def item_prompt(
    state: ItemRow, labels: dict[str, str], unit_name: Callable[[str], str] = str
) -> Table:
    """One item: a box, then the label and its remarks with a hanging indent."""
    item = state.item
    if not state.applies:
        box = Text("[–]", style="dim")
        body = Text(item.label, style="dim")
    elif state.done:
        box = Text("[x]", style="bold green")
        body = Text(item.label)
    else:
        box = Text("[ ]", style="bold")
        body = Text(item.label)
    notes: list[tuple[str, str]] = []
    if item.prator_action:
        notes.append(("Prator", "bold"))
        if state.locked:
            notes.append(("låst: Prator i läsläge", "bold"))
    if state.missed:
        notes.append(("MISSAD", "bold red"))
    if not state.applies and state.reason:
        notes.append((f"gäller ej: {state.reason}", "dim"))
    if state.opens is not None and state.open:
        notes.append((f"öppnar {day_text(state.opens)}", "yellow"))
    if state.waiting:
        what = short_label(labels.get(state.waiting, state.waiting))
        who = "annan roll: " if state.waiting_other_role else ""
        notes.append((f"väntar på {who}{what}", "yellow"))
    if state.value:
        notes.append((f"enhet: {unit_name(state.value)}", "cyan"))
    elif state.item.value and state.open:
        notes.append(("välj enheten med Mellanslag", "dim"))
    if state.done and state.by:
        when = f" {day_text(dt.datetime.fromisoformat(state.at))}" if state.at else ""
        notes.append((f"klar av {state.by}{when}", "green"))
    if state.note:
        notes.append((f"anteckning: {state.note}", "italic"))
    if notes:
        body.append("\n")
        for i, (text, style) in enumerate(notes):
            if i:
                body.append(" · ", style="dim")
            body.append(text, style=style)
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(width=3, no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_row(box, body)
    return grid


def step_heading(step: str, region: RegionData) -> Text:
    """A heading between the steps of one checklist (slutenvård has steps 2 and 6)."""
    t = Text(f"Steg {step}", style="bold")
    try:
        phase = region.timeline.window(step)
    except KeyError:
        return t
    t.append(f" – {phase.label}", style="bold")
    if phase.due is not None:
        t.append(f" ({'mål' if phase.target else 'senast'} {fmt_day(phase.due)})", style="dim")
    return t


class ItemList(OptionList):
    """The items. Enter (or a click) opens the highlighted one; it never ticks."""

    BINDINGS = [
        Binding(
            "enter",
            "select",
            "Visa",
            id="checklista.visa",
            tooltip="Visa punkten: anteckning, enhet, vem som bockade och när",
        ),
    ]


class ChecklistScreen(Screen[None]):
    BINDINGS = [
        Binding(
            "escape",
            "back",
            "Tillbaka",
            id="checklista.tillbaka",
            tooltip="Tillbaka till arbetslistan",
        ),
        Binding(
            "space",
            "toggle_item",
            "Klar",
            id="checklista.bocka",
            tooltip="Markera punkten som klar eller ej klar",
        ),
        Binding(
            "u",
            "undo",
            "Ångra",
            id="checklista.angra",
            tooltip="Ångra din senaste ändring här (den visas och frågas först om den "
            "inte är den markerade punkten)",
        ),
        Binding(
            "n", "note", "Anteckning", id="checklista.anteckning", tooltip="Skriv en anteckning"
        ),
        Binding(
            "b",
            "decide",
            "Bedöm SIP",
            id="checklista.bedom",
            tooltip="Är SIP:en aktuell (flyttas) eller ej aktuell (avslutas i Prator)?",
        ),
        Binding(
            "x",
            "discharge",
            "Utskriven",
            id="checklista.utskriven",
            tooltip="Registrera att patienten är utskriven (steg 6 gäller sedan)",
        ),
        Binding(
            "k",
            "kvittering",
            "Kvittering",
            id="checklista.kvittera",
            show=False,
            tooltip="Enhetens okvitterade Prator-meddelanden: registrera kvittering gjord i Prator",
        ),
    ]

    def __init__(self, subject: str) -> None:
        super().__init__(id="checklist-screen")
        self.subject = subject
        self.found: Checklist | None = None
        self.states: tuple[ItemRow, ...] = ()
        self.undo_stack: list[tuple[str, bool]] = []

    @property
    def lcsp(self) -> Host:
        return cast(Host, self.app)

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        yield Static(id="subject-title")
        with Container(id="checklist-body"):
            yield ItemList(id="items")
            with VerticalScroll(id="side"):
                yield Static(id="gate")
                yield Static(id="reminders")
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        ws = self.lcsp.ws
        ws.audit_read(self.subject, "checklista öppnad")
        self.lcsp.local_change()
        self.reload()
        self.query_one("#items").focus()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width >= WIDE, "-wide")

    def refresh_data(self) -> None:
        self.reload()

    # ------------------------------------------------------------ data

    def reload(self) -> None:
        ws = self.lcsp.ws
        try:
            self.found = found = ws.checklist(self.subject)
        except rules.Refusal:  # no longer on this role's list at this unit
            self.found = found = None
        title = self.query_one("#subject-title", Static)
        items = self.query_one("#items", ItemList)
        if found is None:
            self.states = ()
            items.clear_options()
            title.update(
                Text(
                    f"{self.subject} finns inte längre på din arbetslista. Esc går tillbaka.",
                    style="bold",
                )
            )
            self.query_one("#gate", Static).update("")
            self.query_one("#reminders", Static).update("")
            return
        self.states = found.items
        labels = {i.id: i.label for i in ws.region.checklists.item}
        keep = self._selected_id()
        options: list[Option] = []
        steps = {s.item.step for s in self.states}
        step = None
        for st in self.states:
            if len(steps) > 1 and st.item.step != step:
                step = st.item.step
                options.append(
                    Option(step_heading(step, ws.region), id=f"steg-{step}", disabled=True)
                )
            options.append(
                Option(
                    item_prompt(st, labels, ws.q.unit_name),
                    id=st.item.id,
                    disabled=not st.applies,
                )
            )
        items.clear_options()
        items.add_options(options)
        by_id = {st.item.id: st for st in self.states}
        ids = [o.id for o in options]
        target = keep if keep in by_id and by_id[keep].applies else None
        if target is None:
            usable = [st for st in self.states if st.applies]
            first_open = next((st for st in usable if not st.done), usable[0] if usable else None)
            target = first_open.item.id if first_open else None
        if target is not None:
            items.highlighted = ids.index(target)
        title.update(self._title(found))
        self._update_side(found)
        self.refresh_bindings()

    def _title(self, found: Checklist) -> Text:
        done, total = found.done, found.total
        t = Text()
        t.append(found.title, style="bold")
        t.append(f"  {self.subject}", style="dim")
        t.append("\nKlart ")
        t.append(f"{done}/{total}", style="bold green" if done == total else "bold")
        if found.due is not None and done < total:
            when = "mål" if found.target else "senast"
            t.append(f"  {when} {fmt_day(found.due)}", style="bold red" if found.overdue else "")
            if found.overdue:
                t.append(" – FÖRSENAD", style="bold red")
        if found.flagged:
            t.append(f"  {FLAG_TEXT.upper()}", style="bold magenta")
        if found.kind == "sip":
            decision = {
                m.SipDecision.AKTUELL.value: "bedömd aktuell",
                m.SipDecision.EJ_AKTUELL.value: "bedömd EJ aktuell",
            }.get(found.decision or "", "ej bedömd (b)")
            t.append(f"  SIP {decision}", style="cyan")
        return t

    def _update_side(self, found: Checklist) -> None:
        gate = Text()
        owing = found.owing
        unit_name = self.lcsp.ws.q.unit_name
        if found.kind == "admission" and owing:
            gate.append("Kan inte avslutas (steg 6): ", style="bold red")
            gate.append("okvitterade meddelanden hos ")
            gate.append(", ".join(unit_name(u) for u in owing), style="bold")
            if self.lcsp.ws.unit in owing:
                gate.append(" – din enhet är en av dem (k)", style="bold cyan")
            gate.append("\n" + kvittering_help(self.lcsp.ws.region), style="dim")
        self.query_one("#gate", Static).update(gate)
        self.query_one("#gate").display = bool(gate.plain)
        reminders = self.lcsp.ws.region.checklists.reminders(ROLES[found.role].steps)
        rem = Text()
        if reminders:
            rem.append("Kom ihåg", style="bold")
            for r in reminders:
                rem.append("\n• ")
                rem.append(r, style="italic")
        self.query_one("#reminders", Static).update(rem)
        self.query_one("#reminders").display = bool(reminders)
        self.query_one("#side").display = bool(reminders) or bool(gate.plain)

    def _selected_id(self) -> str | None:
        items = self.query_one("#items", ItemList)
        if items.highlighted is None or items.highlighted >= items.option_count:
            return None
        return items.get_option_at_index(items.highlighted).id

    def _selected(self) -> ItemRow | None:
        item_id = self._selected_id()
        return next((s for s in self.states if s.item.id == item_id), None)

    # ------------------------------------------------------------ actions

    def _tick(
        self, state: ItemRow, done: bool, note: str | None = None, value: str | None = None
    ) -> bool:
        try:
            self.lcsp.ws.tick(self.subject, state.item.id, done=done, note=note, value=value)
        except rules.Refusal as e:  # UsageError is a Refusal too
            self.notify(self._readable(str(e)), title="Går inte", severity="error")
            return False
        self.lcsp.local_change()
        self.reload()
        return True

    def _readable(self, message: str) -> str:
        """The refusal with item labels and unit names instead of ids."""
        ws = self.lcsp.ws
        for item in sorted(ws.region.checklists.item, key=lambda i: -len(i.id)):
            message = message.replace(item.id, f"”{short_label(item.label)}”")
        if self.found is not None:
            for unit in self.found.owing:
                message = message.replace(unit, ws.q.unit_name(unit))
        return message

    def action_toggle_item(self) -> None:
        state = self._selected()
        if state is None:
            return
        if state.item.value and not state.done and state.applies:
            self._pick_value(state)
            return
        if self._tick(state, not state.done):
            self.undo_stack.append((state.item.id, state.done))

    def _pick_value(self, state: ItemRow) -> None:
        """An item that sets a unit: pick it (of the right type), then tick with it."""
        ws = self.lcsp.ws
        kind = state.item.value or ""
        units = [u for u in ws.q.units() if u.type == kind]

        def picked(unit: str | None) -> None:
            if unit is not None and self._tick(state, True, value=unit):
                self.undo_stack.append((state.item.id, False))

        self.app.push_screen(
            UnitScreen(
                ws.role or "",
                lambda: units,
                ws.q.patient_unit_of_type(self.subject, kind),
                cancellable=True,
                title=f"Välj {UNIT_TYPE_NAMES.get(kind, kind)}",
            ),
            picked,
        )

    @on(OptionList.OptionSelected, "#items")
    def _selected_by_enter(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_open_item()

    def action_open_item(self) -> None:
        """The highlighted item in full (Enter): nothing is ticked from here but with Space."""
        state = self._selected()
        if state is None:
            return
        ws = self.lcsp.ws
        labels = {i.id: short_label(i.label) for i in ws.region.checklists.item}
        details = item_details(
            state,
            labels.get(state.waiting or ""),
            ws.q.unit_name,
            ws.now().year,
        )

        def chosen(answer: str | None) -> None:
            if answer == TOGGLE:
                self.action_toggle_item()
            elif answer == NOTE:
                self.action_note()

        self.app.push_screen(ItemScreen(state, details), chosen)

    def action_undo(self) -> None:
        """Undo the latest change made here — said by name; when it is not the highlighted
        item, the cursor moves to it and the user is asked first."""
        if not self.undo_stack:
            self.notify("Inget att ångra på den här checklistan", severity="warning")
            return
        item_id, was_done = self.undo_stack[-1]
        state = next((s for s in self.states if s.item.id == item_id), None)
        if state is None:
            self.undo_stack.pop()
            return
        label = short_label(state.item.label)
        back_to = "ej klar" if not was_done else "klar"

        def undo() -> None:
            self.undo_stack.pop()
            if self._tick(state, was_done):
                self.notify(f"Ångrat: ”{label}” är {back_to} igen", timeout=4)

        if item_id == self._selected_id():
            undo()
            return
        self._highlight(item_id)
        self.app.push_screen(
            ConfirmScreen(f"Ångra ”{label}”?", f"Punkten blir {back_to} igen."),
            lambda yes: undo() if yes else None,
        )

    def _highlight(self, item_id: str) -> None:
        items = self.query_one("#items", ItemList)
        for i in range(items.option_count):
            if items.get_option_at_index(i).id == item_id:
                items.highlighted = i
                return

    def action_note(self) -> None:
        state = self._selected()
        if state is None:
            return
        current = state.note

        def save(text: str | None) -> None:
            if text is None:
                return
            fresh = next((s for s in self.states if s.item.id == state.item.id), state)
            if self._tick(fresh, fresh.done, note=text):
                self.notify("Anteckningen är sparad", timeout=3)

        self.app.push_screen(NoteScreen(short_label(state.item.label), current or ""), save)

    def action_decide(self) -> None:
        found = self.found
        if found is None or found.kind != "sip":
            return
        now = {"aktuell": "aktuell", "ej_aktuell": "ej aktuell"}.get(found.decision or "")
        answers = [
            (m.SipDecision.AKTUELL.value, "a", "Aktuell"),
            (m.SipDecision.EJ_AKTUELL.value, "e", "Ej aktuell"),
        ]

        def decide(answer: str | None) -> None:
            if answer is None:
                return
            try:
                self.lcsp.ws.decide_sip(self.subject, m.SipDecision(answer))
            except rules.Refusal as e:
                self.notify(str(e), title="Går inte", severity="error")
                return
            self.lcsp.local_change()
            self.reload()

        detail = "Aktuell: flyttas till Lifecare SP (steg 7). Ej aktuell: avslutas i Prator. " + (
            f"Nu: {now}." if now else "Inte bedömd än."
        )
        self.app.push_screen(ChoiceScreen("Är SIP:en aktuell?", answers, detail), decide)

    def action_discharge(self) -> None:
        """Slutenvård records that the patient is discharged: step 6 applies."""
        found = self.found
        if found is None or not any(i.item.closes for i in found.items):
            return

        def record(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.lcsp.ws.discharge(self.subject)
            except rules.Refusal as e:
                self.notify(str(e), title="Går inte", severity="error")
                return
            self.lcsp.local_change()
            self.reload()

        self.app.push_screen(
            ConfirmScreen(
                "Registrera att patienten är utskriven?",
                "Steg 6 gäller sedan: skicka utskrivningsmeddelande och avsluta vårdtillfället "
                "i Prator och Lifecare SP.",
            ),
            record,
        )

    def action_back(self) -> None:
        self.dismiss()

    def action_kvittering(self) -> None:
        self.lcsp.action_kvittering()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "decide":
            return self.found is not None and self.found.kind == "sip"
        if action == "discharge":  # the ward's, until step 6 applies
            closing = [i for i in self.found.items if i.item.closes] if self.found else []
            return bool(closing) and not any(i.applies for i in closing)
        return True
