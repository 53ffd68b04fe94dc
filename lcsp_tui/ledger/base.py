"""The ``Ledger`` protocol and how a ledger is opened from a ``--ledger`` value.

A ledger stores events in the order it commits them and numbers them 1, 2, 3 … without
gaps (``seq``). ``push`` is idempotent by ``event_id``: pushing an event that is already
there returns its existing ``seq``. ``pull(after, limit)`` returns the events with
``seq > after`` in order. Every ledger has a ``ledger_id`` (made when it is created) that a
home remembers so it never syncs with another ledger by mistake.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from lcsp_tui.domain.models import Event

LEDGER_SCHEMA_VERSION = 1


class LedgerError(Exception):
    """Base of ledger errors; the message is one line for the user."""


class LedgerUnreachable(LedgerError):
    """The ledger cannot be reached (server down, file missing): exit 69, keep local work."""


class LedgerMismatch(LedgerError):
    """The ledger is not the one this home belongs to, or has an unknown schema: exit 2."""


class Ledger(Protocol):
    ledger_id: str

    def push(self, events: Sequence[Event]) -> dict[str, int]:
        """Append events (idempotent by event_id); return {event_id: seq} for all of them."""
        ...

    def pull(self, after_seq: int, limit: int = 5000) -> list[Event]:
        """Events with seq > after_seq, in seq order, at most ``limit``."""
        ...

    def head(self) -> int:
        """The highest seq (0 when empty)."""
        ...

    def patient_records(self) -> dict[str, dict[str, Any]]:
        """The latest ``patient.upserted`` payload of every patient."""
        ...

    def close(self) -> None: ...


def ledger_id_from_meta(meta: dict[str, str], where: str) -> str:
    """The ledger id from a ledger's meta table, after checking its schema version."""
    version = meta.get("schema_version")
    if version != str(LEDGER_SCHEMA_VERSION):
        raise LedgerMismatch(
            f"den gemensamma databasen {where} har schemaversion {version}; "
            f"den här versionen av lcsp kan version {LEDGER_SCHEMA_VERSION}"
        )
    if not meta.get("ledger_id"):
        raise LedgerMismatch(f"ingen gemensam lcsp-databas (id saknas): {where}")
    return str(meta["ledger_id"])


def is_postgres(spec: str) -> bool:
    return spec.startswith(("postgresql://", "postgres://"))


def open_ledger(spec: str, *, create: bool = True) -> Ledger:
    """Open the ledger named by ``spec``: a ``postgresql://`` URL or a SQLite file path.

    With ``create=False`` a missing SQLite file is unreachable rather than made anew (a home
    that already belongs to a ledger must never get a fresh empty one silently).
    """
    if is_postgres(spec):
        from lcsp_tui.ledger.postgres import PostgresLedger

        return PostgresLedger(spec, create=create)
    from lcsp_tui.ledger.sqlite import SqliteLedger

    return SqliteLedger(Path(spec), create=create)
