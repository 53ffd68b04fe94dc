"""Domain: pydantic models, personnummer, checklists, timeline and pure rules.

Importing the package is cheap: the region's data (``regiondata``, validated with pydantic)
is loaded only when something reads it, through ``LazyRegion``.
"""

from __future__ import annotations

import _thread  # threading's lock without threading's import (issue 14)
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from lcsp_tui.domain.regiondata import (
        Checklists,
        Municipalities,
        RegionData,
        Timeline,
    )

_LOADING = _thread.allocate_lock()

FLAG_TEXT = "kan behöva flyttas till Lifecare SP"  # the seed's words for a moved date


class Refusal(Exception):
    """An action the rules refuse; the message is one Swedish line for the user."""


def fold_text(text: str) -> str:
    """Case-folded, whitespace-normalised text (keeps accents: Ånge is not Ange). Here, not
    in ``regiondata``, so that a screen's filter needs no region data (nor pydantic)."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


class LazyRegion:
    """The region's data (``regiondata.load_region``), loaded and validated the first time
    one of its parts is read: a command that only reads the store's read model never loads
    it, nor imports pydantic. It reads like a ``RegionData`` (its three parts); ``get()``
    gives the ``RegionData`` itself."""

    __slots__ = ("_data_dir", "_region")

    def __init__(self, data_dir: Path | None = None) -> None:
        self._data_dir = data_dir
        self._region: RegionData | None = None

    def get(self) -> RegionData:
        if self._region is None:
            with _LOADING:  # the TUI's sync worker may read it at the same time
                if self._region is None:
                    from lcsp_tui.domain.regiondata import load_region

                    # the same cached RegionData as every other load_region() of this process
                    d = self._data_dir
                    self._region = load_region() if d is None else load_region(d)
        return self._region

    @property
    def loaded(self) -> bool:
        return self._region is not None

    @property
    def checklists(self) -> Checklists:
        return self.get().checklists

    @property
    def timeline(self) -> Timeline:
        return self.get().timeline

    @property
    def municipalities(self) -> Municipalities:
        return self.get().municipalities
