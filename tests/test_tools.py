"""A missing tool is a skip on a developer's machine and a failure in CI, and that is the
only way the suite skips (``tests/tools.py``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.tools import missing, need

TESTS = Path(__file__).resolve().parent
SKIPS = {"skip", "skipif", "importorskip", "xfail"}


def test_need_goes_on_when_the_tool_is_there(monkeypatch: pytest.MonkeyPatch) -> None:
    for ci in ("true", ""):
        monkeypatch.setenv("CI", ci)
        need(True, "there")


def test_a_missing_tool_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no tmux"):
        need(False, "no tmux")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="no tmux"):
        missing("no tmux")


def test_a_missing_tool_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="must run in CI: no tmux"):
        need(False, "no tmux")
    with pytest.raises(pytest.fail.Exception, match="must run in CI: no tmux"):
        missing("no tmux")


def _skips(path: Path) -> list[str]:
    """``pytest.skip(...)``, ``pytest.importorskip(...)``, ``pytest.mark.skip[if]`` /
    ``xfail`` and ``from pytest import skip`` in a file, as ``file:line name``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # ``pytest.skip.Exception`` names the exception (as in the tests above), it skips nothing
    named = {
        id(n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and n.attr == "Exception"
    }
    found = [
        f"{path.name}:{n.lineno} {n.attr}"
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and n.attr in SKIPS and id(n) not in named
    ]
    found += [
        f"{path.name}:{n.lineno} {a.name}"
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and (n.module or "").startswith(("pytest", "_pytest"))
        for a in n.names
        if a.name in SKIPS
    ]
    return found


def test_the_suite_skips_only_through_tools_need() -> None:
    files = sorted(p for p in TESTS.rglob("*.py") if "__snapshots__" not in p.parts)
    assert len(files) > 20
    found = [s for p in files if p.name != "tools.py" for s in _skips(p)]
    assert found == [], "skip only through tests.tools.need / missing:\n" + "\n".join(found)
    assert [s.split()[-1] for s in _skips(TESTS / "tools.py")] == ["skip"]
