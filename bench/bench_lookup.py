"""Support lookup over the ``large`` demo (100,000 patients), in-process, against plain
indexed SQLite in the same run.

Not a test: prints figures and ratios. A home is filled with the large demo (through
``Workstation.publish``, as ``lcsp demo`` does; reused with ``--home`` when it already
holds data), then, for ``--queries`` lookup keys drawn from the patients (seeded; keys
of several patients and of protected identities come along as they occur):

  (a) ``lookup(ws.q, parse_query(name, year))`` — what the CLI and the support screen
      show: every match with units, admissions and SIPs with their cutover status (the
      read model's ``rm_subject``), and the unacknowledged messages (``rm_message``);
      through the workstation's ``Queries``.
  (b) baseline 1: ``SELECT * FROM patients WHERE lookup_key = ?`` (the index the lookup
      uses), fetched.
  (c) baseline 2: the same information as plain SQL on the same tables — the patients,
      then per patient its own units' names, its admissions and SIPs with their record
      status, cutover status and unit name, and its unacknowledged messages with the
      recipient's name — fetched as tuples, no Python objects built.
  (b) and (c) run on a read-only ``sqlite3`` connection of their own to the store file.
  (d) for context, the whole audited path (``audited_lookup``: parse, look up, and write
      the ``audit.read`` event to the outbox, one ``BEGIN IMMEDIATE`` with
      ``synchronous=FULL``), on fewer keys; the outbox starts empty and grows by one
      event per lookup (a workstation syncs every 30 s).

p50 and p99 in milliseconds. Goal: (a) p99 ≤ 2 ms.

    python -m bench.bench_lookup [--queries 5000] [--home DIR] [--seed 1] [--size large]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lcsp_tui import demo  # noqa: E402
from lcsp_tui.config import settings_from  # noqa: E402
from lcsp_tui.domain.lookup import parse_query  # noqa: E402
from lcsp_tui.importer import diff_events  # noqa: E402
from lcsp_tui.lookup import audited_lookup, lookup  # noqa: E402
from lcsp_tui.workstation import Workstation  # noqa: E402

GOAL_P99_MS = 2.0
TODAY = "2025-09-30T10:00"


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


def percentiles(samples: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return statistics.median(ordered) * 1000, p99 * 1000


def timed(fn: Callable[[str, str], object], queries: Sequence[tuple[str, str]]) -> list[float]:
    for name, year in queries[:50]:  # warm the page cache and the statement cache
        fn(name, year)
    out = []
    for name, year in queries:
        t = time.perf_counter()
        fn(name, year)
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--queries", type=int, default=5000)
    ap.add_argument("--audited", type=int, default=500, help="queries for (d)")
    ap.add_argument("--home", type=Path, help="a home to fill once and reuse")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--size", choices=demo.SIZES, default="large", help="the demo to fill")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="lcsp-bench-lookup-")
    home = args.home or Path(tmp.name) / "home"
    fill(home, args.size)

    ws = workstation(home)
    ws.sync()  # a reused home: the audit events of earlier runs leave the outbox
    conn = sqlite3.connect(f"{(home / 'store.sqlite').as_uri()}?mode=ro", uri=True)
    n_patients = conn.execute("SELECT count(*) FROM patients").fetchone()[0]
    rng = random.Random(args.seed)
    ids = [r[0] for r in conn.execute("SELECT rowid FROM patients")]
    picked = rng.sample(ids, min(args.queries, len(ids)))
    queries: list[tuple[str, str]] = []
    for rowid in picked:
        first, last, pnr = conn.execute(
            "SELECT first_name, last_name, personnummer FROM patients WHERE rowid = ?", (rowid,)
        ).fetchone()
        queries.append((f"{first[0]}. {last}", pnr[:4]))
    keys = {q: parse_query(*q).key for q in queries}
    several = sum(
        1
        for k in keys.values()
        if conn.execute("SELECT count(*) FROM patients WHERE lookup_key = ?", (k,)).fetchone()[0]
        > 1
    )

    q = ws.q

    def full(name: str, year: str) -> object:
        return lookup(q, parse_query(name, year))

    def plain_patients(name: str, year: str) -> object:
        return conn.execute(
            "SELECT * FROM patients WHERE lookup_key = ?", (keys[(name, year)],)
        ).fetchall()

    def plain_same(name: str, year: str) -> object:
        out = []
        for p in conn.execute(
            "SELECT * FROM patients WHERE lookup_key = ?", (keys[(name, year)],)
        ).fetchall():
            pid = p[0]
            units = conn.execute(
                "SELECT u.unit_id, u.name FROM patients p JOIN units u ON u.unit_id IN "
                "(p.housing_unit, p.home_health_unit, p.assistance_unit, p.health_centre, "
                "p.psych_outpatient_unit) WHERE p.patient_id = ? ORDER BY u.unit_id",
                (pid,),
            ).fetchall()
            subjects = conn.execute(
                "SELECT s.subject, s.kind, s.holder_unit, u.name, s.care_form, "
                "s.coordinator_org, coalesce(a.status, x.status), s.status FROM rm_subject s "
                "LEFT JOIN admissions a ON a.admission_id = s.subject "
                "LEFT JOIN sips x ON x.sip_id = s.subject "
                "LEFT JOIN units u ON u.unit_id = s.holder_unit "
                "WHERE s.patient_id = ? AND s.kind <> 'patient' "
                "ORDER BY coalesce(a.admitted, x.started), s.subject",
                (pid,),
            ).fetchall()
            msgs = conn.execute(
                "SELECT m.message_id, m.admission_id, m.type, m.recipient_unit, u.name, m.sent "
                "FROM rm_subject s JOIN rm_message m ON m.admission_id = s.subject "
                "LEFT JOIN units u ON u.unit_id = m.recipient_unit "
                "WHERE s.patient_id = ? AND s.kind = 'admission' AND m.acked = 0 "
                "ORDER BY m.sent, m.message_id",
                (pid,),
            ).fetchall()
            out.append((p, units, subjects, msgs))
        return out

    # interleave the three so that none gets a warmer machine than the others
    results: dict[str, list[float]] = {"lookup": [], "plain1": [], "plain2": []}
    chunk = 500
    for i in range(0, len(queries), chunk):
        part = queries[i : i + chunk]
        results["lookup"] += timed(full, part)
        results["plain1"] += timed(plain_patients, part)
        results["plain2"] += timed(plain_same, part)

    audited_q = queries[: args.audited]
    audited = timed(lambda n, y: audited_lookup(ws, n, y), audited_q)
    ws.close()
    conn.close()

    print(
        f"\nlookup over {n_patients:,} patients; {len(queries):,} queries "
        f"({several} keys with several patients); times in ms"
    )
    print(f"{'':<52}{'p50':>8}{'p99':>8}")
    rows = [
        ("(a) lookup(ws.q, query): the support desk's answer", results["lookup"]),
        ("(b) plain: SELECT patients WHERE lookup_key = ?", results["plain1"]),
        ("(c) plain: the same information as raw SQL", results["plain2"]),
        (f"(d) audited_lookup, incl. the audit write ({len(audited_q)})", audited),
    ]
    figures = {}
    for label, samples in rows:
        p50, p99 = percentiles(samples)
        figures[label[:3]] = (p50, p99)
        print(f"{label:<52}{p50:>8.3f}{p99:>8.3f}")
    a50, a99 = figures["(a)"]
    for tag in ("(b)", "(c)"):
        b50, b99 = figures[tag]
        print(f"ratio (a)/{tag}: p50 {a50 / b50:.1f}×, p99 {a99 / b99:.1f}×")
    verdict = "met" if a99 <= GOAL_P99_MS else "MISSED"
    print(f"goal (a) p99 ≤ {GOAL_P99_MS} ms: {verdict} ({a99:.3f} ms)")
    tmp.cleanup()


if __name__ == "__main__":
    main()
