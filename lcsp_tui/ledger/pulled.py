"""An event as a pull reads it: the ledger's row, its payload still JSON text.

A pull of 100k events must not build a validated model and decode a payload per event: the
fold reads the payload inside SQLite (``lcsp_tui.store.fold``) and checks the envelope there,
set-based. ``PulledEvent`` is a plain tuple in the ledgers' column order (so it binds to an
``executemany`` as it is) with the attribute names of ``Event``; ``payload`` decodes the JSON
when something asks for it (the production/demo guard, for the few kinds it reads).
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from lcsp_tui.domain.models import Event

# The columns a pull selects, in PulledEvent's order (payload as JSON text).
PULL_COLUMNS = (
    "seq",
    "event_id",
    "replica_id",
    "origin_seq",
    "kind",
    "schema_version",
    "actor",
    "role",
    "unit",
    "recorded_at",
    "payload",
)


class PulledEvent(NamedTuple):
    seq: int
    event_id: str
    replica_id: str
    origin_seq: int
    kind: str
    schema_version: int
    actor: str
    role: str
    unit: str
    recorded_at: str
    payload_json: str

    @property
    def payload(self) -> dict[str, Any]:
        value = json.loads(self.payload_json)
        return value if isinstance(value, dict) else {}

    def event(self) -> Event:
        """The validated model (tests, tools; never a pull's inner loop)."""
        return Event(
            seq=self.seq,
            event_id=self.event_id,
            replica_id=self.replica_id,
            origin_seq=self.origin_seq,
            kind=self.kind,
            schema_version=self.schema_version,
            actor=self.actor,
            role=self.role,
            unit=self.unit,
            recorded_at=self.recorded_at,
            payload=json.loads(self.payload_json),
        )

    @classmethod
    def of(
        cls, e: Event, *, seq: int | None = None, payload: dict[str, Any] | None = None
    ) -> PulledEvent:
        """An ``Event`` (a test's, or one folded straight after a push: ``seq`` the ledger
        gave it, ``payload`` as the home's bucket holds it) as a pulled row."""
        return cls(
            seq if seq is not None else e.seq or 0,
            e.event_id,
            e.replica_id,
            e.origin_seq,
            e.kind,
            e.schema_version,
            e.actor,
            e.role,
            e.unit,
            e.recorded_at,
            json.dumps(
                e.payload if payload is None else payload,
                ensure_ascii=False,
                separators=(",", ":"),
            ),
        )
