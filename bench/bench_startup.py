"""Start-up figures (issue 14): whole processes as a user starts them, beside their anchors.

Not a test: prints medians and ratios. Every figure is a whole process started from scratch
(the ``lcsp`` console script's code, run as ``python -c``), timed from just before its
spawn; the things compared run in the same rounds, interleaved (the order rotates each
round, so drift on a loaded machine hits them alike), after one warm-up each; medians of
``--runs``. The children get a bytecode cache of their own in the temp dir, as an installed
package has (this environment sets PYTHONDONTWRITEBYTECODE, which would recompile every
uncached module at each start; ``--no-pyc`` keeps it so). The home is the ``region`` demo
made by the real CLI (``lcsp demo --size region --no-tui``, today 2025-09-30T10:00) in a
temp dir or ``--home DIR`` (kept and reused); the ward is the busiest somatic ward
(``slutenvard-somatik``, the most pending ``rm_list`` rows).

  (a) headless: ``lcsp worklist --json`` for the ward, run to its exit (stdout to a pipe,
      checked: a JSON list of the ward's rows). Anchor: ``python -c "import sqlite3"``, the
      floor of any Python command that reads SQLite (the interpreter's start and the
      sqlite3 module; ``python -c pass`` is shown too). Goal: ≤ 3× the anchor. Shown too:
      ``lcsp worklist``, the same rows as a text table (and, with ``--also``, both commands
      from each other checkout).
  (b) the TUI: ``lcsp --role slutenvard-somatik --unit WARD`` on a 120×36 pseudo-terminal,
      from spawn until the first worklist row is on the terminal — the bytes the app
      writes are read as a terminal would, and the clock stops when the first row's subject
      id (in the table's Id column at this width) has arrived; nothing in the child is
      patched. Anchor: a bare Textual app (Header, DataTable, Footer; five rows added on
      mount) until its first row ("Patient 0") has arrived, the floor of any Textual app
      that shows a table. Goal: ≤ 1.3× the anchor. Then Ctrl+Q. Also shown: when the
      app's screen is complete (the header's timeline line, ``Din tur nu`` or the text that
      stands there, has arrived too) and peak memory (the child's VmHWM from /proc, read
      when the row arrived, and again ``--settle`` seconds later, before Ctrl+Q, with the
      background sync and whatever loads after the first paint). Goal: RSS ≤ 1.3× bare.

``--profile`` adds ``-X importtime`` of one (a) and of one (b) (its import lines read from
the terminal up to the first row): the modules that cost most, and whether pydantic, the
rules, the region data, the dashboard, textual-plotext or the other roles' screens were
imported before the first row.

    python -m bench.bench_startup [--runs 7] [--home DIR] [--settle 1.5] [--profile]
    python -m bench.bench_startup --also before=/tmp/wt  # and lcsp from a worktree, interleaved
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import re
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2025-09-30T10:00"
ROLE = "slutenvard-somatik"
WIDTH, HEIGHT = 120, 36
HEADLESS_GOAL = 3.0  # × python -c "import sqlite3"
TUI_GOAL = 1.3  # × the bare Textual app
RSS_GOAL = 1.3  # × the bare Textual app

# What the ``lcsp`` console script runs (``.venv/bin/lcsp``), given with ``-c`` so that the
# checkout in the working directory is the one imported (``--also``).
CONSOLE_SCRIPT = (
    "import re, sys; from lcsp_tui.cli import main; "
    "sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0]); sys.exit(main())"
)

BARE_APP = """
from textual.app import App
from textual.widgets import DataTable, Footer, Header


