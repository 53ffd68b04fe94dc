"""The README's worked example runs as written (issue 12): its ids exist, its quoting works."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_worked_example_runs_as_written(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"Example, a ward nurse.*?```sh\n(.*?)```", text, re.S)
    assert block, "the worked example is gone from the README"
    script = block[1]
    assert "/tmp/lcsp-ovning" in script and ".venv/bin/lcsp" in script
    # the same commands, in a temporary home, with this interpreter's lcsp
    script = script.replace("/tmp/lcsp-ovning", str(tmp_path / "ovning")).replace(
        ".venv/bin/lcsp", f"{sys.executable} -m lcsp_tui"
    )
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    start = [m.start() for m in re.finditer(r"^\{$", done.stdout, re.M)][-1]
    last = json.loads(done.stdout[start:])  # the last command's JSON
    items = {i["id"]: i for i in last["items"]}
    assert items["s2.personuppgifter"]["note"] == "fanns redan från steg 1"
    assert items["s2.inskrivningsmeddelande"]["done"] is True
