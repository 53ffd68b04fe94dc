"""``lcsp import`` against hostile exports (issue 13, points 3 and 7, and the decisions on
odd data): a personnummer outside the column ``personnummer``, control characters, huge
ids, file and header names that would split or colour an error line. Each is exit 65 with
one ``file:line: column: what is wrong`` line per error, the ledger unchanged, and no value
that looks like a personnummer (nor one with a control character) ever shown.

The commands run in this process through ``lcsp_tui.cli.main`` against a home filled with
the small demo region; the export is the demo's own, with one cell changed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import closing, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lcsp_tui.cli import main
from lcsp_tui.demo import generate
from lcsp_tui.domain.personnummer import with_check_digit
from lcsp_tui.domain.words import num
from lcsp_tui.prator_format import FILES, write_export

TODAY = "2025-09-30T09:00"
SYSF = ("--role", "systemforvaltning")  # the role that imports
ERROR_LINE = re.compile(r"^[^:\n]+:\d+: [^:\n]+: [^\n]+$")
ELSEWHERE = "ser ut som ett personnummer – får bara stå i kolumnen personnummer"
PNR = "194411216015"  # fictitious (valid check digit): 19441121-6015
PNR_FORMS = [PNR, "19441121-6015", "441121-6015", "19441121/6015", "4411216015", "19441121 6015"]


@dataclass
class Result:
    rc: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err

    def errors(self) -> list[str]:
        """The error lines of a refused import (exit 65), each checked for its form."""
        assert self.rc == 65, (self.rc, self.out, self.err)
        lines = self.err.splitlines()
        assert lines and self.err.endswith("\n")
        for line in lines:
            assert ERROR_LINE.match(line), line
        return lines


@pytest.fixture(scope="module")
def _no_lcsp_env() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("LCSP_")]:
            mp.delenv(key)
        yield


class Home:
    """A home with the small demo region in its ledger, and that region's export."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.export = {p.name: p for p in write_export(generate("small"), root / "export")}

    def __call__(self, *args: str) -> Result:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            try:
                rc = main(["--home", str(self.home), "--today", TODAY, *args])
            except SystemExit as e:
                rc = int(e.code or 0)
        result = Result(rc, out.getvalue(), err.getvalue())
        assert "Traceback" not in result.text
        return result

    def ledger_events(self) -> int:
        with closing(sqlite3.connect(self.home / "ledger.sqlite")) as conn:
            return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])

    def snapshot(self) -> tuple[str, int]:
        """What a refused import must leave as it was: the state and the ledger."""
        r = self(*SYSF, "state-hash")
        assert r.rc == 0, r.err
        return r.out.strip(), self.ledger_events()

    def rows(self, name: str) -> list[list[str]]:
        """The export file's rows, header first."""
        text = self.export[name].read_text(encoding="utf-8-sig")
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))

    def edited(self, name: str, row: int, column: str, value: str) -> Path:
        """A copy of export file ``name`` (in a directory of its own) with the cell of data
        row ``row`` (0: the first, on line 2) in ``column`` set to ``value``."""
        rows = self.rows(name)
        rows[row + 1][rows[0].index(column)] = value
        return self.written(name, rows)

    def written(self, name: str, rows: list[list[str]]) -> Path:
        directory = Path(tempfile.mkdtemp(dir=self.root))
        buf = io.StringIO()
        csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rows)
        path = directory / name
        path.write_bytes(buf.getvalue().encode("utf-8-sig"))
        return path

    def refused(self, *paths: Path | str) -> list[str]:
        """Import ``paths``: refused (exit 65), the ledger and state unchanged; the lines."""
        before = self.snapshot()
        r = self(*SYSF, "import", *map(str, paths))
        lines = r.errors()
        assert self.snapshot() == before
        return lines


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, _no_lcsp_env: None) -> Home:
    h = Home(tmp_path_factory.mktemp("hostile-import"))
    r = h(*SYSF, "demo", "--size", "small", "--no-tui")
    assert r.rc == 0, r.err
    assert h(*SYSF, "import", *map(str, h.export.values())).rc == 0  # nothing new: a baseline
    return h


