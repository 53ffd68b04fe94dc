"""The whole ``lcsp import`` of a large export, beside its floor, in the same run.

Not a test: prints figures and ratios. Generates the fictitious ``large`` region
(``lcsp_tui.demo``: 100,000 patients and their units, admissions, SIPs and messages) and
writes it as a Prator export (``write_export``: semicolons, UTF-8 with BOM) once, then runs
interleaved rounds (a warm-up round first, the order rotating from round to round) of:

  import   the whole process a user runs: ``lcsp --home NEW --role systemforvaltning import
           FILE…`` into a new home and its new SQLite ledger — the start of the interpreter,
           the first sync, reading and checking every row and reference, the diff against
           the store, the ledger write (durable: WAL, synchronous=FULL), the fold of the
           import's events into the importing home's store and its read model. Its output
           is checked (the number imported) and so is the ledger (every record one event).
  before   (``--before DIR``: a source tree of an earlier commit, e.g. ``git worktree add DIR
           <commit>``) the same command run from that tree, on the same files.
  anchor   the floor of that work: a whole Python process that reads the same files, decodes
           them as the importer does (UTF-8 with BOM), parses them with ``csv.reader``, makes
           one JSON object per record (header -> cell) and writes it, in one transaction per
           database with one ``executemany`` per batch of 5,000, as a ledger row (the
           ledger's table: seq, a new uuid4 event id, the envelope, the JSON payload) into a
           new SQLite ledger file and as a row (kind, id, payload; primary key kind, id) into
           a new SQLite store file, both WAL and synchronous=FULL. No check of any value or
           reference, no diff, no typed column, no index but the keys, no read model.

Each figure is the median wall-clock seconds of ``--runs`` rounds (≥ 5 for the report;
fewer for a quick look) and the peak RSS of that child process (``ru_maxrss`` of the child,
from ``os.wait4``). The ratio is import / anchor. Goal: ≤ 2× and a peak ≤ 250 MiB.

    python -m bench.bench_import [--size large] [--seed 1] [--runs 5] [--before DIR]
        [--export-dir DIR]   # keep the generated export between runs
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TODAY = "2025-09-30T09:00"
GOAL = 2.0
RSS_GOAL_MIB = 250
MIB = 1024  # ru_maxrss is in KiB on Linux

ANCHOR = r"""
import csv, io, json, sqlite3, sys, uuid
from pathlib import Path

ledger_path, store_path, *files = sys.argv[1:]
BATCH = 5000


def connect(path):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


ledger, store = connect(ledger_path), connect(store_path)
ledger.execute(
    "CREATE TABLE events (seq INTEGER PRIMARY KEY, event_id TEXT UNIQUE NOT NULL, "
    "replica_id TEXT NOT NULL, origin_seq INTEGER NOT NULL, kind TEXT NOT NULL, "
    "schema_version INTEGER NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL, "
    "unit TEXT NOT NULL, recorded_at TEXT NOT NULL, payload TEXT NOT NULL)"
)
store.execute(
    "CREATE TABLE records (kind TEXT NOT NULL, id TEXT NOT NULL, payload TEXT NOT NULL, "
    "PRIMARY KEY (kind, id))"
)
to_ledger = (
    "INSERT INTO events (event_id, replica_id, origin_seq, kind, schema_version, actor, role, "
    "unit, recorded_at, payload) VALUES (?, '', 0, ?, 1, 'bench', 'systemforvaltning', '', "
    "'2025-09-30T09:00', ?)"
)
to_store = "INSERT INTO records (kind, id, payload) VALUES (?, ?, ?)"
ledger.execute("BEGIN IMMEDIATE")
store.execute("BEGIN IMMEDIATE")
n = 0
for name in files:
    kind = Path(name).stem
    text = Path(name).read_bytes().decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", skipinitialspace=True)
    header = next(reader)
    while True:
        batch = []
        for row in reader:
            batch.append((row[0], json.dumps(dict(zip(header, row)), ensure_ascii=False)))
            if len(batch) == BATCH:
                break
        if not batch:
            break
        ledger.executemany(to_ledger, [(str(uuid.uuid4()), kind, p) for _, p in batch])
        store.executemany(to_store, [(kind, key, p) for key, p in batch])
        n += len(batch)
ledger.execute("COMMIT")
store.execute("COMMIT")
print(n)
"""


def child_env(tmp: Path) -> dict[str, str]:
    """No LCSP_* settings, and a bytecode cache of the children's own (as an installed
    package has; PYTHONDONTWRITEBYTECODE would make every start compile every module)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCSP_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    return env


