"""Sync: push the outbox, then pull after the cursor and fold, batch by batch.

Push is at-least-once; the ledger deduplicates by event id, so a lost reply only means a
retry. Outbox rows leave only when their events come back in a pull, in the same
transaction that folds them into confirmed state and moves the cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from lcsp_tui.ledger.base import Ledger, LedgerMismatch
from lcsp_tui.ledger.buckets import Bucket, BucketPull
from lcsp_tui.ledger.pulled import PulledEvent
from lcsp_tui.store.readmodel import Touched
from lcsp_tui.store.store import BucketChanged, LocalStore

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


# Raises to refuse a batch before it is folded. It gets the batch's ``PulledEvent``s: the
# ``Event`` attributes (kind, seq, event_id, payload …) without a model per event.
Guard = Callable[[Sequence[Any]], None]


@runtime_checkable
class RowLedger(Protocol):
    """A ledger that hands out its rows as they are (both backends do)."""

    def pull_rows(self, after_seq: int, limit: int = PULL_BATCH) -> list[PulledEvent]: ...


@runtime_checkable
class BucketLedger(Protocol):
    """A ledger that serves buckets (``lcsp_tui.ledger.buckets``)."""

    def pull_bucket(
        self, after_seq: int, limit: int, bucket: Bucket, me: str, upto: int | None = None
    ) -> BucketPull: ...


def pull_batch(ledger: Ledger, after_seq: int, limit: int) -> list[PulledEvent]:
    if isinstance(ledger, RowLedger):
        return ledger.pull_rows(after_seq, limit)
    return [PulledEvent.of(e) for e in ledger.pull(after_seq, limit)]


def pull(
    store: LocalStore, ledger: Ledger, batch: int = PULL_BATCH, guard: Guard | None = None
) -> int:
    """Pull and fold batch by batch, each batch in one local transaction with the cursor.

    The read model is refreshed once, with the last batch, for everything the pull touched
    (``LocalStore.apply_pulled``); if the pull stops early (an error, a refusal) it is
    brought up to date before the error goes on, and after a crash the next pull rebuilds it
    first (``LocalStore.catch_up``).
    """
    store.catch_up()
    pulled = 0
    deferred = Touched()
    name = store.bucket
    bucket = Bucket.parse(name) if name and isinstance(ledger, BucketLedger) else None
    try:
        while True:
            if bucket is not None:
                assert isinstance(ledger, BucketLedger)
                got = ledger.pull_bucket(store.cursor, batch, bucket, store.replica_id)
                if got.head < store.cursor:
                    _restored(got.head, store.cursor)
                if guard is not None and got.rows:
                    guard(got.rows)
                last = got.through >= got.head
                store.apply_pulled(
                    got.rows,
                    deferred=deferred,
                    last=last,
                    through=got.through,
                    confirmed=got.confirmed,
                    purge=got.purge,
                    bucket=name,
                )
                pulled += len(got.rows)
                if last:
                    break
                continue
            events = pull_batch(ledger, store.cursor, batch)
            if not events:
                if pulled == 0 and store.cursor > 0 and (head := ledger.head()) < store.cursor:
                    _restored(head, store.cursor)
                break
            if guard is not None:
                guard(events)
            last = len(events) < batch
            store.apply_pulled(events, deferred=deferred, last=last)
            pulled += len(events)
            if last:
                break
    except BucketChanged:
        pass  # the home switched role or unit: the next pull is of its new bucket
    except Exception:  # (an interrupt leaves the mark: the next pull rebuilds)
        if deferred:
            # what earlier batches folded reaches the read model; if even that fails, the
            # store's mark makes the next pull rebuild it
            with suppress(Exception):
                store.catch_up(deferred)
        raise
    store.catch_up(deferred)
    return pulled


def _restored(head: int, cursor: int) -> None:
    """Restored from a backup to an earlier point: new events would get seqs this home has
    already applied and be skipped for good. Stop, never diverge."""
    raise LedgerMismatch(
        f"den gemensamma databasen slutar vid händelse {head}, men hemmet har "
        f"läst till och med {cursor}: databasen har återställts till en "
        "tidigare punkt; se README (Outage and restore)"
    )


def sync(store: LocalStore, ledger: Ledger, guard: Guard | None = None) -> SyncResult:
    check_identity(store, ledger)
    pushed = push(store, ledger)
    pulled = pull(store, ledger, guard=guard)
    return SyncResult(pushed=pushed, pulled=pulled, cursor=store.cursor)
