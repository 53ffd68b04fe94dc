"""The Ctrl+P command palette: namespaced Swedish verbs ("roll: byt roll", "öppna: …")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from lcsp_tui.app import LcspApp


@dataclass(frozen=True)
class PaletteCommand:
    text: str
    help: str
    run: Callable[[], object]
    discover: bool = True  # listed before anything is typed


class LcspCommands(Provider):
    """Commands from the app (which knows the role, the unit and the worklist)."""

    async def startup(self) -> None:
        app = cast("LcspApp", self.app)
        self._commands = app.palette_commands()

    async def discover(self) -> Hits:
        for c in self._commands:
            if c.discover:
                yield DiscoveryHit(c.text, c.run, help=c.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for c in self._commands:
            score = matcher.match(c.text)
            if score > 0:
                yield Hit(score, matcher.highlight(c.text), c.run, help=c.help)
