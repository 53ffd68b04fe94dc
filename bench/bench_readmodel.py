"""Read model figures (issue 10): what a user waits for, on a region in mid-cutover.

Not a test: prints figures beside their goals, all measured in one run; repetitions of the
things compared interleave (so that drift on a loaded machine hits them alike) and medians
are shown. Demo homes are made by the real CLI (``lcsp demo --size S --no-tui``, simulated
today 2025-09-30T10:00, ``bench.bench_tui.make_demo_home``) in ``--home DIR`` (kept and
reused: ``DIR/small-home``, ``DIR/region-home``, ``DIR/large-home``) or in a temp dir.

  (a) mid-cutover: the ``large`` demo, then ``item.ticked`` events for ~40 % of the
      applicable, not yet done items of the subjects in scope (the read model's
      ``rm_item`` rows with ``applies = 1``, read with a read-only ``sqlite3`` connection,
      in (subject, pos) order, each kept with ``random.Random(1).random() < 0.4``),
      published with ``Workstation.publish`` as systemforvaltning (straight into the
      ledger, then pulled and folded, read model included), 20,000 a call. Prints the
      time and the number of ticks. Done once per home (``DIR/large-ticks.json`` notes it).
  (b) whole ``lcsp worklist --json`` processes (``python -m lcsp_tui``, ``LCSP_HOME``,
      ``--role/--unit``, ``--today 2025-10-01T09:00``) on that home: the busiest worklist
      (the (role, unit) with the most pending ``rm_list`` rows) vs a one-row worklist (the
      first (role, unit) with exactly one pending row). The children get a bytecode cache in
      the temp dir, as an installed package has (this environment sets
      PYTHONDONTWRITEBYTECODE). Goal: busiest ≤ 1.5× one-row.
  (c) a whole ``lcsp stats --json --role systemforvaltning`` process on the same home and
      moment vs the same one-row worklist process, interleaved with (b). Goal: ≤ 1.5×.
  (d) ``LocalStore.state_hash()`` (what ``lcsp state-hash`` prints) in-process on the
      ``small``, ``region`` and ``large`` homes (the store opened once, the hash timed),
      divided by the events the store has pulled (its cursor): µs per event, to see whether
      it is linear. Measured before (a) on a new home, so the three are plain demos.
  (e) the TUI's push → paint of the busiest worklist of (b), in-process: what
      ``bench_tui.py`` (2) measures (``time_worklist``: pop and push ``WorklistScreen``
      until the screen update with the table's rows is sent), on this home at the same
      moment; median of ``--runs`` pushes, with the parts of the median push.
      Goal: ≤ 150 ms.

    python -m bench.bench_readmodel [--runs 7] [--home DIR]
    python bench/bench_readmodel.py --home /tmp/rm-homes --runs 3 --size small  # a check
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import bench_tui  # noqa: E402
from lcsp_tui.config import settings_from  # noqa: E402
from lcsp_tui.domain import models as m  # noqa: E402
from lcsp_tui.store.store import LocalStore  # noqa: E402
from lcsp_tui.workstation import Workstation  # noqa: E402
from screens.worklist import FIRST_ROWS  # noqa: E402

NOW = "2025-10-01T09:00"  # the moment of (b), (c) and (e)
TICKED_AT = "2025-10-01T08:00"  # recorded_at of the simulated ticks
SHARE = 0.4  # of the applicable items, ticked
CHUNK = 20_000  # events per publish
WORKLIST_GOAL = 1.5  # busiest / one-row
STATS_GOAL = 1.5  # stats / one-row worklist
PAINT_GOAL = 0.150  # seconds
SIZES = ("small", "region", "large")


def read_only(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{(home / 'store.sqlite').as_uri()}?mode=ro", uri=True)


def median_of(samples: list[float]) -> float:
    return statistics.median(samples)


# ------------------------------------------------------------------ (a) mid-cutover


def tick_home(home: Path, seed: int = 1) -> tuple[int, int, float]:
    """Publish ticks of ~SHARE of the applicable items; (ticks, applicable, seconds)."""
    with closing(read_only(home)) as conn:
        rows = conn.execute(
            "SELECT subject, item FROM rm_item WHERE applies = 1 AND done = 0 ORDER BY subject, pos"
        ).fetchall()
    rng = random.Random(seed)
    picked = [(s, i) for s, i in rows if rng.random() < SHARE]
    settings = settings_from(
        home=str(home), user="bench", role="systemforvaltning", today=TICKED_AT, env=None
    )
    start = time.perf_counter()
    ws = Workstation(settings)
    try:
        for k in range(0, len(picked), CHUNK):
            events = [
                m.Event(kind=m.ITEM_TICKED, payload={"subject": s, "item": i, "done": True})
                for s, i in picked[k : k + CHUNK]
            ]
            ws.publish(events, {"bench": True})
    finally:
        ws.close()
    return len(picked), len(rows), time.perf_counter() - start


def mid_cutover(home: Path, note: Path) -> dict[str, float]:
    if note.exists():
        done = cast(dict[str, float], json.loads(note.read_text()))
        print(
            f"(a) reused: {int(done['ticks']):,} ticks published in an earlier run "
            f"({done['seconds']:.1f} s then)"
        )
        return done
    ticks, applicable, secs = tick_home(home)
    with closing(read_only(home)) as conn:
        done_now, applies = conn.execute("SELECT sum(done), sum(applies) FROM rm_item").fetchone()
    print(
        f"(a) mid-cutover: {ticks:,} of {applicable:,} applicable items ticked "
        f"({ticks / applicable:.0%}), published and folded in {secs:.1f} s "
        f"({ticks / secs:,.0f} ticks/s); the read model now has {done_now:,} items done, "
        f"{applies:,} applying"
    )
    done = {"ticks": ticks, "applicable": applicable, "seconds": secs}
    note.write_text(json.dumps(done))
    return done


# ------------------------------------------------------------------ (b), (c)


def pick_worklists(home: Path) -> tuple[tuple[str, str, int], tuple[str, str]]:
    """The busiest (role, unit, rows) and a one-row (role, unit) of ``rm_list``."""
    with closing(read_only(home)) as conn:
        busiest = conn.execute(
            "SELECT role, unit, count(*) FROM rm_list WHERE pending = 1 AND unit <> '' "
            "GROUP BY role, unit ORDER BY count(*) DESC, role, unit LIMIT 1"
        ).fetchone()
        one = conn.execute(
            "SELECT role, unit FROM rm_list WHERE pending = 1 AND unit <> '' "
            "GROUP BY role, unit HAVING count(*) = 1 ORDER BY role, unit LIMIT 1"
        ).fetchone()
    if busiest is None or one is None:
        raise SystemExit(f"{home}: no busiest or no one-row worklist in rm_list")
    return (busiest[0], busiest[1], busiest[2]), (one[0], one[1])


def child_env(home: Path, pycache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCSP_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: compiled once, not each start
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env["LCSP_HOME"] = str(home)
    return env


def run_child(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    secs = time.perf_counter() - start
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[2:])}: exit {p.returncode}: {p.stderr.strip()[-2000:]}")
    return secs, p.stdout


def interleaved(
    cmds: dict[str, list[str]], env: dict[str, str], runs: int
) -> tuple[dict[str, list[float]], dict[str, str]]:
    """One warm-up of each, then ``runs`` rounds of all of them; seconds and last output."""
    out = {name: run_child(cmd, env)[1] for name, cmd in cmds.items()}
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for r in range(runs):
        names = list(cmds)
        names = names[r % len(names) :] + names[: r % len(names)]  # rotate who goes first
        for name in names:
            secs, out[name] = run_child(cmds[name], env)
            times[name].append(secs)
    return times, out


# ------------------------------------------------------------------ (d)


def state_hash_figures(homes: dict[str, Path], runs: int) -> dict[str, tuple[int, float]]:
    """size -> (events in the store, median seconds of ``state_hash``)."""
    stores = {size: LocalStore(home / "store.sqlite") for size, home in homes.items()}
    try:
        first = {size: s.state_hash() for size, s in stores.items()}  # warm-up
        times: dict[str, list[float]] = {size: [] for size in stores}
        for _ in range(runs):
            for size, store in stores.items():
                start = time.perf_counter()
                digest = store.state_hash()
                times[size].append(time.perf_counter() - start)
                assert digest == first[size], size
        return {size: (stores[size].cursor, median_of(times[size])) for size in stores}
    finally:
        for s in stores.values():
            s.close()


# ------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--home", type=Path, help="keep (and reuse) the demo homes in DIR")
    ap.add_argument("--runs", type=int, default=7, help="repetitions of each measure (medians)")
    ap.add_argument(
        "--size", choices=SIZES, default="large", help="the demo of (a)-(c), (e) (to check: small)"
    )
    args = ap.parse_args(argv)
    runs = args.runs
    print(
        f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs"
    )
    tmp_dir = tempfile.TemporaryDirectory(prefix="lcsp-bench-readmodel-")
    tmp = Path(tmp_dir.name)
    root = args.home or tmp / "homes"
    root.mkdir(parents=True, exist_ok=True)
    homes = {size: root / f"{size}-home" for size in SIZES}
    for size, home in homes.items():
        secs = bench_tui.make_demo_home(home, size)
        print(f"    {size} demo home {bench_tui.made(secs)} ({home})")
    large = homes[args.size]
    note = root / f"{args.size}-ticks.json"
    summary: list[tuple[str, str, str, bool | None]] = []

    def judge(what: str, value: str, goal: str, ok: bool | None) -> None:
        summary.append((what, value, goal, ok))

    # (d) first, while the large home is still the plain demo (unless reused)
    label = {s: s for s in SIZES}
    for size in SIZES:  # reused homes ticked by an earlier run
        if (root / f"{size}-ticks.json").exists():
            label[size] += " (mid-cutover)"
    print(f"(d) state_hash in-process, median of {runs} (interleaved), per event in the store")
    hashes = state_hash_figures(homes, runs)
    per_event = {}
    for size, (events, secs) in hashes.items():
        per_event[size] = secs / events * 1e6
        print(
            f"    {label[size]:20} {events:>9,} events  {secs * 1000:9.1f} ms  "
            f"{per_event[size]:6.2f} µs/event"
        )
    spread = max(per_event.values()) / min(per_event.values())
    print(f"    largest / smallest µs per event: {spread:.2f}× (1× = linear)")
    for size in SIZES:
        events, secs = hashes[size]
        judge(
            f"d state-hash, {label[size]} ({events:,} events)",
            f"{per_event[size]:.2f} µs/event ({secs * 1000:.0f} ms)",
            "linear (same µs/event)",
            None,
        )

    # (a)
    done = mid_cutover(large, note)
    judge(
        f"a ticks published (~{SHARE:.0%} of applicable items)",
        f"{int(done['ticks']):,} in {done['seconds']:.1f} s",
        "(context)",
        None,
    )

    # (b) and (c), interleaved
    (b_role, b_unit, b_rows), (o_role, o_unit) = pick_worklists(large)
    lcsp = [sys.executable, "-m", "lcsp_tui", "--today", NOW]
    cmds = {
        "busiest": [*lcsp, "--role", b_role, "--unit", b_unit, "worklist", "--json"],
        "one-row": [*lcsp, "--role", o_role, "--unit", o_unit, "worklist", "--json"],
        "stats": [*lcsp, "--role", "systemforvaltning", "stats", "--json"],
    }
    print(
        f"(b)+(c) whole processes, --today {NOW}, median of {runs} (interleaved, after a "
        "warm-up each)"
    )
    times, out = interleaved(cmds, child_env(large, tmp / "pycache"), runs)
    n_busy, n_one = len(json.loads(out["busiest"])), len(json.loads(out["one-row"]))
    if n_busy != b_rows or n_one != 1:
        raise SystemExit(f"rows: busiest {n_busy} (rm_list {b_rows}), one-row {n_one}")
    json.loads(out["stats"])
    med = {name: median_of(t) for name, t in times.items()}
    labels = {
        "busiest": f"lcsp worklist --json, {b_role} @ {b_unit} ({n_busy:,} rows)",
        "one-row": f"lcsp worklist --json, {o_role} @ {o_unit} ({n_one} row)",
        "stats": "lcsp stats --json --role systemforvaltning",
    }
    for name, text in labels.items():
        each = ", ".join(f"{t:.3f}" for t in times[name])
        print(f"    {text:70} {med[name]:7.3f} s  ({each})")
    b_ratio = med["busiest"] / med["one-row"]
    c_ratio = med["stats"] / med["one-row"]
    print(f"    busiest / one-row: {b_ratio:.2f}× (goal ≤ {WORKLIST_GOAL}×)")
    print(f"    stats / one-row:   {c_ratio:.2f}× (goal ≤ {STATS_GOAL}×)")
    judge(f"b worklist one-row, {o_role} @ {o_unit}", f"{med['one-row']:.3f} s", "(base)", None)
    judge(
        f"b worklist busiest, {b_role} @ {b_unit} ({n_busy:,} rows)",
        f"{med['busiest']:.3f} s = {b_ratio:.2f}×",
        f"≤ {WORKLIST_GOAL}× one-row",
        b_ratio <= WORKLIST_GOAL,
    )
    judge(
        "c stats --json, systemforvaltning",
        f"{med['stats']:.3f} s = {c_ratio:.2f}×",
        f"≤ {STATS_GOAL}× one-row",
        c_ratio <= STATS_GOAL,
    )

    # (e)
    print(f"(e) TUI push → paint of the busiest worklist, in-process, median of {runs} pushes")
    r = asyncio.run(bench_tui.time_worklist(large, b_role, b_unit, runs, None, today=NOW))
    warm = cast(list[bench_tui.Timed], r["warm"])
    ordered = sorted(warm, key=lambda w: w[0])
    push, parts = ordered[len(ordered) // 2]
    pushes = [w[0] for w in warm]
    print(
        f"    {b_role} @ {b_unit}: {r['rows']:,} rows in the worklist, {r['table_rows']} in the "
        f"table at the first paint (the first {FIRST_ROWS}, the rest follow); app start in run_test → painted (once) "
        f"{cast(float, r['cold']):.3f} s"
    )
    each = ", ".join(f"{t * 1000:.0f}" for t in pushes)
    paint = median_of(pushes)
    print(f"    push → paint: median {paint * 1000:.1f} ms ({each} ms); in the median push:")
    bench_tui.show_parts(parts, push, "      ")
    judge(
        f"e TUI push→paint, busiest ({r['rows']:,} rows, {r['table_rows']} in table)",
        f"{paint * 1000:.0f} ms",
        f"≤ {PAINT_GOAL * 1000:.0f} ms",
        paint <= PAINT_GOAL,
    )

    print_summary(summary)
    tmp_dir.cleanup()
    return 0


def print_summary(rows: list[tuple[str, str, str, bool | None]]) -> None:
    head = ("measure", "value", "goal", "met")
    cells = [(w, v, g, "—" if ok is None else "met" if ok else "NOT met") for w, v, g, ok in rows]
    cells.sort(key=lambda c: c[0][0])  # by part: a, b, c, d, e
    widths = [max(len(r[i]) for r in [head, *cells]) for i in range(len(head))]

    def line(c: tuple[str, ...]) -> str:
        return "  ".join(x.ljust(w) for x, w in zip(c, widths, strict=True)).rstrip()

    print("\nSummary")
    print(line(head))
    print(line(tuple("-" * w for w in widths)))
    for c in cells:
        print(line(c))


if __name__ == "__main__":
    raise SystemExit(main())
