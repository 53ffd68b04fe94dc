"""Lint and types are part of the test command, so CI and a newcomer run the same checks.

ruff and mypy come with the test extra (``pip install -e '.[test]'``) and run as modules of
this interpreter, so a tool missing from the test environment is a failure, never a skip.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)


def test_ruff_check() -> None:
    r = _run(sys.executable, "-m", "ruff", "check", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_format() -> None:
    r = _run(sys.executable, "-m", "ruff", "format", "--check", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_strict() -> None:
    """The app and its screens type-check (strictness is set in pyproject.toml)."""
    r = _run(sys.executable, "-m", "mypy", "lcsp_tui", "screens")
    assert r.returncode == 0, r.stdout + r.stderr
