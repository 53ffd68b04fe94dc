"""Sync: push the outbox, then pull after the cursor and fold, batch by batch.

Push is at-least-once; the ledger deduplicates by event id, so a lost reply only means a
retry. Outbox rows leave only when their events come back in a pull, in the same
transaction that folds them into confirmed state and moves the cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lcsp_tui.domain.models import Event
from lcsp_tui.ledger.base import Ledger, LedgerMismatch
from lcsp_tui.store.store import LocalStore

PUSH_BATCH = 1000
PULL_BATCH = 5000


@dataclass(frozen=True)
class SyncResult:
    pushed: int
    pulled: int
    cursor: int


def check_identity(store: LocalStore, ledger: Ledger) -> None:
    """A home belongs to one ledger: remember it at first contact, refuse any other."""
    known = store.get_meta("ledger_id")
    if known is None:
        store.set_meta("ledger_id", ledger.ledger_id)
    elif known != ledger.ledger_id:
        raise LedgerMismatch(
            f"hemmet hör till den gemensamma databasen {known}, inte till {ledger.ledger_id}: "
            "använd hemmets egen databas eller ett nytt --home"
        )


def push(store: LocalStore, ledger: Ledger) -> int:
    pending = store.outbox()
    for i in range(0, len(pending), PUSH_BATCH):
        ledger.push(pending[i : i + PUSH_BATCH])
    return len(pending)


Guard = Callable[[Sequence[Event]], None]  # raises to refuse a batch before it is folded


def pull(
    store: LocalStore, ledger: Ledger, batch: int = PULL_BATCH, guard: Guard | None = None
) -> int:
    pulled = 0
    while True:
        events = ledger.pull(store.cursor, batch)
        if not events:
            if pulled == 0 and store.cursor > 0 and (head := ledger.head()) < store.cursor:
                # Restored from a backup to an earlier point: new events would get seqs this
                # home has already applied and be skipped for good. Stop, never diverge.
                raise LedgerMismatch(
                    f"den gemensamma databasen slutar vid händelse {head}, men hemmet har läst "
                    f"till och med {store.cursor}: databasen har återställts till en tidigare "
                    "punkt; se README (Outage and restore)"
                )
            return pulled
        if guard is not None:
            guard(events)
        store.apply_pulled(events)
        pulled += len(events)
        if len(events) < batch:
            return pulled


def sync(store: LocalStore, ledger: Ledger, guard: Guard | None = None) -> SyncResult:
    check_identity(store, ledger)
    pushed = push(store, ledger)
    pulled = pull(store, ledger, guard=guard)
    return SyncResult(pushed=pushed, pulled=pulled, cursor=store.cursor)
