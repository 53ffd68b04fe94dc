"""Mapping errors to exit codes (SPEC §9) and one-line messages, in Swedish.

Exit codes for the operating system's errors, decided here and nowhere else:

- 2: a path that cannot be used (missing, a directory where a file belongs, a file where a
  directory belongs, too long, no access, a read-only file system);
- 74: an I/O failure (disk full, quota exceeded, EIO) — also SQLite's "disk is full" and
  "disk I/O error";
- 1: any other OS error (a port in use, a refused connection).

A path in an error line is shown escaped (no control characters) and, when longer than 100
characters, cut in the middle to its first 33 and last 67; the whole input is never echoed.
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
import unicodedata

EXIT_PATH = 2
EXIT_IO = 74
SHOWN = 100  # characters of a path (or any long word) shown in an error line

# The operating system's error texts are English; these are the ones a user meets.
OS_ERRORS = {
    errno.ENOENT: "filen eller katalogen finns inte",
    errno.EACCES: "åtkomst nekad",
    errno.EPERM: "åtgärden är inte tillåten",
    errno.ENOSPC: "disken är full",
    errno.EDQUOT: "diskkvoten är slut",
    errno.EROFS: "filsystemet är skrivskyddat",
    errno.EISDIR: "är en katalog",
    errno.ENOTDIR: "en del av sökvägen är ingen katalog",
    errno.EEXIST: "finns redan",
    errno.ENAMETOOLONG: "namnet är för långt",
    errno.EIO: "in- eller utmatningsfel",
    errno.EADDRINUSE: "adressen används redan",
    errno.EADDRNOTAVAIL: "adressen finns inte på den här datorn",
    errno.ECONNREFUSED: "anslutningen nekades",
    errno.ETIMEDOUT: "tidsgränsen gick ut",
    errno.EFBIG: "filen blir för stor",
    errno.ELOOP: "för många symboliska länkar",
    errno.ENXIO: "enheten finns inte",
    errno.EBUSY: "upptagen",
    errno.ETXTBSY: "filen används",
    errno.EINVAL: "ogiltigt argument",
}

# A path that cannot be used: exit 2.
PATH_ERRORS = frozenset(
    {
        errno.ENOENT,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.ENAMETOOLONG,
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.EEXIST,
        errno.ELOOP,
        errno.ENXIO,
        errno.ETXTBSY,
    }
)
# An I/O failure: exit 74.
IO_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG})


class PathRefused(ValueError):
    """A path given by the user that cannot be used (``--home``, ``--out`` …): exit 2, the
    message is the one line."""


def escaped(text: object) -> str:
    """``text`` without control characters: each shown as its escape (``\\n``, ``\\x1b``),
    so a newline or ESC in a file name never splits or colours an error line."""
    return "".join(c if unicodedata.category(c)[0] != "C" else repr(c)[1:-1] for c in str(text))


def shown(text: object, limit: int = SHOWN) -> str:
    """A path or a value as an error line may show it: escaped, and when longer than
    ``limit`` characters cut in the middle (its first third and its last two thirds around
    ``…``), so the start and the file name stay readable and the whole is never echoed."""
    out = escaped(text)
    if len(out) <= limit:
        return out
    head = limit // 3
    return out[:head] + "…" + out[len(out) - (limit - head) :]


_LONG_WORD = re.compile(rf"\S{{{SHOWN + 20},}}")


def tidy_line(line: str) -> str:
    """One error line as it may be printed: escaped, and every word much longer than a path
    may be shown (a pasted 5,000-character path) cut."""
    return _LONG_WORD.sub(lambda m: shown(m[0]), escaped(line))


def os_error_text(e: OSError) -> str:
    """What went wrong, in Swedish when the system's own text is all there is."""
    standard = e.errno is not None and e.strerror == os.strerror(e.errno)
    if e.errno in OS_ERRORS and (standard or not e.strerror):
        return OS_ERRORS[e.errno]
    if e.strerror and not standard:
        return str(e.strerror)  # our own words (lcsp serve's "kan inte lyssna på …")
    code = errno.errorcode.get(e.errno or 0)
    return f"fel från operativsystemet ({code})" if code else "fel från operativsystemet"


# SQLite's messages are English too; the ones a broken or busy file gives.
SQLITE_ERRORS = {
    "file is not a database": "filen är ingen SQLite-databas",
    "database disk image is malformed": "databasfilen är skadad",
    "unable to open database file": "databasfilen går inte att öppna",
    "database is locked": "databasen är låst av ett annat program",
    "disk I/O error": "in- eller utmatningsfel på disken",
    "attempt to write a readonly database": "databasen är skrivskyddad",
    "database or disk is full": "disken är full",
}
SQLITE_IO = frozenset({"database or disk is full", "disk I/O error"})


def reason_text(e: BaseException) -> str:
    """Why a file or database could not be used, in Swedish where the text is known."""
    if isinstance(e, OSError):
        return os_error_text(e)
    return SQLITE_ERRORS.get(str(e), str(e))


def os_exit_code(e: OSError) -> int:
    """2 for a path that cannot be used, 74 for an I/O failure, 1 for anything else."""
    if e.errno in PATH_ERRORS:
        return EXIT_PATH
    if e.errno in IO_ERRORS:
        return EXIT_IO
    return 1


def os_error_line(e: OSError) -> str:
    """``/tmp/saknas/r.md: filen eller katalogen finns inte``, the path cut (``shown``)."""
    where = f"{shown(e.filename)}: " if e.filename else ""
    return f"{where}{os_error_text(e)}"


def exit_code_for(e: BaseException) -> tuple[int, list[str]]:
    from lcsp_tui.config import ConfigError
    from lcsp_tui.domain.regiondata import RegionDataError
    from lcsp_tui.domain.rules import Refusal
    from lcsp_tui.ledger.base import LedgerMismatch, LedgerUnreachable
    from lcsp_tui.store.store import NewerStore, NotAStore, StoreError

    if isinstance(e, LedgerUnreachable):
        return 69, [f"{e} (det lokala arbetet finns kvar)"]
    if isinstance(e, LedgerMismatch | ConfigError | Refusal | NewerStore | NotAStore | PathRefused):
        return 2, [str(e)]
    try:
        from lcsp_tui.importer import ImportFailed
    except ImportError:  # pragma: no cover - the importer is part of the package
        pass
    else:
        if isinstance(e, ImportFailed):
            return 65, list(e.errors)
    if isinstance(e, StoreError | RegionDataError):
        return 1, [str(e)]
    if isinstance(e, OSError):
        return os_exit_code(e), [os_error_line(e)]
    if isinstance(e, sqlite3.Error):
        code = EXIT_IO if str(e) in SQLITE_IO else 1
        return code, [f"fel i den lokala databasen: {reason_text(e)}"]
    detail = f"{type(e).__name__}: {e}"
    if os.environ.get("LCSP_DEBUG"):
        import traceback

        traceback.print_exception(e)
    return 70, [f"internt fel: {detail}"]
