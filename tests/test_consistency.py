"""Hypothesis: for random regions and random ticks, kvitteringar and SIP decisions — some
in the ledger, some still pending in the outbox — every figure agrees with what the users
see (tests/consistency.py says how)."""

from __future__ import annotations

import datetime as dt
import os
import random
import sqlite3
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lcsp_tui.config import settings_from
from lcsp_tui.demo import generate
from lcsp_tui.domain import models as m
from lcsp_tui.domain.regiondata import load_region
from lcsp_tui.importer import diff_events
from lcsp_tui.workstation import Workstation
from tests import consistency

REGION = load_region()
MOMENTS = [
    dt.datetime(2025, 9, 30, 10, 0),
    dt.datetime(2025, 9, 30, 12, 0),
    dt.datetime(2025, 10, 3, 9, 0),
    dt.datetime(2025, 10, 16, 0, 0),
]


def _ids(home: Path) -> tuple[list[str], list[str], list[str]]:
    conn = sqlite3.connect(home / "store.sqlite")
    try:
        subjects = [
            r[0]
            for r in conn.execute(
                "SELECT patient_id FROM patients UNION ALL SELECT admission_id FROM admissions "
                "UNION ALL SELECT sip_id FROM sips ORDER BY 1"
            )
        ]
        sips = [r[0] for r in conn.execute("SELECT sip_id FROM sips ORDER BY 1")]
        messages = [r[0] for r in conn.execute("SELECT message_id FROM messages ORDER BY 1")]
    finally:
        conn.close()
    return subjects, sips, messages


def _actions(rng: random.Random, home: Path, n: int) -> list[tuple[str, dict[str, object]]]:
    subjects, sips, messages = _ids(home)
    items = [i.id for i in REGION.checklists.item]
    out: list[tuple[str, dict[str, object]]] = []
    for _ in range(n):
        r = rng.random()
        if r < 0.75:
            out.append(
                (
                    m.ITEM_TICKED,
                    {
                        "subject": rng.choice(subjects),
                        "item": rng.choice(items),
                        "done": rng.random() < 0.85,
                    },
                )
            )
        elif r < 0.9 and messages:
            out.append((m.MESSAGE_ACKED, {"message_id": rng.choice(messages)}))
        elif sips:
            decision = rng.choice(["aktuell", "ej_aktuell"])
            out.append((m.SIP_DECIDED, {"sip_id": rng.choice(sips), "decision": decision}))
    return out


@settings(
    max_examples=40 if os.environ.get("CI") == "true" else 8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(1, 10_000),
    actions=st.integers(0, 120),
    pending_share=st.floats(0, 1),
    moment=st.sampled_from(MOMENTS),
)
def test_every_figure_agrees_with_what_users_see(
    tmp_path_factory, seed: int, actions: int, pending_share: float, moment: dt.datetime
) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path_factory.mktemp("region") / "home"
    ws = Workstation(
        settings_from(
            home=str(home), user="gen", role="systemforvaltning", today="2025-09-30T10:00"
        )
    )
    try:
        ws.publish(diff_events(generate("small", seed), ws.known()).events, {"demo": "small"})
        rng = random.Random(seed)
        done = _actions(rng, home, actions)
        cut = int(len(done) * (1 - pending_share))
        confirmed, pending = done[:cut], done[cut:]
        ws.publish([m.Event(kind=k, payload=p) for k, p in confirmed], {"test": True})
        for kind, payload in pending:  # local work the ledger has not seen yet
            ws.store.record(
                kind, payload, actor="lokal", role="", unit="", recorded_at="2025-09-30T10:00"
            )
    finally:
        ws.close()
    consistency.check(home, moment)
