"""The command line speaks Swedish to people (issue 12, SPEC §9).

Every command's human-readable output, its help and its common errors are run on a small
demo home (in this process, through ``lcsp_tui.cli.main``) and searched for tell-tale English
words; JSON output is left out (its keys and ids are English by contract). The text tables
of ``lcsp stats`` (and the import summary, the ledger check) line up: in every row the
numbers end where their heading ends. No output says ``None`` for a unit.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lcsp_tui.cli import build_parser, main, usage_error_text
from lcsp_tui.demo import generate
from lcsp_tui.domain.words import NBSP
from lcsp_tui.prator_format import write_export
from lcsp_tui.stats.progress import Tally
from lcsp_tui.stats.text import stats_text, text_table

TODAY = "2025-09-30T13:00"  # steps 2 and 3 are open; Prator is not read-only yet

# Words that give away an English line (whole words, any case). The text is checked after
# what is not prose is taken out: option names, environment variables, commands mentioned,
# paths and URLs, quoted echoes of what was typed, dotted ids (item ids, event kinds).
ENGLISH = re.compile(
    r"\b(unknown|cannot|can't|pending|records?|ledger|expected|usage|errors?|invalid|required|"
    r"missing|refused|would|nothing|already|imported|pushed|pulled|cursor|the|and|with|from|"
    r"options|show|this|must|only|found|give|of|not|is|are|none|help requests?|subjects?|"
    r"items?|lookup|statistics|audit log)\b",
    re.IGNORECASE,
)
NOT_PROSE = (
    re.compile(r"--[\w-]+"),
    re.compile(r"\bLCSP_\w+"),
    re.compile(r"\blcsp(?: [a-z][\w-]*){1,2}"),  # lcsp ledger init, lcsp sync …
    re.compile(r"\S*/\S*"),  # paths, URLs (and 30/9, 0/5 — no words in them)
    re.compile(r"'[^']*'"),  # an echo of what was typed
    re.compile(r"\(välj bland [^)]*\)"),  # the choices: command names, ids
    re.compile(r"\b\w+(?:\.\w+)+\b"),  # s2.personuppgifter, import.completed, enheter.csv
)
HELP_NAMES = re.compile(r"^ {2,}[\w-]+(?= {2,}|$)", re.M)  # the commands a help lists
COMMANDS = (
    "demo", "import", "sync", "worklist", "checklist", "tick", "decide", "discharge", "ack",
    "lookup", "stats", "report", "state-hash", "serve", "ledger", "audit", "help-request",
)  # fmt: skip
SUBCOMMANDS = (
    ("ledger", "init"), ("ledger", "check"),
    *(("help-request", a) for a in ("add", "list", "work", "ack", "resolve")),
)  # fmt: skip


def english_in(text: str, *, help_text: bool = False) -> list[str]:
    """The lines of ``text`` with a tell-tale English word (or a ``None``)."""
    bad = []
    for line in text.splitlines():
        prose = HELP_NAMES.sub("", line) if help_text else line
        for pattern in NOT_PROSE:
            prose = pattern.sub(" ", prose)
        if ENGLISH.search(prose) or "None" in line:
            bad.append(line)
    return bad


_CELL = re.compile(r"[^ ]+(?: [^ ]+)*")  # words with single spaces; a no-break space is no gap
_NUMBER = re.compile(
    rf"–|\d[\d{NBSP}]*(?:,\d+)?(?:{NBSP}%)?|\d{{1,2}}/\d{{1,2}}(?: \d{{4}})? \d\d:\d\d"
)  # 1 913, 13,3 %, 30/9 10:00


def assert_aligned(lines: Sequence[str]) -> None:
    """In every row of a text table (a header line, then rows) the numeric cells at the
    end of the row end exactly where their column's heading ends."""
    head = [m.end() for m in _CELL.finditer(lines[0])]
    assert len(head) >= 2, lines[0]
    for line in lines[1:]:
        cells = list(_CELL.finditer(line))
        k = 1
        while k < len(cells) and _NUMBER.fullmatch(cells[-k].group()):
            assert cells[-k].end() == head[-k], f"not under its heading:\n{lines[0]}\n{line}"
            k += 1
        assert k > 1, f"a row without numbers at its end:\n{lines[0]}\n{line}"


