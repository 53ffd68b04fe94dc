"""One subject's checklist for the role: tick, undo, note; the reminders and the kvittering gate."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

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
from lcsp_tui.domain.roles import ROLES
from lcsp_tui.view import WorkRow
from lcsp_tui.workstation import Workstation
from screens.dialogs import NoteScreen
from screens.widgets import StatusHeader, fmt_day

if TYPE_CHECKING:
    from lcsp_tui.app import LcspApp

WIDE = 120  # from this width reminders and the gate go beside the list


def item_marks(ws: Workstation, subject: str) -> dict[str, tuple[str | None, str | None]]:
    """item id -> (note, who ticked it), confirmed state with the pending outbox on top."""
    out: dict[str, tuple[str | None, str | None]] = {
        item: (note, actor)
        for item, note, actor in ws.store.conn.execute(
            "SELECT item, note, actor FROM items WHERE subject = ?", (subject,)
        )
    }
    for e in ws.store.outbox():
        p = e.payload
        if e.kind == m.ITEM_TICKED and p.get("subject") == subject:
            old_note = out.get(p["item"], (None, None))[0]
            out[p["item"]] = (p.get("note") or old_note, e.actor)
    return out


def short_label(label: str) -> str:
    """The label up to its first parenthesis or colon (for "väntar på …")."""
    for sep in (" (", ": "):
        if sep in label:
            label = label.split(sep, 1)[0]
    return label


def item_prompt(
    state: rules.ItemState, labels: dict[str, str], mark: tuple[str | None, str | None]
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
    if state.waiting:
        what = short_label(labels.get(state.waiting, state.waiting))
        notes.append((f"väntar på annan roll: {what}", "yellow"))
    note, actor = mark
    if state.done and actor:
        notes.append((f"klar av {actor}", "green"))
    if note:
        notes.append((f"anteckning: {note}", "italic"))
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
        t.append(f" (senast {fmt_day(phase.due)})", style="dim")
    return t


class ItemList(OptionList):
    """The items; Enter ticks like Space."""

    BINDINGS = [
        Binding(
            "enter",
            "select",
            "Klar/ej klar",
            id="checklista.enter",
            show=False,
            tooltip="Markera punkten som klar eller ej klar",
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
            "toggle",
            "Klar",
            id="checklista.bocka",
            tooltip="Markera punkten som klar eller ej klar",
        ),
        Binding(
            "u", "undo", "Ångra", id="checklista.angra", tooltip="Ångra din senaste ändring här"
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
            "k",
            "kvittering",
            "Kvittera",
            id="checklista.kvittera",
            show=False,
            tooltip="Enhetens okvitterade Prator-meddelanden",
        ),
    ]

    def __init__(self, subject: str) -> None:
        super().__init__(id="checklist-screen")
        self.subject = subject
        self.ctx: rules.SubjectContext | None = None
        self.states: list[rules.ItemState] = []
        self.undo_stack: list[tuple[str, bool]] = []

    @property
    def lcsp(self) -> LcspApp:
        return cast("LcspApp", self.app)

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
        role, unit = ws.role, ws.unit
        view = ws.view()
        self.ctx = ctx = (
            view.subject_context(role, unit, self.subject) if role is not None else None
        )
        title = self.query_one("#subject-title", Static)
        items = self.query_one("#items", ItemList)
        if ctx is None or role is None:
            self.states = []
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
        self.states = rules.checklist(role, ctx, view.now, ws.region)
        done, total = rules.progress(self.states)
        labels = {i.id: i.label for i in ws.region.checklists.item}
        marks = item_marks(ws, self.subject)
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
                    item_prompt(st, labels, marks.get(st.item.id, (None, None))),
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
        title.update(self._title(view.work_row(role, ctx, unit), ctx, done, total))
        self._update_side(ctx, role, view.unit_name)
        self.refresh_bindings()

    def _title(self, row: WorkRow, ctx: rules.SubjectContext, done: int, total: int) -> Text:
        t = Text()
        t.append(row.title, style="bold")
        t.append(f"  {self.subject}", style="dim")
        t.append("\nKlart ")
        t.append(f"{done}/{total}", style="bold green" if done == total else "bold")
        if row.due is not None and done < total:
            t.append(f"  senast {fmt_day(row.due)}", style="bold red" if row.overdue else "")
            if row.overdue:
                t.append(" – FÖRSENAD", style="bold red")
        if row.flagged:
            t.append("  MÅSTE FLYTTAS TILL LCSP", style="bold magenta")
        if ctx.kind == "sip":
            decision = {
                m.SipDecision.AKTUELL: "bedömd aktuell",
                m.SipDecision.EJ_AKTUELL: "bedömd EJ aktuell",
            }.get(ctx.sip_decision, "ej bedömd (b)")  # type: ignore[arg-type]
            t.append(f"  SIP {decision}", style="cyan")
        return t

    def _update_side(self, ctx: rules.SubjectContext, role: str, unit_name) -> None:  # type: ignore[no-untyped-def]
        gate = Text()
        if ctx.kind == "admission" and ctx.unacknowledged:
            owing = rules.units_owing_kvittering(ctx.unacknowledged)
            gate.append("Kan inte avslutas (steg 6): ", style="bold red")
            gate.append("okvitterade meddelanden hos ")
            gate.append(", ".join(unit_name(u) for u in owing), style="bold")
            if self.lcsp.ws.unit in owing:
                gate.append(" – din enhet är en av dem (k)", style="bold cyan")
        self.query_one("#gate", Static).update(gate)
        self.query_one("#gate").display = bool(gate.plain)
        reminders = self.lcsp.ws.region.checklists.reminders(ROLES[role].steps)
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

    def _selected(self) -> rules.ItemState | None:
        item_id = self._selected_id()
        return next((s for s in self.states if s.item.id == item_id), None)

    # ------------------------------------------------------------ actions

    def _tick(self, state: rules.ItemState, done: bool, note: str | None = None) -> bool:
        try:
            self.lcsp.ws.tick(self.subject, state.item.id, done=done, note=note)
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
        if self.ctx is not None:
            view = ws.view()
            for unit in rules.units_owing_kvittering(self.ctx.unacknowledged):
                message = message.replace(unit, view.unit_name(unit))
        return message

    def action_toggle(self) -> None:
        state = self._selected()
        if state is None:
            return
        if self._tick(state, not state.done):
            self.undo_stack.append((state.item.id, state.done))

    @on(OptionList.OptionSelected, "#items")
    def _selected_by_enter(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_toggle()

    def action_undo(self) -> None:
        if not self.undo_stack:
            self.notify("Inget att ångra på den här checklistan", severity="warning")
            return
        item_id, was_done = self.undo_stack.pop()
        state = next((s for s in self.states if s.item.id == item_id), None)
        if state is None:
            return
        if self._tick(state, was_done):
            self.notify(f"Ångrat: {short_label(state.item.label)}", timeout=3)

    def action_note(self) -> None:
        state = self._selected()
        if state is None:
            return
        current = item_marks(self.lcsp.ws, self.subject).get(state.item.id, (None, None))[0]

        def save(text: str | None) -> None:
            if text is None:
                return
            fresh = next((s for s in self.states if s.item.id == state.item.id), state)
            if self._tick(fresh, fresh.done, note=text):
                self.notify("Anteckningen är sparad", timeout=3)

        self.app.push_screen(NoteScreen(short_label(state.item.label), current or ""), save)

    def action_decide(self) -> None:
        from screens.dialogs import ConfirmScreen

        ctx = self.ctx
        if ctx is None or ctx.kind != "sip":
            return
        current = ctx.sip_decision is not m.SipDecision.EJ_AKTUELL
        question = (
            "Bedöm SIP:en som EJ aktuell (avslutas i Prator)?"
            if current
            else "Bedöm SIP:en som aktuell igen (flyttas till Lifecare SP)?"
        )

        def decide(yes: bool | None) -> None:
            if not yes:
                return
            decision = m.SipDecision.EJ_AKTUELL if current else m.SipDecision.AKTUELL
            try:
                self.lcsp.ws.decide_sip(self.subject, decision)
            except rules.Refusal as e:
                self.notify(str(e), title="Går inte", severity="error")
                return
            self.lcsp.local_change()
            self.reload()

        self.app.push_screen(ConfirmScreen(question), decide)

    def action_back(self) -> None:
        self.dismiss()

    def action_kvittering(self) -> None:
        self.lcsp.action_kvittering()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "decide":
            return self.ctx is not None and self.ctx.kind == "sip"
        return True
