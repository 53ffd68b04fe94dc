"""Support lookup as users run it — audited and durable — beside its floor, in one run.

Not a test: prints figures and the ratio. A home is filled with the ``large`` demo (100,000
patients; through ``Workstation.publish``, as ``lcsp demo`` does; reused with ``--home``
when it already holds data, its outbox first synced away). Then, for ``--queries`` lookup
keys drawn from the patients (seeded; keys of several patients and of protected identities
come along as they occur), each query runs every path below, one right after the other in
an order that rotates from query to query (interleaved: none gets a warmer machine), after a
warm-up of ``--warmup`` queries that are not counted:

  (a) the user's path: ``audited_lookup(ws, name, year)`` — exactly what ``lcsp lookup`` and
      the support screen (a keystroke in the running TUI, so in-process) call: parse the
      query, look every match up through the workstation's ``Queries`` (units, admissions
      and SIPs with the read model's status words, unacknowledged messages), and record the
      ``audit.read`` event in the outbox, committed (WAL, ``synchronous=FULL``: durable)
      before the result is returned. The outbox grows by one event per lookup, as it does
      between two syncs.
  (b) the anchor — the floor of (a): on a ``sqlite3`` connection of its own with the
      store's pragmas (WAL, ``synchronous=FULL``) to a copy of the store file made at the
      start (SQLite's backup; so that neither path's commits empty the other connection's
      page cache, which a second writer on one file does), the plain indexed query
      ``SELECT ... FROM patients WHERE lookup_key = ?`` (the key computed beforehand),
      fetched, then one single-row ``INSERT`` of an audit-sized row into a plain table (no
      index) in its own ``BEGIN IMMEDIATE`` … ``COMMIT``. That is the least any durable,
      audited lookup can do: find the patients by the index and make one row durable with
      one WAL fsync. The copy is deleted at the end.

For context (same rounds, same interleaving):

  (c) ``lookup(ws.q, parse_query(name, year))`` — the lookup without the audit write.
  (d) the anchor's indexed query alone, fetched (no write).

p50, p90 and p99 in milliseconds, and the ratio (a)/(b). Goal: (a) p99 ≤ 2× (b) p99.

    python -m bench.bench_lookup [--queries 3000] [--warmup 50] [--home DIR] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lcsp_tui import demo  # noqa: E402
from lcsp_tui.config import settings_from  # noqa: E402
from lcsp_tui.domain.lookup import parse_query  # noqa: E402
from lcsp_tui.importer import diff_events  # noqa: E402
from lcsp_tui.lookup import audited_lookup, lookup  # noqa: E402
from lcsp_tui.workstation import Workstation  # noqa: E402

GOAL_RATIO = 2.0
TODAY = "2025-09-30T10:00"
PATIENT_COLUMNS = (
    "patient_id, first_name, last_name, municipality, protected_identity, housing_unit, "
    "home_health_unit, assistance_unit, health_centre, psych_outpatient_unit"
)


def workstation(home: Path) -> Workstation:
    return Workstation(
        settings_from(home=str(home), user="bench", role="support", today=TODAY, env=None)
    )


def fill(home: Path, size: str) -> None:
    ws = workstation(home)
    try:
        if ws.store.cursor > 0:
            print(f"reusing {home} (cursor {ws.store.cursor})")
            return
        t = time.perf_counter()
        records = demo.generate(size, 1)
        events = diff_events(records, ws.known()).events
        ws.publish(events, {"demo": size, "seed": 1, "records": len(events)})
        print(f"filled {home}: {len(events):,} records in {time.perf_counter() - t:.0f} s")
    finally:
        ws.close()


def anchor_connection(store: Path, copy: Path) -> sqlite3.Connection:
    """The anchor's own connection to a copy of ``store``: the store's pragmas, and a plain
    table to insert into."""
    for leftover in (copy, copy.with_name(copy.name + "-wal"), copy.with_name(copy.name + "-shm")):
        leftover.unlink(missing_ok=True)
    conn = sqlite3.connect(copy, isolation_level=None, timeout=10.0)
    with closing(sqlite3.connect(f"{store.as_uri()}?mode=ro", uri=True)) as src:
        src.backup(conn)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=10000")
    conn.execute(
        "CREATE TABLE bench_anchor (id INTEGER PRIMARY KEY, kind TEXT, actor TEXT, "
        "recorded_at TEXT, payload TEXT)"
    )
    return conn


def percentile(ordered: Sequence[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def figures(samples: Sequence[float]) -> tuple[float, float, float]:
    """(p50, p90, p99) in ms."""
    ordered = sorted(samples)
    return (
        statistics.median(ordered) * 1000,
        percentile(ordered, 0.90) * 1000,
        percentile(ordered, 0.99) * 1000,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--queries", type=int, default=3000)
    ap.add_argument("--warmup", type=int, default=50, help="queries run first, not counted")
    ap.add_argument("--home", type=Path, help="a home to fill once and reuse")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--size", choices=demo.SIZES, default="large", help="the demo to fill")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="lcsp-bench-lookup-")
    home = args.home or Path(tmp.name) / "home"
    fill(home, args.size)

    ws = workstation(home)
    ws.sync()  # a reused home: the audit events of earlier runs leave the outbox
    copy = home.parent / f"{home.name}-bench-anchor.sqlite"
    anchor = anchor_connection(home / "store.sqlite", copy)
    n_patients = anchor.execute("SELECT count(*) FROM patients").fetchone()[0]
    rng = random.Random(args.seed)
    ids = [r[0] for r in anchor.execute("SELECT rowid FROM patients")]
    picked = rng.sample(ids, min(args.warmup + args.queries, len(ids)))
    queries: list[tuple[str, str]] = []
    for rowid in picked:
        first, last, pnr = anchor.execute(
            "SELECT first_name, last_name, personnummer FROM patients WHERE rowid = ?", (rowid,)
        ).fetchone()
        queries.append((f"{first[0]}. {last}", pnr[:4]))
    keys = {q: parse_query(*q).key for q in queries}
    found = {
        k: anchor.execute("SELECT count(*) FROM patients WHERE lookup_key = ?", (k,)).fetchone()[0]
        for k in keys.values()
    }
    several = sum(1 for n in found.values() if n > 1)
    outbox_before = ws.store.pending_count()

    q = ws.q
    select_sql = f"SELECT {PATIENT_COLUMNS} FROM patients WHERE lookup_key = ?"
    insert_sql = "INSERT INTO bench_anchor (kind, actor, recorded_at, payload) VALUES (?, ?, ?, ?)"

    def audited(name: str, year: str) -> object:
        return audited_lookup(ws, name, year)

    def anchor_path(name: str, year: str) -> object:
        rows = anchor.execute(select_sql, (keys[(name, year)],)).fetchall()
        subject = ",".join(sorted(str(r[0]) for r in rows)) or None
        payload = json.dumps({"outcome": f"{len(rows)} träffar", "subject": subject})
        anchor.execute("BEGIN IMMEDIATE")
        anchor.execute(insert_sql, ("audit.read", "bench", TODAY, payload))
        anchor.execute("COMMIT")
        return rows

    def unaudited(name: str, year: str) -> object:
        return lookup(q, parse_query(name, year))

    def select_only(name: str, year: str) -> object:
        return anchor.execute(select_sql, (keys[(name, year)],)).fetchall()

    paths: list[tuple[str, Callable[[str, str], object]]] = [
        ("a", audited),
        ("b", anchor_path),
        ("c", unaudited),
        ("d", select_only),
    ]
    samples: dict[str, list[float]] = {tag: [] for tag, _ in paths}
    clock = time.perf_counter
    start = clock()
    for i, (name, year) in enumerate(queries):
        turn = i % len(paths)
        for tag, fn in paths[turn:] + paths[:turn]:
            t = clock()
            fn(name, year)
            took = clock() - t
            if i >= args.warmup:
                samples[tag].append(took)
    wall = clock() - start
    outbox_after = ws.store.pending_count()
    anchor.close()
    ws.close()
    for leftover in (copy, copy.with_name(copy.name + "-wal"), copy.with_name(copy.name + "-shm")):
        leftover.unlink(missing_ok=True)

    counted = len(queries) - args.warmup
    print(
        f"\nsupport lookup over {n_patients:,} patients: {counted:,} queries after "
        f"{args.warmup} warm-up ({several} keys with several patients), each path once per "
        f"query, interleaved in rotating order; {wall:.0f} s; times in ms"
    )
    print(f"outbox: {outbox_before} → {outbox_after} events (one audit.read per audited lookup)")
    print(f"{'':<64}{'p50':>8}{'p90':>8}{'p99':>8}")
    labels = {
        "a": "(a) audited_lookup: the user's path, audit committed (FULL)",
        "b": "(b) anchor: indexed SELECT + one durable 1-row INSERT",
        "c": "(c) context: lookup() without the audit write",
        "d": "(d) context: the indexed SELECT alone",
    }
    fig = {tag: figures(s) for tag, s in samples.items()}
    for tag, label in labels.items():
        p50, p90, p99 = fig[tag]
        print(f"{label:<64}{p50:>8.3f}{p90:>8.3f}{p99:>8.3f}")
    (a50, a90, a99), (b50, b90, b99) = fig["a"], fig["b"]
    print(f"ratio (a)/(b): p50 {a50 / b50:.2f}×, p90 {a90 / b90:.2f}×, p99 {a99 / b99:.2f}×")
    verdict = "met" if a99 <= GOAL_RATIO * b99 else "MISSED"
    print(f"goal (a) p99 ≤ {GOAL_RATIO:g}× (b) p99: {verdict}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
