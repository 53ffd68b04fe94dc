"""Kvittering: the unit's unacknowledged Prator messages, oldest first. The kvittering itself
is made in Prator; here it is registered (one row, or the marked ones), so the others see it."""

from __future__ import annotations

import datetime as dt
from typing import cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from lcsp_tui.domain import rules
from lcsp_tui.domain.when import short_time
from lcsp_tui.domain.words import num, plural
from lcsp_tui.rows import MessageRow
from screens.dialogs import ConfirmScreen
from screens.host import Host
from screens.widgets import StatusHeader, kvittering_help, shorten

MESSAGE_TYPES = {
    "inskrivningsmeddelande": "Inskrivning",
    "utskrivningsmeddelande": "Utskrivning",
    "planeringsunderlag": "Planering",
    "extrameddelande": "Extra",
}


class MessageTable(DataTable[object]):
    BINDINGS = [
        Binding(
            "space",
            "mark",
            "Markera",
            id="kvittering.markera",
            tooltip="Markera eller avmarkera raden",
        ),
        Binding(
            "enter",
            "ack",
            "Registrera kvittering",
            id="kvittering.enter",
            show=False,
            tooltip="Registrera kvittering (gjord i Prator) av de markerade meddelandena, "
            "eller av raden",
        ),
    ]

    def action_mark(self) -> None:
        screen = cast("KvitteringScreen", self.screen)
        screen.toggle_mark()

    def action_ack(self) -> None:
        cast("KvitteringScreen", self.screen).action_ack()


class KvitteringScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Tillbaka", id="kvittering.tillbaka", tooltip="Tillbaka"),
        Binding(
            "a",
            "ack",
            "Registrera",  # "Reg. kvittering" does not fit 80 columns with the others
            id="kvittering.kvittera",
            tooltip="Registrera kvittering (gjord i Prator) av de markerade meddelandena, "
            "eller av raden",
        ),
        Binding(
            "asterisk",
            "mark_all",
            "Markera alla",
            id="kvittering.alla",
            tooltip="Markera eller avmarkera alla",
        ),
    ]

    def __init__(self) -> None:
        super().__init__(id="kvittering-screen")
        self.messages: list[MessageRow] = []
        self.marked: set[str] = set()

    @property
    def lcsp(self) -> Host:
        return cast(Host, self.app)

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        yield Static(id="kv-title")
        yield MessageTable(id="messages", cursor_type="row", zebra_stripes=True)
        yield Static(id="kv-empty")
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        self.reload()
        self.query_one("#messages").focus()

    def refresh_data(self) -> None:
        self.reload()

    def on_resize(self) -> None:
        self.reload()

    def reload(self) -> None:
        ws = self.lcsp.ws
        self.messages = ws.q.unacknowledged(ws.unit)
        ids = {msg.message_id for msg in self.messages}
        self.marked &= ids
        table = self.query_one("#messages", MessageTable)
        keep = table.cursor_row if table.row_count else 0
        year = ws.now().year
        sent = [sent_text(msg.sent or "", year) for msg in self.messages]
        # Every column but the patient's has the width of its content; the patient gets
        # the rest (one cell of padding either side of each column, 2 for a scrollbar).
        sent_w = max([10, *map(len, sent)])
        id_w = max([5, *(len(msg.message_id) for msg in self.messages)])
        width = self.size.width or self.app.size.width
        who_w = max(20, width - 2 - 2 * 5 - (3 + sent_w + 11 + id_w))
        table.clear(columns=True)
        table.add_column(" ", width=3, key="mark")
        table.add_column("Skickat", width=sent_w, key="sent")
        table.add_column("Typ", width=11, key="type")
        table.add_column("Patient/vårdtillfälle", width=who_w, key="who")
        table.add_column("Medd.", width=id_w, key="id")
        for msg, when in zip(self.messages, sent, strict=True):
            mid = msg.message_id
            who = f"{msg.title.split(' – ')[0]} {msg.admission_id}"
            table.add_row(
                Text("[x]", style="bold green") if mid in self.marked else "[ ]",
                when,
                MESSAGE_TYPES.get(msg.type, msg.type),
                shorten(who, who_w),
                mid,
                key=mid,
            )
        if self.messages:
            table.move_cursor(row=min(keep, len(self.messages) - 1), animate=False)
        title = Text()
        title.append("Okvitterade Prator-meddelanden till din enhet: ", style="bold")
        title.append(num(len(self.messages)), style="bold")
        title.append(" (äldst först)", style="dim")
        if self.marked:
            title.append(
                f" · {plural(len(self.marked), 'markerad', 'markerade')}", style="bold cyan"
            )
        title.append(
            "\nKvitteringen görs i Prator; registrera den sedan här: mellanslag markerar, "
            "a registrerar.\n" + kvittering_help(self.lcsp.ws.region),
            style="dim",
        )
        self.query_one("#kv-title", Static).update(title)
        empty = self.query_one("#kv-empty", Static)
        empty.update("Inga okvitterade meddelanden till enheten.")
        empty.display = not self.messages
        table.display = bool(self.messages)

    # ------------------------------------------------------------ actions

    def _cursor_id(self) -> str | None:
        table = self.query_one("#messages", MessageTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value)

    def toggle_mark(self) -> None:
        mid = self._cursor_id()
        if mid is None:
            return
        self.marked ^= {mid}
        table = self.query_one("#messages", MessageTable)
        row = table.cursor_row
        self.reload()
        if row + 1 < table.row_count:
            table.move_cursor(row=row + 1, animate=False)

    def action_mark_all(self) -> None:
        ids = {msg.message_id for msg in self.messages}
        self.marked = set() if self.marked == ids else ids
        self.reload()

    def action_ack(self) -> None:
        targets = sorted(self.marked) if self.marked else []
        if not targets:
            mid = self._cursor_id()
            if mid is None:
                return
            targets = [mid]
        if len(targets) == 1:
            self._ack(targets)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._ack(targets)

        self.app.push_screen(
            ConfirmScreen(
                f"Registrera kvittering av {plural(len(targets), 'meddelande', 'meddelanden')}?",
                "Gör det bara om du har kvitterat dem i Prator.",
            ),
            confirmed,
        )

    def _ack(self, targets: list[str]) -> None:
        ws = self.lcsp.ws
        done = 0
        for mid in targets:
            try:
                if ws.ack(mid) is not None:
                    done += 1
            except rules.Refusal as e:  # e.g. Prator is read-only: the same for all of them
                self.notify(str(e), title="Går inte", severity="error")
                break
        self.marked -= set(targets)
        self.lcsp.local_change()
        self.reload()
        if done:
            what = plural(done, "meddelande", "meddelanden")
            self.notify(f"Kvittering registrerad: {what} (sparat lokalt, synkas)", timeout=4)

    def action_back(self) -> None:
        self.dismiss()

    @on(DataTable.RowSelected, "#messages")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()


def sent_text(text: str, this_year: int | None = None) -> str:
    """``2025-09-29 14:05`` -> ``29/9 14:05`` (with the year when it is not ``this_year``)."""
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return text
    if len(text.strip()) == 10:  # a date without a time
        year = "" if this_year is None or when.year == this_year else f" {when.year}"
        return f"{when.day}/{when.month}{year}"
    return short_time(when, this_year=this_year)