class Bare(App):
    def compose(self):
        yield Header()
        yield DataTable(cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("Patient/vad", "Id", "Steg", "Klart", "Senast", "Status")
        for i in range(5):
            table.add_row(f"Patient {i}", f"VT{i:06}", "2", "0/5", "tis 30/9 12:00", "")
        table.focus()


Bare().run()
"""

WATCHED = (  # (label, module prefix): reported by --profile when imported before the row
    ("pydantic", "pydantic"),
    ("the rules", "lcsp_tui.domain.rules"),
    ("the event models", "lcsp_tui.domain.models"),
    ("the region data", "lcsp_tui.domain.regiondata"),
    ("the store's fold", "lcsp_tui.store.fold"),
    ("the dashboard", "screens.dashboard"),
    ("textual-plotext", "textual_plotext"),
    ("the support desk", "screens.support"),
    ("the audit screen", "screens.audit"),
    ("the checklist screen", "screens.checklist"),
)


def child_env(pycache: Path | None, home: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LCSP_", "TEXTUAL"))}
    if pycache is not None:  # as installed: every module compiled once, not at each start
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    if home is not None:
        env["LCSP_HOME"] = str(home)
    env["TERM"] = "xterm-256color"
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    return env


# ------------------------------------------------------------------ the home


def make_home(home: Path, pycache: Path | None) -> float:
    """``lcsp demo --size region --no-tui`` (the real CLI) unless the home exists."""
    if (home / "store.sqlite").exists():
        return 0.0
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "lcsp_tui", "--home", str(home), "--today", TODAY]
    cmd += ["--user", "demo", "demo", "--size", "region", "--no-tui"]
    p = subprocess.run(cmd, capture_output=True, text=True, env=child_env(pycache), cwd=ROOT)
    if p.returncode != 0:
        raise SystemExit(f"demo --size region failed: {p.stderr.strip()[-2000:]}")
    return time.perf_counter() - start


def busiest_ward(home: Path) -> tuple[str, int]:
    uri = f"{(home / 'store.sqlite').as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        found = conn.execute(
            "SELECT unit, count(*) FROM rm_list WHERE role = ? AND unit <> '' AND pending = 1 "
            "GROUP BY unit ORDER BY count(*) DESC, unit LIMIT 1",
            (ROLE,),
        ).fetchone()
    if found is None:
        raise SystemExit(f"no {ROLE} worklist in {home}")
    return str(found[0]), int(found[1])


# ------------------------------------------------------------------ (a) whole processes


@dataclass
class Exited:
    wall: float  # seconds from spawn to exit
    cpu: float  # the child's CPU seconds (user + system, all its threads)
    out: bytes


def run_to_exit(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> Exited:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        p = subprocess.Popen(
            cmd, stdout=out, stderr=err, env=env, cwd=cwd, stdin=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if p.returncode != 0:
            raise SystemExit(f"{' '.join(cmd[-6:])}: exit {p.returncode}: {err.read()[-2000:]!r}")
        return Exited(wall, usage.ru_utime + usage.ru_stime, out.read())


# ------------------------------------------------------------------ (b) a terminal


@dataclass
class TuiRun:
    row: float  # seconds from spawn until the first row's text arrived
    cpu: float  # the child's CPU seconds by then (all its threads, /proc/PID/task/*/schedstat)
    complete: float | None  # … until the header's timeline line arrived as well
    hwm_row: int  # KiB: the child's peak RSS when the row arrived
    hwm_settled: int  # KiB: … ``settle`` seconds later
    out: bytes = field(repr=False, default=b"")


def vm_hwm(pid: int) -> int:
    """The process's peak resident set size so far, KiB (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """CPU time of all the process's threads so far (0 if it is gone)."""
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])  # nanoseconds on a CPU
    except (OSError, ValueError, IndexError):
        pass
    return total / 1e9


def run_on_terminal(
    cmd: list[str],
    env: dict[str, str],
    row_mark: bytes,
    complete_mark: bytes | None,
    settle: float,
    cwd: Path = ROOT,
    timeout: float = 60.0,
) -> TuiRun:
    """Start ``cmd`` on a WIDTH×HEIGHT pseudo-terminal; read what it writes until
    ``row_mark`` (and ``complete_mark``) arrived; then Ctrl+Q and wait for its exit."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", HEIGHT, WIDTH, 0, 0))
    out = bytearray()
    seen: dict[bytes, float] = {}
    cpu = [0.0]
    pid = [0]
    marks = [m for m in (row_mark, complete_mark) if m]
    arrived = threading.Event()
    lock = threading.Lock()

    def drain() -> None:  # the terminal: read everything the child writes, as it comes
        while True:
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            now = time.perf_counter()
            with lock:
                tail = len(out)
                out.extend(chunk)
                for m in marks:  # only the new bytes (and a mark's length before them)
                    if m not in seen and out.find(m, max(0, tail - len(m))) >= 0:
                        seen[m] = now
                        if m == row_mark:
                            cpu[0] = cpu_seconds(pid[0])
                if row_mark in seen and all(m in seen for m in marks):
                    arrived.set()

    reader = threading.Thread(target=drain, daemon=True)
    start = time.perf_counter()
    p = subprocess.Popen(
        cmd, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True
    )
    pid[0] = p.pid
    reader.start()
    os.close(slave)
    hwm_row = 0
    deadline = start + timeout
    while time.perf_counter() < deadline and p.poll() is None:
        with lock:
            got_row = row_mark in seen
        if got_row and not hwm_row:
            hwm_row = vm_hwm(p.pid)
        if arrived.wait(0.005):
            break
    if not hwm_row:
        hwm_row = vm_hwm(p.pid)
    if p.poll() is None and settle > 0:
        time.sleep(settle)
    hwm_settled = vm_hwm(p.pid)
    if p.poll() is None:
        os.write(master, b"\x11")  # Ctrl+Q
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        p.wait()
    reader.join(5)
    os.close(master)
    if row_mark not in seen:
        tail = bytes(out[-3000:]).decode(errors="replace")
        raise SystemExit(
            f"{' '.join(cmd[-6:])}: {row_mark!r} never arrived (exit {p.returncode}):\n{tail}"
        )
    done = seen.get(complete_mark) if complete_mark else None
    return TuiRun(
        seen[row_mark] - start,
        cpu[0],
        None if done is None else max(done, seen[row_mark]) - start,
        hwm_row,
        hwm_settled,
        bytes(out),
    )


