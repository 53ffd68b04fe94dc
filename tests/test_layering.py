"""The layers, as import rules read from the source (every import, also the ones inside a
function or under TYPE_CHECKING):

- screens never touch the store or the ledger (they call the workstation);
- only the store and the ledger speak SQL (``sqlite3``, ``psycopg``);
- statistics never import the workstation (they read the store's query surface);
- the domain imports nothing outside the domain but the standard library and pydantic;
- nothing imports the app back: only the command line starts it.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    p
    for d in ("lcsp_tui", "screens")
    for p in (ROOT / d).rglob("*.py")
    if "__pycache__" not in p.parts
)


def imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def under(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_there_are_sources() -> None:
    assert len(SOURCES) > 50
    assert any(rel(p) == "lcsp_tui/store/readmodel.py" for p in SOURCES)


@pytest.mark.parametrize("path", SOURCES, ids=rel)
def test_layers(path: Path) -> None:
    name = rel(path)
    found = imports(path)
    if name.startswith("screens/"):
        bad = {i for i in found if under(i, "lcsp_tui.store", "lcsp_tui.ledger", "sqlite3")}
        assert not bad, f"{name} touches the store or the ledger: {sorted(bad)}"
    if not name.startswith(("lcsp_tui/store/", "lcsp_tui/ledger/")):
        sql = {i for i in found if under(i, "sqlite3", "psycopg")}
        allowed = {"lcsp_tui/errors.py": {"sqlite3"}}  # maps sqlite3.Error to an exit code
        assert sql <= allowed.get(name, set()), f"{name} speaks SQL: {sorted(sql)}"
    if name.startswith("lcsp_tui/stats/"):
        bad = {i for i in found if under(i, "lcsp_tui.workstation", "lcsp_tui.view")}
        assert not bad, f"{name}: statistics read the query surface, not {sorted(bad)}"
    if name.startswith("lcsp_tui/domain/"):
        outside = {
            i
            for i in found
            if not under(i, "lcsp_tui.domain", "pydantic", "__future__")
            and i.split(".")[0] not in sys.stdlib_module_names
        }
        assert not outside, f"{name} imports outside the domain: {sorted(outside)}"
    if name not in ("lcsp_tui/app.py", "lcsp_tui/cli.py"):
        assert not {i for i in found if under(i, "lcsp_tui.app")}, f"{name} imports the app"