def no_personnummer(text: str, number: str = PNR) -> None:
    """Neither the number (12 or 10 digits, whatever stood between them) nor its last ten
    digits appear in ``text``, not even with everything but digits taken out."""
    digits = re.sub(r"\D", "", number)
    core = digits[-10:]
    assert core not in text
    assert core not in re.sub(r"\D", "", text)
    assert digits[-4:] + ":" not in text  # nothing like the serial, the check digit


# --- point 3: a personnummer outside its column ----------------------------------------------


@pytest.mark.parametrize(
    "column",
    ["fornamn", "efternamn", "narstaende", "vistelseadress", "patient_id", "halsocentral"],
)
@pytest.mark.parametrize("form", PNR_FORMS)
def test_a_personnummer_in_another_column_of_patienter_is_refused(
    home: Home, column: str, form: str
) -> None:
    value = f"Make {form}" if column in ("narstaende", "vistelseadress") else form
    lines = home.refused(home.edited("patienter.csv", 4, column, value))
    assert lines == [f"patienter.csv:6: {column}: {ELSEWHERE}"]
    no_personnummer("\n".join(lines))


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("enheter.csv", "namn"),
        ("enheter.csv", "enhet_id"),
        ("vardtillfallen.csv", "avdelning"),
        ("vardtillfallen.csv", "inskriven"),
        ("vardtillfallen.csv", "status"),
        ("sip.csv", "ansvarig_enhet"),
        ("sip.csv", "senaste_mote"),
        ("meddelanden.csv", "typ"),
        ("meddelanden.csv", "kvitterat"),
    ],
)
def test_a_personnummer_in_any_other_file_is_refused(home: Home, name: str, column: str) -> None:
    lines = home.refused(home.edited(name, 0, column, "19441121-6015"))
    assert f"{name}:2: {column}: {ELSEWHERE}" in lines
    no_personnummer("\n".join(lines))


@pytest.mark.parametrize("value", ["1944-11-21-6015", "1944-11-21 60:15", "44-11-21-6015"])
def test_a_date_column_never_echoes_a_personnummer_with_dashes(home: Home, value: str) -> None:
    """Dashes inside the date or a colon in the serial: its digits are one, never echoed."""
    lines = home.refused(home.edited("vardtillfallen.csv", 0, "inskriven", value))
    assert lines in (
        ["vardtillfallen.csv:2: inskriven: inget datum (ÅÅÅÅ-MM-DD)"],
        [
            "vardtillfallen.csv:2: inskriven: ser ut som ett personnummer – "
            "får bara stå i kolumnen personnummer"
        ],
    )
    no_personnummer(lines[0])


def test_a_wrong_date_is_still_echoed(home: Home) -> None:
    path = home.edited("meddelanden.csv", 0, "skickat", "2025-09-31 24:00")
    assert home.refused(path) == [
        "meddelanden.csv:2: skickat: ingen tidpunkt (ÅÅÅÅ-MM-DD HH:MM): '2025-09-31 24:00'"
    ]


# Generated personnummer and samordningsnummer in every form, each in every column of
# patienter.csv but the one it belongs in.
PATIENT_COLUMNS = [c for c, _ in FILES["patienter.csv"].columns if c != "personnummer"]


@st.composite
def personnummer_forms(draw: st.DrawFn) -> tuple[str, str]:
    """(text holding a personnummer, its 12 digits)."""
    born = draw(st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2025, 9, 29)))
    day = born.day + (60 if draw(st.booleans()) else 0)  # samordningsnummer
    serial = f"{draw(st.integers(1, 999)):03d}"
    ten = with_check_digit(f"{born:%y%m}{day:02d}{serial}")
    twelve = f"{born.year // 100}{ten}"
    date, last = (twelve[:8], twelve[8:]) if draw(st.booleans()) else (ten[:6], ten[6:])
    separator = draw(st.sampled_from(["", "-", "+", "/", ":", "T", " ", "  ", " - "]))
    prefix = draw(st.sampled_from(["", "Make ", "tel ", "Anna, "]))
    suffix = draw(st.sampled_from(["", ", dotter", " (god man)"]))
    return f"{prefix}{date}{separator}{last}{suffix}", twelve


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    placed=personnummer_forms(),
    column=st.sampled_from(PATIENT_COLUMNS),
    row=st.integers(0, 20),
)
def test_property_a_personnummer_in_any_column_is_refused_and_never_shown(
    home: Home, placed: tuple[str, str], column: str, row: int
) -> None:
    text, twelve = placed
    before = home.snapshot()
    r = home(*SYSF, "import", str(home.edited("patienter.csv", row, column, text)))
    assert r.errors() == [f"patienter.csv:{row + 2}: {column}: {ELSEWHERE}"]
    assert home.snapshot() == before
    no_personnummer(r.text, twelve)


