"""Issue 13's hardening of the command line, through the real CLI (``lcsp_tui.cli.main``, or
a ``python -m lcsp_tui`` process where the process's own stdout and exit status matter):

1. a ``--user``/``--unit`` that looks like a personnummer is refused, never echoed or stored;
4. one CSV writer for every export: no cell a spreadsheet runs as a formula; "Vad" in words;
5. ``--home`` never takes over a file or a foreign directory; ``--home ''`` is an error;
6. only systemförvaltning imports (a dry run too);
8. relative paths are made absolute before they are stored or used;
10. OS errors: one Swedish line, 2 for a path that cannot be used, 74 for an I/O failure,
    never the whole input echoed; a failed ``audit --out`` records no export.

Each refusal: its exit code, exactly one line on stderr, no traceback, nothing stored.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from lcsp_tui.cli import main
from lcsp_tui.csvout import safe_cell, write_rows
from lcsp_tui.demo import generate
from lcsp_tui.errors import exit_code_for, shown
from lcsp_tui.prator_format import write_export

SYSF = ("--role", "systemforvaltning")
EXPORTED = "granskningslogg exporterad"
ENGLISH = ("No such file", "Errno", "Is a directory", "No space", "Traceback", "Exception")
# One person's identity number in the forms a login proxy or a typo might give it (fictitious:
# 1944-11-21, serial 601, check digit 5 — and a samordningsnummer, day 21 + 60).
PERSONNUMMER = (
    "194411216015",
    "19441121-6015",
    "441121-6015",
    "441121+6015",
    "19441121/6015",
    "19441121:6015",
    "19441121T6015",
    "19441121 6015",
    "1944 11 21 6015",
    "1944-11-21-6015",
    "kalle.194411216015",
    "194411816012",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands read LCSP_* too: none may leak in from the caller's shell."""
    for k in [k for k in os.environ if k.startswith("LCSP_")]:
        monkeypatch.delenv(k)


@dataclass
class Run:
    rc: int
    out: str
    err: str

    def line(self, code: int) -> str:
        """The one stderr line of a command that failed with exit ``code``."""
        assert self.rc == code, (self.rc, self.out, self.err)
        lines = self.err.splitlines()
        assert len(lines) == 1 and self.err.endswith("\n"), self.err
        assert lines[0].startswith("lcsp: "), lines
        for word in ENGLISH:
            assert word not in self.err and word not in self.out, self.err
        return lines[0]


Lcsp = Callable[..., Run]


@pytest.fixture
def lcsp(capsys: pytest.CaptureFixture[str]) -> Lcsp:
    def run(*args: str | Path) -> Run:
        capsys.readouterr()
        try:
            rc = main([str(a) for a in args])
        except SystemExit as e:  # argparse
            rc = int(e.code or 0)
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return Run(rc, out, err)

    return run


def process(*args: str | Path, cwd: Path | None = None, stdout: IO[str] | None = None) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCSP_")}
    p = subprocess.run(
        [sys.executable, "-m", "lcsp_tui", *map(str, args)],
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )
    return Run(p.returncode, p.stdout or "", p.stderr)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the small demo region (copied for each test that changes it)."""
    home = tmp_path_factory.mktemp("template") / "home"
    assert main(["--home", str(home), "--user", "demo", "demo", "--size", "small", "--no-tui"]) == 0
    return home


@pytest.fixture
def home(template: Path, tmp_path: Path) -> Path:
    h = tmp_path / "home"
    shutil.copytree(template, h)
    with closing(sqlite3.connect(h / "store.sqlite")) as conn, conn:  # its own ledger copy
        conn.execute("UPDATE meta SET value = ? WHERE key = 'ledger'", (str(h / "ledger.sqlite"),))
    return h


def query(home: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(home / "store.sqlite")) as conn:
        return conn.execute(sql, params).fetchall()


def recorded(home: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Everything the home has recorded: its outbox and its audit trail."""
    return (
        query(home, "SELECT event_id, kind, actor, unit, payload FROM outbox"),
        query(home, "SELECT seq, actor, unit, what FROM audit"),
    )


def ledger_head(ledger: Path) -> int:
    with closing(sqlite3.connect(ledger)) as conn:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])


