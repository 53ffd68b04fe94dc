"""Privacy hardening shared by the CLI and the TUI (issue 5).

- Personnummer never leave the app by the side door: every error line, notification and
  free text a user types passes ``redact`` or ``refuse_personnummer``.
- The home is private: the directory 0700, every file in it 0600 (``harden_home``), and
  exports are created 0600 from their first byte (``private_file``). The CLI also sets the
  process umask to 0o077 so files SQLite makes later (``-wal``, ``-shm``) are private too.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import IO

from lcsp_tui.domain import Refusal
from lcsp_tui.domain.personnummer import looks_like_personnummer, personnummer_spans

PRIVATE_UMASK = 0o077
HIDDEN = "[dolt personnummer]"


class PersonnummerRefused(Refusal):
    """Free text that holds something like a personnummer; the message is the refusal."""


def redact(text: str) -> str:
    """``text`` with every personnummer-shaped part replaced by a placeholder."""
    for start, end in reversed(personnummer_spans(text)):
        text = text[:start] + HIDDEN + text[end:]
    return text


def refuse_personnummer(*texts: str | None) -> None:
    """Refuse free text (a note, a need, a name) that holds something like a personnummer."""
    for t in texts:
        if t and looks_like_personnummer(t):
            from lcsp_tui.domain.lookup import REFUSAL  # here: a command that reads needs none

            raise PersonnummerRefused(REFUSAL)


def harden_home(home: Path) -> None:
    """The home directory 0700 and every regular file directly in it 0600."""
    try:
        os.chmod(home, 0o700)
        for entry in os.scandir(home):
            if entry.is_file(follow_symlinks=False):
                mode = stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode)
                if mode & 0o077:
                    os.chmod(entry.path, mode & 0o700 | 0o600)
    except FileNotFoundError:  # a file went away between listing and chmod
        pass


def harden_file(path: Path) -> None:
    """One file (and its SQLite ``-wal``/``-shm``/``-journal`` companions) 0600."""
    for p in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        try:
            os.chmod(p, 0o600)
        except FileNotFoundError:
            continue


def private_file(path: Path, *, encoding: str = "utf-8", newline: str | None = None) -> IO[str]:
    """Open ``path`` for writing, created (or truncated) as 0600 — never readable by others."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its old mode otherwise
    return os.fdopen(fd, "w", encoding=encoding, newline=newline)


def write_private(
    path: Path,
    write: Callable[[IO[str]], object],
    *,
    encoding: str = "utf-8",
    newline: str | None = None,
) -> None:
    """Write an export to ``path`` through ``private_file``, flushed and closed before this
    returns. When writing fails (a full disk: ``OSError``, exit 74), a regular file it
    left half written is removed before the error goes on — a device such as /dev/full
    is left alone."""
    fh = private_file(path, encoding=encoding, newline=newline)
    try:
        with fh:
            write(fh)
    except OSError as e:
        remove_export(path)
        if e.filename is None:  # a failed write names no file: say which
            raise OSError(e.errno, e.strerror, str(path)) from None
        raise
    except BaseException:
        remove_export(path)
        raise


def remove_export(path: Path) -> None:
    """Remove an export that must not stay (half written, or its audit event could not be
    recorded) — only a regular file, never a device or what a link points to."""
    with contextlib.suppress(OSError):
        if stat.S_ISREG(os.lstat(path).st_mode):
            os.unlink(path)
