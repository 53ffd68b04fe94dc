"""Sync and start-up figures, each against a baseline measured in the same run.

Not a test: prints figures and ratios.

  (a) pull: ``sync.pull`` of 100k ledger events into an empty local store, vs the floor —
      the same rows selected from the ledger in the same batches and ``executemany``-d into
      a plain table with the same number of columns (same pragmas, one commit per batch).
      The ledger holds record events of the ``large`` demo region (``diff_events`` against
      an empty ledger), sampled evenly across the kinds down to 100k. Goal: ≤ 2×.
  (b) push: 10k ticks recorded locally (``store.record``), then ``sync.push`` of the outbox
      into a fresh SQLite ledger; events/s.
  (c) start-up: ``lcsp worklist --json`` (a real process, a ``region`` demo home) vs a bare
      Textual app that exits right after mount, run headless; best of 5 each.
      Goal: the worklist is faster.

    python -m bench.bench_sync [--events 100000] [--push 10000] [--runs 3]
    python bench/bench_sync.py
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lcsp_tui import demo, importer, sync  # noqa: E402
from lcsp_tui.domain import models as m  # noqa: E402
from lcsp_tui.ledger.sqlite import SqliteLedger  # noqa: E402
from lcsp_tui.store.store import LocalStore, connect  # noqa: E402

PULL_GOAL = 2.0
TODAY = "2025-09-30T09:00"
ENVELOPE = {
    "replica_id": "bench",
    "actor": "bench",
    "role": "systemforvaltning",
    "unit": "",
    "recorded_at": "2025-09-01T08:00",
}
TEXTUAL_BARE = """
from textual.app import App


class Bare(App):
    def on_mount(self) -> None:
        self.exit()


Bare().run(headless=True)
"""


def best_of(runs: int, fn: Callable[[], float]) -> float:
    """``fn`` returns the seconds of its timed part; the best of ``runs``."""
    return min(fn() for _ in range(runs))


def subprocess_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LCSP_")}


# ------------------------------------------------------------------ (a) pull


def ledger_events(n: int) -> list[m.Event]:
    records = demo.generate("large")
    events = importer.diff_events(records, lambda kind, id: None).events
    if len(events) >= n:  # an even sample, still grouped by kind as an import writes them
        events = [events[i * len(events) // n] for i in range(n)]
    else:  # pad with ticks on the region's admissions
        admissions = [r.admission_id for r in records if isinstance(r, m.Admission)]
        events = events + [
            m.Event(
                kind=m.ITEM_TICKED,
                payload={
                    "subject": admissions[i % len(admissions)],
                    "item": "s2.personuppgifter",
                    "done": i % 3 != 0,
                },
            )
            for i in range(n - len(events))
        ]
    return [
        e.model_copy(update={**ENVELOPE, "origin_seq": i}) for i, e in enumerate(events, start=1)
    ]


def build_ledger(path: Path, n: int) -> SqliteLedger:
    events = ledger_events(n)
    ledger = SqliteLedger(path)
    for i in range(0, len(events), 5000):
        ledger.push(events[i : i + 5000])
    assert ledger.head() == n
    return ledger


def time_pull(ledger: SqliteLedger, tmp: Path, run: int) -> float:
    store = LocalStore(tmp / f"pull{run}.sqlite")
    try:
        start = time.perf_counter()
        pulled = sync.pull(store, ledger)
        elapsed = time.perf_counter() - start
        assert pulled == ledger.head() == store.cursor
    finally:
        store.close()
    return elapsed


def time_raw(ledger_path: Path, tmp: Path, run: int) -> tuple[float, float]:
    """(select + insert per batch, insert only) seconds for the same rows."""
    src = sqlite3.connect(ledger_path)
    columns = [r[1] for r in src.execute("PRAGMA table_info(events)")]
    select = f"SELECT {', '.join(columns)} FROM events WHERE seq > ? ORDER BY seq LIMIT ?"
    dst = connect(tmp / f"raw{run}.sqlite")
    dst.execute(f"CREATE TABLE plain ({', '.join(columns)})")
    insert = f"INSERT INTO plain VALUES ({', '.join('?' * len(columns))})"
    inserting = 0.0
    with closing(src), closing(dst):
        start = time.perf_counter()
        cursor = 0
        while True:
            rows = src.execute(select, (cursor, sync.PULL_BATCH)).fetchall()
            if not rows:
                break
            t = time.perf_counter()
            dst.execute("BEGIN IMMEDIATE")
            dst.executemany(insert, rows)
            dst.execute("COMMIT")
            inserting += time.perf_counter() - t
            cursor = rows[-1][0]
            if len(rows) < sync.PULL_BATCH:
                break
        total = time.perf_counter() - start
        assert dst.execute("SELECT count(*) FROM plain").fetchone()[0] == cursor
    return total, inserting


def bench_pull(n: int, runs: int, tmp: Path) -> None:
    print(f"(a) pull {n:,} events into an empty local store")
    start = time.perf_counter()
    ledger_path = tmp / "ledger100k.sqlite"
    ledger = build_ledger(ledger_path, n)
    kinds: dict[str, int] = {}
    for e in ledger.pull(0, n):
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    print(f"    ledger built in {time.perf_counter() - start:.1f} s: {kinds}")
    pull_s = min(time_pull(ledger, tmp, r) for r in range(runs))
    raws = [time_raw(ledger_path, tmp, r) for r in range(runs)]
    raw_s = min(t for t, _ in raws)
    insert_s = min(i for _, i in raws)
    ledger.close()
    print(f"    best of {runs}:")
    for label, secs in (
        ("sync.pull", pull_s),
        ("raw select+executemany", raw_s),
        ("raw executemany only", insert_s),
    ):
        print(f"      {label:24} {secs:8.3f} s  {n / secs:>12,.0f} events/s")
    ratio = pull_s / raw_s
    verdict = "ok" if ratio <= PULL_GOAL else "over goal"
    print(f"    ratio pull / raw: {ratio:.2f}× (goal ≤ {PULL_GOAL:.0f}×: {verdict})")
    print(f"    ratio pull / executemany only: {pull_s / insert_s:.2f}×")


# ------------------------------------------------------------------ (b) push


def bench_push(n: int, tmp: Path) -> None:
    print(f"(b) push {n:,} outbox events into a SQLite ledger")
    store = LocalStore(tmp / "push-store.sqlite")
    start = time.perf_counter()
    for i in range(n):
        store.record(
            m.ITEM_TICKED,
            {"subject": f"VT{i % 4800:06d}", "item": "s2.personuppgifter", "done": True},
            actor="bench",
            role="slutenvard-somatik",
            unit="SUS-AVD11",
            recorded_at=TODAY,
        )
    recorded = time.perf_counter() - start
    print(
        f"    store.record: {n:,} local writes in {recorded:.2f} s "
        f"({n / recorded:,.0f}/s, one durable transaction each)"
    )
    ledger = SqliteLedger(tmp / "push-ledger.sqlite")
    start = time.perf_counter()
    pushed = sync.push(store, ledger)
    elapsed = time.perf_counter() - start
    assert pushed == n == ledger.head()
    start = time.perf_counter()
    sync.push(store, ledger)  # again: every event is already there (a lost reply's retry)
    again = time.perf_counter() - start
    ledger.close()
    store.close()
    print(f"    sync.push: {elapsed:.3f} s = {n / elapsed:,.0f} events/s")
    print(f"    repeated push (all duplicates): {again:.3f} s = {n / again:,.0f} events/s")


# ------------------------------------------------------------------ (c) start-up


def run_once(cmd: list[str]) -> float:
    start = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=subprocess_env(), timeout=300)
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:6])}…: exit {p.returncode}: {p.stderr.strip()}")
    return elapsed


def walls(cmds: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Best wall time of each command; the runs interleave so drift hits all alike."""
    best = dict.fromkeys(cmds, float("inf"))
    for _ in range(runs):
        for name, cmd in cmds.items():
            best[name] = min(best[name], run_once(cmd))
    return best


