"""How the support desk sees a lookup's matches: no personnummer, no first name.

Each match is a heading with its units, admissions and SIPs (cutover status); each of its
unacknowledged messages is an option of its own: the desk registers a kvittering it has made
in Prator on the unit's behalf.
"""

from __future__ import annotations

from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList

from lcsp_tui.lookup import Match, UnackedMessage
from screens.kvittering import MESSAGE_TYPES, sent_text

ACK_PREFIX = "ack:"  # option id prefix of a message row
COORDINATORS = {"kommun": "kommun", "primarvard": "primärvård", "slutenvard": "slutenvård"}


def match_text(m: Match) -> Group:
    """One match as the desk sees it: no personnummer, no first name; hanging indents."""
    head = Text()
    head.append(str(m["name"]), style="bold")
    head.append(f" ({m['birth_year']})")
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(width=1, no_wrap=True)
    grid.add_column(no_wrap=True, style="dim")
    grid.add_column(ratio=1)
    if m.get("protected"):
        grid.add_row("", "", Text("Lämna inga uppgifter: den som ringer kontaktar enheten själv."))
        return Group(head, grid)
    if m["municipality"]:
        head.append(f" · {m['municipality']}")
    units = m["units"]
    if units:
        grid.add_row("", "Enheter", ", ".join(f"{u['name']} ({u['id']})" for u in units))
    for a in m["admissions"]:
        body = Text(f"{a['id']} {a['ward_name']}: ")
        body.append(str(a["cutover"]), style="cyan")
        grid.add_row("", "Vårdtillfälle", body)
    for s in m["sips"]:
        org = str(s["coordinator"])
        body = Text(f"{s['id']} (samordning: {COORDINATORS.get(org, org)}): ")
        body.append(str(s["cutover"]), style="cyan")
        grid.add_row("", "SIP", body)
    owing = m.get("owing_units") or []
    if owing:
        names = {str(u["unit"]): u["unit_name"] for u in m["unacknowledged"]}
        grid.add_row(
            "",
            Text("Okvitterat hos", style="bold yellow"),
            ", ".join(f"{names.get(u) or u} ({u})" for u in owing),
        )
    return Group(head, grid)


def ack_text(u: UnackedMessage, this_year: int | None = None) -> Padding:
    t = Text("▸ Registrera kvittering av ", style="bold")
    t.append(str(u["message_id"]), style="bold")
    kind = MESSAGE_TYPES.get(str(u["type"]), str(u["type"]))
    t.append(f" ({kind}, {sent_text(str(u['sent']), this_year)}) åt ")
    t.append(f"{u['unit_name'] or u['unit']} ({u['unit']})", style="bold")
    return Padding(t, (0, 0, 0, 2))


class ResultList(OptionList):
    """The matches; their unacknowledged messages are the rows that can be chosen."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Enter is offered (and in the footer) only on a message that can be registered.
        if action == "select":
            k = self.highlighted
            return k is not None and not self.get_option_at_index(k).disabled
        return True

    BINDINGS = [
        Binding(
            "enter",
            "select",
            "Registrera",  # each row says what: "Registrera kvittering av …"
            id="support.kvittera",
            tooltip="Registrera kvitteringen åt mottagande enhet (gjord i Prator)",
        ),
    ]