def tree(path: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every entry under ``path``: its mode and, for a file, its bytes."""
    out = {}
    for p in sorted(path.rglob("*")):
        content = p.read_bytes() if p.is_file() else None
        out[p.relative_to(path).as_posix()] = (stat.S_IMODE(p.lstat().st_mode), content)
    out["."] = (stat.S_IMODE(path.lstat().st_mode), None)
    return out


def exports(home: Path) -> list[str]:
    """Every export of the audit trail the home recorded (outbox and trail)."""
    local = [
        str(json.loads(str(p)).get("what"))
        for (p,) in query(home, "SELECT payload FROM outbox WHERE kind = 'audit.read'")
    ]
    trail = [str(w) for (w,) in query(home, "SELECT what FROM audit")]
    return [w for w in (*local, *trail) if w == EXPORTED]


# ------------------------------------------------------------------ 1. personnummer as user/unit


@pytest.mark.parametrize("value", PERSONNUMMER)
@pytest.mark.parametrize("option", ["--user", "--unit"])
def test_a_personnummer_as_user_or_unit_is_refused(
    lcsp: Lcsp, home: Path, option: str, value: str
) -> None:
    before = recorded(home)
    what = "ett användarnamn" if option == "--user" else "ett enhets-id"
    for args in (
        (*SYSF, "audit"),  # an audited read
        ("--role", "support", "lookup", "A Larsson", "1945"),  # an audited lookup
        ("state-hash",),
    ):
        line = lcsp("--home", home, option, value, *args).line(2)
        assert line == f"lcsp: {option}: {what} får aldrig vara ett personnummer"
    assert recorded(home) == before, "a refused user or unit was stored"


@pytest.mark.parametrize("option", ["LCSP_USER", "LCSP_UNIT"])
def test_a_personnummer_from_the_environment_is_refused_and_no_home_is_made(
    lcsp: Lcsp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: str
) -> None:
    monkeypatch.setenv(option, "19441121-6015")
    new = tmp_path / "ny"
    r = lcsp("--home", new, *SYSF, "audit")
    assert "personnummer" in r.line(2) and "6015" not in r.err + r.out
    assert not new.exists(), "a refused command made a home"


def test_a_personnummer_user_never_reaches_the_audit_trail(lcsp: Lcsp, home: Path) -> None:
    for value in PERSONNUMMER:
        assert lcsp("--home", home, "--user", value, *SYSF, "audit").rc == 2
    assert lcsp("--home", home, "--user", "kalle", *SYSF, "sync").rc == 0
    rows = json.loads(lcsp("--home", home, *SYSF, "audit", "--json").out)
    assert {r["user"] for r in rows} <= {"demo", "kalle"}


# ------------------------------------------------------------------ 4. one CSV writer


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("-1e3", "'-1e3"),
        ("-3", "-3"),  # a plain number stays a number
        ("+3", "+3"),
        ("-0,5", "-0,5"),
        ("13,3", "13,3"),
        (-3, "-3"),
        (153, "153"),
        ("Avd 11 = medicin", "Avd 11 = medicin"),
        ("", ""),
        (None, ""),
    ],
)
def test_a_cell_is_never_a_formula(value: object, cell: str) -> None:
    assert safe_cell(value) == cell
    out = io.StringIO()
    write_rows(out, [[value]])
    assert next(csv.reader(io.StringIO(out.getvalue()), delimiter=";")) == [cell]


def _csv(raw: bytes) -> list[list[str]]:
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:10]  # UTF-8 with BOM, for Excel
    text = raw[3:].decode("utf-8")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_audit_csv_neutralises_formulas_and_says_what_in_words(
    lcsp: Lcsp, home: Path, tmp_path: Path
) -> None:
    (unit,) = query(
        home, "SELECT home_health_unit FROM patients WHERE home_health_unit IS NOT NULL LIMIT 1"
    )[0]
    who = ("--role", "kommun-registrering", "--unit", str(unit))
    subject = json.loads(lcsp("--home", home, *who, "worklist", "--json").out)[0]["subject"]
    evil = "=cmd|' /C calc'!A0"
    r = lcsp("--home", home, "--user", evil, *who, "tick", subject, "s1.personnummersokning")
    assert r.rc == 0, r.err
    assert lcsp("--home", home, "sync").rc == 0
    out = tmp_path / "stickprov.csv"
    assert lcsp("--home", home, *SYSF, "audit", "--out", out).rc == 0
    rows = _csv(out.read_bytes())
    head = rows[0]
    assert head[:3] == ["Löpnummer", "Tid", "Användare"] and "Vad" in head
    ticked = [row for row in rows if row[head.index("Händelse")] == "item.ticked"]
    assert ticked, rows
    user, what = ticked[-1][head.index("Användare")], ticked[-1][head.index("Vad")]
    assert user == "'" + evil
    assert what == (
        "klar: Personnummersökning mot befolkningsregistret (namn, adress och "
        "listad hälsocentral hämtas)"
    )
    for row in rows[1:]:
        for c in row:
            assert not c.startswith(("=", "+", "@", "\t", "\r")), c
            assert not c.startswith("-") or c.lstrip("-").replace(",", "").isdigit(), c


def test_stats_and_audit_csv_on_stdout_go_through_the_writer(home: Path) -> None:
    for args in (("stats", "--csv"), ("audit", "--csv")):
        p = subprocess.run(
            [sys.executable, "-m", "lcsp_tui", "--home", str(home), *SYSF, *args],
            capture_output=True,
            timeout=120,
            env={k: v for k, v in os.environ.items() if not k.startswith("LCSP_")},
        )
        assert p.returncode == 0 and p.stderr == b"", p.stderr
        rows = _csv(p.stdout)
        assert rows[0][0] in ("Samordningsansvar", "Löpnummer")


# ------------------------------------------------------------------ 5. the home


def _foreign(tmp_path: Path) -> Path:
    d = tmp_path / "someone-elses"
    (d / "sub").mkdir(parents=True)
    (d / "notes.txt").write_text("mine")
    (d / "sub" / "data.bin").write_bytes(b"\x00\x01")
    os.chmod(d / "notes.txt", 0o644)
    os.chmod(d / "sub", 0o755)
    os.chmod(d, 0o755)
    return d


@pytest.mark.parametrize("args", [("state-hash",), ("demo", "--size", "small", "--no-tui")])
def test_a_foreign_directory_is_not_taken(
    lcsp: Lcsp, tmp_path: Path, args: tuple[str, ...]
) -> None:
    d = _foreign(tmp_path)
    before = tree(d)
    line = lcsp("--home", d, *args).line(2)
    assert line.startswith(f"lcsp: --home: {shown(d)} är inget lcsp-hem"), line
    assert tree(d) == before, "the foreign directory was changed"
    assert not (d / "store.sqlite").exists()


def test_a_foreign_store_sqlite_does_not_make_a_home(lcsp: Lcsp, tmp_path: Path) -> None:
    d = _foreign(tmp_path)
    (d / "store.sqlite").write_text("not ours")
    os.chmod(d / "store.sqlite", 0o644)
    before = tree(d)
    assert "inget lcsp-hem" in lcsp("--home", d, "state-hash").line(2)
    assert tree(d) == before


def test_a_file_as_home_is_refused(lcsp: Lcsp, tmp_path: Path) -> None:
    f = tmp_path / "a-file"
    f.write_text("x")
    os.chmod(f, 0o644)
    line = lcsp("--home", f, "state-hash").line(2)
    assert line == f"lcsp: --home: {shown(f)} är en fil, inte en katalog"
    assert f.read_text() == "x" and stat.S_IMODE(f.stat().st_mode) == 0o644
    # under a file: a path that cannot be used
    assert lcsp("--home", f / "home", "state-hash").rc == 2


def test_an_empty_home_option_is_an_error(
    lcsp: Lcsp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    for value in ("", "  "):
        line = lcsp("--home", value, "state-hash").line(2)
        assert line == "lcsp: --home: ange en katalog (värdet är tomt)"
    assert list(tmp_path.iterdir()) == [], "a refused --home '' made something"
    # an empty LCSP_HOME means unset: the platform's data directory
    monkeypatch.setenv("LCSP_HOME", "")
    assert lcsp("state-hash").rc == 0
    assert (tmp_path / "xdg" / "lcsp-tui" / "store.sqlite").is_file()


def test_new_empty_and_existing_homes_are_used(lcsp: Lcsp, home: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir(mode=0o755)
    for h in (tmp_path / "new" / "home", empty):
        assert lcsp("--home", h, "state-hash").rc == 0
        assert (h / "store.sqlite").is_file() and stat.S_IMODE(h.stat().st_mode) == 0o700
    (home / "stickprov.csv").write_text("an export kept in the home")
    assert lcsp("--home", home, "state-hash").rc == 0


# ------------------------------------------------------------------ 6. who imports


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_export(generate("small"), tmp_path_factory.mktemp("export"))


@pytest.mark.parametrize(
    "who",
    [(), ("--role", "support"), ("--role", "primarvard"), ("--role", "slutenvard-somatik")],
)
@pytest.mark.parametrize("dry", [(), ("--dry-run",)])
def test_only_systemforvaltning_imports(
    lcsp: Lcsp, tmp_path: Path, export: list[Path], who: tuple[str, ...], dry: tuple[str, ...]
) -> None:
    h, ledger = tmp_path / "home", tmp_path / "ledger.sqlite"
    assert lcsp("--home", h, "--ledger", ledger, "sync").rc == 0
    before = (recorded(h), ledger_head(ledger))
    line = lcsp("--home", h, *who, "import", *export, *dry).line(2)
    assert line == "lcsp: importen är systemförvaltningens: ange --role systemforvaltning"
    assert (recorded(h), ledger_head(ledger)) == before, "a refused import changed something"


# ------------------------------------------------------------------ 8. relative paths


def _meta(home: Path, key: str) -> str | None:
    rows = query(home, "SELECT value FROM meta WHERE key = ?", key)
    return str(rows[0][0]) if rows else None


def test_a_relative_home_records_an_absolute_ledger(
    lcsp: Lcsp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made, elsewhere = tmp_path / "made-here", tmp_path / "elsewhere"
    made.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(made)
    monkeypatch.setenv("LCSP_HOME", "h")
    assert lcsp("--user", "demo", "demo", "--size", "small", "--no-tui").rc == 0
    home, ledger = made / "h", made / "h" / "ledger.sqlite"
    assert _meta(home, "ledger") == str(ledger)
    # A copy of the ledger where the old relative path would now point: never touched.
    (elsewhere / "h").mkdir()
    shutil.copy(ledger, elsewhere / "h" / "ledger.sqlite")
    copy_before = (elsewhere / "h" / "ledger.sqlite").read_bytes()
    head = ledger_head(ledger)
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("LCSP_HOME", str(home))
    assert lcsp(*SYSF, "audit").rc == 0  # an audited read: one event to push
    r = lcsp("sync", "--json")
    assert r.rc == 0, r.err
    assert json.loads(r.out)["pushed"] == 1 and ledger_head(ledger) == head + 1
    assert (elsewhere / "h" / "ledger.sqlite").read_bytes() == copy_before


def test_relative_ledger_out_and_import_paths_are_made_absolute(
    lcsp: Lcsp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, export: list[Path]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert lcsp("--home", "h", "--ledger", "gemensam.sqlite", "sync").rc == 0
    assert _meta(tmp_path / "h", "ledger") == str(tmp_path / "gemensam.sqlite")
    r = lcsp("--home", "h", *SYSF, "report", "--out", "rapport.md")
    assert r.rc == 0 and r.out.strip() == f"rapporten skriven till {tmp_path / 'rapport.md'}"
    r = lcsp("--home", "h", *SYSF, "audit", "--out", "stickprov.csv")
    assert r.rc == 0 and r.out.strip().endswith(f"till {tmp_path / 'stickprov.csv'}")
    shutil.copytree(export[0].parent, tmp_path / "export")
    monkeypatch.chdir(tmp_path / "export")
    names = [p.name for p in export]
    r = lcsp("--home", "../h", *SYSF, "import", *names, "--dry-run")
    assert r.rc == 0, r.err
    assert "provkörning" in r.out


def test_an_older_home_with_a_relative_ledger(
    lcsp: Lcsp, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An older release recorded the ledger relative to where the home was made."""
    ledger = home / "ledger.sqlite"
    monkeypatch.chdir(tmp_path)
    # its own ledger.sqlite, recorded as "home/ledger.sqlite": resolved, and remembered absolute
    with closing(sqlite3.connect(home / "store.sqlite")) as conn, conn:
        conn.execute("UPDATE meta SET value = 'home/ledger.sqlite' WHERE key = 'ledger'")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert lcsp("--home", home, "sync").rc == 0
    assert _meta(home, "ledger") == str(ledger)
    # any other relative path cannot be trusted: refused, nothing pushed
    with closing(sqlite3.connect(home / "store.sqlite")) as conn, conn:
        conn.execute("UPDATE meta SET value = 'somewhere/led.sqlite' WHERE key = 'ledger'")
    assert lcsp("--home", home, *SYSF, "audit").rc == 0  # one event waiting
    head = ledger_head(ledger)
    line = lcsp("--home", home, "sync").line(2)
    assert "relativ sökväg (somewhere/led.sqlite)" in line and "--ledger" in line
    assert ledger_head(ledger) == head
    # given once with --ledger, the home remembers it absolute
    assert lcsp("--home", home, "--ledger", ledger, "sync").rc == 0
    assert _meta(home, "ledger") == str(ledger) and ledger_head(ledger) == head + 1
    assert lcsp("--home", home, "sync").rc == 0


# ------------------------------------------------------------------ 10. OS errors


@pytest.mark.parametrize("command", ["report", "audit"])
def test_out_that_cannot_be_used_is_exit_2(
    lcsp: Lcsp, home: Path, tmp_path: Path, command: str
) -> None:
    (tmp_path / "a-file").write_text("x")
    cases = {
        tmp_path / "missing" / "x.csv": f"katalogen {shown(tmp_path / 'missing')} finns inte",
        tmp_path: f"{shown(tmp_path)} är en katalog – ange en fil",
        tmp_path / "a-file" / "x.csv": f"{shown(tmp_path / 'a-file')} är ingen katalog",
        tmp_path / ("x" * 300) / "x.csv": "namnet är för långt",
    }
    for out, says in cases.items():
        line = lcsp("--home", home, *SYSF, command, "--out", out).line(2)
        assert says in line and "x" * 100 not in line, line
    assert lcsp("--home", home, *SYSF, command, "--out", "").line(2) == (
        "lcsp: --out: ange en fil (värdet är tomt)"
    )
    assert exports(home) == [], "a failed export was audited"


@pytest.mark.parametrize("args", [("report",), ("audit",), ("audit", "--json")])
def test_a_full_disk_is_exit_74_and_no_export_is_audited(
    lcsp: Lcsp, home: Path, args: tuple[str, ...]
) -> None:
    line = lcsp("--home", home, *SYSF, *args, "--out", "/dev/full").line(74)
    assert line == "lcsp: /dev/full: disken är full"
    assert exports(home) == []
    assert lcsp("--home", home, "sync").rc == 0
    assert exports(home) == [], "a failed export reached the audit trail"


def test_a_written_export_is_audited_after_it_is_written(
    lcsp: Lcsp, home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "stickprov.csv"
    assert lcsp("--home", home, *SYSF, "audit", "--out", out).rc == 0
    assert out.is_file() and stat.S_IMODE(out.stat().st_mode) == 0o600
    assert exports(home) == [EXPORTED]


def test_an_export_whose_audit_event_fails_does_not_stay(
    lcsp: Lcsp, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lcsp_tui.workstation import Workstation

    def full(*_args: object, **_kw: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Workstation, "audit_read", full)
    out = tmp_path / "stickprov.csv"
    assert lcsp("--home", home, *SYSF, "audit", "--out", out).line(74) == (
        "lcsp: fel i den lokala databasen: disken är full"
    )
    assert not out.exists(), "an export that was not audited stayed"


@pytest.mark.parametrize("args", [("stats", "--csv"), ("audit", "--csv"), ("report",)])
def test_a_full_disk_on_stdout_is_one_line(home: Path, args: tuple[str, ...]) -> None:
    with open("/dev/full", "w") as full:
        r = process("--home", home, *SYSF, *args, stdout=full)
    assert r.line(74) == "lcsp: disken är full"


def test_a_too_long_ledger_is_exit_2_and_not_echoed(lcsp: Lcsp, home: Path, tmp_path: Path) -> None:
    long = str(tmp_path / ("x" * 5000) / "ledger.sqlite")
    for h in (home, tmp_path / "new"):
        line = lcsp("--home", h, "--ledger", long, "sync").line(2)
        assert "namnet är för långt" in line and len(line) < 200, line
    assert _meta(home, "ledger") == str(home / "ledger.sqlite")


def test_a_path_never_splits_or_colours_the_line(lcsp: Lcsp, home: Path, tmp_path: Path) -> None:
    out = tmp_path / "saknas\x1b[31mröd\nrad" / "x.csv"
    line = lcsp("--home", home, *SYSF, "report", "--out", out).line(2)
    assert "\x1b" not in line and "saknas\\x1b[31mröd\\nrad" in line


def test_a_personnummer_in_a_path_is_not_echoed(lcsp: Lcsp, home: Path, tmp_path: Path) -> None:
    r = lcsp("--home", home, *SYSF, "report", "--out", tmp_path / "19441121-6015" / "r.md")
    assert "6015" not in r.line(2)


def test_other_error_lines_are_escaped_and_cut(lcsp: Lcsp, tmp_path: Path) -> None:
    line = lcsp("ledger", "check", tmp_path / "no\x1b[31m" / ("y" * 3000)).line(69)
    assert "\x1b" not in line and "y" * 200 not in line and len(line) < 250, line
    line = lcsp("frobnicate" + "y" * 3000).line(2)
    assert "y" * 200 not in line and "okänt kommando" in line


def test_a_real_process_gives_the_same_codes(home: Path, tmp_path: Path) -> None:
    assert process("--home", home, *SYSF, "report", "--out", "/dev/full").rc == 74
    assert process("--home", home, *SYSF, "report", "--out", tmp_path / "no" / "r.md").rc == 2
    r = process("--home", tmp_path / "f", "state-hash")
    assert r.rc == 0
    (tmp_path / "file").write_text("x")
    assert process("--home", tmp_path / "file", "state-hash").line(2).endswith("inte en katalog")


@pytest.mark.parametrize(
    ("error", "code", "text"),
    [
        (OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/x"), 74, "/x: disken är full"),
        (OSError(errno.EDQUOT, os.strerror(errno.EDQUOT)), 74, "diskkvoten är slut"),
        (OSError(errno.EIO, os.strerror(errno.EIO)), 74, "in- eller utmatningsfel"),
        (OSError(errno.ENOENT, os.strerror(errno.ENOENT), "/y"), 2, "/y: filen eller katalogen"),
        (OSError(errno.EISDIR, os.strerror(errno.EISDIR), "/y"), 2, "/y: är en katalog"),
        (OSError(errno.EACCES, os.strerror(errno.EACCES), "/y"), 2, "/y: åtkomst nekad"),
        (OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), "a" * 999), 2, "…"),
        (OSError(errno.EXDEV, os.strerror(errno.EXDEV)), 1, "fel från operativsystemet (EXDEV)"),
        (sqlite3.OperationalError("database or disk is full"), 74, "disken är full"),
        (sqlite3.OperationalError("disk I/O error"), 74, "in- eller utmatningsfel"),
    ],
)
def test_os_errors_map_to_one_swedish_line(error: BaseException, code: int, text: str) -> None:
    got, lines = exit_code_for(error)
    assert got == code and len(lines) == 1 and text in lines[0], (got, lines)
    assert len(lines[0]) < 160


def test_shown_cuts_long_paths_in_the_middle() -> None:
    long = "/data/" + "x" * 500 + "/rapport.md"
    cut = shown(long)
    assert cut.startswith("/data/") and cut.endswith("/rapport.md") and "…" in cut
    assert len(cut) == 101
    assert shown("kort\nrad\x1b") == "kort\\nrad\\x1b"


def test_checking_a_home_never_opens_its_store_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The TUI's background sync opens a second Workstation on the home while the first holds
    the store open. Checking the home must not open the store's file: closing any handle to it
    drops this process's SQLite locks (POSIX), and another connection may then tidy away a
    WAL still in use — a malformed store (seen in the browser test and the crash test)."""
    import builtins

    from lcsp_tui.paths import check_home

    home = tmp_path / "h"
    home.mkdir()
    (home / "store.sqlite").write_bytes(b"SQLite format 3\x00" + bytes(100))
    opened: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def spy_open(file: object, *a: object, **k: object) -> object:
        opened.append(str(file))
        return real_open(file, *a, **k)  # type: ignore[call-overload]

    def spy_os_open(path: object, *a: object, **k: object) -> int:
        opened.append(str(path))
        return real_os_open(path, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    assert check_home(home) is False  # an existing home
    assert not [p for p in opened if p.endswith("store.sqlite")]
