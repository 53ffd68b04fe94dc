"""What the ledger calls each record type, and how the importer asks it about one record."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from lcsp_tui.domain.models import Admission, Message, Patient, Record, Sip, Unit

Known = Callable[[str, str], dict[str, Any] | None]
"""(kind, id) -> the ledger's current record as ``model_dump(mode="json")``, or None."""

KnownMany = Callable[[str, Sequence[str]], dict[str, dict[str, Any]]]
"""(kind, ids) -> {id: the current record} for those of ``ids`` the ledger has: one query
for many ids (``LocalStore.known_many``), where ``Known`` asks for one."""

MANY = 5000  # ids per ``KnownMany`` question


def many_of(known: Known) -> KnownMany:
    """A ``KnownMany`` that asks ``known`` id by id (for a ``known`` without a bulk form)."""

    def many(kind: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        return {key: found for key in ids if (found := known(kind, key)) is not None}

    return many


KIND_OF: dict[type[Record], str] = {  # in dependency order
    Unit: "unit",
    Patient: "patient",
    Admission: "admission",
    Sip: "sip",
    Message: "message",
}
