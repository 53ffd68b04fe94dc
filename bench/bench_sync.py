"""Sync and start-up figures, each against a baseline measured in the same run.

Not a test: prints figures and ratios.

  (a) pull (issue 14): the whole ``lcsp sync`` process a user runs — a new home (``--home``
      a directory that does not exist yet) pulling every event of a ledger: the ``large``
      demo as ``lcsp demo --size large --no-tui`` writes it (329,383 events: 100,000
      patients and the other records, ticks, kvitteringar, decisions; ``--ledger-file``
      keeps it between runs), from a SQLite ledger file and from PostgreSQL (a throwaway
      server started as ``tests/pg.py`` does, crash-safe settings, the same events pushed
      into it). It opens the ledger, checks identity, pulls in batches of
      ``sync.PULL_BATCH``, folds, refreshes the read model, commits; its output is checked.
      Anchor, in the same rounds: a whole Python process that selects the same rows in the
      same batches and writes them with one ``executemany`` per batch into one plain table
      of a new SQLite file (WAL, synchronous=FULL, one transaction per batch): the floor of
      any pull — the interpreter's start, reading the rows, writing the same bytes durably;
      no model, no JSON, no index, no fold, no read model. Both get a bytecode cache of
      their own (as an installed package has); a warm-up round first, then ``--runs``
      rounds, the order alternating; medians. Goal: ≤ 2×. Before the rounds, one
      in-process ``sync.pull`` with its phases timed says where the time goes.
  (b) push: 10k ticks recorded locally (``store.record``), then ``sync.push`` of the outbox
      into a fresh SQLite ledger; events/s.
  (c) start-up: ``lcsp worklist --json`` (a real process, a ``region`` demo home) vs a bare
      Textual app that exits right after mount, run headless; best of 5 each.
      Goal: the worklist is faster.

    python -m bench.bench_sync --only pull [--runs 5] [--ledger-file /tmp/large.sqlite]
        [--before DIR]   # DIR: e.g. `git archive <commit> | tar -x -C DIR`, run alongside
    python -m bench.bench_sync [--push 10000] [--no-postgres]
"""

from __future__ import annotations

import argparse
import json
import os
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
sys.path.insert(0, str(ROOT))

from lcsp_tui import sync  # noqa: E402
from lcsp_tui.domain import models as m  # noqa: E402
from lcsp_tui.ledger.base import open_ledger  # noqa: E402
from lcsp_tui.ledger.sqlite import SqliteLedger  # noqa: E402
from lcsp_tui.store.store import LocalStore  # noqa: E402

PULL_GOAL = 2.0
TODAY = "2025-09-30T09:00"
TEXTUAL_BARE = """
from textual.app import App


class Bare(App):
    def on_mount(self) -> None:
        self.exit()


Bare().run(headless=True)
"""


def subprocess_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LCSP_")}


# ------------------------------------------------------------------ (a) pull

# The anchor: a whole Python process that copies the same rows, batch by batch, from the
# ledger into one plain table of a new SQLite file with the store's pragmas.
ANCHOR = r"""
import sqlite3, sys
src, dst, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
cols = ("seq, event_id, replica_id, origin_seq, kind, schema_version, actor, role, unit, "
        "recorded_at, payload")
out = sqlite3.connect(dst, isolation_level=None)
out.execute("PRAGMA journal_mode=WAL")
out.execute("PRAGMA synchronous=FULL")
out.execute(f"CREATE TABLE pulled ({cols})")
insert = "INSERT INTO pulled VALUES (" + ", ".join("?" * 11) + ")"
if src.startswith("postgresql://"):
    import psycopg
    conn = psycopg.connect(src, autocommit=True)
    select = (f"SELECT {cols.removesuffix('payload')}payload::text FROM lcsp_events "
              "WHERE seq > %s ORDER BY seq LIMIT %s")
else:
    conn = sqlite3.connect(src)
    select = f"SELECT {cols} FROM events WHERE seq > ? ORDER BY seq LIMIT ?"
cursor = 0
while rows := conn.execute(select, (cursor, batch)).fetchall():
    out.execute("BEGIN IMMEDIATE")
    out.executemany(insert, rows)
    out.execute("COMMIT")
    cursor = rows[-1][0]
print(cursor)
"""


