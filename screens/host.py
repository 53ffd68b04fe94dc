"""What the screens need of the app that hosts them (the app itself is never imported)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from lcsp_tui.workstation import Workstation


@dataclass(frozen=True)
class PaletteCommand:
    text: str
    help: str
    run: Callable[[], object]
    discover: bool = True  # listed before anything is typed


class Host(Protocol):
    """The app, as the screens see it: the workstation and a few shared actions."""

    @property
    def ws(self) -> Workstation: ...

    def local_change(self) -> None:
        """A screen wrote to the local store: refresh the pending count, sync soon."""

    def action_kvittering(self) -> None: ...

    def open_subject(self, subject: str) -> None: ...

    def palette_commands(self) -> list[PaletteCommand]: ...
