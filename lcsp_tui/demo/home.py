"""Filling an empty home with the demo region: its records, then the work already under way
(``activity``), at the rehearsal moment unless ``--today`` says otherwise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
    plan = diff_events(records, ws.known())
    rehearsal = None if ws.settings.simulated else DEMO_TODAY
    if rehearsal:  # before the work under way is recorded: it was done before this moment
        ws.store.set_meta("today", rehearsal)
        ws.settings.today = parse_today(rehearsal)
    r = ws.publish(
        plan.events + activity(size, records),
        {"demo": size, "seed": seed, "records": len(plan.events)},
        progress=writing,
    )
    return Filled(records=len(plan.events), cursor=r.cursor, rehearsal=rehearsal)
