"""Paths the user gives — ``--home``, ``--ledger``, ``--out``, the files to import — made
absolute before they are stored or used, and checked before anything is written.

- A relative path is resolved against the current directory once, when it is given, so a
  home never records a path that means something else from another directory (a sync from
  elsewhere would fail, or push into a copy of the ledger that happens to sit there).
- ``--home`` must be a new directory, an empty one, or an lcsp home (it has our
  ``store.sqlite``); a file, or a directory with other things in it, is refused (exit 2)
  before anything in it is created or has its mode changed.
- ``--out`` must name a file in an existing directory.

Every refusal is a ``PathRefused`` (exit 2) whose message shows the path cut (``shown``).
"""

from __future__ import annotations

import os
from pathlib import Path

from lcsp_tui.errors import PathRefused, shown

STORE_NAME = "store.sqlite"
DEFAULT_LEDGER_NAME = "ledger.sqlite"


def absolute(text: str | os.PathLike[str]) -> Path:
    """``text`` as an absolute path (``~`` expanded; symbolic links kept as they are)."""
    return Path(os.path.abspath(os.path.expanduser(text)))


def check_home(home: Path) -> bool:
    """Refuse a home that is a file, or a non-empty directory that is not an lcsp home;
    nothing is created or changed here. True when the home is new (missing or empty)."""
    if not home.exists():
        return True  # a too-long or unreachable path fails when it is made (exit 2)
    if not home.is_dir():
        raise PathRefused(f"--home: {shown(home)} är en fil, inte en katalog")
    # By its name only. The file is never opened here: closing any handle to it would drop
    # this process's SQLite locks on it (POSIX), and the TUI's background sync checks the
    # home while the store is open — a store that is not ours is refused when it is opened.
    if (home / STORE_NAME).is_file():
        return False
    try:
        empty = next(os.scandir(home), None) is None
    except OSError as e:
        raise PathRefused(f"--home: katalogen {shown(home)} går inte att läsa") from e
    if not empty:
        raise PathRefused(
            f"--home: {shown(home)} är inget lcsp-hem och inte tom – ange en ny eller tom "
            "katalog (inget i den har ändrats)"
        )
    return True


def out_file(text: str, option: str = "--out") -> Path:
    """Where an export goes, absolute: a file (new or existing) in an existing directory."""
    if not text.strip():
        raise PathRefused(f"{option}: ange en fil (värdet är tomt)")
    path = absolute(text)
    if path.is_dir():
        raise PathRefused(f"{option}: {shown(path)} är en katalog – ange en fil")
    parent = path.parent
    if not parent.exists():
        raise PathRefused(f"{option}: katalogen {shown(parent)} finns inte")
    if not parent.is_dir():
        raise PathRefused(f"{option}: {shown(parent)} är ingen katalog")
    return path


def remembered_ledger(home: Path, spec: str) -> str:
    """A ledger path a home recorded, absolute.

    Homes of earlier releases made with a relative ``LCSP_HOME`` recorded their default
    ledger relative to the directory they were made from (``h/ledger.sqlite`` for the home
    ``h``). That path is the home's own ``ledger.sqlite`` when the home's absolute path ends
    with its directory; any other relative path cannot be resolved safely and is refused
    (exit 2): give the ledger once with ``--ledger``, and the home remembers it absolute.
    """
    path = Path(spec)
    if path.is_absolute():
        return spec
    parent = path.parent.parts
    if (
        path.name == DEFAULT_LEDGER_NAME
        and ".." not in parent
        and home.parts[len(home.parts) - len(parent) :] == parent
    ):
        return str(home / DEFAULT_LEDGER_NAME)
    raise PathRefused(
        f"hemmet minns den gemensamma databasen som en relativ sökväg ({shown(spec)}), som "
        "inte går att lita på från en annan katalog: ange den en gång med --ledger och en "
        "absolut sökväg"
    )