@dataclass
class Run:
    args: tuple[str, ...]
    rc: int
    out: str
    err: str


@dataclass
class Home:
    path: Path
    facts: dict[str, str] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)

    def __call__(self, *args: str, rc: int = 0, home: bool = True) -> Run:
        """``lcsp`` in this process; the exit code must be ``rc``; an error is one line."""
        out, err = io.StringIO(), io.StringIO()
        argv = ["--home", str(self.path), "--today", TODAY, *args] if home else list(args)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as e:  # argparse: --help, usage errors
                code = int(e.code or 0)
        run = Run(tuple(args), code, out.getvalue(), err.getvalue())
        self.runs.append(run)
        assert code == rc, (args, code, run.out, run.err)
        if rc not in (0, 65):
            assert run.out == "" and len(run.err.strip().splitlines()) == 1, (args, run.err)
        assert "Traceback" not in run.err
        return run

    def query(self, sql: str) -> list[tuple[str, ...]]:
        with closing(sqlite3.connect(self.path / "store.sqlite")) as conn:
            return [tuple(str(v) for v in r) for r in conn.execute(sql)]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in [k for k in os.environ if k.startswith("LCSP_")]:
        monkeypatch.delenv(k)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    """The small demo region, and the facts the commands need (read before any role)."""
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("LCSP_")}
    h = Home(tmp_path_factory.mktemp("language") / "home")
    h("demo", "--size", "small", "--no-tui")
    (h.facts["ward"], h.facts["admission"]), *_ = h.query(
        "SELECT ward, admission_id FROM admissions WHERE care_form = 'somatik' "
        "AND status = 'pagaende' AND discharge_ready IS NULL ORDER BY ward, admission_id"
    )
    (h.facts["sip_unit"], h.facts["sip"], h.facts["sip2"]), *_ = h.query(
        "SELECT responsible_unit, min(sip_id), max(sip_id) FROM sips WHERE status = 'pagaende' "
        "GROUP BY responsible_unit HAVING count(*) > 1 ORDER BY responsible_unit"
    )
    (h.facts["message_unit"], h.facts["message"], h.facts["message2"]), *_ = h.query(
        "SELECT recipient_unit, min(message_id), max(message_id) FROM messages "
        "WHERE acknowledged IS NULL GROUP BY recipient_unit HAVING count(*) > 1 "
        "ORDER BY recipient_unit"
    )
    (h.facts["other_message"],), *_ = h.query(
        f"SELECT message_id FROM messages WHERE acknowledged IS NULL "
        f"AND recipient_unit != '{h.facts['message_unit']}' ORDER BY message_id"
    )
    (h.facts["name"], h.facts["year"]), *_ = h.query(
        "SELECT substr(first_name, 1, 1) || ' ' || last_name, coalesce(substr(personnummer, 1, 4), born) "
        "FROM patients WHERE protected_identity = 0 ORDER BY patient_id"
    )
    yield h
    os.environ.update(saved)


