"""Filling an empty home with the demo region: its records, then the work already under way
(``activity``), at the rehearsal moment unless ``--today`` says otherwise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lcsp_tui.domain import models as m

if TYPE_CHECKING:
    from lcsp_tui.workstation import Workstation

# The demo home rehearses the morning of step 2 unless --today says otherwise.
DEMO_TODAY = "2025-09-30T10:00"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Filled:
    records: int  # records of the Prator export the demo stands for
    cursor: int
    rehearsal: str | None  # the simulated moment saved in the home, None when --today gave one


def fill(
    ws: Workstation,
    size: str,
    seed: int,
    generating: Progress | None = None,
    writing: Progress | None = None,
) -> Filled:
    """Generate the region and write it, with its work under way, into ``ws``'s ledger."""
    from lcsp_tui.config import parse_today
    from lcsp_tui.demo import generate
    from lcsp_tui.demo.activity import activity
    from lcsp_tui.importer import diff_events

    records = generate(size, seed, (lambda _ph, d, t: generating(d, t)) if generating else None)
    plan = diff_events(records, *ws.record_lookups())
    rehearsal = None if ws.settings.simulated else DEMO_TODAY
    if rehearsal:  # before the work under way is recorded: it was done before this moment
        ws.store.set_meta("today", rehearsal)
        ws.settings.today = parse_today(rehearsal)
    # The work under way up to this home's "now" (a --today before the rehearsal sees less).
    now = ws.settings.now().isoformat(timespec="minutes")
    done = [e for e in activity(size, records, seed) if e.recorded_at <= now]
    early, late = _before_and_after_records(done)
    r = ws.publish(
        early + plan.events + late,
        {"demo": size, "seed": seed, "records": len(plan.events)},
        progress=writing,
    )
    return Filled(records=len(plan.events), cursor=r.cursor, rehearsal=rehearsal)


def _before_and_after_records(events: list[m.Event]) -> tuple[list[m.Event], list[m.Event]]:
    """The work under way split around the records, each part in the order it was done.

    Ticks and SIP decisions made before the rehearsal's day go before the records: folded
    first, they are read when each subject's rules are first evaluated, so the (large)
    step 1 costs the read model nothing extra, and the audit trail reads in time order.
    What needs its record to be there (a kvittering of a message, a discharge of an
    admission) and the rehearsal's own morning come after them.
    """
    day = DEMO_TODAY[:10]
    early_kinds = (m.ITEM_TICKED, m.SIP_DECIDED)
    early = [e for e in events if e.kind in early_kinds and e.recorded_at[:10] < day]
    late = [e for e in events if not (e.kind in early_kinds and e.recorded_at[:10] < day)]
    return early, late
