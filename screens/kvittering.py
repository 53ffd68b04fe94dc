"""Kvittering: the unit's unacknowledged Prator messages, oldest first; mark and acknowledge."""

from __future__ import annotations

from typing import cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from lcsp_tui.domain import rules
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
            "Kvittera",
            id="kvittering.enter",
            show=False,
            tooltip="Kvittera markerade meddelanden (eller raden)",
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
            "Kvittera",
            id="kvittering.kvittera",
            tooltip="Kvittera markerade meddelanden (eller raden)",
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

    def reload(self) -> None:
        ws = self.lcsp.ws
        self.messages = ws.q.unacknowledged(ws.unit)
        ids = {msg.message_id for msg in self.messages}
        self.marked &= ids
        table = self.query_one("#messages", MessageTable)
        keep = table.cursor_row if table.row_count else 0
        table.clear(columns=True)
        table.add_column(" ", width=3, key="mark")
        table.add_column("Skickat", width=11, key="sent")
        table.add_column("Typ", width=11, key="type")
        table.add_column("Patient/vårdtillfälle", key="who")
        table.add_column("Meddelande", key="id")
        for msg in self.messages:
            mid = msg.message_id
            who = f"{msg.title.split(' – ')[0]} {msg.admission_id}"
            sent = msg.sent or ""
            table.add_row(
                Text("[x]", style="bold green") if mid in self.marked else "[ ]",
                _short_time(sent),
                MESSAGE_TYPES.get(msg.type, msg.type),
                shorten(who, 40),
                mid,
                key=mid,
            )
        if self.messages:
            table.move_cursor(row=min(keep, len(self.messages) - 1), animate=False)
        title = Text()
        title.append("Okvitterade Prator-meddelanden till din enhet: ", style="bold")
        title.append(f"{len(self.messages)}", style="bold")
        title.append(" (äldst först)", style="dim")
        if self.marked:
            n = len(self.marked)
            title.append(f" · {n} markerad{'' if n == 1 else 'e'}", style="bold cyan")
        title.append(
            "\nKvittera här när det är gjort i Prator. Mellanslag markerar, a kvitterar.\n"
            + kvittering_help(self.lcsp.ws.region),
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
                f"Kvittera {len(targets)} meddelanden?",
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
            what = "meddelande" if done == 1 else "meddelanden"
            self.notify(f"Kvitterat: {done} {what} (sparat lokalt, synkas)", timeout=4)

    def action_back(self) -> None:
        self.dismiss()

    @on(DataTable.RowSelected, "#messages")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()


def _short_time(text: str) -> str:
    """``2025-09-29 14:05`` -> ``29/09 14:05``."""
    if len(text) >= 16 and text[4] == "-":
        return f"{text[8:10]}/{text[5:7]} {text[11:16]}"
    if len(text) >= 10 and text[4] == "-":
        return f"{text[8:10]}/{text[5:7]}"
    return text
