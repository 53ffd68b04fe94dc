"""TUI figures, each against a baseline or a goal measured in the same run.

Not a test: prints figures and ratios. Demo homes are made once per run by the real CLI
(``python -m lcsp_tui … demo --size region|large --no-tui``, i.e. ``lcsp_tui.cli.main``),
simulated today 2025-09-30T10:00; the terminal is 120×36 throughout.

  (1) start to first paint (best of; issue 14's start-up figures — medians, interleaved,
      the ward's process to its first row as a terminal receives it — are
      ``bench/bench_startup.py``'s): a real process started from scratch until the first screen
      update that holds the worklist table with its rows has been written to the terminal
      (a pseudo-terminal, so Textual's real driver writes the escape codes; ``--headless``
      runs the apps headless instead). The child is the real CLI (``lcsp --role R --unit U``)
      with a probe that stamps the time and exits right after that update; the baseline is
      a bare Textual app (Header + DataTable with 5 rows + Footer) with the same probe.
      Demo ``region``: the busiest somatic ward (slutenvard-somatik) — the goal — and the
      busiest unit of any role (kommun-registrering, over the table's row cap) for context.
      Best of ``--runs``, interleaved, after one warm-up each; split at ``App.run`` (before:
      interpreter, imports, set-up; after: Textual start-up to the paint). The children get
      a bytecode cache in the temp dir (this environment sets PYTHONDONTWRITEBYTECODE, which
      would recompile every uncached module at each start; ``--no-pyc`` keeps it so).
      Goal: ≤ 1.3× the bare app.
  (2) a worklist of ≥ 5,000 rows, in-process (``app.run_test``): demo ``large``,
      kommun-registrering at its busiest unit. Time from pushing ``WorklistScreen`` until
      the screen update with the table's rows is sent (best of ``--pushes``; the screen is
      popped and pushed again), and from app start in ``run_test`` (once); the time spent in
      ``Queries.worklist`` (the read model's rows) and ``_render_rows`` during the push is
      shown. The table gets its first ``screens.worklist.FIRST_ROWS`` rows at once and the
      rest in batches after the first paint: both the worklist's and the table's row
      counts (at that paint) are shown. Goal: the push ≤ 0.3 s.
  (3) tick to repaint, in-process: the first subject of the busiest somatic ward of
      ``region``, a tickable item highlighted, Space pressed; time until the screen update
      in which the item has its new state is sent (then checked: the box shows [x]/[ ]).
      Toggled back and forth, ``--ticks`` times after 2 warm-ups; median, with the time in
      ``Workstation.tick``, ``local_change``, ``ChecklistScreen.reload`` and Textual's
      ``Compositor.render_update``. Goal: ≤ 50 ms.
  (4) peak memory: max RSS of the child processes of (1), read with
      ``getrusage(RUSAGE_CHILDREN)`` by a small launcher process that starts each one (the
      bench itself is too big a parent: Linux keeps the forking process's RSS as the child's
      max across exec); the region worklist vs the bare app. Goal: ≤ 1.5× bare + 20 MiB.

``--profile`` adds where the time goes: a timeline of one start of each app (table renders,
screen updates sent or discarded), ``-X importtime`` of both, and cProfile of one more
5,000-row push and of the ticks. The probes patch Textual's ``App._display`` and
``DataTable.render_lines`` (private API of Textual 8) in the children and in this process.

    python -m bench.bench_tui [--runs 5] [--pushes 5] [--ticks 20] [--headless] [--profile]
    python bench/bench_tui.py --only startup|worklist|tick [--homes DIR]  # DIR: keep homes
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import fcntl
import io
import os
import pstats
import pty
import shutil
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.table import Table  # noqa: E402
from textual._compositor import Compositor  # noqa: E402
from textual.screen import Screen  # noqa: E402
from textual.widgets import DataTable, OptionList  # noqa: E402

from lcsp_tui.app import LcspApp  # noqa: E402
from lcsp_tui.store.queries import Queries  # noqa: E402
from lcsp_tui.workstation import Workstation  # noqa: E402
from screens.checklist import ChecklistScreen  # noqa: E402
from screens.worklist import FIRST_ROWS, WorklistScreen  # noqa: E402
from tests.snapshot_app import make_workstation, settle  # noqa: E402

TODAY = "2025-09-30T10:00"
WIDTH, HEIGHT = 120, 36
SOMATIK, KOMMUN = "slutenvard-somatik", "kommun-registrering"
STARTUP_GOAL = 1.3  # × the bare app
WORKLIST_GOAL = 0.3  # seconds
WORKLIST_MIN_ROWS = 5000
TICK_GOAL = 0.050  # seconds
MEM_GOAL = (1.5, 20 * 1024)  # × bare + KiB
MIB = 1024  # ru_maxrss is in KiB on Linux

# ------------------------------------------------------------------ child processes

# Prepended to both children: stamp the wall clock (time.time, comparable across processes)
# when App.run is entered and at the first screen update sent after a DataTable has rendered
# rows, then exit.
PROBE = f"""
import os, sys, time
from textual.app import App
from textual.widgets import DataTable

