"""The Textual app shell: header, screens, command palette and background sync.

The one core module that imports Textual. The screens live in the top-level ``screens``
package. Database work on the UI thread is the local store (fast, local); the ledger is
only touched by the sync worker, in its own thread with its own Workstation (SQLite
connections belong to the thread that made them), and the worker never touches widgets:
it posts ``SyncFinished`` and the handler here updates the header and the screens.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import threading
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import CommandPalette
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Footer, Static

from lcsp_tui.domain.roles import ROLES
from lcsp_tui.domain.words import num
from lcsp_tui.workstation import Workstation
from screens.palette import LcspCommands, PaletteCommand
from screens.widgets import (
    HeaderInfo,
    StatusHeader,
    SyncState,
    fmt_due,
    phase_line,
    role_today,
)

# A screen is imported when it is first opened (issue 14): the first paint needs only the
# role's main screen, not the others' (the dashboard alone brings the statistics and
# textual-plotext).
if TYPE_CHECKING:
    from lcsp_tui.rows import UnitRow
    from screens.dashboard import DashboardScreen
    from screens.support import SupportScreen
    from screens.worklist import WorklistScreen

SCREENS_DIR = Path(__file__).resolve().parent.parent / "screens"
SYNC_INTERVAL = 30.0  # seconds between background syncs
SYNC_SOON = 3.0  # seconds after local work before it is pushed
CLOCK_TICK = 5.0  # seconds between looks at the clock: the header shows the new minute
PALETTE_SUBJECTS = 300  # at most this many "öppna: …" commands
FIRST_PAINT_WAIT = 2.0  # seconds the first sync waits at most for the first paint


class SyncFinished(Message):
    """Posted by the sync worker (from its thread) when a sync attempt ends."""

    def __init__(
        self, outcome: str, detail: str = "", pushed: int = 0, pulled: int = 0, manual: bool = False
    ) -> None:
        super().__init__()
        self.outcome = outcome  # ok | offline | mismatch | error
        self.detail = detail
        self.pushed = pushed
        self.pulled = pulled
        self.manual = manual


class LcspApp(App[int]):
    """The cutover companion for one workstation (role + unit)."""

    TITLE = "lcsp – Prator → Lifecare SP"
    CSS_PATH = str(SCREENS_DIR / "app.tcss")
    COMMANDS = {LcspCommands}
    BINDINGS = [
        # r, e, s are shown in the worklist's footer (its own bindings to the same actions);
        # elsewhere they work but stay out of the footer so it fits 80 columns. In a text
        # field r is a letter: Ctrl+R switches role from anywhere (the support desk's footer
        # shows it, as its search field has the focus).
        Binding(
            "r", "choose_role", "Byt roll", id="app.roll", show=False, tooltip="Välj en annan roll"
        ),
        Binding(
            "ctrl+r",
            "choose_role",
            "Byt roll",
            id="app.roll-overallt",
            show=False,
            tooltip="Välj en annan roll (fungerar även i ett textfält)",
        ),
        Binding(
            "e",
            "choose_unit",
            "Byt enhet",
            id="app.enhet",
            show=False,
            tooltip="Välj en annan operativ enhet",
        ),
        Binding(
            "s",
            "sync",
            "Synka",
            id="app.synka",
            show=False,
            tooltip="Skicka ditt arbete och hämta de andras från den gemensamma databasen",
        ),
        Binding(
            "ctrl+q",
            "quit",
            "Avsluta",
            id="app.avsluta",
            priority=True,  # also from a dialog with a text field
            tooltip="Stäng programmet (ditt arbete är sparat)",
        ),
        Binding(
            "g",
            "audit",
            "Granskningslogg",
            id="app.granskning",
            show=False,
            tooltip="Granskningsloggen: filtrera och exportera (systemförvaltning)",
        ),
        Binding(
            "ctrl+p",
            "command_palette",
            "Kommandon",
            id="app.kommandon",
            tooltip="Sök bland alla kommandon",
        ),
        Binding(
            "ctrl+c",
            "help_quit",
            "Hur avslutar jag?",
            show=False,
            system=True,
            id="app.ctrl-c",
            tooltip="Ctrl+C avslutar inte: visar hur man avslutar",
        ),
    ]

    def __init__(self, ws: Workstation, *, sync_interval: float | None = SYNC_INTERVAL) -> None:
        super().__init__()
        self.ws = ws
        self.sync_interval = sync_interval
        self.sync_state = SyncState(pending=ws.store.pending_count())
        self._sync_lock = threading.Lock()
        self._sync_running = False
        self._sync_again = False  # a sync was asked for while one ran (a switch of bucket)
        self._sync_soon: Timer | None = None
        self._shown_minute: dt.datetime | None = None
        # Set once the main screen has been painted: until then the first sync waits and
        # the header leaves out the timeline's lines (the region's data is not loaded).
        self._painted = threading.Event()
        self.gc_paused = False  # the garbage collector waits for the first paint (run_app)
        theme = ws.store.get_meta("tui_theme")
        if theme and theme in self.available_themes:
            self.theme = theme

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        # The default screen shows only under the first start's role and unit chooser; when
        # the role's main screen goes on top of it at once, it stays empty (issue 14: no
        # widgets to mount and lay out before the first paint).
        if not self._needs_setup():
            return
        yield StatusHeader()
        yield Static(
            "Välkommen! Välj din roll och operativa enhet för att komma igång.", id="welcome"
        )
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        self.start_sync()
        if self.sync_interval:
            self.set_interval(self.sync_interval, self.start_sync)
        self.set_interval(CLOCK_TICK, self._tick)
        if self._needs_setup():
            self.choose(ask_role=False, ask_unit=False, first=True)
            self.call_after_refresh(self._first_paint_done)
        else:
            # Pushed once the app's start-up is over (issue 14): a screen laid out while
            # Textual still batches the start-up is rendered and the frame thrown away,
            # then rendered again.
            self.call_later(self._show_first)

    def _show_first(self) -> None:
        self.push_screen(self._main_screen()())
        # Nothing competes with the first paint (issue 14): the first sync's worker waits
        # for it, and the header's timeline lines (the region's data, validated with
        # pydantic) follow right after it.
        self.call_after_refresh(self._first_paint_done)

    def _first_paint_done(self) -> None:
        if self._painted.is_set():
            return
        self._painted.set()
        if self.gc_paused:  # see run_app
            self.gc_paused = False
            gc.freeze()
            gc.enable()
        self.update_headers()

    def _needs_setup(self) -> bool:
        role, unit = self.ws.role, self.ws.unit
        if role is None or role not in ROLES:
            return True
        if not ROLES[role].needs_unit:
            return False
        if unit is None:
            return True
        # A unit the store does not know (a typo in --unit) is asked for again.
        q = self.ws.q
        return not q.unit_exists(unit) and q.has_units()

    # ------------------------------------------------------------ header

    def _unit_name(self, unit: str | None) -> str | None:
        return None if unit is None else self.ws.q.unit_name(unit)

    def header_info(self) -> HeaderInfo:
        ws = self.ws
        now = ws.now()  # the rehearsal's clock when --today is given, never the real one
        self._shown_minute = now.replace(second=0)
        role = ws.role
        # A region-wide role (support, systemförvaltning) shows no unit, whatever is stored.
        works_at_unit = role in ROLES and ROLES[role].needs_unit
        phases = today = ""  # before the first paint: the timeline's lines follow it
        if self._painted.is_set() or ws.region_loaded:
            timeline = ws.region.timeline
            phases, today = phase_line(now, timeline), role_today(role, now, timeline)
        return HeaderInfo(
            env=ws.env,
            simulated=ws.settings.simulated,
            role_name=ROLES[role].name if role in ROLES else "Ingen roll vald",
            unit_name=self._unit_name(ws.unit) if works_at_unit else None,
            now=now,
            phases=phases,
            today=today,
            sync=self.sync_state,
        )

    def update_headers(self) -> None:
        info = self.header_info()
        for screen in self.screen_stack:
            for header in screen.query(StatusHeader):
                header.show(info)

    def _tick(self) -> None:
        """The clock runs on (also a rehearsal's): show the new minute in every header."""
        if self.ws.now().replace(second=0) != self._shown_minute:
            self.update_headers()
            for screen in self.screen_stack:
                tick = getattr(screen, "clock_ticked", None)
                if callable(tick):
                    tick()

    def local_change(self) -> None:
        """A screen wrote to the local store: the pending count changed."""
        self.sync_state = dataclasses.replace(
            self.sync_state, pending=self.ws.store.pending_count()
        )
        self.update_headers()
        if self.sync_interval and self._sync_soon is None:
            self._sync_soon = self.set_timer(SYNC_SOON, self._sync_after_change)

    def _sync_after_change(self) -> None:
        self._sync_soon = None
        self.start_sync()

    # ------------------------------------------------------------ sync

    def start_sync(self, manual: bool = False, again: bool = False) -> None:
        """Sync in the background; ``again``: if one is running, run another after it (a
        switch of role or unit: the running one stops at the switch)."""
        if self._sync_running:
            if manual:
                self.notify("Synk pågår redan", timeout=2)
            self._sync_again = self._sync_again or again
            return
        self._sync_running = True
        self.sync_state = dataclasses.replace(self.sync_state, syncing=True)
        self.update_headers()
        self._sync_worker(manual)

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False)
    def _sync_worker(self, manual: bool) -> None:
        """Sync in this thread with a Workstation of its own; never touch widgets here."""
        self._painted.wait(FIRST_PAINT_WAIT)  # the first sync starts after the first paint
        from lcsp_tui.ledger.base import LedgerMismatch, LedgerUnreachable
        from lcsp_tui.privacy import redact

        msg = SyncFinished("error", "okänt fel", manual=manual)
        try:
            with self._sync_lock:
                ws = Workstation(self.ws.settings, self.ws.lazy_region())
                try:
                    r = ws.sync()
                    msg = SyncFinished("ok", pushed=r.pushed, pulled=r.pulled, manual=manual)
                finally:
                    ws.close()
        except LedgerUnreachable as e:
            msg = SyncFinished("offline", str(e), manual=manual)
        except LedgerMismatch as e:
            msg = SyncFinished("mismatch", str(e), manual=manual)
        except Exception as e:  # the UI must survive any sync failure
            msg = SyncFinished("error", redact(f"{type(e).__name__}: {e}"), manual=manual)
        finally:
            self.post_message(msg)

    @on(SyncFinished)
    def _sync_finished(self, msg: SyncFinished) -> None:
        self._sync_running = False
        if self._sync_again:
            self._sync_again = False
            self.call_later(self.start_sync)
        before = self.sync_state
        pending = self.ws.store.pending_count()
        if msg.outcome == "ok":
            self.sync_state = SyncState(online=True, pending=pending, last_sync=self.ws.now())
            if before.online is False:
                self.notify(
                    "Den gemensamma databasen går att nå igen: allt är synkat", title="Ansluten"
                )
            elif msg.manual:
                self.notify(
                    f"Synkat: {num(msg.pushed)} skickade, {num(msg.pulled)} hämtade", timeout=3
                )
            if msg.pulled:
                for screen in self.screen_stack:
                    refresh = getattr(screen, "refresh_data", None)
                    if callable(refresh):
                        refresh()
        elif msg.outcome == "offline":
            self.sync_state = dataclasses.replace(
                before, online=False, syncing=False, pending=pending, problem=None
            )
            if before.online is not False or msg.manual:
                self.notify(
                    "Den gemensamma databasen kan inte nås. Ditt arbete sparas lokalt och "
                    "skickas vid nästa synk.",
                    title="Ej ansluten",
                    severity="warning",
                    timeout=8,
                )
        else:
            self.sync_state = dataclasses.replace(
                before, syncing=False, pending=pending, problem=msg.detail
            )
            title = "Fel gemensam databas" if msg.outcome == "mismatch" else "Synkfel"
            self.notify(msg.detail, title=title, severity="error", timeout=15)
        self.update_headers()

    def action_sync(self) -> None:
        self.start_sync(manual=True)

    # ------------------------------------------------------------ role and unit

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("choose_role", "choose_unit") and isinstance(self.screen, ModalScreen):
            return False
        if action == "audit":
            return self.ws.role == "systemforvaltning"
        return True

    def action_choose_role(self) -> None:
        self.choose(ask_role=True, ask_unit=False)

    def action_choose_unit(self) -> None:
        role = self.ws.role
        if role is None or role not in ROLES or not ROLES[role].needs_unit:
            self.notify(
                "Din roll arbetar för hela regionen och har ingen enhet. Byt roll med r "
                "(Ctrl+R i ett textfält).",
                timeout=4,
            )
            return
        self.choose(ask_role=False, ask_unit=True)

    def _units(self, role: str) -> list[UnitRow]:
        return self.ws.q.units_for_role(role)

    @work(exclusive=True, group="choose")
    async def choose(self, ask_role: bool, ask_unit: bool, first: bool = False) -> None:
        """Ask for the role and/or the unit, then remember them and show the worklist."""
        from screens.setup import RoleScreen, UnitScreen

        ws = self.ws
        role, unit = ws.role if ws.role in ROLES else None, ws.unit
        if ask_role or role is None:
            picked = await self.push_screen_wait(
                RoleScreen(role, cancellable=not first and role is not None)
            )
            if picked is None:
                return
            if picked != role:
                ask_unit = True
            role = picked
        if ROLES[role].needs_unit:
            fitting = {u.unit_id for u in self._units(role)}
            if ask_unit or unit is None or (fitting and unit not in fitting):
                picked_unit = await self.push_screen_wait(
                    UnitScreen(
                        role,
                        partial(self._units, role),
                        unit if unit in fitting else None,
                        cancellable=not first,
                    )
                )
                if picked_unit is None:
                    return
                unit = picked_unit
        else:
            unit = None
        changed = (role, unit) != (ws.role, ws.unit)
        ws.remember(role, unit)
        await self.show_main()
        if changed:  # the home holds the new role's bucket (issue 15): pull it now
            self.start_sync(again=True)
        if changed and not first:
            where = f" på {self._unit_name(unit)}" if unit and ROLES[role].needs_unit else ""
            self.notify(f"Du arbetar nu som {ROLES[role].name}{where}", timeout=4)

    # ------------------------------------------------------------ navigation

    def _main_screen(self) -> type[SupportScreen | DashboardScreen | WorklistScreen]:
        """The role's main screen: support desk, dashboard, or the worklist."""
        if self.ws.role == "support":
            from screens.support import SupportScreen

            return SupportScreen
        if self.ws.role == "systemforvaltning":
            from screens.dashboard import DashboardScreen

            return DashboardScreen
        from screens.worklist import WorklistScreen

        return WorklistScreen

    async def show_main(self) -> None:
        """Back to the role's main screen (pushing it the first time), freshly loaded."""
        kind = self._main_screen()
        main = next((s for s in self.screen_stack if type(s) is kind), None)
        if main is None:
            while len(self.screen_stack) > 1:  # another role's main screen
                await self.pop_screen()
            await self.push_screen(kind())
        else:
            while self.screen is not main and len(self.screen_stack) > 1:
                await self.pop_screen()
            main.reload()
        self.update_headers()
        self.refresh_bindings()

    def open_subject(self, subject: str) -> None:
        from screens.checklist import ChecklistScreen

        self.push_screen(ChecklistScreen(subject))

    async def _open_from_palette(self, subject: str) -> None:
        await self.show_main()
        self.open_subject(subject)

    def action_timeline(self) -> None:
        from screens.timeline import TimelineScreen

        if not isinstance(self.screen, TimelineScreen):
            self.push_screen(TimelineScreen())

    def action_audit(self) -> None:
        from screens.audit import AuditScreen

        if self.ws.role != "systemforvaltning":
            self.notify("Granskningsloggen är för systemförvaltning", timeout=3)
        elif not isinstance(self.screen, AuditScreen):
            self.push_screen(AuditScreen())

    def action_kvittering(self) -> None:
        if self.ws.unit is None:
            self.notify("Välj en operativ enhet (e) för att se dess meddelanden", timeout=3)
            return
        from screens.kvittering import KvitteringScreen

        if not isinstance(self.screen, KvitteringScreen):
            self.push_screen(KvitteringScreen())

    def action_command_palette(self) -> None:
        # is_open takes App[object], but App is invariant in its return type: LcspApp is App[int]
        if self.use_command_palette and not CommandPalette.is_open(cast("App[object]", self)):
            self.push_screen(
                CommandPalette(
                    placeholder="Sök kommando: roll, enhet, öppna …, synka, tema …",
                    id="--command-palette",
                )
            )

    def action_keys(self) -> None:
        """The keys of the current screen in Swedish (Textual's own key panel names its
        built-in keys in English)."""
        from screens.dialogs import KeysScreen

        keys: list[tuple[str, str, str]] = []
        role = self.ws.role
        has_unit = role in ROLES and ROLES[role].needs_unit
        for active in self.screen.active_bindings.values():
            b = active.binding
            if b.action.endswith("choose_unit") and not has_unit:
                continue  # a region-wide role has no unit to switch
            if b.id and active.enabled and b.description:
                keys.append((self.get_key_display(b), b.description, active.tooltip or b.tooltip))
        self.push_screen(KeysScreen(keys))

    def action_help_quit(self) -> None:
        self.notify("Tryck Ctrl+Q för att avsluta", title="Vill du avsluta?")

    # ------------------------------------------------------------ palette

    def _set_theme(self, name: str) -> None:
        self.theme = name
        self.ws.store.set_meta("tui_theme", name)

    def palette_commands(self) -> list[PaletteCommand]:
        cmds = [
            PaletteCommand("roll: byt roll", "Välj en annan roll", self.action_choose_role),
            PaletteCommand(
                "enhet: byt enhet", "Välj en annan operativ enhet", self.action_choose_unit
            ),
            PaletteCommand(
                "synka nu",
                "Skicka ditt arbete och hämta de andras från den gemensamma databasen",
                self.action_sync,
            ),
            PaletteCommand(
                "kvittering: registrera kvittering (gjord i Prator)",
                "Enhetens okvitterade Prator-meddelanden",
                self.action_kvittering,
            ),
            PaletteCommand("arbetslista: visa", "Tillbaka till arbetslistan", self.show_main),
            PaletteCommand(
                "tidplan: visa",
                "Tidplanen: var vi står, nedräkning till läsläge och arkivering",
                self.action_timeline,
            ),
            PaletteCommand(
                "granskning: granskningslogg",
                "Filtrera och exportera granskningsloggen (systemförvaltning)",
                self.action_audit,
                discover=self.ws.role == "systemforvaltning",
            ),
            PaletteCommand(
                "tangenter: visa hjälp",
                "Visa tangenterna för det du står på",
                self.action_keys,
            ),
            PaletteCommand("avsluta", "Stäng programmet (ditt arbete är sparat)", self.action_quit),
        ]
        for name in sorted(self.available_themes):
            cmds.append(
                PaletteCommand(
                    f"tema: {name}", "Byt färgtema", partial(self._set_theme, name), discover=False
                )
            )
        role, unit = self.ws.role, self.ws.unit
        if role in ROLES and ROLES[role].steps and unit is not None:
            rows = self.ws.q.worklist(role, unit, self.ws.now())
            for i, r in enumerate(rows[:PALETTE_SUBJECTS]):
                cmds.append(
                    PaletteCommand(
                        f"öppna: {r.title} {r.subject}",
                        f"steg {r.step} · klart {r.done}/{r.total} · senast {fmt_due(r.due)}",
                        partial(self._open_from_palette, r.subject),
                        discover=i < 10,
                    )
                )
        return cmds


def run_app(ws: Workstation) -> int:
    """Run the TUI for this workstation; the exit code for the CLI.

    No garbage collection before the first paint (issue 14): the start-up allocates what
    Textual and the app are made of, and the collector's passes over it (one full pass
    alone takes tens of ms) would only delay the first row. After the first paint those
    objects are frozen (``gc.freeze``: never scanned again; they live as long as the app)
    and the collector runs as usual."""
    gc.disable()  # cli.run_tui did already, before importing Textual
    app = LcspApp(ws)
    app.gc_paused = True
    try:
        app.run()
    finally:
        if app.gc_paused:  # the first paint never came
            gc.enable()
    return app.return_code or 0
