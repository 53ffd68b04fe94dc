"""Crash tests: SIGKILL a real ``lcsp sync`` process at the named points, then recover.

``LCSP_CRASH_AT=after_ledger_commit`` kills the process right after the ledger committed a
push (the reply is lost: the outbox still has the events); ``LCSP_CRASH_AT=after_fold``
kills it after a pulled batch was folded but before the cursor moved (the local
transaction never commits). After each kill a normal ``lcsp sync`` must leave nothing lost,
nothing duplicated, an empty outbox, and the same ``lcsp state-hash`` as a second home
synced from the same ledger.

One home and one ledger per crash point; every trial adds new ticks to them.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lcsp_tui.cli import main
from lcsp_tui.config import settings_from
from lcsp_tui.workstation import Workstation

TRIALS = 100  # per crash point
TODAY = "2025-09-30T09:00"
ROLE = "slutenvard-somatik"


def lcsp_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCSP_")}
    env.update(extra)
    return env


def lcsp(*args: str, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = lcsp_env(**({"LCSP_CRASH_AT": crash_at} if crash_at else {}))
    return subprocess.run(
        [sys.executable, "-m", "lcsp_tui", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """``lcsp ARGS`` in this process; returns stdout (exit 0 asserted)."""
    capsys.readouterr()
    rc = main(list(args))
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "Traceback" not in err
    return out


@dataclass
class Setup:
    home: Path
    ledger: Path
    unit: str
    subjects: list[str]
    items: list[str]
    ticked: dict[str, dict[str, object]] = field(default_factory=dict)  # event_id -> payload


def ledger_rows(ledger: Path) -> list[tuple[int, str, str]]:
    with closing(sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)) as conn:
        return conn.execute("SELECT seq, event_id, payload FROM events ORDER BY seq").fetchall()


def store_state(home: Path) -> tuple[int, list[str]]:
    """(cursor, outbox event ids) of a home, read straight from its store file."""
    with closing(sqlite3.connect(f"file:{home / 'store.sqlite'}?mode=ro", uri=True)) as conn:
        (cursor,) = conn.execute("SELECT value FROM meta WHERE key = 'cursor'").fetchone()
        outbox = [r[0] for r in conn.execute("SELECT event_id FROM outbox ORDER BY origin_seq")]
    return int(cursor), outbox


def make_setup(root: Path) -> Setup:
    home, ledger = root / "home", root / "ledger.sqlite"
    g = ("--home", str(home), "--ledger", str(ledger), "--today", TODAY)
    demo = lcsp(*g, "demo", "--size", "small", "--no-tui")
    assert demo.returncode == 0, demo.stderr
    # The wards of the somatic admissions; take the first whose worklist has work.
    with closing(sqlite3.connect(home / "store.sqlite")) as conn:
        wards = [
            r[0]
            for r in conn.execute(
                "SELECT ward FROM admissions WHERE care_form = 'somatik' AND status = 'pagaende' "
                "ORDER BY admission_id"
            )
        ]
    for unit in dict.fromkeys(wards):
        out = lcsp(*g, "--role", ROLE, "--unit", unit, "worklist", "--json")
        assert out.returncode == 0, out.stderr
        subjects = [row["subject"] for row in json.loads(out.stdout)]
        if subjects:
            break
    else:
        pytest.fail("no somatic ward of the small demo has a worklist")
    out = lcsp(*g, "--role", ROLE, "--unit", unit, "checklist", subjects[0], "--json")
    assert out.returncode == 0, out.stderr
    items = [
        i["id"]
        for i in json.loads(out.stdout)["items"]
        if i["step"] == "2" and i["applies"] and i["waiting"] is None
    ]
    assert items
    sync = lcsp(*g, "sync")  # push the checklist's audit read, so trials start clean
    assert sync.returncode == 0, sync.stderr
    return Setup(home, ledger, unit, subjects, items)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    yield make_setup(tmp_path)


def record_ticks(s: Setup, rng: random.Random, trial: int) -> list[str]:
    """A few ticks (and undos) recorded locally through the Python API."""
    ws = Workstation(
        settings_from(home=str(s.home), ledger=str(s.ledger), role=ROLE, unit=s.unit, today=TODAY)
    )
    ids = []
    try:
        for _ in range(rng.randint(1, 3)):
            subject, item = rng.choice(s.subjects), rng.choice(s.items)
            ev = ws.tick(subject, item, done=rng.random() < 0.7, note=f"trial {trial}")
            s.ticked[ev.event_id] = dict(ev.payload)
            ids.append(ev.event_id)
    finally:
        ws.close()
    return ids


@pytest.mark.slow
@pytest.mark.parametrize("point", ["after_ledger_commit", "after_fold"])
def test_sigkill_during_sync_loses_and_duplicates_nothing(
    point: str, setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s = setup
    rng = random.Random(f"crash-{point}")
    g = ("--home", str(s.home), "--ledger", str(s.ledger))
    second = tmp_path / "second"  # a home of the same bucket (issue 15): the ward's
    at = ("--role", ROLE, "--unit", s.unit)
    g2 = ("--home", str(second), "--ledger", str(s.ledger), *at)
    run_main(capsys, *g2, "sync", "--json")
    base_head = len(ledger_rows(s.ledger))
    started = time.monotonic()

    for trial in range(TRIALS):
        new = record_ticks(s, rng, trial)
        cursor_before, outbox_before = store_state(s.home)
        assert outbox_before == new

        killed = lcsp(*g, "sync", "--json", crash_at=point)
        assert killed.returncode == -signal.SIGKILL, (trial, killed.returncode, killed.stderr)
        assert killed.stdout == ""

        # The kill hit the named point: the ledger committed the push, the home kept its
        # outbox and its cursor (the reply was lost, or the fold's transaction died).
        in_ledger = {r[1] for r in ledger_rows(s.ledger)}
        assert set(new) <= in_ledger, trial
        assert store_state(s.home) == (cursor_before, outbox_before), trial

        recovered = lcsp(*g, "sync", "--json")
        assert recovered.returncode == 0, (trial, recovered.stderr)
        result = json.loads(recovered.stdout)
        assert set(result) == {"pushed", "pulled", "cursor"}

        rows = ledger_rows(s.ledger)
        # Dense, and exactly the seeded events plus every tick so far: nothing duplicated.
        assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
        assert len(rows) == base_head + len(s.ticked), trial
        counts: dict[str, int] = {}
        payloads = {}
        for _, event_id, payload in rows:
            counts[event_id] = counts.get(event_id, 0) + 1
            payloads[event_id] = json.loads(payload)
        for event_id, payload in s.ticked.items():  # nothing lost
            assert counts.get(event_id) == 1, (trial, event_id)
            assert payloads[event_id] == payload

        cursor, outbox = store_state(s.home)
        assert outbox == [], trial
        assert cursor == len(rows) == result["cursor"]

        run_main(capsys, *g2, "sync", "--json")
        hash_a = run_main(capsys, *g, "state-hash").strip()
        hash_b = run_main(capsys, *g2, "state-hash").strip()
        assert hash_a == hash_b, trial
        assert len(hash_a) == 64

    elapsed = time.monotonic() - started
    # The same check through real processes, against a third home folded from scratch.
    third = tmp_path / "third"
    assert lcsp("--home", str(third), "--ledger", str(s.ledger), *at, "sync").returncode == 0
    hashes = {
        lcsp("--home", str(h), "--ledger", str(s.ledger), "state-hash").stdout.strip()
        for h in (s.home, second, third)
    }
    assert len(hashes) == 1
    print(f"{point}: {TRIALS} SIGKILL trials, {len(s.ticked)} ticks, {elapsed:.1f} s")