def test_two_patients_with_one_personnummer_are_refused(home: Home) -> None:
    rows = home.rows("patienter.csv")
    col = rows[0].index("personnummer")
    rows[5][col] = rows[2][col]  # line 6 gets line 3's personnummer
    first_id = rows[2][0]
    lines = home.refused(home.written("patienter.csv", rows))
    assert lines == [
        f"patienter.csv:6: personnummer: samma personnummer som patient_id {first_id} på rad 3 "
        "(en person, en patient)"
    ]
    no_personnummer(lines[0], rows[2][col])


# --- point 7: control characters, huge ids, hostile file and header names ---------------------


@pytest.mark.parametrize(
    ("char", "named"),
    [
        ("\x00", "NUL"),
        ("\x1b", "ESC"),
        ("\x7f", "DEL"),
        ("\t", "tabb"),
        ("\n", "radbrytning"),
        ("\r", "vagnretur"),
        ("\x85", "U+0085"),
        ("\x9b", "U+009B"),
        ("\u2028", "U+2028"),
        ("\u202e", "U+202E"),
    ],
)
@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("patienter.csv", "fornamn"),
        ("patienter.csv", "narstaende"),
        ("patienter.csv", "patient_id"),
        ("patienter.csv", "kommun"),
        ("enheter.csv", "namn"),
        ("meddelanden.csv", "typ"),
        ("meddelanden.csv", "mottagare_enhet"),
    ],
)
def test_control_characters_are_refused_and_never_shown(
    home: Home, char: str, named: str, name: str, column: str
) -> None:
    value = f"Hemlig{char}[31mText"
    lines = home.refused(home.edited(name, 1, column, value))
    assert lines == [f"{name}:3: {column}: innehåller ett otillåtet styrtecken ({named})"]
    assert "Hemlig" not in lines[0] and char not in lines[0]


@pytest.mark.parametrize("char", ["\x1b", "\x1f", "\n"])
def test_a_control_character_at_a_cells_end_is_refused_too(home: Home, char: str) -> None:
    """``strip`` would drop these: they are refused, not dropped."""
    path = home.edited("patienter.csv", 0, "efternamn", "Ek" + char)
    assert home.refused(path)[0].startswith("patienter.csv:2: efternamn: innehåller ett otill")


def test_surrounding_spaces_and_tabs_are_trimmed_not_refused(home: Home) -> None:
    rows = home.rows("enheter.csv")
    rows[1][1] = "\t " + rows[1][1] + " \t"
    rows[1][0] = "  " + rows[1][0] + " "
    r = home(*SYSF, "import", "--dry-run", str(home.written("enheter.csv", rows)))
    assert r.rc == 0, r.err
    assert "0 poster skulle läggas till eller ändras" in r.out


@pytest.mark.parametrize("length", [65, 10_000])
def test_a_huge_id_is_refused_and_not_shown(home: Home, length: int) -> None:
    lines = home.refused(home.edited("enheter.csv", 0, "enhet_id", "E" * length))
    assert lines == [f"enheter.csv:2: enhet_id: id:t är för långt ({num(length)} tecken, högst 64)"]
    # and as a reference to a unit
    lines = home.refused(home.edited("meddelanden.csv", 0, "mottagare_enhet", "E" * length))
    assert lines[0].startswith("meddelanden.csv:2: mottagare_enhet: id:t är för långt")
    assert "E" * 41 not in "\n".join(lines)


def test_an_id_of_64_characters_is_an_id(home: Home) -> None:
    rows = home.rows("enheter.csv")
    rows[1][0] = "E" * 64
    r = home(*SYSF, "import", "--dry-run", str(home.written("enheter.csv", rows)))
    assert r.rc == 0, r.err