# ------------------------------------------------------------------ reporting


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def ms(xs: list[float]) -> str:
    return ", ".join(f"{x * 1000:.0f}" for x in xs)


def rounds(names: list[str], runs: int, one: Callable[[str, bool], None]) -> None:
    """One warm-up each (``one(name, False)``: not kept), then ``runs`` rounds
    (``one(name, True)``); the order rotates each round."""
    for name in names:
        one(name, False)
    for i in range(runs):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            one(name, True)


def import_lines(text: str) -> list[tuple[int, int, str]]:
    """(self µs, cumulative µs, module) of ``-X importtime`` lines in ``text``."""
    out = []
    for m in re.finditer(r"import time:\s+(\d+) \|\s+(\d+) \|( *)([\w.]+)", text):
        out.append((int(m[1]), int(m[2]), m[3] + m[4]))
    return out


def show_imports(label: str, lines: list[tuple[int, int, str]]) -> None:
    mods = {name.strip() for _, _, name in lines}
    total = sum(s for s, _, _ in lines) / 1000
    print(
        f"    {label}: {len(mods)} modules imported, {total:.0f} ms of import time (self, summed)"
    )
    top = sorted((c, n) for _, c, n in lines if not n.startswith("  "))[::-1][:8]
    for c, n in top:
        print(f"      {c / 1000:7.1f} ms  {n.strip()}")
    found = [
        lab
        for lab, prefix in WATCHED
        if any(m == prefix or m.startswith(prefix + ".") for m in mods)
    ]
    print(f"      imported: {', '.join(found) if found else 'none of the watched modules'}")


