"""Many users at once, full form: ≥ 50 workstation processes on one PostgreSQL ledger.

Not a test: prints figures (the bounded test is tests/test_load.py; both use
tests/loadsim.py, which also checks convergence and that nothing was lost or duplicated).
Starts its own throwaway PostgreSQL server with crash-safe settings (fsync on). The baseline
in the same run is one workstation alone with the same intervals: the ratio says what
sharing the ledger with the others costs a sync.

    python bench/bench_load.py [--workstations 50] [--seconds 60] [--size small]
                               [--tick 0.3 1.5] [--sync 1 5] [--fast-settings]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import pg  # noqa: E402
from tests.loadsim import LoadResult, run_load  # noqa: E402


def one(
    server: pg.PgServer, n: int, seconds: float, size: str, tick: list[float], sync: list[float]
) -> LoadResult:
    url = pg.create_database(server.base_url)
    with tempfile.TemporaryDirectory(prefix="lcsp-load-") as tmp:
        t = time.perf_counter()
        r = run_load(
            url,
            Path(tmp),
            n,
            seconds,
            size=size,
            tick_every=(tick[0], tick[1]),
            sync_every=(sync[0], sync[1]),
            log=lambda msg: print(f"    {msg}", flush=True),
        )
        wall = time.perf_counter() - t
    s = r.summary()
    print(
        f"  {n} workstations × {seconds:.0f} s ({size}): {s['ledger_events']} events "
        f"({s['events_per_s']}/s), {s['syncs']} syncs ({s['syncs_per_s']}/s), "
        f"{s['refused']} refused ticks; sync p50 {s['sync_ms_p50']} ms, "
        f"p99 {s['sync_ms_p99']} ms, max {s['sync_ms_max']} ms; first sync p50 "
        f"{s['first_sync_s_p50']} s; {s['sync_errors']} sync errors; "
        f"{s['distinct_state_hashes']} state hash(es); wall {wall:.0f} s",
        flush=True,
    )
    if r.problems:
        print(f"  PROBLEMS: {r.problems}", flush=True)
    return r


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--workstations", type=int, default=50)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--size", choices=("small", "region"), default="small")
    p.add_argument("--tick", type=float, nargs=2, default=[0.3, 1.5], metavar=("MIN", "MAX"))
    p.add_argument("--sync", type=float, nargs=2, default=[1.0, 5.0], metavar=("MIN", "MAX"))
    p.add_argument("--fast-settings", action="store_true", help="fsync off (as the tests)")
    args = p.parse_args()

    label = "test settings (fsync off)" if args.fast_settings else "durable (fsync on)"
    print(f"PostgreSQL {label}; tick every {args.tick} s, sync every {args.sync} s")
    with pg.running_server(durable=not args.fast_settings) as server:
        print("baseline: one workstation alone")
        alone = one(server, 1, min(args.seconds, 30.0), args.size, args.tick, args.sync)
        print(f"load: {args.workstations} workstations")
        many = one(server, args.workstations, args.seconds, args.size, args.tick, args.sync)
    print(
        f"sync p50 with {args.workstations} workstations vs alone: "
        f"×{many.pct(50) / alone.pct(50):.2f}; p99 ×{many.pct(99) / alone.pct(99):.2f}"
    )
    sys.exit(1 if alone.problems or many.problems else 0)


if __name__ == "__main__":
    main()
