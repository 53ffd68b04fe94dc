"""A ward's sync beside the whole region's, on the same ledger, in one run (issue 15).

Not a test: prints figures and ratios. The ``large`` demo's ledger (``lcsp demo --size large
--no-tui`` writes it; ``--ledger-file`` keeps it between runs; a ledger of an earlier release
gets its bucket tables once, before the rounds), then interleaved rounds, the order
rotating, medians of ``--runs``:

  region  the whole ``lcsp --role systemforvaltning sync`` of a new home: every event, the
          patient records redacted, the region's read model;
  ward    the whole ``lcsp --role slutenvard-somatik --unit WARD sync`` of a new home (the
          somatic ward with most patients related to it): its patients' events only.

Then steady state: ``--ticks`` new ticks by other users land in the ledger (spread over the
region's admissions), and a ward home and a region home that have pulled everything pull
them (whole ``lcsp sync`` processes again, the ticks appended anew before each round).

Goal: a ward's first sync ≤ 0.1× the region's.

    python -m bench.bench_buckets [--runs 5] [--ledger-file /tmp/large.sqlite] [--ticks 1000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import uuid
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_sync import TODAY, child_env, demo_ledger, timed  # noqa: E402
from lcsp_tui.ledger.sqlite import SqliteLedger  # noqa: E402

GOAL = 0.1
WARD_ROLE = "slutenvard-somatik"


def busiest_ward(ledger: Path) -> str:
    with closing(sqlite3.connect(ledger)) as conn:
        (ward,) = conn.execute(
            "SELECT r.unit FROM relation r JOIN unit_ids u ON u.unit_id = r.unit "
            "WHERE r.record LIKE 'admission.upserted:%' GROUP BY r.unit "
            "ORDER BY count(DISTINCT r.patient_id) DESC LIMIT 1"
        ).fetchone()
    return str(ward)


def append_ticks(ledger: Path, n: int, round_no: int) -> None:
    """``n`` ticks by other users on the region's admissions, appended to the ledger."""
    with closing(sqlite3.connect(ledger)) as conn:
        subjects = [
            r[0]
            for r in conn.execute(
                "SELECT json_extract(payload, '$.admission_id') FROM events "
                "WHERE kind = 'admission.upserted' ORDER BY seq"
            )
        ]
    led = SqliteLedger(ledger, create=False)
    try:
        from lcsp_tui.domain import models as m

        led.push(
            [
                m.Event(
                    replica_id=f"bench-{round_no}",
                    origin_seq=i + 1,
                    kind=m.ITEM_TICKED,
                    actor="bench",
                    role=WARD_ROLE,
                    unit="",
                    recorded_at="2025-09-30T10:00",
                    payload={
                        "subject": subjects[i * 7919 % len(subjects)],
                        "item": "s2.personuppgifter",
                        "done": (i + round_no) % 2 == 0,
                        "note": str(uuid.uuid4())[:8],
                    },
                )
                for i in range(n)
            ]
        )
    finally:
        led.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ledger-file", type=Path)
    parser.add_argument("--ticks", type=int, default=1000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="lcsp-bench-buckets-"))
    env = child_env(tmp)
    try:
        source = args.ledger_file or tmp / "large.sqlite"
        demo_ledger(source, "large", tmp)
        ledger = tmp / "ledger.sqlite"
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(ledger)) as dst:
            src.backup(dst)
        SqliteLedger(ledger, create=False).close()  # an earlier release's: its tables once
        ward = busiest_ward(ledger)
        lcsp = [sys.executable, "-m", "lcsp_tui", "--ledger", str(ledger), "--today", TODAY]
        who = {
            "region": ["--role", "systemforvaltning"],
            "ward": ["--role", WARD_ROLE, "--unit", ward],
        }
        print(f"    ward: {WARD_ROLE} @ {ward}")
        first: dict[str, list[float]] = {"region": [], "ward": []}
        steady: dict[str, list[float]] = {"region": [], "ward": []}
        pulled: dict[str, int] = {}
        homes = {k: tmp / f"steady-{k}" for k in who}
        for k in who:  # the steady homes, and a warm-up of each first sync
            timed([*lcsp, "--home", str(homes[k]), *who[k], "sync"], env)
        for r in range(args.runs):
            order = list(who) if r % 2 == 0 else list(reversed(who))
            for k in order:
                home = tmp / f"first-{k}-{r}"
                t, out = timed([*lcsp, "--home", str(home), *who[k], "sync", "--json"], env)
                first[k].append(t)
                pulled[k] = json.loads(out)["pulled"]
                shutil.rmtree(home)
            append_ticks(ledger, args.ticks, r)
            for k in order:
                t, _ = timed([*lcsp, "--home", str(homes[k]), *who[k], "sync", "--json"], env)
                steady[k].append(t)
        with closing(sqlite3.connect(ledger)) as conn:
            head = conn.execute("SELECT max(seq) FROM events").fetchone()[0]
        print(f"    median of {args.runs} rounds (interleaved), ledger head {head:,}:")
        for label, times in (("first sync", first), ("steady pull", steady)):
            region, ward_t = statistics.median(times["region"]), statistics.median(times["ward"])
            extra = (
                f" (events pulled: region {pulled['region']:,}, ward {pulled['ward']:,})"
                if label == "first sync"
                else f" ({args.ticks:,} new ticks)"
            )
            print(
                f"      {label:12} region {region:7.2f} s   ward {ward_t:6.2f} s   "
                f"ward/region {ward_t / region:.3f}×{extra}"
            )
            runs = {k: [round(t, 2) for t in v] for k, v in times.items()}
            print(f"        runs: region {runs['region']}, ward {runs['ward']}")
        ratio = statistics.median(first["ward"]) / statistics.median(first["region"])
        met = "met" if ratio <= GOAL else "NOT met"
        print(f"      a ward's first sync / the region's: {ratio:.3f}× (goal ≤ {GOAL}×: {met})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