def _export(tmp: Path, broken: bool) -> list[str]:
    """The small demo as a Prator export; ``broken``: with a mistake of every kind."""
    paths = write_export(generate("small"), tmp)
    if not broken:
        return [str(p) for p in paths]
    for p in paths:
        lines = p.read_text(encoding="utf-8-sig").splitlines()
        rows = [line.split(";") for line in lines]
        if p.name == "enheter.csv":
            rows[1][2] = "rymdstation"  # typ
            rows[3][0] = rows[2][0]  # a duplicate id
            rows[4][3] = "Atlantis"  # kommun
        elif p.name == "patienter.csv":
            rows[1][1] = "19121212-1213"  # a personnummer with a wrong check digit
            rows[2][6] = "NO-SUCH-UNIT"  # boende_enhet
            rows[3][3] = ""  # efternamn, required
        elif p.name == "vardtillfallen.csv":
            rows[1][4] = "2025-13-45"  # inskriven
            rows[2][3] = rows[2][3] and "HC-TIMRA"  # a ward that is a hälsocentral
            rows[3] = rows[3][:3]  # too few columns
        elif p.name == "meddelanden.csv":
            rows[1][4] = "i går"  # skickat
            rows[0] = [*rows[0][:5]]  # kvitterat missing from the header
        p.write_text("\r\n".join(";".join(r) for r in rows) + "\r\n", encoding="utf-8-sig")
    extra = tmp / "okand.csv"
    extra.write_text("a;b\r\n1;2\r\n", encoding="utf-8")
    utf16 = tmp / "sip.csv"
    utf16.write_bytes("sip_id;patient_id\r\n".encode("utf-16"))
    return [str(p) for p in paths if p.name != "sip.csv"] + [str(extra), str(utf16)]