@pytest.mark.parametrize(("char", "code"), [("\u00a0", "U+00A0"), ("\u200b", "U+200B")])
def test_an_id_holds_only_printable_characters(home: Home, char: str, code: str) -> None:
    lines = home.refused(home.edited("vardtillfallen.csv", 0, "avdelning", f"SOS{char}AVD1"))
    assert lines == [
        f"vardtillfallen.csv:2: avdelning: id:t innehåller ett tecken som inte syns ({code})"
    ]


def test_a_file_name_never_splits_or_colours_an_error_line(home: Home) -> None:
    directory = Path(tempfile.mkdtemp(dir=home.root))
    hostile = directory / "x\nenheter.csv:1: typ: falskt fel\x1b[2J\x1b[31m.csv"
    hostile.write_text("a;b\r\n", encoding="utf-8")
    lines = home.refused(hostile)
    assert len(lines) == 1
    assert lines[0].startswith("x\\nenheter.csv:1: typ: falskt fel\\x1b[2J\\x1b[31m.csv:1: -: ")
    assert "\x1b" not in lines[0]
    # the same through a real process: one line on stderr, nothing else
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCSP_")}
    p = subprocess.run(
        [sys.executable, "-m", "lcsp_tui", "--home", str(home.home), "--today", TODAY, *SYSF,
         "import", str(hostile)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert p.returncode == 65 and p.stderr.splitlines() == lines and p.stdout == ""


def test_a_file_name_shaped_like_a_personnummer_is_hidden(home: Home) -> None:
    directory = Path(tempfile.mkdtemp(dir=home.root))
    path = directory / "19441121-6015.csv"
    path.write_text("a;b\r\n", encoding="utf-8")
    lines = home.refused(path)
    assert lines[0].startswith("(filnamnet dolt, ser ut som ett personnummer):1: -: okänd fil")
    no_personnummer(lines[0])


def test_a_file_name_too_long_for_the_system_is_one_short_line(home: Home) -> None:
    path = home.root / ("p" * 300 + "atienter.csv")
    lines = home.refused(path)
    assert len(lines) == 1 and len(lines[0]) < 200, lines


@pytest.mark.parametrize(
    ("header", "shown"),
    [
        ("x\x1b[31m", "x\\x1b[31m"),
        ("a\nb", "a\\nb"),
        ("19441121-6015", "(dolt, ser ut som ett personnummer)"),
    ],
)
def test_header_names_are_escaped_or_hidden(home: Home, header: str, shown: str) -> None:
    rows = home.rows("enheter.csv")
    rows[0].append(header)
    for row in rows[1:]:
        row.append("")
    lines = home.refused(home.written("enheter.csv", rows))
    assert lines == [f"enheter.csv:1: {shown}: okänd kolumn"]


# --- decisions on odd but possible data ---------------------------------------------------------


def test_kvitterat_before_skickat_is_imported(home: Home) -> None:
    """A kvittering a few minutes 'before' the message (clocks of two systems) is true data:
    the message is acknowledged; nothing in LCSP computes with the difference."""
    rows = home.rows("meddelanden.csv")
    col_sent, col_ack = rows[0].index("skickat"), rows[0].index("kvitterat")
    row = next(r for r in rows[1:] if r[col_ack])
    row[col_ack] = row[col_sent]
    row[col_sent] = row[col_sent][:-1] + str((int(row[col_sent][-1]) + 1) % 10)
    if row[col_sent] <= row[col_ack]:  # :x9 -> :x0 would go back
        row[col_sent], row[col_ack] = row[col_ack], row[col_sent]
    assert row[col_ack] < row[col_sent]
    r = home(*SYSF, "import", "--dry-run", str(home.written("meddelanden.csv", rows)))
    assert r.rc == 0, r.err
    assert "1 post skulle läggas till eller ändras" in r.out


def test_utskrivningsklar_before_inskriven_is_imported(home: Home) -> None:
    """A patient moved to another ward keeps the date they were discharge-ready: true data."""
    rows = home.rows("vardtillfallen.csv")
    col_in, col_ready = rows[0].index("inskriven"), rows[0].index("utskrivningsklar")
    row = next(r for r in rows[1:] if r[col_ready])
    row[col_ready] = "2025-01-02"
    assert row[col_ready] < row[col_in]
    r = home(*SYSF, "import", "--dry-run", str(home.written("vardtillfallen.csv", rows)))
    assert r.rc == 0, r.err
    assert "1 post skulle läggas till eller ändras" in r.out