_rows = [0]
_done = [False]
_ran = [0.0]
_marks = [] if os.environ.get("BENCH_TIMELINE") else None  # --profile: what happened when
_render_lines = DataTable.render_lines
_display = App._display
_run = App.run


def render_lines(self, crop):
    t = time.time()
    lines = _render_lines(self, crop)
    if self.row_count:
        _rows[0] = self.row_count
    if _marks is not None:
        ms = (time.time() - t) * 1000
        _marks.append((t, f"DataTable rendered ({{self.row_count}} rows, {{ms:.1f}} ms)"))
    return lines


def display(self, screen, renderable):
    _display(self, screen, renderable)  # headless: returns without writing
    if _marks is not None and renderable is not None:
        what = "discarded: in a batch" if self._batch_count else "sent"
        _marks.append((time.time(), f"screen update of {{type(screen).__name__}} {{what}}"))
    if _rows[0] and renderable is not None and not self._batch_count and not _done[0]:
        _done[0] = True
        stamp = time.time()
        with open(os.environ["BENCH_PAINT"], "w") as f:
            f.write(f"{{stamp!r}} {{_ran[0]!r}} {{_rows[0]}}\\n")
            for t, what in _marks or ():
                f.write(f"{{t!r}} {{what}}\\n")
        self.exit()


def run(self, **kw):
    _ran[0] = time.time()
    if os.environ.get("BENCH_HEADLESS"):
        kw.update(headless=True, size=({WIDTH}, {HEIGHT}))
    return _run(self, **kw)


DataTable.render_lines = render_lines
App._display = display
App.run = run
"""

LCSP_CHILD = (
    PROBE
    + """
from lcsp_tui.cli import main

raise SystemExit(main(sys.argv[1:]))
"""
)

BARE_CHILD = (
    PROBE
    + """
from textual.app import App
from textual.widgets import DataTable, Footer, Header