def bench_startup(runs: int, tmp: Path) -> None:
    print(f"(c) start-up, best of {runs}")
    home = tmp / "region-home"
    lcsp = [sys.executable, "-m", "lcsp_tui", "--home", str(home), "--today", TODAY]
    start = time.perf_counter()
    p = subprocess.run(
        [*lcsp, "demo", "--size", "region", "--no-tui"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
    )
    if p.returncode != 0:
        raise SystemExit(f"demo failed: {p.stderr.strip()}")
    print(f"    region demo home made in {time.perf_counter() - start:.1f} s")
    # the busiest somatic ward, and the busiest home-health unit for step 1
    with closing(sqlite3.connect(home / "store.sqlite")) as conn:
        (ward,) = conn.execute(
            "SELECT ward FROM admissions WHERE care_form = 'somatik' AND status = 'pagaende' "
            "GROUP BY ward ORDER BY count(*) DESC, ward LIMIT 1"
        ).fetchone()
        (hsv,) = conn.execute(
            "SELECT home_health_unit FROM patients WHERE home_health_unit IS NOT NULL "
            "GROUP BY home_health_unit ORDER BY count(*) DESC, home_health_unit LIMIT 1"
        ).fetchone()
    cmds = {"floor": [sys.executable, "-c", "pass"], "bare": [sys.executable, "-c", TEXTUAL_BARE]}
    labels = {}
    for role, unit in (("slutenvard-somatik", ward), ("kommun-registrering", hsv)):
        args = [*lcsp, "--role", role, "--unit", unit, "worklist", "--json"]
        rows = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
        cmds[role] = args
        labels[role] = f"lcsp worklist --json ({role} @ {unit}, {len(rows)} rows)"
    best = walls(cmds, runs)
    bare = best["bare"]
    print(f"      {'python -c pass (the interpreter alone)':62} {best['floor']:7.3f} s")
    print(f"      {'bare Textual app (headless, exit on mount)':62} {bare:7.3f} s")
    for role, label in labels.items():
        secs = best[role]
        print(f"      {label:62} {secs:7.3f} s  ratio to bare Textual {secs / bare:.2f}×")
    worst = max(best[role] for role in labels)
    verdict = "ok" if worst < bare else "over goal"
    print(f"    slowest worklist / bare Textual: {worst / bare:.2f}× (goal < 1×: {verdict})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="events to pull (a)")
    parser.add_argument("--push", type=int, default=10_000, help="outbox events to push (b)")
    parser.add_argument("--runs", type=int, default=3, help="runs of (a), best taken")
    parser.add_argument("--startup-runs", type=int, default=5, help="runs of (c), best taken")
    parser.add_argument("--only", choices=("pull", "push", "startup"), help="one part only")
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}")
    with tempfile.TemporaryDirectory(prefix="lcsp-bench-sync-") as d:
        tmp = Path(d)
        if args.only in (None, "pull"):
            bench_pull(args.events, args.runs, tmp)
        if args.only in (None, "push"):
            bench_push(args.push, tmp)
        if args.only in (None, "startup"):
            bench_startup(args.startup_runs, tmp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
