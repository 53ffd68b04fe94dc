"""Statistics and dashboard figures, each against a goal or a baseline measured in the same run.

Not a test: prints figures and ratios. Demo homes are made by the real CLI (``lcsp demo``,
simulated today 2025-09-30T10:00); ``--homes DIR`` keeps them between runs.

  (1) all statistics in-process (``lcsp_tui.stats.collect``: the SIP table, progress per
      step/role/unit/municipality, unacknowledged messages, flagged admissions, SIP
      decisions, missed Prator actions, the burndown) over the ``large`` demo as generated
      (100,000 patients, nothing ticked yet). Best of ``--repeat``, with the parts. Goal:
      ≤ 200 ms.
  (2) the same over ``large`` in mid-cutover: a copy with simulated work pushed through the
      ledger like real workstations would (decisions on 30 % of the SIPs, then ticks of
      items that apply: step 1 for 70 % of the items over September, steps 2–6 for 50 % on
      30 Sep–1 Oct, step 7 for 40 % on 2–3 Oct), "now" 3 Oct 10:00 — and for reference the
      ``region`` demo (the seed's scale) with the same simulated work.
  (3) the dashboard's first paint (the overview's figures on the screen) in a real process on
      a 120×36 pseudo-terminal (``lcsp --role systemforvaltning``) against a bare Textual app
      (Header + DataTable with 5 rows + Footer) in the same run, best of ``--runs`` after a
      warm-up; the children and their probe are ``bench.bench_tui``'s. On the ``large`` home
      in mid-cutover (the heaviest) and on ``region``.

    python -m bench.bench_stats [--repeat 7] [--runs 5] [--homes DIR] [--headless]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import bench_tui  # noqa: E402
from lcsp_tui.config import settings_from  # noqa: E402
from lcsp_tui.domain import models as m  # noqa: E402
from lcsp_tui.domain.regiondata import load_region  # noqa: E402
from lcsp_tui.stats import collect  # noqa: E402
from lcsp_tui.stats.burndown import compute_burndown, ticks_by_day  # noqa: E402
from lcsp_tui.stats.lanes import LaneRules, lanes  # noqa: E402
from lcsp_tui.stats.progress import compute_progress, count_source  # noqa: E402
from lcsp_tui.stats.tables import (  # noqa: E402
    flagged_admissions,
    unacknowledged_by_unit,
    unit_names,
)
from lcsp_tui.workstation import Workstation  # noqa: E402

GOAL_MS = 200.0
DEMO_NOW = dt.datetime(2025, 9, 30, 10, 0)
WORK_NOW = dt.datetime(2025, 10, 3, 10, 0)
REGION = load_region()


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def parts(conn: sqlite3.Connection, now: dt.datetime, repeat: int) -> dict[str, float]:
    """The pieces of ``collect``, each timed alone."""
    counted = {k: count_source(conn, REGION, k) for k in ("patient", "admission", "sip")}
    progress = compute_progress(None, REGION, now, counted)
    per_day = ticks_by_day(conn)
    out = {
        f"SQL: {label}": best_of(lambda k=k: count_source(conn, REGION, k), repeat)  # type: ignore[misc]
        for k, label in (
            ("patient", "step-1 patients (subject rows, counted)"),
            ("admission", "moving admissions (5 lanes)"),
            ("sip", "ongoing SIPs (also the SIP table)"),
        )
    }
    out["figures from the counted keys (bit sets)"] = best_of(
        lambda: compute_progress(None, REGION, now, counted), repeat
    )
    out["SQL: unacknowledged, flagged, unit names"] = best_of(
        lambda: (unacknowledged_by_unit(conn), flagged_admissions(conn, REGION), unit_names(conn)),
        repeat,
    )
    out["SQL: done items per tick day (burndown)"] = best_of(lambda: ticks_by_day(conn), repeat)
    out["burndown series and plan"] = best_of(
        lambda: compute_burndown(conn, REGION, now, progress, per_day=per_day), repeat
    )
    return out


def report_stats(label: str, home: Path, now: dt.datetime, repeat: int) -> float:
    conn = sqlite3.connect(home / "store.sqlite")
    ticks = conn.execute("SELECT count(*) FROM items WHERE done = 1").fetchone()[0]
    collect(conn, REGION, now)  # warm the page cache
    total = best_of(lambda: collect(conn, REGION, now), repeat)
    s = collect(conn, REGION, now)
    p = s.progress.total
    print(f"  {label}: {ticks:,} items ticked; {p.done:,} of {p.total:,} done at {now:%d/%m %H:%M}")
    print(f"    all statistics (collect), best of {repeat}: {total * 1000:7.1f} ms")
    for name, secs in parts(conn, now, repeat).items():
        print(f"      {name:54} {secs * 1000:7.1f} ms")
    conn.close()
    return total * 1000


# ------------------------------------------------------------------ simulated work


def _ws(home: Path, today: dt.datetime) -> Workstation:
    return Workstation(
        settings_from(
            home=str(home),
            user="bench",
            role="systemforvaltning",
            today=today.isoformat(timespec="minutes"),
        )
    )


def _publish(home: Path, today: dt.datetime, kind: str, payloads: list[dict[str, object]]) -> None:
    ws = _ws(home, today)
    try:
        for i in range(0, len(payloads), 20000):
            events = [m.Event(kind=kind, payload=p) for p in payloads[i : i + 20000]]
            ws.publish(events, {"bench": "simulated work"})
    finally:
        ws.close()


def simulate_work(home: Path, seed: int = 1) -> int:
    """Push decisions, then ticks of items that apply, day by day; returns the tick count."""
    rng = random.Random(seed)
    conn = sqlite3.connect(home / "store.sqlite")
    sips = [r[0] for r in conn.execute("SELECT sip_id FROM sips WHERE status = 'pagaende'")]
    decisions = [
        {"sip_id": s, "decision": "aktuell" if rng.random() < 0.8 else "ej_aktuell"}
        for s in sips
        if rng.random() < 0.3
    ]
    conn.close()
    _publish(home, dt.datetime(2025, 9, 30, 9, 0), m.SIP_DECIDED, decisions)
    conn = sqlite3.connect(home / "store.sqlite")
    cutoff = REGION.timeline.milestones.discharge_ready_cutoff.isoformat()
    by_day: dict[dt.datetime, list[dict[str, object]]] = {}
    september = [dt.datetime(2025, 9, d, 14, 0) for d in range(1, 30)]
    for lane in lanes(REGION):
        src = lane.source
        lr = LaneRules(lane, REGION, WORK_NOW)
        share = {"patient": 0.7, "admission": 0.5, "sip": 0.4}[src.kind]
        cols = [src.subject, *lane.units, *src.signature]
        for row in conn.execute(src.rows_sql(cols), {"cutoff": cutoff}):
            units, sig = row[1 : 1 + len(lane.units)], tuple(row[1 + len(lane.units) :])
            if lane.needs_unit and not any(units):
                continue
            for f in lr.applicable(sig):
                if rng.random() >= share:
                    continue
                if src.kind == "patient":
                    day = rng.choice(september)
                elif f.item.step in ("2", "3", "4"):
                    day = dt.datetime(2025, 9, 30, 15, 0)
                elif src.kind == "admission":  # steps 5A, 5B, 6
                    day = dt.datetime(2025, 10, 1, 11, 0)
                else:
                    day = dt.datetime(2025, 10, rng.choice((2, 3)), 9, 0)
                by_day.setdefault(day, []).append(
                    {"subject": row[0], "item": f.item.id, "done": True}
                )
    conn.close()
    n = 0
    for day in sorted(by_day):
        _publish(home, day, m.ITEM_TICKED, by_day[day])
        n += len(by_day[day])
    return n


def working_home(homes: Path, size: str) -> Path:
    """The ``size`` demo with simulated work (made once per --homes directory)."""
    plain = homes / size
    bench_tui.make_demo_home(plain, size)
    worked = homes / f"{size}-work"
    if not (worked / "store.sqlite").exists():
        shutil.rmtree(worked, ignore_errors=True)
        shutil.copytree(plain, worked)
        t = time.perf_counter()
        n = simulate_work(worked)
        print(
            f"  (simulated work on {size}: {n:,} ticks pushed in {time.perf_counter() - t:.1f} s)"
        )
    return worked


# ------------------------------------------------------------------ (3)


def bench_paint(homes: dict[str, Path], runs: int, headless: bool, tmp: Path) -> list[str]:
    lcsp_py, bare_py = tmp / "lcsp_child.py", tmp / "bare_child.py"
    lcsp_py.write_text(bench_tui.LCSP_CHILD)
    bare_py.write_text(bench_tui.BARE_CHILD)
    today = WORK_NOW.isoformat(timespec="minutes")
    cmds = {"bare": [sys.executable, str(bare_py)]}
    for name, home in homes.items():
        cmds[name] = [
            sys.executable,
            str(lcsp_py),
            "--home",
            str(home),
            "--today",
            today,
            "--role",
            "systemforvaltning",
        ]
    for cmd in cmds.values():
        bench_tui.spawn(cmd, tmp, headless)
    best = {name: bench_tui.Best() for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            best[name].add(bench_tui.spawn(cmd, tmp, headless))
    bare = best["bare"]
    lines = []
    print(f"      {'':40} {'→App.run':>9} {'→paint':>9} {'to paint':>9}  ratio to bare")
    for name, b in best.items():
        label = "bare Textual (Header+DataTable+Footer)" if name == "bare" else f"dashboard, {name}"
        ratio = b.paint / bare.paint
        print(
            f"      {label:40} {b.ran:8.3f}s {b.paint - b.ran:8.3f}s {b.paint:8.3f}s  {ratio:5.2f}×"
        )
        if name != "bare":
            lines.append(f"dashboard first paint, {name}: {b.paint:.3f} s = {ratio:.2f}× bare")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7, help="statistics: best of N")
    ap.add_argument("--runs", type=int, default=5, help="first paint: best of N")
    ap.add_argument("--homes", type=Path, help="keep the demo homes here between runs")
    ap.add_argument("--headless", action="store_true", help="(3) without a pseudo-terminal")
    args = ap.parse_args(argv)
    tmp_dir = tempfile.TemporaryDirectory(prefix="bench-stats-")
    tmp = Path(tmp_dir.name)
    homes = args.homes or tmp / "homes"
    homes.mkdir(parents=True, exist_ok=True)
    bench_tui.PYCACHE = tmp / "pycache"
    summary = []

    print("(1) all statistics in-process, the large demo as generated")
    bench_tui.make_demo_home(homes / "large", "large")
    ms = report_stats("large", homes / "large", DEMO_NOW, args.repeat)
    summary.append(f"statistics, large as generated: {ms:.0f} ms (goal ≤ {GOAL_MS:.0f} ms)")

    print("(2) all statistics in-process, in mid-cutover (simulated work)")
    large_work = working_home(homes, "large")
    region_work = working_home(homes, "region")
    ms = report_stats("large, mid-cutover", large_work, WORK_NOW, args.repeat)
    summary.append(f"statistics, large mid-cutover: {ms:.0f} ms (goal ≤ {GOAL_MS:.0f} ms)")
    ms = report_stats("region, mid-cutover", region_work, WORK_NOW, args.repeat)
    summary.append(f"statistics, region mid-cutover: {ms:.0f} ms")

    mode = "headless" if args.headless else "120×36 pseudo-terminal"
    print(
        f"(3) dashboard first paint vs bare Textual, real processes ({mode}), best of {args.runs}"
    )
    summary += bench_paint(
        {"large mid-cutover": large_work, "region mid-cutover": region_work},
        args.runs,
        args.headless,
        tmp,
    )
    print("\nSummary")
    for line in summary:
        print(f"  {line}")
    tmp_dir.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
