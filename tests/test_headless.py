"""The headless core never imports Textual (only lcsp_tui.app may)."""

import pkgutil
import subprocess
import sys

import pytest

import lcsp_tui

CORE = sorted(
    m.name
    for m in pkgutil.walk_packages(lcsp_tui.__path__, "lcsp_tui.")
    if m.name not in {"lcsp_tui.app", "lcsp_tui.__main__"}
)


def test_there_are_core_modules() -> None:
    assert "lcsp_tui.cli" in CORE and "lcsp_tui.domain.rules" in CORE


@pytest.mark.parametrize("module", CORE)
def test_core_module_does_not_import_textual(module: str) -> None:
    code = f"import sys, {module}; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", f"{module} imports textual"


def test_headless_cli_command_does_not_import_textual(tmp_path) -> None:
    code = (
        "import sys; from lcsp_tui.cli import main; "
        f"rc = main(['--home', {str(tmp_path)!r}, 'state-hash']); "
        "print(rc, 'textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 False"