def run(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in KiB, stdout) of one child process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        p = subprocess.Popen(
            cmd, stdout=out, stderr=err, env=env, cwd=cwd, stdin=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(p.pid, 0)
        elapsed = time.perf_counter() - start
        p.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code != 0:
            raise SystemExit(f"{' '.join(cmd[:8])}…: exit {code}: {err.read()[-2000:]!r}")
        return elapsed, usage.ru_maxrss, out.read().decode()


MAKE_EXPORT = """
import sys
from pathlib import Path
from lcsp_tui import demo
from lcsp_tui.prator_format import write_export
write_export(demo.generate(sys.argv[1], seed=int(sys.argv[2])), Path(sys.argv[3]))
"""


def export(size: str, seed: int, directory: Path, tmp: Path) -> tuple[list[Path], int]:
    """The export files (made unless ``directory`` has them) and their number of records.
    Made by a child process: the peak RSS a child reports includes its parent's at the fork
    (the kernel counts the memory a vfork'd child borrows), so this process stays small."""
    names = ("enheter.csv", "patienter.csv", "vardtillfallen.csv", "sip.csv", "meddelanden.csv")
    paths = [directory / name for name in names if (directory / name).exists()]
    if not paths:
        start = time.perf_counter()
        make = [sys.executable, "-c", MAKE_EXPORT, size, str(seed), str(directory)]
        run(make, child_env(tmp), ROOT)
        paths = [directory / name for name in names if (directory / name).exists()]
        print(
            f"    export of {size!r} (seed {seed}) written in {time.perf_counter() - start:.0f} s"
        )
    rows = 0
    for p in paths:
        with p.open(encoding="utf-8-sig", newline="") as fh:
            rows += sum(1 for _ in csv.reader(fh, delimiter=";")) - 1
    size_mb = sum(p.stat().st_size for p in paths) / 1e6
    print(f"    {directory}: {len(paths)} files, {size_mb:.1f} MB, {rows:,} records")
    return paths, rows


_IMPORTED = re.compile(r"importerade ([\d\s\u00a0]+) poster")


def rounds(
    paths: list[Path], records: int, runs: int, tmp: Path, trees: dict[str, Path]
) -> dict[str, list[tuple[float, int]]]:
    """(seconds, peak KiB) of each child, per round after the warm-up round."""
    env = child_env(tmp)
    spent: dict[str, list[tuple[float, int]]] = {name: [] for name in [*trees, "anchor"]}
    files = [str(p) for p in paths]
    for r in range(runs + 1):
        names = list(spent)
        for name in names[r % len(names) :] + names[: r % len(names)]:
            work = tmp / f"{name.replace(' ', '-')}-{r}"
            work.mkdir()
            if name == "anchor":
                cmd = [sys.executable, "-c", ANCHOR, str(work / "ledger"), str(work / "store")]
                secs, kib, out = run([*cmd, *files], env)
                assert int(out) == records, out
            else:
                home = work / "home"
                lcsp = [sys.executable, "-m", "lcsp_tui", "--home", str(home)]
                cmd = [*lcsp, "--today", TODAY, "--role", "systemforvaltning", "import", *files]
                secs, kib, out = run(cmd, env, trees[name])
                m = _IMPORTED.search(out)
                assert m and int(re.sub(r"\D", "", m[1])) == records, out
                with closing(sqlite3.connect(home / "ledger.sqlite")) as conn:
                    kinds = dict(conn.execute("SELECT kind, count(*) FROM events GROUP BY 1"))
                upserts = sum(n for k, n in kinds.items() if k.endswith(".upserted"))
                assert upserts == records, kinds
                with closing(sqlite3.connect(home / "store.sqlite")) as conn:
                    folded = sum(
                        conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                        for t in ("units", "patients", "admissions", "sips", "messages")
                    )
                    cursor = conn.execute("SELECT value FROM meta WHERE key = 'cursor'").fetchone()
                assert folded == records, (folded, records)
                assert int(cursor[0]) == sum(kinds.values()), (cursor, kinds)
            shutil.rmtree(work, ignore_errors=True)
            if r > 0:  # round 0 warms the caches (bytecode, page cache)
                spent[name].append((secs, kib))
    return spent


def report(spent: dict[str, list[tuple[float, int]]], records: int) -> None:
    anchor = statistics.median(s for s, _ in spent["anchor"])
    print(f"    median of {len(spent['anchor'])} rounds (interleaved, after a warm-up):")
    print(f"      load average now: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name, figures in spent.items():
        secs = [s for s, _ in figures]
        peaks = [k / MIB for _, k in figures]
        med = statistics.median(secs)
        what = "anchor (csv + json + executemany)" if name == "anchor" else f"lcsp import, {name}"
        times = "" if name == "anchor" else f" = {med / anchor:5.2f}× the anchor"
        each = ", ".join(f"{x:.2f}" for x in secs)
        print(
            f"      {what:34} {med:6.2f} s {records / med:>9,.0f} rec/s{times:19}"
            f"  peak RSS {statistics.median(peaks):4.0f} MiB (max {max(peaks):.0f})  ({each})"
        )
    ratio = statistics.median(s for s, _ in spent["this tree"]) / anchor
    peak = max(k for _, k in spent["this tree"]) / MIB
    verdict = "met" if ratio <= GOAL else "NOT met"
    rss = "met" if peak <= RSS_GOAL_MIB else "NOT met"
    print(f"      ratio {ratio:.2f}× (goal ≤ {GOAL:.0f}×: {verdict})")
    print(f"      peak RSS {peak:.0f} MiB (goal ≤ {RSS_GOAL_MIB} MiB: {rss})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("small", "region", "large"), default="large")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5, help="rounds after the warm-up (≥ 5)")
    parser.add_argument("--before", help="a source tree of an earlier commit, run alongside")
    parser.add_argument("--export-dir", help="where the export is kept between runs")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="lcsp-bench-import-") as name:
        tmp = Path(name)
        directory = Path(args.export_dir) if args.export_dir else tmp / "export"
        directory.mkdir(parents=True, exist_ok=True)
        print(f"whole `lcsp import` of the {args.size!r} export vs its floor")
        paths, records = export(args.size, args.seed, directory, tmp)
        trees = {"this tree": ROOT}
        if args.before:
            trees["before"] = Path(args.before).resolve()
        report(rounds(paths, records, args.runs, tmp, trees), records)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
