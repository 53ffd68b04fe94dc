"""Start-up (issue 14): what a command or the TUI loads before it answers, read from real
processes; and the shortcuts that keep it small behave exactly like the long way."""

from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import datetime as dt
import gc
import inspect
import io
import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from lcsp_tui import rows
from lcsp_tui.cli import _Formatter, build_parser, command_of
from lcsp_tui.cli import main as cli_main
from lcsp_tui.config import ConfigError, Settings, parse_today, settings_from
from lcsp_tui.domain.frozen import Frozen
from lcsp_tui.domain.lookup import LookupQuery
from lcsp_tui.domain.personnummer import Personnummer, parse
from lcsp_tui.domain.regiondata import load_region
from lcsp_tui.domain.roles import Role
from tests.snapshot_app import TODAY, build_demo_home, clean_env, make_app, make_workstation, settle

ROOT = Path(__file__).resolve().parents[1]
SOMATIK, AVD11 = "slutenvard-somatik", "SUS-AVD11"
WORKLIST = ["--role", SOMATIK, "--unit", AVD11, "worklist", "--json"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's home, used as the ward: its bucket (issue 15) pulled once, as a ward PC
    starts every day."""
    home = build_demo_home(tmp_path_factory.mktemp("startup") / "home")
    with clean_env():
        assert cli_main(["--home", str(home), "--today", TODAY, *WORKLIST[:-2], "sync"]) == 0
    return home


def child_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("LCSP_", "TEXTUAL"))}


def imported(home: Path, argv: list[str]) -> tuple[set[str], str]:
    """The modules a whole ``python -m lcsp_tui …`` process imported, and its stdout."""
    cmd = [sys.executable, "-X", "importtime", "-m", "lcsp_tui", "--home", str(home)]
    p = subprocess.run(
        [*cmd, "--today", TODAY, *argv],
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=ROOT,
        check=False,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    mods = {
        line.rsplit("|", 1)[1].strip()
        for line in p.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "lcsp_tui.cli" in mods  # the lines were read
    return mods, p.stdout


def under(mods: set[str], *packages: str) -> set[str]:
    return {m for m in mods if any(m == p or m.startswith(p + ".") for p in packages)}


def test_worklist_json_loads_only_the_read_path(home: Path) -> None:
    mods, out = imported(home, WORKLIST)
    assert isinstance(json.loads(out), list)
    # nothing of the text table, the statistics, the other commands, the ledger or sync
    unneeded = under(
        mods,
        "lcsp_tui.stats",
        "lcsp_tui.cli_support",
        "lcsp_tui.sync",
        "lcsp_tui.environments",
        "lcsp_tui.ledger.sqlite",
        "lcsp_tui.ledger.postgres",
        "lcsp_tui.importer",
        "_strptime",
        "textual",
        # argparse's formatter asks shutil for the width (and shutil brings zlib, bz2,
        # lzma); getpass brings termios: the CLI does both without them
        "shutil",
        "getpass",
        "termios",
        # the rows, the roles and the lookup key are plain classes (domain.frozen), not
        # dataclasses (which bring inspect, ast, dis, tokenize); the store imports uuid,
        # hashlib and signal where it writes, hashes or crashes; privacy.py the lookup's
        # refusal only to refuse
        "dataclasses",
        "inspect",
        "uuid",
        "hashlib",
        "signal",
        "lcsp_tui.domain.lookup",
    )
    assert not unneeded


def test_reading_a_worklist_loads_no_region_data(home: Path) -> None:
    ws = make_workstation(home, SOMATIK, AVD11)
    try:
        assert ws.worklist() and ws.q.unit_exists(AVD11)
        assert not ws.region_loaded
        assert ws.region is load_region()  # read when needed: the process's one RegionData
        assert ws.region_loaded and ws.store.region.timeline is ws.region.timeline
    finally:
        ws.close()


def test_worklist_json_imports_neither_pydantic_nor_the_rules(home: Path) -> None:
    mods, _ = imported(home, WORKLIST)
    assert not under(
        mods,
        "pydantic",
        "lcsp_tui.domain.rules",
        "lcsp_tui.domain.models",
        "lcsp_tui.domain.regiondata",
    )


def test_the_text_table_module_is_light() -> None:
    code = "import json, sys, lcsp_tui.textout; print(json.dumps(sorted(sys.modules)))"
    p = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    mods = set(json.loads(p.stdout))
    assert "lcsp_tui.textout" in mods
    assert not under(
        mods, "lcsp_tui.stats", "lcsp_tui.domain.regiondata", "pydantic", "dataclasses"
    )


def test_worklist_as_text_loads_no_statistics_nor_region_data(home: Path) -> None:
    mods, out = imported(home, WORKLIST[:-1])
    assert "på arbetslistan" in out
    assert not under(mods, "lcsp_tui.stats", "lcsp_tui.domain.regiondata", "pydantic")


def test_the_app_module_imports_no_other_roles_screens() -> None:
    code = "import json, sys, lcsp_tui.app; print(json.dumps(sorted(sys.modules)))"
    p = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    mods = set(json.loads(p.stdout))
    assert under(mods, "textual")  # the real module was imported
    assert not under(
        mods,
        "screens.dashboard",
        "screens.burndown",
        "textual_plotext",
        "plotext",
        "screens.support",
        "screens.audit",
        "screens.checklist",
        "screens.kvittering",
        "screens.timeline",
        "screens.setup",
        "lcsp_tui.stats",
    )


# A ward's TUI on a real (headless) app, in its own process: what is loaded once the
# worklist is on screen, and that the first sync started only after the rows were there.
TUI = """
import asyncio, json, sys
from pathlib import Path
from lcsp_tui.workstation import Workstation
from tests.snapshot_app import make_app, settle

app = make_app(Path(sys.argv[1]), sys.argv[2], sys.argv[3])
seen = {}
sync = Workstation.sync


def probe(self):
    screen = app.screen
    table = screen.query("#worklist")
    seen["screen"] = type(screen).__name__
    seen["rows"] = table.first().row_count if table else 0
    return sync(self)


Workstation.sync = probe


async def run():
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        header = " ".join(str(s.render()) for s in app.screen.query("#hdr-today"))
        print(json.dumps({"seen": seen, "header": header, "mods": sorted(sys.modules)}))


asyncio.run(run())
"""


def test_a_wards_tui_loads_no_other_roles_screens_and_syncs_after_its_rows(home: Path) -> None:
    p = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(TUI), str(home), SOMATIK, AVD11],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=child_env(),
        check=False,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    found = json.loads(p.stdout.strip().splitlines()[-1])
    assert found["seen"]["screen"] == "WorklistScreen" and found["seen"]["rows"] > 0
    assert "Din tur nu" in found["header"]  # the timeline's line came after the first paint
    assert not under(
        set(found["mods"]),
        "screens.dashboard",
        "textual_plotext",
        "screens.support",
        "screens.audit",
        "lcsp_tui.stats",
    )


# ------------------------------------------------------------------ the command line


def parsed(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[object, ...]:
    """What argparse makes of a command line: the namespace, or the exit code and the text."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            ns = parser.parse_args(argv)
        except SystemExit as e:
            return ("exit", e.code, out.getvalue(), err.getvalue())
    return ("ok", sorted(vars(ns).items()))


CASES = [
    [],
    ["--today", "2025-09-30", "--role", SOMATIK],
    ["worklist", "--json"],
    ["--role", SOMATIK, "--unit", AVD11, "worklist", "--json"],
    ["--role=support", "lookup", "A Larsson", "1945", "--json"],
    ["--ro", "support", "--un", "X", "checklist", "VT1"],  # prefixes of the global options
    ["--user", "-x", "worklist"],  # a value that looks like an option
    ["--u", "x", "worklist"],  # ambiguous: --user or --unit
    ["--h", "x", "worklist"],  # ambiguous: --help or --home
    ["--home"],
    ["--home", "/tmp/h", "--ledger"],
    ["--help"],
    ["-h"],
    ["--role", "x", "--help", "worklist"],
    ["worklist", "--help"],
    ["bogus"],
    ["--json"],
    ["--", "worklist"],
    ["worklist", "--bogus"],
    ["worklist", "extra"],
    ["decide", "SIP1", "kanske"],
    ["decide", "SIP1", "ej-aktuell"],
    ["tick", "VT1", "s2.x", "--undo", "--note", "n"],
    ["stats", "--json", "--csv"],
    ["report", "--out", "r.md"],
    ["ledger"],
    ["ledger", "check", "x.sqlite", "--json"],
    ["ledger", "init", "postgresql://a@b/c", "--app-role", "r"],
    ["audit", "--user", "kalle", "--role", "systemforvaltning", "--csv"],
    ["help-request", "list", "--all", "--json"],
    ["help-request", "add", "U1,U2", "A Larsson", "1945", "kvittera"],
    ["serve", "--port", "x"],
    ["--env", "produktion", "state-hash"],
    ["--env=utbildning", "sync", "--json"],
    ["demo", "--size", "huge"],
    ["import", "a.csv", "b.csv", "--dry-run"],
]


@pytest.mark.parametrize("argv", CASES, ids=lambda a: " ".join(a) or "(none)")
def test_a_named_command_parses_as_with_the_whole_parser(argv: list[str]) -> None:
    short = build_parser(command_of(argv))
    assert parsed(short, argv) == parsed(build_parser(), argv)


def test_command_of_finds_the_command_only_when_it_is_certain() -> None:
    assert command_of(WORKLIST) == "worklist"
    assert command_of(["--home=/h", "--today", "2025-09-30", "state-hash"]) == "state-hash"
    assert command_of(["--role", SOMATIK, "--unit", AVD11]) == ""  # the TUI
    assert command_of(["--role", "worklist", "sync"]) == "sync"  # a value is no command
    for unsure in (["--help"], ["-h", "worklist"], ["--u", "x", "sync"], ["bogus"], ["--", "sync"]):
        assert command_of(unsure) is None


@pytest.mark.parametrize(
    "text",
    [
        "2025-09-30T10:00",
        "2025-09-30",
        " 2025-09-30 ",
        "2025-9-3",
        "2025-09-30T9:05",
        "2024-02-29",
        "2025-02-29",
        "2025-09-30T24:00",
        "2025-09-30T10:00:00",
        "20250930",
        "2025-09-30 10:00",
        "2025-09-30T10",
        "",
    ],
)
def test_today_reads_as_strptime_does(text: str) -> None:
    def strptime(t: str) -> dt.datetime | None:
        for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d"):
            try:
                return dt.datetime.strptime(t.strip(), fmt)
            except ValueError:
                continue
        return None

    want = strptime(text)
    if want is None:
        with pytest.raises(ConfigError):
            parse_today(text)
    else:
        assert parse_today(text) == want


def test_the_cli_formatter_is_as_wide_as_argparses(monkeypatch: pytest.MonkeyPatch) -> None:
    for columns, lines in (("100", "30"), ("", ""), ("abc", "0"), ("60", "")):
        monkeypatch.setenv("COLUMNS", columns)
        monkeypatch.setenv("LINES", lines)
        assert _Formatter("lcsp")._width == argparse.HelpFormatter("lcsp")._width


def test_settings_and_personnummer_keep_their_value_semantics() -> None:
    pnr = parse("19121212-1212", dt.date(2025, 9, 30))
    assert pnr == Personnummer("191212121212") and pnr != Personnummer("191212121213")
    assert (
        hash(pnr) == hash(Personnummer("191212121212"))
        and len({pnr, parse("191212121212", dt.date(2025, 9, 30))}) == 1
    )
    assert repr(pnr) == "Personnummer(digits='191212121212')" and str(pnr) == "19121212-1212"
    with pytest.raises(AttributeError):
        pnr.digits = "0"
    a = settings_from(home="/tmp/h", user="u", today="2025-09-30")
    b = settings_from(home="/tmp/h", user="u", today="2025-09-30")
    b.started -= 100  # when the process started is not part of the settings' value
    assert a == b and a != settings_from(home="/tmp/h", user="v", today="2025-09-30")
    assert "started" not in repr(a) and repr(a).startswith("Settings(home=")
    b.role = "support"  # settable, as the workstation does
    assert a != b and isinstance(a, Settings)
    with pytest.raises(TypeError):
        hash(a)


async def test_the_collector_waits_for_the_first_paint_then_runs(home: Path) -> None:
    app = make_app(home, SOMATIK, AVD11)
    app.gc_paused = True  # as run_app does
    gc.disable()
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            assert not app.gc_paused and gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()


# ------------------------------------------------------------------ frozen values

FROZEN = [
    *(
        getattr(rows, name)
        for name in (
            "WorkRow",
            "ItemRow",
            "Checklist",
            "MessageRow",
            "UnitRow",
            "Selector",
            "DrillRow",
            "HelpRequest",
        )
    ),
    Role,
    LookupQuery,
]
UNCOMPARED = {"DrillRow": {"units"}}  # as field(compare=False) in the dataclass it was


def as_dataclass(cls: type) -> type:
    """The frozen dataclass ``cls`` stands for: the same fields, order and defaults."""
    fields = []
    for p in inspect.signature(cls).parameters.values():
        assert p.kind is p.POSITIONAL_OR_KEYWORD  # as a dataclass's __init__ takes them
        f = dataclasses.field(compare=p.name not in UNCOMPARED.get(cls.__name__, set()))
        if p.default is not p.empty:
            f.default = p.default
        fields.append((p.name, object, f))
    return dataclasses.make_dataclass(cls.__name__, fields, frozen=True)


@pytest.mark.parametrize("cls", FROZEN, ids=lambda c: c.__name__)
def test_frozen_values_behave_as_the_frozen_dataclasses_they_replace(cls: Any) -> None:
    ref = as_dataclass(cls)
    names = [f.name for f in dataclasses.fields(ref)]
    assert list(cls.__slots__) == names and not hasattr(cls(*names), "__dict__")
    a, want = cls(*names), ref(*names)
    assert repr(a) == repr(want) and hash(a) == hash(want)
    assert a == cls(**{n: n for n in names}) and a != want and a != tuple(names)
    for k, n in enumerate(names):
        other = [*names[:k], ("changed",), *names[k + 1 :]]
        assert (cls(*other) == a) == (ref(*other) == want), n
        assert (hash(cls(*other)) == hash(a)) == (hash(ref(*other)) == hash(want)), n
        assert getattr(cls(*other), n) == ("changed",)
        with pytest.raises(AttributeError):
            setattr(a, n, "x")
        with pytest.raises(AttributeError):
            delattr(a, n)
    with pytest.raises(AttributeError):
        a.unknown = 1
    assert copy.copy(a) == a and copy.deepcopy(a) == a and pickle.loads(pickle.dumps(a)) == a
    assert repr(pickle.loads(pickle.dumps(a))) == repr(a)


def test_a_frozen_class_names_its_fields() -> None:
    with pytest.raises(TypeError):

        class NoFields(Frozen):
            pass

    with pytest.raises(TypeError):

        class Unknown(Frozen, uncompared=("b",)):
            __slots__ = ("a",)
