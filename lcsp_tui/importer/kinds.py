"""What the ledger calls each record type, and how the importer asks it about one record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lcsp_tui.domain.models import Admission, Message, Patient, Record, Sip, Unit

Known = Callable[[str, str], dict[str, Any] | None]
"""(kind, id) -> the ledger's current record as ``model_dump(mode="json")``, or None."""

KIND_OF: dict[type[Record], str] = {  # in dependency order
    Unit: "unit",
    Patient: "patient",
    Admission: "admission",
    Sip: "sip",
    Message: "message",
}
