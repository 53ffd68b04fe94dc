"""Import throughput against the floor: raw ``csv.reader`` parsing of the same files.

Not a test: prints figures. Generates the fictitious ``large`` region (lcsp_tui.demo),
writes it as a Prator export (``write_export``: semicolons, UTF-8 with BOM) to a temporary
directory, then times, best of ``--runs``:

  (a) raw: read the bytes, decode them as the importer does (UTF-8, BOM optional) and
      parse every file with ``csv.reader`` into a list of rows;
  (b) import: ``importer.read_records`` + ``importer.diff_events`` over the same files, with
      an empty ledger (``known = lambda kind, id: None``).

The goal is import ≤ 3× raw.

    python -m bench.bench_import [--size large] [--seed 1] [--runs 3]
    python bench/bench_import.py
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lcsp_tui import demo, importer  # noqa: E402
from lcsp_tui.domain.regiondata import load_region  # noqa: E402
from lcsp_tui.prator_format import write_export  # noqa: E402

REFERENCE = dt.date(2025, 9, 1)
GOAL = 3.0


def raw_parse(paths: list[Path]) -> int:
    """Every file as a list of rows, decoded the way the importer decodes; returns the rows."""
    rows = 0
    for path in paths:
        raw = path.read_bytes()
        try:
            raw.decode("utf-8-sig")
            encoding = "utf-8-sig"
        except UnicodeDecodeError:
            encoding = "cp1252"
        text = io.TextIOWrapper(io.BytesIO(raw), encoding=encoding, newline="")
        parsed = list(csv.reader(text, delimiter=";", skipinitialspace=True))
        rows += len(parsed) - 1  # without the header
    return rows


def full_import(paths: list[Path]) -> int:
    """read_records + diff_events against an empty ledger; returns the number of events."""
    region = load_region()
    records = importer.read_records(paths, region, lambda kind, id: None, REFERENCE)
    plan = importer.diff_events(records, lambda kind, id: None)
    return len(plan.events)


def best_of(runs: int, fn: Callable[[], int]) -> tuple[float, int]:
    best, result = float("inf"), 0
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=demo.SIZES, default="large")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    records = demo.generate(args.size, seed=args.seed)
    generated = time.perf_counter() - start
    print(f"generate {args.size!r}: {len(records):,} records in {generated:.2f} s")

    with tempfile.TemporaryDirectory(prefix="lcsp-bench-") as tmp:
        start = time.perf_counter()
        paths = write_export(records, Path(tmp))
        written = time.perf_counter() - start
        size = sum(p.stat().st_size for p in paths)
        print(f"write_export: {len(paths)} files, {size / 1e6:.1f} MB in {written:.2f} s")
        load_region()  # loaded once, outside the timings

        raw_s, rows = best_of(args.runs, lambda: raw_parse(paths))
        imp_s, events = best_of(args.runs, lambda: full_import(paths))

    # An export holds one row per id (the demo may hold several versions of a record, e.g.
    # an admission whose date moved): every exported row becomes one event.
    assert rows <= len(records), (rows, len(records))
    assert events == rows, (events, rows)
    print(f"best of {args.runs}:")
    print(f"  {'':8} {'records':>10} {'seconds':>9} {'records/s':>12}")
    for label, secs in (("raw csv", raw_s), ("import", imp_s)):
        print(f"  {label:8} {rows:>10,} {secs:>9.3f} {rows / secs:>12,.0f}")
    ratio = imp_s / raw_s
    verdict = "ok" if ratio <= GOAL else "over goal"
    print(f"  ratio import/raw: {ratio:.2f}× (goal ≤ {GOAL:.0f}×: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
