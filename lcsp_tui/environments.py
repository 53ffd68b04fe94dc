"""Real and fictitious patients never mix (SPEC §10).

A production home refuses fictitious data, and a training home refuses a production ledger:

- ``lcsp demo`` pushes a ``demo.fictitious`` marker *before* its records, so a pull meets
  the marker before any fictitious record (the ``import.completed`` summary of a demo also
  says ``demo``; older ledgers have only that).
- A production home declares itself in its ledger (``ledger.environment``) at its first
  sync, after checking that the ledger holds no demo data; any other home that meets that
  declaration refuses the ledger, so ``lcsp demo`` can never write into it either.
- ``lcsp import`` in a production home refuses files with fictitious markers: phone
  numbers from the range PTS reserves for fiction (070-174 06 05 … 99), which the demo
  uses and no real subscriber has.

Each refusal is exit 2 before anything is folded or written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from lcsp_tui.domain import models as m
from lcsp_tui.domain.rules import Refusal

PRODUCTION = "produktion"
FICTION_PHONE = re.compile(r"070[- ]?174[ ]?06[ ]?(?:0[5-9]|[1-9]\d)(?!\d)")


class EnvironmentRefused(Refusal):
    """Data of the wrong environment: exit 2, nothing folded or written."""


def is_demo_marker(event: m.Event) -> bool:
    return event.kind == m.DEMO_DATA or (
        event.kind == "import.completed" and "demo" in event.payload
    )


def declares_production(event: m.Event) -> bool:
    return event.kind == m.LEDGER_ENVIRONMENT and event.payload.get("env") == PRODUCTION


def pull_guard(env: str) -> Callable[[Sequence[m.Event]], None]:
    """A check run on every pulled batch before it is folded."""

    def guard(events: Sequence[m.Event]) -> None:
        for e in events:
            if env == PRODUCTION and is_demo_marker(e):
                raise EnvironmentRefused(
                    f"den gemensamma databasen innehåller fiktiva demodata (händelse {e.seq}): "
                    "ett hem i produktion tar inte emot dem; använd produktionens databas"
                )
            if env != PRODUCTION and declares_production(e):
                raise EnvironmentRefused(
                    f"den gemensamma databasen är produktionens: ett hem i {env} tar inte emot "
                    "den (riktiga patienter stannar i produktionens hem)"
                )

    return guard


def fictitious_markers(events: Sequence[m.Event]) -> list[str]:
    """Ids of patient records carrying fictitious phone numbers (PTS's range for fiction)."""
    found = []
    for e in events:
        if e.kind != m.PATIENT_UPSERTED:
            continue
        p = e.payload
        text = f"{p.get('next_of_kin') or ''} {p.get('visiting_address') or ''}"
        if FICTION_PHONE.search(text):
            found.append(str(p.get("patient_id")))
    return found