def child_env(tmp: Path) -> dict[str, str]:
    """The environment of the measured processes: no LCSP_* settings, and a bytecode cache
    of their own (an installed package has one; PYTHONDONTWRITEBYTECODE would make every
    start compile every module)."""
    env = subprocess_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    return env


def timed(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=3600)
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:8])}…: exit {p.returncode}: {p.stderr.strip()}")
    return elapsed, p.stdout


def demo_ledger(path: Path, size: str, tmp: Path) -> int:
    """The ``size`` demo written by the real CLI into a SQLite ledger file (kept if there)."""
    if not path.exists():
        start = time.perf_counter()
        home = tmp / "demo-home"
        lcsp = [sys.executable, "-m", "lcsp_tui", "--home", str(home), "--ledger", str(path)]
        timed([*lcsp, "--today", TODAY, "demo", "--size", size, "--no-tui"], child_env(tmp))
        shutil.rmtree(home, ignore_errors=True)
        print(f"    ledger made by lcsp demo --size {size} in {time.perf_counter() - start:.0f} s")
    with closing(sqlite3.connect(path)) as conn:
        head = int(conn.execute("SELECT max(seq) FROM events").fetchone()[0])
        kinds = dict(conn.execute("SELECT kind, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC"))
    print(f"    {path}: {head:,} events: {kinds}")
    return head


def postgres_copy(sqlite_path: Path, url: str) -> None:
    """The same events pushed into a PostgreSQL ledger (the ledger's own push)."""
    start = time.perf_counter()
    src = SqliteLedger(sqlite_path, create=False)
    dst = open_ledger(url, create=True)
    try:
        after = 0
        while events := src.pull(after, 5000):
            dst.push(events)
            after = events[-1].seq or 0
        assert dst.head() == src.head()
    finally:
        src.close()
        dst.close()
    print(f"    copied into PostgreSQL in {time.perf_counter() - start:.0f} s")


def pull_rounds(
    spec: str, head: int, runs: int, tmp: Path, label: str, trees: dict[str, Path]
) -> dict[str, list[float]]:
    """Seconds of each whole process: ``lcsp sync`` of a new home run from each source tree
    of ``trees`` (this one, and ``--before``'s), and the anchor; interleaved rounds after a
    warm-up round, the order rotating from round to round."""
    env = child_env(tmp)
    spent: dict[str, list[float]] = {name: [] for name in [*trees, "anchor"]}
    for r in range(runs + 1):
        out = tmp / f"{label}-anchor-{r}.sqlite"
        names = list(spent)
        for name in names[r % len(names) :] + names[: r % len(names)]:
            if name == "anchor":
                cmd = [sys.executable, "-c", ANCHOR, spec, str(out), str(sync.PULL_BATCH)]
                secs, stdout = timed(cmd, env)
                assert int(stdout) == head, stdout
            else:
                home = tmp / f"{label}-{name}-home-{r}"
                lcsp = [sys.executable, "-m", "lcsp_tui", "--home", str(home), "--ledger", spec]
                secs, stdout = timed([*lcsp, "--today", TODAY, "sync", "--json"], env, trees[name])
                result = json.loads(stdout)
                assert result["pulled"] == head == result["cursor"], result
                shutil.rmtree(home, ignore_errors=True)
            if r > 0:  # round 0 warms the caches (bytecode, page cache)
                spent[name].append(secs)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{out}{suffix}").unlink(missing_ok=True)
    return spent


def breakdown(spec: str, tmp: Path) -> dict[str, float]:
    """Where a pull's time goes: one in-process ``sync.pull`` into a new store with the
    phases timed (wall clock)."""
    from lcsp_tui.store import fold, readmodel

    spent: dict[str, float] = {}
    originals: list[tuple[object, str, object]] = []

    def timer(owner: object, name: str, label: str) -> None:
        f = getattr(owner, name)
        originals.append((owner, name, f))

        def timed_call(*args: object, **kw: object) -> object:
            start = time.perf_counter()
            try:
                return f(*args, **kw)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - start

        setattr(owner, name, timed_call)

    ledger = open_ledger(spec, create=False)
    store = LocalStore(tmp / "breakdown" / "store.sqlite")
    timer(ledger, "pull_rows", "read the ledger's rows")
    timer(fold, "stage", "stage the batch (executemany)")
    timer(fold, "check", "check the envelopes (SQL)")
    timer(fold, "fold", "fold (SQL, per kind)")
    timer(readmodel, "touched_by_staged", "what the batch touched (SQL)")
    timer(readmodel, "_derive", "read model: rules → rm_* rows")
    timer(readmodel, "refresh", "read model: refresh (all of it)")
    try:
        start = time.perf_counter()
        sync.pull(store, ledger)
        spent["whole sync.pull"] = time.perf_counter() - start
    finally:
        for owner, name, f in originals:
            setattr(owner, name, f)
        store.close()
        ledger.close()
        shutil.rmtree(tmp / "breakdown", ignore_errors=True)
    return spent