# ------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="rounds after the warm-up (median)")
    parser.add_argument("--home", type=Path, help="make (or reuse) the region demo home here")
    parser.add_argument(
        "--settle", type=float, default=1.5, help="(b): seconds after the row before the 2nd RSS"
    )
    parser.add_argument("--only", choices=("headless", "tui"), help="one part only")
    parser.add_argument("--profile", action="store_true", help="also -X importtime of each")
    parser.add_argument("--no-pyc", action="store_true", help="keep PYTHONDONTWRITEBYTECODE")
    parser.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="NAME=CHECKOUT",
        help="also run lcsp from this checkout (e.g. a git worktree of an earlier commit), "
        "interleaved in the same rounds (before and after in one run); may be repeated",
    )
    args = parser.parse_args(argv)
    args.also = [(n, Path(d).resolve()) for n, _, d in (a.partition("=") for a in args.also)]
    py = sys.executable
    print(
        f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at the start"
    )
    with tempfile.TemporaryDirectory(prefix="lcsp-bench-startup-") as d:
        tmp = Path(d)
        pycache = None if args.no_pyc else tmp / "pycache"
        home = (args.home or tmp) / "region-home"
        home.parent.mkdir(parents=True, exist_ok=True)
        made = make_home(home, pycache)
        print(f"    region demo home {f'made in {made:.1f} s' if made else 'reused'}: {home}")
        ward, n = busiest_ward(home)
        env = child_env(pycache, home)
        lcsp = [py, "-c", CONSOLE_SCRIPT, "--today", TODAY, "--role", ROLE, "--unit", ward]
        rows = json.loads(run_to_exit([*lcsp, "worklist", "--json"], env).out)
        if len(rows) != n:
            raise SystemExit(f"worklist --json gave {len(rows)} rows, rm_list has {n}")
        first = str(rows[0]["subject"])
        summary: list[Row] = []
        if args.only in (None, "headless"):
            summary += headless(py, lcsp, env, ward, n, args)
        if args.only in (None, "tui"):
            summary += tui(py, lcsp, env, ward, n, first, tmp, args)
    print()
    head = ("measure", "median", "anchor", "ratio", "goal")
    widths = [max(len(r[i]) for r in [head, *summary]) for i in range(len(head))]
    for r in [head, tuple("-" * w for w in widths), *summary]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    return 0


Row = tuple[str, str, str, str, str]


def figure(label: str, xs: list[float], base: float | None) -> str:
    ratio = f"{med(xs) / base:5.2f}×" if base else "      "
    return f"{label:66} {med(xs) * 1000:6.0f} ms {ratio}  ({ms(xs)})"


def headless(
    py: str, lcsp: list[str], env: dict[str, str], ward: str, n: int, args: argparse.Namespace
) -> list[Row]:
    cmds = {
        "pass": [py, "-c", "pass"],
        "sqlite3": [py, "-c", "import sqlite3"],
        "json": [*lcsp, "worklist", "--json"],
        "text": [*lcsp, "worklist"],
    }
    cwd = {k: ROOT for k in cmds}
    for name, checkout in args.also:
        cmds[name], cwd[name] = [*lcsp, "worklist", "--json"], checkout
        cmds[f"{name} text"], cwd[f"{name} text"] = [*lcsp, "worklist"], checkout
    labels = {
        "pass": 'python -c "pass" (the interpreter alone)',
        "sqlite3": 'python -c "import sqlite3" (the anchor)',
        "json": f"lcsp worklist --json, {ROLE} @ {ward} ({n} rows)",
        "text": "lcsp worklist (the table as text), same",
        **{name: f"lcsp worklist --json, {name}" for name, _ in args.also},
        **{f"{name} text": f"lcsp worklist (text), {name}" for name, _ in args.also},
    }
    runs: dict[str, list[Exited]] = {k: [] for k in cmds}

    def one(k: str, keep: bool) -> None:
        run = run_to_exit(cmds[k], env, cwd[k])
        if keep:
            runs[k].append(run)

    rounds(list(cmds), args.runs, one)
    wall = {k: [r.wall for r in v] for k, v in runs.items()}
    cpu = {k: [r.cpu for r in v] for k, v in runs.items()}
    print(
        f"(a) whole processes, spawn to exit, median of {args.runs} (interleaved, after a warm-up)"
    )
    for k in cmds:
        print("    " + figure(labels[k], wall[k], med(wall["sqlite3"])))
    print("    the same, the child's CPU time (user + system):")
    for k in cmds:
        print("    " + figure(labels[k], cpu[k], med(cpu["sqlite3"])))
    if args.profile:
        p = subprocess.run(
            [py, "-X", "importtime", *cmds["json"][1:]],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
        )
        show_imports("-X importtime of lcsp worklist --json", import_lines(p.stderr))
    base, base_cpu = med(wall["sqlite3"]), med(cpu["sqlite3"])
    ratio = med(wall["json"]) / base
    also: list[Row] = [
        (
            f"a   the same, {name}",
            f"{med(wall[name]) * 1000:.0f} ms",
            f"{base * 1000:.0f} ms",
            f"{med(wall[name]) / base:.2f}× (CPU {med(cpu[name]) / base_cpu:.2f}×)",
            f"({name})",
        )
        for name, _ in args.also
    ]
    return [
        (
            f"a lcsp worklist --json, {ROLE} @ {ward}",
            f"{med(wall['json']) * 1000:.0f} ms",
            f"{base * 1000:.0f} ms (import sqlite3)",
            f"{ratio:.2f}×",
            f"≤ {HEADLESS_GOAL}×: {'met' if ratio <= HEADLESS_GOAL else 'NOT met'}",
        ),
        (
            "a   the same, CPU time",
            f"{med(cpu['json']) * 1000:.0f} ms",
            f"{base_cpu * 1000:.0f} ms",
            f"{med(cpu['json']) / base_cpu:.2f}×",
            "(context)",
        ),
        *also,
        (
            "a lcsp worklist (text), same",
            f"{med(wall['text']) * 1000:.0f} ms",
            f"{base * 1000:.0f} ms",
            f"{med(wall['text']) / base:.2f}× (CPU {med(cpu['text']) / base_cpu:.2f}×)",
            "(context)",
        ),
        *(
            (
                f"a   the same, {name}",
                f"{med(wall[k]) * 1000:.0f} ms",
                f"{base * 1000:.0f} ms",
                f"{med(wall[k]) / base:.2f}× (CPU {med(cpu[k]) / base_cpu:.2f}×)",
                f"({name})",
            )
            for name, k in ((n, f"{n} text") for n, _ in args.also)
        ),
    ]


