"""The Ctrl+P command palette: namespaced Swedish verbs ("roll: byt roll", "öppna: …")."""

from __future__ import annotations

from typing import cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from screens.host import Host, PaletteCommand

__all__ = ["LcspCommands", "PaletteCommand"]


class LcspCommands(Provider):
    """Commands from the app (which knows the role, the unit and the worklist)."""

    async def startup(self) -> None:
        app = cast(Host, self.app)
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
