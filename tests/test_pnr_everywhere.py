"""Issue 13's property: a personnummer in any form, typed into any free-text path of the CLI
(a note, a help request's need and name, a user or unit name, the lookup's fields, the audit
filters, an id), is refused — and its digits appear in no output, no error line, no export
and nowhere in the audit trail. (Import columns: tests/test_hostile_import.py.)"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lcsp_tui.cli import main
from lcsp_tui.domain.personnummer import with_check_digit
from tests.snapshot_app import build_demo_home, copy_home

TODAY = "2025-09-30T10:00"
WARD = ("--role", "slutenvard-somatik", "--unit", "SUS-AVD11")
SUPPORT = ("--role", "support")
SYSF = ("--role", "systemforvaltning")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_home(tmp_path_factory.mktemp("pnr") / "home")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for k in [k for k in os.environ if k.startswith("LCSP_")]:
        monkeypatch.delenv(k)
    yield


@st.composite
def personnummer(draw: st.DrawFn) -> tuple[str, str]:
    """(how it is typed, its last four digits): 12 or 10 digits, any single separator."""
    year = draw(st.integers(1925, 2005))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28)) + draw(st.sampled_from([0, 60]))  # or a samordningsnummer
    serial = draw(st.integers(1, 999))
    ten = with_check_digit(f"{year % 100:02d}{month:02d}{day:02d}{serial:03d}")
    date = (f"{year // 100}" if draw(st.booleans()) else "") + ten[:6]
    sep = draw(st.sampled_from(["", "-", "+", "/", ":", "T", " ", " - ", "."]))
    return f"{date}{sep}{ten[6:]}", ten[6:]


def run(home: Path, capfd: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capfd.readouterr()
    try:
        rc = main(["--home", str(home), "--today", TODAY, *args])
    except SystemExit as e:
        rc = int(e.code or 0)
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    return rc, out + err


PATHS = [
    lambda p: (*WARD, "tick", "VT000002", "s2.personuppgifter", "--note", f"pnr {p}"),
    lambda p: (*SUPPORT, "help-request", "add", "SUS-AVD11", "A Larsson", "1945", f"gäller {p}"),
    lambda p: (*SUPPORT, "help-request", "add", "SUS-AVD11", f"A Larsson {p}", "1945", "x"),
    lambda p: (*SUPPORT, "help-request", "add", p, "A Larsson", "1945", "x"),
    lambda p: (*SUPPORT, "lookup", p, "1945"),
    lambda p: (*SUPPORT, "lookup", "A Larsson", p),
    lambda p: ("--user", p, *SUPPORT, "lookup", "A Larsson", "1945"),
    lambda p: ("--role", "slutenvard-somatik", "--unit", p, "worklist"),
    lambda p: (*SYSF, "audit", "--patient", p),
    lambda p: (*SYSF, "audit", "--user", p),
    lambda p: (*WARD, "checklist", p),
    lambda p: (*SUPPORT, "ack", p),
]


@settings(
    max_examples=int(os.environ.get("PNR_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(pnr=personnummer(), path=st.sampled_from(range(len(PATHS))))
def test_a_personnummer_in_any_free_text_is_refused_and_never_shown(
    template: Path,
    tmp_path_factory: pytest.TempPathFactory,
    capfd: pytest.CaptureFixture[str],
    pnr: tuple[str, str],
    path: int,
) -> None:
    typed, last4 = pnr
    home = copy_home(template, tmp_path_factory.mktemp("h") / "home")
    rc, shown = run(home, capfd, *PATHS[path](typed))
    assert rc == 2, (typed, shown)
    assert len(shown.strip().splitlines()) == 1, shown
    # the whole audit trail, as text, JSON and CSV: nothing of what was typed
    run(home, capfd, *SUPPORT, "sync")
    for fmt in ((), ("--json",), ("--csv",)):
        code, trail = run(home, capfd, *SYSF, "audit", *fmt)
        assert code == 0
        shown += trail
    # (the trail's own dates and times are digits too: they go first)
    shown = re.sub(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?", "", shown)
    digits = re.sub(r"\D", "", typed)
    assert digits not in re.sub(r"\D", "", shown)
    assert not re.search(rf"(?<![0-9]){last4}(?![0-9])", shown), (typed, shown[-400:])