def test_every_command_speaks_swedish(home: Home, tmp_path: Path) -> None:
    f = home.facts
    ward = ("--role", "slutenvard-somatik", "--unit", f["ward"])
    coordinator = ("--role", "samordningsansvarig", "--unit", f["sip_unit"])
    support = ("--role", "support")
    admin = ("--role", "systemforvaltning")

    # the work of the roles
    home("sync")
    home(*ward, "worklist")
    home(*ward, "checklist", f["admission"])
    home(*ward, "tick", f["admission"], "s2.personuppgifter", "--note", "klart enligt lathund")
    home(*ward, "checklist", f["admission"])
    home(*ward, "tick", f["admission"], "s2.personuppgifter", "--undo")
    home(*ward, "discharge", f["admission"])
    home(*coordinator, "worklist")
    home(*coordinator, "decide", f["sip"], "aktuell")
    home(*coordinator, "decide", f["sip2"], "ej-aktuell")
    home(*support, "worklist")
    home(*admin, "worklist")
    home(*support, "ack", f["message"])
    home(*support, "ack", f["message"])  # already acknowledged
    home("sync")

    # support
    home(*support, "lookup", f["name"], f["year"])
    home(*support, "lookup", "Q Inget-sådant-namn", "1901")
    add = home(*support, "help-request", "add", f["message_unit"], f["name"], f["year"], "kvittera")
    rid = add.out.split(":")[0]
    home(*support, "help-request", "list")
    home(*support, "help-request", "work", rid, "--note", "ringer tillbaka")
    home(*support, "help-request", "ack", rid, f["message2"])
    home(*support, "help-request", "resolve", rid)
    home(*support, "help-request", "list", "--all")

    # systemförvaltning
    stats = home(*admin, "stats")
    home(*admin, "report")
    home(*admin, "report", "--out", str(tmp_path / "rapport.md"))
    home(*admin, "audit")
    home(*admin, "audit", "--user", "ingen-sådan")
    home(*admin, "audit", "--out", str(tmp_path / "stickprov.csv"))
    dry = home(*admin, "import", "--dry-run", *_export(tmp_path / "ok", broken=False))
    home(*admin, "import", *_export(tmp_path / "ok", broken=False))
    broken = home(*admin, "import", *_export(tmp_path / "broken", broken=True), rc=65)
    assert len(broken.err.splitlines()) >= 12, broken.err
    check = home("ledger", "check", str(home.path / "ledger.sqlite"), home=False)
    assert re.fullmatch(r"[0-9a-f]{64}\n", home("state-hash").out)

    # refusals and mistakes
    garbage = tmp_path / "skräp.sqlite"
    garbage.write_text("inte en databas")
    for args, rc in (
        (("frobnicate",), 2),
        (("tick",), 2),
        (("tick", "--undo"), 2),
        (("demo", "--size", "enormous"), 2),
        (("demo", "--seed", "x"), 2),
        (("stats", "--json", "--csv"), 2),
        (("worklist", "--bogus"), 2),
        (("worklist", "--unit"), 2),
        (("ledger",), 2),
        (("help-request", "list", "extra"), 2),
        (("demo", "--size", "small", "--no-tui"), 2),  # the home has data
        ((*ward, "tick", "VT-NO-SUCH", "s2.personuppgifter"), 2),
        ((*ward, "tick", f["admission"], "s3.fragor"), 2),
        (("--role", "primarvard", "--unit", f["ward"], "worklist"), 2),  # a ward is no HC
        ((*support, "lookup", f["name"], "19"), 2),
        ((*ward, "lookup", f["name"], f["year"]), 2),
        ((*support, "stats"), 2),
        ((*support, "report"), 2),
        ((*support, "audit"), 2),
        ((*admin, "audit", "--since", "i går"), 2),
        ((*ward, "help-request", "list"), 2),
        ((*support, "help-request", "resolve", "H-NOPE"), 2),
        ((*support, "help-request", "work", rid), 2),  # resolved
        ((*support, "help-request", "add", "NO-SUCH", f["name"], f["year"], "kvittera"), 2),
        ((*support, "help-request", "add", f["message_unit"], f["name"], f["year"], " "), 2),
        ((*admin, "report", "--out", str(tmp_path / "saknas" / "r.md")), 2),
        (("serve", "--host", "0.0.0.0"), 2),
        (("serve", "--port", "70000"), 2),
        (("serve", "--host", "10.1.2.3", "--user-header", "X-User"), 2),
        (("serve", "--user-header", "X User", "--public-url", "https://a.se"), 2),
        (("serve", "--user-header", "X-User", "--public-url", "ftp://x"), 2),
        (("--ledger", str(tmp_path / "borta.sqlite"), "sync"), 69),
        (("--ledger", str(garbage), "sync"), 2),
    ):
        home(*args, rc=rc)
    for args, rc in (
        (("ledger", "check", str(tmp_path / "borta.sqlite")), 69),
        (("ledger", "check", str(garbage)), 2),
        (("ledger", "init", str(tmp_path / "ny.sqlite")), 2),
        (("ledger", "init", "postgresql://lcsp@127.0.0.1:1/lcsp"), 69),
        (("ledger", "init", "postgresql://lcsp@127.0.0.1:1/lcsp?bogus=1"), 2),
    ):
        home(*args, rc=rc, home=False)

    bad = {r.args: lines for r in home.runs if (lines := english_in(r.out) + english_in(r.err))}
    assert not bad, "English or None in what people read:\n" + "\n".join(
        f"lcsp {' '.join(a)}:\n  " + "\n  ".join(lines) for a, lines in bad.items()
    )

    # the tables line up
    for block in stats.out.split("\n\n")[1:]:
        title, *table = block.splitlines()
        if len(table) > 1:
            assert_aligned(table)
    assert_aligned([line for line in dry.out.splitlines() if not line.startswith("provkörning")])
    assert_aligned([line[2:] for line in check.out.splitlines() if line.startswith("  ")])