def tui(
    py: str,
    lcsp: list[str],
    env: dict[str, str],
    ward: str,
    n: int,
    first: str,
    tmp: Path,
    args: argparse.Namespace,
) -> list[Row]:
    bare_py = tmp / "bare_app.py"
    bare_py.write_text(BARE_APP)
    # The header's third line: "Din tur nu: …" (what the timeline asks of the role now).
    complete = b"Din tur nu"
    cmds = {
        "bare": ([py, str(bare_py)], b"Patient 0", None, ROOT),
        "lcsp": (lcsp, first.encode(), complete, ROOT),
    }
    for name, checkout in args.also:
        cmds[name] = (lcsp, first.encode(), complete, checkout)
    runs: dict[str, list[TuiRun]] = {k: [] for k in cmds}

    def one(k: str, keep: bool) -> None:
        cmd, mark, done, cwd = cmds[k]
        run = run_on_terminal(cmd, env, mark, done, args.settle if keep else 0, cwd)
        if keep:
            runs[k].append(run)

    rounds(list(cmds), args.runs, one)
    bare, app = runs["bare"], runs["lcsp"]
    print(
        f"(b) spawn → first worklist row on a {WIDTH}x{HEIGHT} terminal, median of {args.runs} "
        "(interleaved, after a warm-up)"
    )
    b_row = med([r.row for r in bare])
    a_row = med([r.row for r in app])
    a_done = med([r.complete or r.row for r in app])
    b_cpu = med([r.cpu for r in bare])
    a_cpu = med([r.cpu for r in app])
    b_hwm = med([r.hwm_row for r in bare])
    b_set = med([r.hwm_settled for r in bare])
    a_hwm = med([r.hwm_row for r in app])
    a_set = med([r.hwm_settled for r in app])
    print(
        "    "
        + figure(
            "bare Textual (Header, DataTable, Footer): 'Patient 0'", [r.row for r in bare], b_row
        )
    )
    print("    " + figure(f"lcsp {ROLE} @ {ward} ({n} rows): {first}", [r.row for r in app], b_row))
    print(
        "    "
        + figure(
            "  … and the header's timeline line ('Din tur nu')",
            [r.complete or r.row for r in app],
            b_row,
        )
    )
    for name, _ in args.also:
        old = runs[name]
        print("    " + figure(f"the same, {name}", [r.row for r in old], b_row))
        print(
            "    "
            + figure(
                "  … and the header's timeline line", [r.complete or r.row for r in old], b_row
            )
        )
    print("    the same, the child's CPU time until the row (all threads):")
    print("    " + figure("bare Textual", [r.cpu for r in bare], b_cpu))
    print("    " + figure("lcsp", [r.cpu for r in app], b_cpu))
    for name, _ in args.also:
        print("    " + figure(f"lcsp, {name}", [r.cpu for r in runs[name]], b_cpu))
    print(
        f"    peak RSS (VmHWM) at the row: bare {b_hwm / 1024:.1f} MiB, lcsp {a_hwm / 1024:.1f} MiB "
        f"({a_hwm / b_hwm:.2f}×); {args.settle:g} s later: bare {b_set / 1024:.1f} MiB, "
        f"lcsp {a_set / 1024:.1f} MiB ({a_set / b_set:.2f}×)"
    )
    if args.profile:
        cmd = [py, "-X", "importtime", *lcsp[1:]]
        r = run_on_terminal(cmd, env, first.encode(), None, 0)
        text = r.out.decode(errors="replace")
        at = text.find(first)
        show_imports(
            "-X importtime of the TUI until the first row",
            import_lines(text[: at if at >= 0 else None]),
        )
    ratio = a_row / b_row
    also: list[Row] = []
    for name, _ in args.also:
        old = runs[name]
        o_row, o_cpu = med([r.row for r in old]), med([r.cpu for r in old])
        o_hwm, o_set = med([r.hwm_row for r in old]), med([r.hwm_settled for r in old])
        print(
            f"    peak RSS, {name}: at the row {o_hwm / 1024:.1f} MiB ({o_hwm / b_hwm:.2f}×), "
            f"{args.settle:g} s later {o_set / 1024:.1f} MiB ({o_set / b_set:.2f}×)"
        )
        also += [
            (
                f"b   the same, {name}",
                f"{o_row * 1000:.0f} ms",
                f"{b_row * 1000:.0f} ms",
                f"{o_row / b_row:.2f}× (CPU {o_cpu / b_cpu:.2f}×)",
                f"({name})",
            ),
            (
                f"b   its peak RSS at the row / {args.settle:g} s later",
                f"{o_hwm / 1024:.1f} / {o_set / 1024:.1f} MiB",
                f"{b_hwm / 1024:.1f} / {b_set / 1024:.1f} MiB",
                f"{o_hwm / b_hwm:.2f}× / {o_set / b_set:.2f}×",
                f"({name})",
            ),
        ]
    return [
        (
            f"b TUI spawn → first row, {ROLE} @ {ward}",
            f"{a_row * 1000:.0f} ms",
            f"{b_row * 1000:.0f} ms (bare Textual)",
            f"{ratio:.2f}×",
            f"≤ {TUI_GOAL}×: {'met' if ratio <= TUI_GOAL else 'NOT met'}",
        ),
        *also,
        (
            "b   the same, CPU time",
            f"{a_cpu * 1000:.0f} ms",
            f"{b_cpu * 1000:.0f} ms",
            f"{a_cpu / b_cpu:.2f}×",
            "(context)",
        ),
        (
            "b TUI spawn → header's timeline line too",
            f"{a_done * 1000:.0f} ms",
            f"{b_row * 1000:.0f} ms",
            f"{a_done / b_row:.2f}×",
            "(context)",
        ),
        (
            "b peak RSS at the first row",
            f"{a_hwm / 1024:.1f} MiB",
            f"{b_hwm / 1024:.1f} MiB",
            f"{a_hwm / b_hwm:.2f}×",
            f"≤ {RSS_GOAL}×: {'met' if a_hwm / b_hwm <= RSS_GOAL else 'NOT met'}",
        ),
        (
            f"b peak RSS {args.settle:g} s after the row",
            f"{a_set / 1024:.1f} MiB",
            f"{b_set / 1024:.1f} MiB",
            f"{a_set / b_set:.2f}×",
            f"≤ {RSS_GOAL}×: {'met' if a_set / b_set <= RSS_GOAL else 'NOT met'}",
        ),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
