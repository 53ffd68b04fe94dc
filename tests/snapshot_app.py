"""The TUI under test: a fixed demo home and an app factory, for pilot and snapshot tests.

Everything that reaches the screen is fixed: the demo seed, the simulated "today", the user.
The header's "last sync" time comes from the simulated clock, and the app is built without
the interval timer so that only the first sync (awaited by ``settle``) runs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from textual.pilot import Pilot

from lcsp_tui.app import LcspApp
from lcsp_tui.cli import main as cli_main
from lcsp_tui.config import settings_from
from lcsp_tui.workstation import Workstation

TODAY = "2025-09-30T09:00"
USER = "sjukskoterska.test"
DEMO = ["demo", "--size", "small", "--seed", "1", "--no-tui"]


@contextmanager
def clean_env() -> Iterator[None]:
    """No LCSP_* variable of the developer's shell may leak into a test."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("LCSP_")}
    for k in saved:
        del os.environ[k]
    try:
        yield
    finally:
        os.environ.update(saved)


def build_demo_home(home: Path) -> Path:
    """A home filled by ``lcsp demo --size small`` (seed 1) through the real CLI."""
    with clean_env():
        code = cli_main(["--home", str(home), "--today", TODAY, "--user", "demo", *DEMO])
    assert code == 0, f"lcsp demo failed with exit code {code}"
    return home


def copy_home(template: Path, dest: Path) -> Path:
    """A private copy of a demo home (store and its ledger) for one test: the copy syncs with
    its own copy of the ledger (a switch of role syncs, issue 15)."""
    import sqlite3
    from contextlib import closing

    shutil.copytree(template, dest)
    with closing(sqlite3.connect(dest / "store.sqlite")) as conn, conn:
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'ledger'", (str(dest / "ledger.sqlite"),)
        )
    return dest


def make_workstation(
    home: Path,
    role: str | None = None,
    unit: str | None = None,
    *,
    ledger: str | None = None,
    today: str = TODAY,
) -> Workstation:
    """A workstation on ``home``; its ledger is the home's own file unless given."""
    with clean_env():
        settings = settings_from(
            home=str(home),
            ledger=ledger or str(home / "ledger.sqlite"),
            user=USER,
            role=role,
            unit=unit,
            today=today,
        )
    return Workstation(settings)


def make_app(
    home: Path,
    role: str | None = None,
    unit: str | None = None,
    *,
    ledger: str | None = None,
) -> LcspApp:
    return LcspApp(make_workstation(home, role, unit, ledger=ledger), sync_interval=None)


async def settle(pilot: Pilot[object]) -> None:
    """Wait for the sync worker and the message it posted.

    Only the sync group: the role/unit chooser is a worker too, waiting for the user.
    """
    for _ in range(2):
        syncing = [w for w in pilot.app.workers if w.group == "sync"]
        if syncing:  # (an empty list would mean "all workers")
            await pilot.app.workers.wait_for_complete(syncing)
        await pilot.pause()


async def open_first(pilot: Pilot[object]) -> None:
    """Settle, then open the first subject of the worklist."""
    await settle(pilot)
    await pilot.press("enter")
    await pilot.pause()
