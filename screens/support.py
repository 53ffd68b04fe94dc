"""The support desk: patient lookup and kvittering help requests (SPEC §5).

Lookup: initial + surname and birth year, never a personnummer: one typed into either field
is refused as soon as it is whole (in Swedish, the fields emptied, audited as refused). Every match is listed, never narrowed to one; a
protected identity shows no name and no units. Each unacknowledged message of a match is a
row of its own: Enter registers its kvittering (done in Prator) on the recipient unit's behalf.

Help requests: recorded (n), worked (p), resolved (l); Enter on one looks its patient up
and makes it the active request, so kvitteringar made then are counted on it.

Keys: the search field has the focus, so letters are letters there; Ctrl+R switches role
from anywhere (the footer shows it), and r, e, n, p, l, s work once the focus is on the
results or the requests.
"""

from __future__ import annotations

from typing import cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    Footer,
    Input,
    OptionList,
    Static,
    TabbedContent,
    TabPane,
)
from textual.widgets.option_list import Option

from lcsp_tui import helpdesk
from lcsp_tui.domain.lookup import LookupRefused
from lcsp_tui.domain.personnummer import looks_like_personnummer
from lcsp_tui.domain.rules import Refusal
from lcsp_tui.domain.words import num, plural
from lcsp_tui.helpdesk import STATUS_LABELS, fmt_age
from lcsp_tui.lookup import Match, audited_lookup
from lcsp_tui.rows import HelpRequest
from screens.dialogs import ConfirmScreen
from screens.host import Host
from screens.support_dialogs import NewRequestScreen, ResolveScreen
from screens.support_results import ACK_PREFIX, ResultList, ack_text, match_text
from screens.widgets import StatusHeader, shorten


class HelpTable(DataTable[object]):
    BINDINGS = [
        Binding(
            "enter",
            "select_cursor",
            "Slå upp",
            id="support.sla-upp",
            tooltip="Slå upp ärendets patient och arbeta med ärendet",
        ),
        # Esc still starts a new search here, but stays out of the footer (80 columns).
        Binding(
            "escape",
            "screen.clear",
            "Ny sökning",
            id="support.arenden-rensa",
            show=False,
            tooltip="Töm sökningen och börja om",
        ),
    ]


