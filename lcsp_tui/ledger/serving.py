"""How a ledger serves a bucket's pull (``buckets``), the same for both backends: only the
SQL dialect differs (``Dialect``). Not light (it reads ``PulledEvent``): only the ledgers
import it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from lcsp_tui.ledger.buckets import (
    CARE,
    REGION,
    Bucket,
    BucketPull,
    bucket_filter,
    merge,
    related_as_of,
)
from lcsp_tui.ledger.pulled import PULL_COLUMNS, PulledEvent

# A care bucket's rows are few among the region's: it reads a wider range of seqs a batch.
CARE_SPAN = 20


class Dialect(NamedTuple):
    events: str  # the events table
    log: str  # the relation_log table
    mark: str  # a named parameter, with {} for its name
    true: str  # SQL's true
    percent: str  # a literal % in a LIKE pattern
    payload: str  # the payload as JSON text
    redacted: str  # the region bucket's payload as JSON text


def serve(
    run: Callable[[str, dict[str, Any]], list[Any]],
    head: int,
    after: int,
    limit: int,
    bucket: Bucket,
    me: str,
    d: Dialect,
) -> BucketPull:
    """The pull of ``bucket`` after ``after``: the events of seqs ``(after, through]``,
    ``through = min(head, after + span)``, that the bucket holds as of ``through`` — the
    relation's history decides, never the moment of the pull — its own events outside it
    as confirmed ids, and the patients whose relation changed in the range (purged; those
    related as of ``through`` refilled with their whole history up to it). ``run`` runs a
    statement in the caller's snapshot (``head`` read in it)."""
    p = d.mark.format
    span = limit * (CARE_SPAN if bucket.kind == CARE else 1)
    through = min(head, after + span)
    params: dict[str, Any] = {"after": after, "through": through, "me": me, "unit": bucket.unit}
    related = related_as_of(d.log, p("unit"), p("through"), d.true)
    inside = bucket_filter(bucket, related, d.true, d.percent)
    payload = d.redacted if bucket.kind == REGION else d.payload
    cols = ", ".join(f"e.{c}" for c in PULL_COLUMNS[:-1]) + f", {payload}"
    in_range = f"e.seq > {p('after')} AND e.seq <= {p('through')}"
    rows = [
        PulledEvent._make(r)
        for r in run(
            f"SELECT {cols} FROM {d.events} e WHERE {in_range} AND {inside} ORDER BY e.seq",
            params,
        )
    ]
    confirmed = [
        str(r[0])
        for r in run(
            f"SELECT e.event_id FROM {d.events} e WHERE {in_range} "
            f"AND e.replica_id = {p('me')} AND NOT {inside}",
            params,
        )
    ]
    purge: set[str] = set()
    refill: set[str] = set()
    history: list[PulledEvent] = []
    if bucket.kind == CARE:
        for pid, now in run(
            f"SELECT DISTINCT l.patient_id, l.patient_id IN ({related}) FROM {d.log} l "
            f"WHERE l.unit = {p('unit')} AND l.seq > {p('after')} AND l.seq <= {p('through')} "
            "ORDER BY 1",
            params,
        ):
            purge.add(str(pid))
            if now:
                refill.add(str(pid))
                history += map(
                    PulledEvent._make,
                    run(
                        f"SELECT {cols} FROM {d.events} e WHERE e.patient_id = {p('pid')} "
                        f"AND e.seq <= {p('through')} ORDER BY e.seq",
                        {**params, "pid": pid},
                    ),
                )
    history.sort()
    return BucketPull(
        merge(rows, history), through, head, confirmed, frozenset(purge), frozenset(refill)
    )