@pytest.mark.parametrize(
    "args", [(), *((c,) for c in COMMANDS), *SUBCOMMANDS], ids=lambda a: " ".join(a) or "lcsp"
)
def test_help_is_swedish(args: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main([*args, "--help"])
    out = capsys.readouterr().out
    assert stop.value.code == 0
    assert out.startswith(f"användning: {' '.join(('lcsp', *args))}")
    assert "flaggor:" in out and "visa den här hjälpen och avsluta" in out
    assert not english_in(out, help_text=True), english_in(out, help_text=True)


def test_every_option_and_argument_has_help() -> None:
    """So that no bare English metavariable or empty line is all a person gets."""
    import argparse

    def walk(p: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
        yield p
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                for sub in a.choices.values():
                    yield from walk(sub)

    missing = [
        f"{p.prog} {a.option_strings or a.dest}"
        for p in walk(build_parser())
        for a in p._actions
        if not a.help and not isinstance(a, argparse._SubParsersAction)
    ]
    assert not missing, missing


@pytest.mark.parametrize(
    ("english", "swedish"),
    [
        ("the following arguments are required: ID, PUNKT", "följande saknas: ID, PUNKT"),
        ("unrecognized arguments: --bogus", "okänt argument: --bogus"),
        ("argument --unit: expected one argument", "--unit behöver ett värde"),
        (
            "argument KOMMANDO: invalid choice: 'x' (choose from 'demo', 'sync')",
            "okänt kommando 'x' (välj bland demo, sync)",
        ),
        ("argument --seed: invalid int value: 'x'", "--seed: 'x' är inget heltal"),
        (
            "argument ÅTGÄRD: invalid choice: 'x' (choose from 'init', 'check')",
            "okänd åtgärd 'x' (välj bland init, check)",
        ),
        (
            "argument --csv: not allowed with argument --json",
            "--csv går inte att kombinera med --json",
        ),
        (
            "ambiguous option: --u could match --user, --unit",
            "--u är tvetydig: den kan vara --user, --unit",
        ),
    ],
)
def test_argparse_errors_in_swedish(english: str, swedish: str) -> None:
    assert usage_error_text(english) == swedish


def test_text_table_columns_fit_their_content() -> None:
    lines = text_table(
        ["Steg", "Vad", "Klart"],
        [["1", "Förregistrering av patienter (kommun)", f"1{NBSP}913"], ["5A", "HSL", "7"]],
        "llr",
    )
    assert lines == [
        "Steg  Vad                                    Klart",
        f"1     Förregistrering av patienter (kommun)  1{NBSP}913",
        "5A    HSL                                        7",
    ]
    assert_aligned(lines)
    with pytest.raises(AssertionError):
        assert_aligned(["Steg  Klart", "1        7"])


def test_english_is_caught() -> None:
    """The check itself: it finds English and None, and lets Swedish and ids through."""
    assert english_in("lcsp: unknown unit 'X'")
    assert english_in("support @ None: 0 pending")
    assert english_in("cannot reach ledger at host/db")
    assert not english_in("lcsp: okänd enhet 'X' (kör lcsp sync om den nyss importerats)")
    assert not english_in("[ ] s2.personuppgifter  Registrera patientens personuppgifter")
    assert not english_in("lcsp: den gemensamma databasens fil finns inte: /tmp/pytest-of-x/l")


def test_numbers_from_a_thousand_are_written_the_swedish_way(home: Home) -> None:
    from lcsp_tui.config import settings_from
    from lcsp_tui.stats import collect
    from lcsp_tui.workstation import Workstation

    ws = Workstation(settings_from(home=str(home.path), role="systemforvaltning", today=TODAY))
    try:
        s = collect(ws.q, ws.region, ws.now())
    finally:
        ws.close()
    s.progress.total = Tally(done=1500, total=1913, overdue=12)
    text = stats_text(s)
    assert f"Totalt  1{NBSP}500  1{NBSP}913  413  12" in re.sub(r" {2,}", "  ", text)
    assert "1,913" not in text and "1913" not in text
    for block in text.split("\n\n")[1:]:
        title, *table = block.splitlines()
        if len(table) > 1:
            assert_aligned(table)


@pytest.mark.parametrize(
    "args",
    [
        ("--role", "chef", "worklist"),
        ("--today", "i går", "worklist"),
        ("--env", "prod", "state-hash"),
    ],
    ids=["unknown role", "bad --today", "unknown environment"],
)
def test_settings_errors_are_swedish(home: Home, args: tuple[str, ...]) -> None:
    run = home(*args, rc=2)  # a second --today overrides the first
    assert not english_in(run.err), run.err