class SupportScreen(Screen[None]):
    """The support role's main screen."""

    BINDINGS = [
        # F2/F3 are named on the tabs themselves, so they stay out of the footer
        Binding(
            "f2", "tab('sok')", "Sök", id="support.sok", show=False, tooltip="Slå upp en patient"
        ),
        Binding(
            "f3",
            "tab('arenden')",
            "Ärenden",
            id="support.arenden",
            show=False,
            tooltip="Hjälpärenden",
        ),
        Binding(
            "n",
            "new_request",
            "Nytt ärende",
            id="support.nytt",
            tooltip="Registrera ett hjälpärende: enhet, initial + efternamn, födelseår, behov",
        ),
        Binding("p", "work", "Pågår", id="support.pagar", tooltip="Ta ärendet (pågår)"),
        Binding("l", "resolve", "Lös", id="support.los", tooltip="Markera ärendet som löst"),
        Binding(
            "ctrl+r",
            "app.choose_role",
            "Byt roll",
            id="support.roll",
            tooltip="Välj en annan roll (r fungerar när du inte skriver i ett fält)",
        ),
        Binding(
            "escape",
            "clear",
            "Ny sökning",
            id="support.rensa",
            tooltip="Töm sökningen och börja om",
        ),
        Binding(
            "s",
            "app.sync",
            "Synka",
            id="support.synka",
            show=False,
            tooltip="Skicka ditt arbete och hämta de andras från den gemensamma databasen",
        ),
    ]

    DEFAULT_CSS = """
    SupportScreen TabbedContent { height: 1fr; }
    SupportScreen TabPane { padding: 0; }
    SupportScreen #lk-form { height: 1; margin-top: 1; }
    SupportScreen #lk-form Input { border: none; height: 1; padding: 0 1; background: $boost; }
    SupportScreen #lk-form Input:focus { background: $primary 20%; }
    SupportScreen #lk-name { width: 1fr; margin-right: 1; }
    SupportScreen #lk-year { width: 26; }
    SupportScreen #lk-status { height: auto; padding: 0 1; margin-top: 1; }
    SupportScreen #lk-results { height: 1fr; border: none; padding: 0; }
    SupportScreen #lk-results > .option-list--option-disabled { color: $foreground; }
    SupportScreen #hr-title { height: auto; padding: 0 1; background: $boost; }
    SupportScreen #hr-table { height: 1fr; }
    SupportScreen #hr-empty { padding: 1 2; height: auto; }
    """

    def __init__(self) -> None:
        super().__init__(id="support-screen")
        self.matches: list[Match] = []
        self.requests: list[HelpRequest] = []
        self.active: str | None = None  # the help request being worked

    @property
    def lcsp(self) -> Host:
        return cast(Host, self.app)

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        with TabbedContent(initial="sok", id="support-tabs"):
            with TabPane("Sök patient (F2)", id="sok"):
                with Horizontal(id="lk-form"):
                    yield Input(placeholder="Initial och efternamn, t.ex. A Larsson", id="lk-name")
                    # No max_length: a personnummer typed here must reach the refusal whole,
                    # not be cut to eight digits that pass for a date.
                    yield Input(placeholder="Födelseår, t.ex. 1945", id="lk-year")
                yield Static(id="lk-status")
                yield ResultList(id="lk-results")
            with TabPane("Hjälpärenden (F3)", id="arenden"):
                yield Static(id="hr-title")
                yield HelpTable(id="hr-table", cursor_type="row", zebra_stripes=True)
                yield Static(id="hr-empty")
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        self._show_hint()
        self.reload()
        self.query_one("#lk-name").focus()

    def refresh_data(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Reload the help requests (the lookup is only redone when asked)."""
        self.requests = helpdesk.requests(self.lcsp.ws)
        self._render_requests()
        self.refresh_bindings()

    # ------------------------------------------------------------ lookup

    def _show_hint(self) -> None:
        self.query_one("#lk-status", Static).update(
            Text(
                "Fråga efter enhet, initial + efternamn och födelseår – aldrig personnummer. "
                "Enter söker.",
                style="dim",
            )
        )

    @on(Input.Submitted, "#lk-name")
    def _name_done(self) -> None:
        if self.query_one("#lk-year", Input).value.strip():
            self.run_lookup()
        else:
            self.query_one("#lk-year").focus()

    @on(Input.Submitted, "#lk-year")
    def _year_done(self) -> None:
        self.run_lookup()

    @on(Input.Changed, "#lk-name")
    @on(Input.Changed, "#lk-year")
    def _typed(self, event: Input.Changed) -> None:
        """A whole personnummer is refused the moment it is typed (or pasted): it stays on
        the screen no longer than it takes to type it."""
        if looks_like_personnummer(event.value):
            self.run_lookup()

    def run_lookup(self) -> None:
        """Look up what the form holds; audited once, refused or not."""
        name_in = self.query_one("#lk-name", Input)
        year_in = self.query_one("#lk-year", Input)
        status = self.query_one("#lk-status", Static)
        results = self.query_one("#lk-results", ResultList)
        try:
            found = audited_lookup(self.lcsp.ws, name_in.value, year_in.value)
        except LookupRefused as e:
            self.matches = []
            results.clear_options()
            if "personnummer" in str(e):
                name_in.value = year_in.value = ""  # nothing of it stays, not even on screen
            status.update(Text(str(e), style="bold red"))
            self.lcsp.local_change()
            name_in.focus()
            return
        self.lcsp.local_change()
        self.matches = found.matches
        self._render_matches()
        results.focus()

    def _render_matches(self) -> None:
        results = self.query_one("#lk-results", ResultList)
        status = self.query_one("#lk-status", Static)
        options: list[Option] = []
        year = self.lcsp.ws.now().year
        for i, m in enumerate(self.matches):
            options.append(Option(match_text(m), id=f"match:{i}", disabled=True))
            for u in m["unacknowledged"]:
                options.append(Option(ack_text(u, year), id=f"{ACK_PREFIX}{u['message_id']}"))
        results.clear_options()
        results.add_options(options)
        first = next((i for i, o in enumerate(options) if not o.disabled), None)
        if first is not None:
            results.highlighted = first
        self.refresh_bindings()
        n = len(self.matches)
        t = Text()
        if n == 0:
            t.append("Inga träffar. ", style="bold")
            t.append("Kontrollera stavning och födelseår, eller fråga efter enheten.")
        elif n == 1:
            t.append(plural(n, "träff", "träffar"), style="bold")
        else:
            t.append(plural(n, "träff", "träffar"), style="bold yellow")
            t.append(" – alla visas; fråga efter enhet för att veta vem det gäller.")
        if self.active:
            t.append(f"\nArbetar med ärende {self.active}", style="cyan")
        status.update(t)

    @on(OptionList.OptionSelected, "#lk-results")
    def _ack_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        oid = event.option.id or ""
        if not oid.startswith(ACK_PREFIX):
            return
        mid = oid[len(ACK_PREFIX) :]
        unit = next(
            (
                f"{u['unit_name'] or u['unit']} ({u['unit']})"
                for m in self.matches
                for u in m["unacknowledged"]
                if u["message_id"] == mid
            ),
            "",
        )

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._ack(mid)

        self.app.push_screen(
            ConfirmScreen(
                f"Registrera kvittering av {mid} åt {unit}?",
                "Registreras som gjord av support åt enheten. Gör det bara när "
                "kvitteringen är gjord i Prator och processen tillåter det.",
            ),
            confirmed,
        )

    def _ack(self, message_id: str) -> None:
        ws = self.lcsp.ws
        try:
            req = self._active_request_for(message_id)
            ev = helpdesk.ack(ws, req, message_id) if req is not None else ws.ack(message_id)
        except Refusal as e:
            self.notify(str(e), title="Går inte", severity="error")
            return
        self.lcsp.local_change()
        if ev is None:
            self.notify(f"{message_id} var redan registrerat som kvitterat", timeout=3)
        else:
            for_what = f" för ärende {self.active}" if req else ""
            self.notify(
                f"Kvittering av {message_id} registrerad åt enheten{for_what} (synkas)", timeout=4
            )
        for m in self.matches:  # the row goes; the lookup itself is not redone
            acks = m["unacknowledged"]
            m["unacknowledged"] = [u for u in acks if u["message_id"] != message_id]
            m["owing_units"] = sorted({str(u["unit"]) for u in m["unacknowledged"]})
        self._render_matches()
        self.reload()

    def _active_request_for(self, message_id: str) -> str | None:
        """The active request, when the message is for one of its units."""
        if self.active is None:
            return None
        req = next((r for r in self.requests if r.request_id == self.active), None)
        msg = self.lcsp.ws.q.message(message_id)
        if req is None or msg is None or msg.recipient_unit not in req.units:
            return None
        return req.request_id

    # ------------------------------------------------------------ help requests

    def _render_requests(self) -> None:
        table = self.query_one("#hr-table", HelpTable)
        keep = self._cursor_request()
        ws = self.lcsp.ws
        now = ws.now()
        table.clear(columns=True)
        # Each column has one cell of padding either side; keep 2 for the scrollbar. From
        # 110 columns the units are named, not only their ids.
        width = self.size.width or self.app.size.width
        wide = width >= 110
        who_w, units_w = (24, 30) if wide else (19, 11)
        fixed = 10 + 9 + 6 + who_w + units_w
        need_w = max(width - 2 - 2 * 6 - fixed, 10)
        table.add_column("Ärende", width=10, key="id")
        table.add_column("Ålder", width=9, key="age")
        table.add_column("Status", width=6, key="status")
        table.add_column("Patient", width=who_w, key="who")
        table.add_column("Enhet", width=units_w, key="units")
        table.add_column("Behov", width=need_w, key="need")
        for r in self.requests:
            status = STATUS_LABELS.get(r.status, r.status)
            units = ", ".join(ws.q.unit_name(u) for u in r.units) if wide else ",".join(r.units)
            acks = f" [{plural(r.acks, 'kvittering', 'kvitteringar')}]" if r.acks else ""
            table.add_row(
                r.request_id,
                fmt_age(r.age(now)),
                Text(status, style="bold" if r.status == "ny" else "cyan"),
                shorten(f"{r.name} ({r.birth_year})", who_w),
                shorten(units, units_w),
                shorten(r.need + acks, need_w),
                key=r.request_id,
            )
        ids = [r.request_id for r in self.requests]
        if keep in ids:
            table.move_cursor(row=ids.index(keep), animate=False)
        n = len(self.requests)
        title = Text()
        title.append(plural(n, "öppet hjälpärende", "öppna hjälpärenden"), style="bold")
        title.append(" (äldst först)", style="dim")
        if self.active:
            title.append(f" · arbetar med {self.active}", style="cyan")
        title.append(
            "\nEnter slår upp patienten · n nytt · p pågår · l löst",
            style="dim",
        )
        self.query_one("#hr-title", Static).update(title)
        empty = self.query_one("#hr-empty", Static)
        empty.update("Inga öppna hjälpärenden. n registrerar ett nytt.")
        empty.display = not self.requests
        table.display = bool(self.requests)
        tabs = self.query_one("#support-tabs", TabbedContent)
        tabs.get_tab("arenden").label = f"Hjälpärenden: {num(n)} (F3)"

    def clock_ticked(self) -> None:
        """A new minute (the app's clock, a rehearsal's too): the requests' ages move on."""
        self._render_requests()

    def on_resize(self) -> None:
        self._render_requests()

    def _cursor_request(self) -> str | None:
        table = self.query_one("#hr-table", HelpTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value)

    def _selected_request(self) -> str | None:
        """The request the keys act on: the table's row on the requests tab, else the active."""
        tabs = self.query_one("#support-tabs", TabbedContent)
        if tabs.active == "arenden":
            return self._cursor_request()
        return self.active

    @on(DataTable.RowSelected, "#hr-table")
    def _request_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        rid = str(event.row_key.value)
        req = next((r for r in self.requests if r.request_id == rid), None)
        if req is None:
            return
        self.active = rid
        self.query_one("#support-tabs", TabbedContent).active = "sok"
        self.query_one("#lk-name", Input).value = req.name
        self.query_one("#lk-year", Input).value = str(req.birth_year)
        self._render_requests()
        self.run_lookup()

    def action_tab(self, tab: str) -> None:
        self.query_one("#support-tabs", TabbedContent).active = tab
        if tab == "sok":
            self.query_one("#lk-name").focus()
        else:
            self.query_one("#hr-table").focus()
        self.refresh_bindings()

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()

    def action_new_request(self) -> None:
        units: list[str] = []
        if len(self.matches) == 1:
            m = self.matches[0]
            units = m.get("owing_units") or []
        prefill = (
            ",".join(units),
            self.query_one("#lk-name", Input).value,
            self.query_one("#lk-year", Input).value,
        )

        def created(req: HelpRequest | None) -> None:
            if req is None:
                return
            self.active = req.request_id
            self.lcsp.local_change()
            self.reload()
            self.notify(f"Hjälpärende {req.request_id} registrerat", timeout=4)

        self.app.push_screen(NewRequestScreen(*prefill), created)

    def action_work(self) -> None:
        rid = self._selected_request()
        if rid is None:
            return
        try:
            helpdesk.work(self.lcsp.ws, rid)
        except Refusal as e:
            self.notify(str(e), title="Går inte", severity="error")
            return
        self.active = rid
        self.lcsp.local_change()
        self.reload()
        self.notify(f"Ärende {rid}: pågår", timeout=3)

    def action_resolve(self) -> None:
        rid = self._selected_request()
        if rid is None:
            return

        def done(note: str | None) -> None:
            if note is None:
                return
            try:
                helpdesk.resolve(self.lcsp.ws, rid, note or None)
            except Refusal as e:
                self.notify(str(e), title="Går inte", severity="error")
                return
            if self.active == rid:
                self.active = None
            self.lcsp.local_change()
            self.reload()
            self.notify(f"Ärende {rid}: löst", timeout=3)

        self.app.push_screen(ResolveScreen(rid), done)

    def action_clear(self) -> None:
        for wid in ("#lk-name", "#lk-year"):
            self.query_one(wid, Input).value = ""
        self.matches = []
        self.query_one("#lk-results", ResultList).clear_options()
        self.active = None
        self._show_hint()
        self._render_requests()
        self.action_tab("sok")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("work", "resolve"):
            return self._selected_request() is not None
        # n is a letter in the form: the footer shows it when the focus is elsewhere
        return not (action == "new_request" and isinstance(self.focused, Input))