class Bare(App):
    def compose(self):
        yield Header()
        yield DataTable(cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("Patient/vad", "Steg", "Klart", "Senast", "Status")
        for i in range(5):
            table.add_row(f"Patient {i}", "2", "0/5", "tis 30/9 12:00", "")
        table.focus()


Bare().run()
"""
)


PYCACHE: Path | None = None  # the children's bytecode cache (set in main)


def subprocess_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LCSP_", "TEXTUAL"))}
    if PYCACHE is not None:  # as installed: every module compiled once, not at each start
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env["TERM"] = "xterm-256color"
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    return env


@dataclass
class ChildRun:
    paint: float | None  # seconds from spawn to the first paint of the table
    ran: float | None  # seconds from spawn to App.run (interpreter, imports, set-up)
    wall: float  # seconds from spawn to exit (reaped)
    maxrss: int  # KiB
    rows: int  # rows in the painted table
    marks: list[tuple[float, str]]  # with BENCH_TIMELINE: (seconds from spawn, what)


# Starts the child and waits for it: a small process, so that the child's max RSS is its own
# (Linux keeps the larger RSS of the process that forked it across exec) and the start time
# is taken right before the child's own fork.
LAUNCHER = """
import resource, subprocess, sys, time

start = time.time()
code = subprocess.call(sys.argv[2:])
wall = time.time() - start
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
with open(sys.argv[1], "w") as f:
    f.write(f"{start!r} {wall!r} {rss} {code}\\n")
"""


def spawn(
    cmd: list[str],
    tmp: Path,
    headless: bool,
    timeout: float = 120.0,
    extra_env: dict[str, str] | None = None,
) -> ChildRun:
    """Run ``cmd`` on a pseudo-terminal of WIDTH×HEIGHT; time it and read its max RSS."""
    paint_file, run_file = tmp / "paint.txt", tmp / "run.txt"
    paint_file.unlink(missing_ok=True)
    run_file.unlink(missing_ok=True)
    launcher = tmp / "launcher.py"
    if not launcher.exists():
        launcher.write_text(LAUNCHER)
    env = subprocess_env()
    env["BENCH_PAINT"] = str(paint_file)
    if headless:
        env["BENCH_HEADLESS"] = "1"
    env.update(extra_env or {})
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", HEIGHT, WIDTH, 0, 0))
    out = bytearray()

    def drain() -> None:  # the terminal: read everything the child writes
        while True:
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            out.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    p = subprocess.Popen(
        [sys.executable, str(launcher), str(run_file), *cmd],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)  # the launcher's session: it and the child
        p.wait()
    reader.join(5)
    os.close(master)
    fields = run_file.read_text().split() if run_file.exists() else []
    if p.returncode != 0 or len(fields) != 4 or fields[3] != "0":
        tail = out[-2000:].decode(errors="replace")
        raise SystemExit(f"{' '.join(cmd[:4])}…: exit {p.returncode} {fields}:\n{tail}")
    start, wall, maxrss = float(fields[0]), float(fields[1]), int(fields[2])
    paint, ran, rows, marks = None, None, 0, []
    if paint_file.exists():
        first, *rest = paint_file.read_text().splitlines()
        stamp, ran_stamp, n = first.split()
        paint, ran, rows = float(stamp) - start, float(ran_stamp) - start, int(n)
        for line in rest:
            t, what = line.split(" ", 1)
            marks.append((float(t) - start, what))
        marks += [(ran, "App.run"), (paint, "PAINTED: the table's rows sent")]
        marks.sort()
    return ChildRun(paint, ran, wall, maxrss, rows, marks)


@dataclass
class Best:
    paint: float = float("inf")
    ran: float = float("inf")  # of the run with the best paint
    wall: float = float("inf")
    maxrss: int = 0  # the highest of the runs
    rows: int = 0
    paints: list[float] = field(default_factory=list)

    def add(self, run: ChildRun) -> None:
        if run.paint is not None and run.ran is not None:
            if run.paint < self.paint:
                self.paint, self.ran = run.paint, run.ran
            self.paints.append(run.paint)
        self.wall = min(self.wall, run.wall)
        self.maxrss = max(self.maxrss, run.maxrss)
        self.rows = run.rows


# ------------------------------------------------------------------ homes


def make_demo_home(home: Path, size: str) -> float:
    """``lcsp demo --size SIZE --no-tui`` (the real CLI) unless the home already exists."""
    if (home / "store.sqlite").exists():
        return 0.0
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "lcsp_tui", "--home", str(home), "--today", TODAY]
    cmd += ["--user", "demo", "demo", "--size", size, "--no-tui"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCSP_")}
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise SystemExit(f"demo --size {size} failed: {p.stderr.strip()[-2000:]}")
    return time.perf_counter() - start


def made(secs: float) -> str:
    return f"made in {secs:.1f} s" if secs else "reused"


def worklist_len(home: Path, role: str, unit: str, today: str = TODAY) -> int:
    """Rows of the worklist as the app shows it (``Workstation.worklist``)."""
    ws = make_workstation(home, role, unit, today=today)
    try:
        return len(ws.worklist())
    finally:
        ws.close()


def busiest(home: Path, role: str, today: str = TODAY) -> tuple[str, int]:
    """The unit with the most pending worklist rows for ``role`` (the read model's
    ``rm_list``, read-only), checked against the worklist the app computes."""
    uri = f"{(home / 'store.sqlite').as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        found = conn.execute(
            "SELECT unit, count(*) FROM rm_list WHERE role = ? AND unit <> '' AND pending = 1 "
            "GROUP BY unit ORDER BY count(*) DESC, unit LIMIT 1",
            (role,),
        ).fetchone()
    if found is None:
        raise SystemExit(f"no {role} worklist in {home}")
    unit, n = found
    shown = worklist_len(home, role, unit, today)
    if shown != n:
        raise SystemExit(f"{role} @ {unit}: rm_list has {n} pending rows, the worklist {shown}")
    return unit, n


# ------------------------------------------------------------------ in-process probe


class ProbedApp(LcspApp):
    """LcspApp that notes when a screen update is sent and a condition holds."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.table_rows = 0  # rows of the last DataTable rendered with rows
        self._when: Callable[[object], bool] | None = None
        self._event: asyncio.Event | None = None
        self.hit: float | None = None

    def arm(self, when: Callable[[object], bool]) -> None:
        self.table_rows = 0
        self.hit = None
        self._when = when
        self._event = asyncio.Event()

    async def painted(self, timeout: float = 120.0) -> float:
        assert self._event is not None
        await asyncio.wait_for(self._event.wait(), timeout)
        assert self.hit is not None
        return self.hit

    def _display(self, screen, renderable) -> None:  # type: ignore[no-untyped-def]
        super()._display(screen, renderable)
        if renderable is None or self._batch_count or self._when is None:
            return
        if self._when(screen):
            self.hit = time.perf_counter()
            self._when = None
            assert self._event is not None
            self._event.set()


@contextlib.contextmanager
def table_probe() -> Iterator[None]:
    """DataTable.render_lines tells the probed app that rows were rendered."""
    original = DataTable.render_lines

    def render_lines(self, crop):  # type: ignore[no-untyped-def]
        lines = original(self, crop)
        if self.row_count and isinstance(self.app, ProbedApp):
            self.app.table_rows = self.row_count
        return lines

    DataTable.render_lines = render_lines  # type: ignore[method-assign]
    try:
        yield
    finally:
        DataTable.render_lines = original  # type: ignore[method-assign]


Timed = tuple[float, dict[str, list[float]]]  # seconds, and the parts' calls within


class Timings:
    """Calls of some methods, timed while inside ``timing``: (name, end, seconds)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float, float]] = []

    def between(self, start: float, end: float) -> dict[str, list[float]]:
        """The seconds of the calls that ended between ``start`` and ``end``, by name."""
        out: dict[str, list[float]] = {}
        for name, stop, secs in self.calls:
            if start <= stop <= end:
                out.setdefault(name, []).append(secs)
        return out


@contextlib.contextmanager
def timing(*methods: tuple[type, str]) -> Iterator[Timings]:
    timings = Timings()
    originals = [(cls, name, getattr(cls, name)) for cls, name in methods]
    for cls, name, original in originals:

        def timed(*args, _original=original, _name=f"{cls.__name__}.{name}", **kwargs):  # type: ignore[no-untyped-def]
            t = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                end = time.perf_counter()
                timings.calls.append((_name, end, end - t))

        setattr(cls, name, timed)
    try:
        yield timings
    finally:
        for cls, name, original in originals:
            setattr(cls, name, original)


def worklist_painted(app: ProbedApp) -> Callable[[object], bool]:
    return lambda screen: isinstance(screen, WorklistScreen) and app.table_rows > 0


# ------------------------------------------------------------------ (1) + (4)


@dataclass
class Results:
    rows: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)

    def add(self, what: str, value: str, base: str, ratio: str, goal: str, ok: bool | None) -> None:
        met = "—" if ok is None else "yes" if ok else "NO"
        self.rows.append((what, value, base, ratio, goal, met))

    def print(self) -> None:
        head = ("measure", "value", "baseline", "ratio", "goal", "met")
        widths = [max(len(r[i]) for r in [head, *self.rows]) for i in range(len(head))]

        def line(cells: tuple[str, ...]) -> str:
            return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))

        print(line(head))
        print("  ".join("-" * w for w in widths))
        for r in sorted(self.rows, key=lambda r: r[0][0]):  # by part: 1, 2, 3, 4
            print(line(r))


def bench_startup(
    home: Path, runs: int, headless: bool, tmp: Path, res: Results, profile: bool
) -> None:
    mode = "headless" if headless else f"on a {WIDTH}x{HEIGHT} pseudo-terminal"
    print(f"(1) start to first painted worklist, best of {runs} ({mode}); (4) peak memory")
    ward, n_ward = busiest(home, SOMATIK)
    unit, n_unit = busiest(home, KOMMUN)
    lcsp_py = tmp / "lcsp_child.py"
    bare_py = tmp / "bare_child.py"
    lcsp_py.write_text(LCSP_CHILD)
    bare_py.write_text(BARE_CHILD)
    lcsp = [sys.executable, str(lcsp_py), "--home", str(home), "--today", TODAY]
    cmds = {
        "floor": [sys.executable, "-c", "pass"],
        "bare": [sys.executable, str(bare_py)],
        SOMATIK: [*lcsp, "--role", SOMATIK, "--unit", ward],
        KOMMUN: [*lcsp, "--role", KOMMUN, "--unit", unit],
    }
    labels = {
        "floor": "python -c pass (the interpreter alone)",
        "bare": "bare Textual: Header + DataTable(5 rows) + Footer",
        SOMATIK: f"lcsp {SOMATIK} @ {ward} ({n_ward} rows)",
        KOMMUN: f"lcsp {KOMMUN} @ {unit} ({n_unit} rows)",
    }
    for cmd in cmds.values():  # warm the page cache and the .pyc files
        spawn(cmd, tmp, headless)
    best = {name: Best() for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            best[name].add(spawn(cmd, tmp, headless))
    print(
        f"      {'':54} {'→App.run':>8} {'→paint':>8} {'to paint':>8} {'(median)':>8} "
        f"{'to exit':>8} {'rows':>4} {'max RSS':>9}"
    )
    for name, b in best.items():
        if b.paints:
            cols = (
                f"{b.ran:7.3f}s {b.paint - b.ran:7.3f}s {b.paint:7.3f}s "
                f"{statistics.median(b.paints):7.3f}s"
            )
            rows = str(b.rows)
        else:
            cols, rows = " ".join(f"{'—':>8}" for _ in range(4)), "—"
        print(f"      {labels[name]:54} {cols} {b.wall:7.3f}s {rows:>4} {b.maxrss / MIB:6.1f} MiB")
    print(
        "      (→App.run: spawn to App.run — interpreter, imports, set-up; →paint: App.run to "
        "the first update with the table's rows; best run)"
    )
    bare = best["bare"]
    print(f"      (interpreter start: {best['floor'].wall * 1000:.0f} ms of every figure)")
    for name in (SOMATIK, KOMMUN):
        b = best[name]
        ratio = b.paint / bare.paint
        print(
            f"    {name}: paint / bare {ratio:.2f}×, exit / bare {b.wall / bare.wall:.2f}×, "
            f"RSS {b.maxrss / MIB:.1f} MiB vs bare {bare.maxrss / MIB:.1f} MiB"
        )
    for name in (SOMATIK, KOMMUN):
        b = best[name]
        ratio = b.paint / bare.paint
        goal = name == SOMATIK
        res.add(
            f"1 start→paint {labels[name].removeprefix('lcsp ')}",
            f"{b.paint:.3f} s",
            f"{bare.paint:.3f} s",
            f"{ratio:.2f}×",
            f"≤ {STARTUP_GOAL}× bare" if goal else "(context)",
            ratio <= STARTUP_GOAL if goal else None,
        )
    factor, extra = MEM_GOAL
    limit = factor * bare.maxrss + extra
    for name in (SOMATIK, KOMMUN):
        b = best[name]
        res.add(
            f"4 max RSS {labels[name].removeprefix('lcsp ')}",
            f"{b.maxrss / MIB:.1f} MiB",
            f"{bare.maxrss / MIB:.1f} MiB",
            f"{b.maxrss / bare.maxrss:.2f}×",
            f"≤ {factor}× bare + {extra // MIB} MiB = {limit / MIB:.0f} MiB",
            b.maxrss <= limit,
        )
    if profile:
        startup_profile(cmds, labels, tmp)


# ------------------------------------------------------------------ (2)


async def time_worklist(
    home: Path,
    role: str,
    unit: str,
    pushes: int,
    prof: cProfile.Profile | None,
    today: str = TODAY,
) -> dict[str, object]:
    """Start the app on ``role`` @ ``unit``, then pop and push ``WorklistScreen``
    ``pushes`` times: ``cold`` (app start → painted), ``warm`` (each push, with its parts),
    ``rows`` (the worklist's), ``table_rows`` (the table's, capped)."""
    ws = make_workstation(home, role, unit, today=today)
    app = ProbedApp(ws, sync_interval=None)
    out: dict[str, object] = {}
    parts = ((Queries, "worklist"), (WorklistScreen, "_render_rows"))
    with table_probe(), timing(*parts) as timings:
        app.arm(worklist_painted(app))
        start = time.perf_counter()
        async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
            out["cold"] = await app.painted() - start
            await settle(cast(Any, pilot))
            warm: list[Timed] = []
            for _ in range(pushes):
                await app.pop_screen()
                await pilot.pause()
                app.arm(worklist_painted(app))
                start = time.perf_counter()
                await app.push_screen(WorklistScreen())
                hit = await app.painted()
                warm.append((hit - start, timings.between(start, hit)))
                await pilot.pause()
            screen = app.screen
            assert isinstance(screen, WorklistScreen)
            out["warm"] = warm
            out["rows"] = len(screen._rows)
            out["table_rows"] = screen.query_one("#worklist", DataTable).row_count
            if prof is not None:  # one more push, profiled
                await app.pop_screen()
                await pilot.pause()
                app.arm(worklist_painted(app))
                prof.enable()
                await app.push_screen(WorklistScreen())
                await app.painted()
                prof.disable()
                await pilot.pause()
    ws.close()
    return out


def show_parts(parts: dict[str, list[float]], total: float, indent: str) -> None:
    for name, secs in parts.items():
        each = ", ".join(f"{c * 1000:.1f}" for c in secs)
        print(f"{indent}{name + f' ×{len(secs)}':40} {sum(secs) * 1000:8.1f} ms  ({each})")
    rest = total - sum(sum(v) for v in parts.values())
    print(f"{indent}{'the rest (Textual: mount, layout, paint)':40} {rest * 1000:8.1f} ms")


def bench_worklist(home: Path, pushes: int, res: Results, profile: bool) -> None:
    print(f"(2) a worklist of ≥ {WORKLIST_MIN_ROWS:,} rows (demo large), in-process")
    unit, n = busiest(home, KOMMUN)
    if n < WORKLIST_MIN_ROWS:
        raise SystemExit(f"the busiest {KOMMUN} unit of large has only {n} rows")
    prof = cProfile.Profile() if profile else None
    r = asyncio.run(time_worklist(home, KOMMUN, unit, pushes, prof))
    warm = sorted(cast(list[Timed], r["warm"]), key=lambda w: w[0])
    push, parts = warm[0]
    rows, table_rows = r["rows"], r["table_rows"]
    print(
        f"    {KOMMUN} @ {unit}: {rows:,} rows in the worklist, {table_rows} in the table "
        f"(the first {FIRST_ROWS} at once, the rest in batches after the first paint)"
    )
    print(f"      app start in run_test → table painted (once):     {r['cold']:7.3f} s")
    print(
        f"      push WorklistScreen → table painted, best of {pushes}: {push:7.3f} s "
        f"(median {statistics.median(w[0] for w in warm):.3f} s); in that push:"
    )
    show_parts(parts, push, "        ")
    res.add(
        f"2 push→paint {KOMMUN} @ {unit} ({rows:,} rows, {table_rows} in table)",
        f"{push:.3f} s",
        "",
        "",
        f"≤ {WORKLIST_GOAL} s",
        push <= WORKLIST_GOAL,
    )
    res.add(
        "2 app start (run_test)→paint, same worklist",
        f"{r['cold']:.3f} s",
        "",
        "",
        "(context)",
        None,
    )
    if prof is not None:
        print(
            "    cProfile of one more push (top 25 by cumulative time, the app's code and Textual's):"
        )
        print_profile(prof, 25, APP_OR_TEXTUAL)


APP_OR_TEXTUAL = (
    r"lcsp_tui|screens/|pydantic|sqlite3|textual/(_compositor|screen|widget|dom|css/stylesheet"
    r"|widgets/_data_table|widgets/_option_list)\.py"
)


def print_profile(prof: cProfile.Profile, n: int, pattern: str) -> None:
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("cumulative").print_stats(pattern, n)
    lines = buf.getvalue().splitlines()
    start = next((i for i, s in enumerate(lines) if "ncalls" in s), 0)
    for line in lines[start:]:
        if line.strip():
            print("      " + line.replace(str(Path(textual_dir()).parent) + "/", "")[:150])


def textual_dir() -> str:
    import textual

    return os.path.dirname(textual.__file__)


# ------------------------------------------------------------------ (3)


def box_of(items: OptionList, item: str) -> str:
    """What the item's box shows: [x], [ ] or [–]."""
    option = items.get_option(item)
    table = cast(Table, option.prompt)
    return str(table.columns[0]._cells[0])


def shows(
    screen: Screen[Any], done_now: Callable[[], bool], want: bool
) -> Callable[[object], bool]:
    """The condition of the tick's repaint: the checklist is on screen, the item has ``want``."""
    return lambda s: s is screen and done_now() is want


async def time_ticks(
    home: Path, role: str, unit: str, ticks: int, prof: cProfile.Profile | None
) -> dict[str, object]:
    ws = make_workstation(home, role, unit, today=TODAY)
    app = ProbedApp(ws, sync_interval=None)
    out: dict[str, object] = {}
    parts = (
        (Workstation, "tick"),
        (LcspApp, "local_change"),
        (ChecklistScreen, "reload"),
        (Compositor, "render_update"),
    )
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await settle(cast(Any, pilot))
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChecklistScreen), screen
        usable = [s for s in screen.states if s.applies and not s.locked and not s.waiting]
        usable = [s for s in usable if not s.item.closes] or usable  # no kvittering gate
        assert usable, f"nothing tickable on {screen.subject}"
        item = usable[0].item.id
        items = screen.query_one("#items", OptionList)
        items.highlighted = items.get_option_index(item)
        await pilot.pause()
        out["subject"], out["item"] = screen.subject, item
        out["options"] = items.option_count

        def done_now() -> bool:
            return next(s for s in screen.states if s.item.id == item).done

        times: list[Timed] = []
        with timing(*parts) as timings:
            for i in range(2 + ticks):
                want = not done_now()
                app.arm(shows(screen, done_now, want))
                if prof is not None and i >= 2:
                    prof.enable()
                start = time.perf_counter()
                await pilot.press("space")
                hit = await app.painted(timeout=30)
                if prof is not None:
                    prof.disable()
                await pilot.pause()
                box = box_of(items, item)
                assert box == ("[x]" if want else "[ ]"), (box, want)
                if i >= 2:  # two warm-ups
                    times.append((hit - start, timings.between(start, hit)))
        out["times"] = times
    ws.close()
    return out


