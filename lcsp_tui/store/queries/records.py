"""Reading records back from the local store in the form the importer compares against."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from lcsp_tui.domain.models import Admission, Message, Patient, Record, Sip, Unit

TABLE_OF_KIND: dict[str, tuple[str, type[Record]]] = {
    "unit": ("units", Unit),
    "patient": ("patients", Patient),
    "admission": ("admissions", Admission),
    "sip": ("sips", Sip),
    "message": ("messages", Message),
}


def known_lookup(conn: sqlite3.Connection) -> Callable[[str, str], dict[str, object] | None]:
    """``(kind, id) -> payload`` of the confirmed record, as ``model_dump(mode="json")``."""
    statements = {}
    for kind, (table, model) in TABLE_OF_KIND.items():
        fields = list(model.model_fields)
        statements[kind] = (
            f"SELECT {', '.join(fields)} FROM {table} WHERE {fields[0]} = ?",
            fields,
        )

    def known(kind: str, record_id: str) -> dict[str, object] | None:
        sql, fields = statements[kind]
        row = conn.execute(sql, (record_id,)).fetchone()
        if row is None:
            return None
        out = dict(zip(fields, row, strict=True))
        if kind == "patient":
            out["protected_identity"] = bool(out["protected_identity"])
        return out

    return known