def report_pull(title: str, spent: dict[str, list[float]], head: int) -> None:
    anchor = statistics.median(spent["anchor"])
    print(f"    {title}, median of {len(spent['anchor'])} rounds (interleaved, after a warm-up):")
    print(f"      load average now: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name, secs in spent.items():
        med = statistics.median(secs)
        what = "anchor (select + executemany)" if name == "anchor" else f"lcsp sync, {name}"
        times = "" if name == "anchor" else f"  = {med / anchor:5.2f}× the anchor"
        runs = ", ".join(f"{x:.2f}" for x in secs)
        print(f"      {what:30} {med:7.2f} s {head / med:>9,.0f} ev/s{times}  ({runs})")
    ratio = statistics.median(spent["this tree"]) / anchor
    verdict = "met" if ratio <= PULL_GOAL else "NOT met"
    print(f"      ratio {ratio:.2f}× (goal ≤ {PULL_GOAL:.0f}×: {verdict})")


def bench_pull(args: argparse.Namespace, tmp: Path) -> None:
    print(f"(a) pull: whole `lcsp sync` of a new home vs the anchor, {args.size} demo ledger")
    path = Path(args.ledger_file) if args.ledger_file else tmp / "ledger.sqlite"
    head = demo_ledger(path, args.size, tmp)
    trees = {"this tree": ROOT}
    if args.before:
        trees["before"] = Path(args.before).resolve()
    print("    where the time goes (one in-process sync.pull, SQLite ledger):")
    for label, secs in breakdown(str(path), tmp).items():
        print(f"      {label:34} {secs:7.2f} s")
    report_pull(
        "SQLite ledger", pull_rounds(str(path), head, args.runs, tmp, "sqlite", trees), head
    )
    if args.no_postgres:
        return
    try:
        from tests import pg
    except ImportError:
        print("    PostgreSQL: skipped (run from a checkout: tests/pg.py starts the server)")
        return
    try:
        server = pg.start_server(durable=True)
    except pg.PgUnavailable as exc:
        print(f"    PostgreSQL: skipped ({exc})")
        return
    try:
        url = pg.create_database(server.base_url)
        postgres_copy(path, url)
        spent = pull_rounds(url, head, args.runs, tmp, "pg", trees)
        report_pull("PostgreSQL ledger (a local server, loopback, fsync on)", spent, head)
    finally:
        pg.stop_server(server)


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
    parser.add_argument("--size", default="large", help="demo region whose ledger (a) pulls")
    parser.add_argument("--ledger-file", help="(a): keep the demo ledger here (made if missing)")
    parser.add_argument("--no-postgres", action="store_true", help="(a): SQLite ledger only")
    parser.add_argument(
        "--before", help="(a): another source tree (an earlier release) run in the same rounds"
    )
    parser.add_argument("--push", type=int, default=10_000, help="outbox events to push (b)")
    parser.add_argument("--runs", type=int, default=5, help="rounds of (a), median taken")
    parser.add_argument("--startup-runs", type=int, default=5, help="runs of (c), best taken")
    parser.add_argument("--only", choices=("pull", "push", "startup"), help="one part only")
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}")
    with tempfile.TemporaryDirectory(prefix="lcsp-bench-sync-") as d:
        tmp = Path(d)
        if args.only in (None, "pull"):
            bench_pull(args, tmp)
        if args.only in (None, "push"):
            bench_push(args.push, tmp)
        if args.only in (None, "startup"):
            bench_startup(args.startup_runs, tmp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