def bench_tick(home: Path, tmp: Path, ticks: int, res: Results, profile: bool) -> None:
    print(f"(3) tick to repaint, {ticks} ticks (Space, toggled back and forth), in-process")
    copy = tmp / "tick-home"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(home, copy)  # the ticks stay out of the start-up home
    ward, _ = busiest(copy, SOMATIK)
    prof = cProfile.Profile() if profile else None
    r = asyncio.run(time_ticks(copy, SOMATIK, ward, ticks, prof))
    runs = sorted(cast(list[Timed], r["times"]), key=lambda t: t[0])
    times = [t for t, _ in runs]
    med = statistics.median(times)
    p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
    print(f"    {SOMATIK} @ {ward}, {r['subject']}, item {r['item']} ({r['options']} options)")
    print(
        f"      Space → repaint: median {med * 1000:.1f} ms, min {times[0] * 1000:.1f} ms, "
        f"p90 {p90 * 1000:.1f} ms, max {times[-1] * 1000:.1f} ms; in the median tick:"
    )
    median_run = runs[len(runs) // 2]
    show_parts(median_run[1], median_run[0], "        ")
    print("        (Compositor.render_update: rendering the changed widgets into the update)")
    res.add(
        f"3 tick→repaint {SOMATIK} @ {ward} (median of {ticks})",
        f"{med * 1000:.1f} ms",
        "",
        "",
        f"≤ {TICK_GOAL * 1000:.0f} ms",
        med <= TICK_GOAL,
    )
    if prof is not None:
        print(f"    cProfile of the {ticks} ticks (top 25 by cumulative time, app and Textual):")
        print_profile(prof, 25, APP_OR_TEXTUAL)


# ------------------------------------------------------------------ profile: imports


def startup_profile(cmds: dict[str, list[str]], labels: dict[str, str], tmp: Path) -> None:
    """What happens when in one start of each (``BENCH_TIMELINE``), then ``-X importtime``."""
    print("(profile) one start of each, what happens when (seconds from spawn):")
    for name in ("bare", SOMATIK):
        run = spawn(cmds[name], tmp, False, extra_env={"BENCH_TIMELINE": "1"})
        print(f"    {labels[name]}")
        for t, what in run.marks:
            print(f"      {t:7.3f} s  {what}")
    print("(profile) -X importtime, headless; sum of self times by top-level package, ms")
    env = subprocess_env()
    env["BENCH_HEADLESS"] = "1"
    env["BENCH_PAINT"] = str(tmp / "paint.txt")
    selfs: dict[str, dict[str, int]] = {}
    cums: dict[str, dict[str, int]] = {}
    for name in ("bare", SOMATIK):
        cmd = [cmds[name][0], "-X", "importtime", *cmds[name][1:]]
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
        top: dict[str, int] = {}
        cum: dict[str, int] = {}
        for line in p.stderr.splitlines():
            fields = line.removeprefix("import time:").split("|")
            if not line.startswith("import time:") or len(fields) != 3:
                continue
            self_us, cum_us, module = (f.strip() for f in fields)
            if not self_us.isdigit():
                continue  # the header
            pkg = module.split(".")[0]
            top[pkg] = top.get(pkg, 0) + int(self_us)
            cum[module] = int(cum_us)
        selfs[name], cums[name] = top, cum
    bare, lcsp = selfs["bare"], selfs[SOMATIK]
    print(f"      {'package':24} {'bare':>8} {'lcsp':>8}")
    for k in sorted(set(bare) | set(lcsp), key=lambda k: -lcsp.get(k, 0))[:14]:
        print(f"      {k:24} {bare.get(k, 0) / 1000:8.1f} {lcsp.get(k, 0) / 1000:8.1f}")
    total_b, total_l = sum(bare.values()) / 1000, sum(lcsp.values()) / 1000
    print(f"      {'all imports':24} {total_b:8.1f} {total_l:8.1f}")
    only = {m: c for m, c in cums[SOMATIK].items() if m not in cums["bare"]}
    print("      modules only lcsp imports, by cumulative time (ms):")
    for m, c in sorted(only.items(), key=lambda kv: -kv[1])[:8]:
        print(f"        {m:40} {c / 1000:8.1f}")


# ------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="start-ups of each (1), best taken")
    parser.add_argument("--pushes", type=int, default=5, help="pushes of (2), best taken")
    parser.add_argument("--ticks", type=int, default=20, help="ticks of (3), median taken")
    parser.add_argument("--headless", action="store_true", help="(1): headless, no terminal")
    parser.add_argument("--only", choices=("startup", "worklist", "tick"), help="one part only")
    parser.add_argument("--homes", type=Path, help="make (or reuse) the demo homes here")
    parser.add_argument("--profile", action="store_true", help="also show where the time goes")
    parser.add_argument(
        "--no-pyc",
        action="store_true",
        help="(1): keep the environment's bytecode setting (PYTHONDONTWRITEBYTECODE=1 compiles "
        "every uncached module at each start); default: a bytecode cache in the temp dir",
    )
    args = parser.parse_args(argv)
    import textual

    print(f"python {sys.version.split()[0]}, textual {textual.__version__}, {os.cpu_count()} CPUs")
    res = Results()
    with tempfile.TemporaryDirectory(prefix="lcsp-bench-tui-") as d:
        tmp = Path(d)
        global PYCACHE
        PYCACHE = None if args.no_pyc else tmp / "pycache"
        homes = args.homes or tmp
        homes.mkdir(parents=True, exist_ok=True)
        region = homes / "region-home"
        if args.only in (None, "startup", "tick"):
            print(f"    region demo home {made(make_demo_home(region, 'region'))}")
        if args.only in (None, "startup"):
            bench_startup(region, args.runs, args.headless, tmp, res, args.profile)
        if args.only in (None, "worklist"):
            large = homes / "large-home"
            print(f"    large demo home {made(make_demo_home(large, 'large'))}")
            bench_worklist(large, args.pushes, res, args.profile)
        if args.only in (None, "tick"):
            bench_tick(region, tmp, args.ticks, res, args.profile)
    print()
    res.print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
