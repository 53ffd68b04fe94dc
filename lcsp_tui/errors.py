"""Mapping errors to exit codes (SPEC §9) and one-line messages, in Swedish."""

from __future__ import annotations

import errno
import os
import sqlite3

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
}


def os_error_text(e: OSError) -> str:
    """What went wrong, in Swedish when the system's own text is all there is."""
    standard = e.errno is not None and e.strerror == os.strerror(e.errno)
    if e.errno in OS_ERRORS and (standard or not e.strerror):
        return OS_ERRORS[e.errno]
    return str(e.strerror or e)


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


def reason_text(e: BaseException) -> str:
    """Why a file or database could not be used, in Swedish where the text is known."""
    if isinstance(e, OSError):
        return os_error_text(e)
    return SQLITE_ERRORS.get(str(e), str(e))


def exit_code_for(e: BaseException) -> tuple[int, list[str]]:
    from lcsp_tui.config import ConfigError
    from lcsp_tui.domain.regiondata import RegionDataError
    from lcsp_tui.domain.rules import Refusal
    from lcsp_tui.ledger.base import LedgerMismatch, LedgerUnreachable
    from lcsp_tui.store.store import NewerStore, StoreError

    if isinstance(e, LedgerUnreachable):
        return 69, [f"{e} (det lokala arbetet finns kvar)"]
    if isinstance(e, LedgerMismatch | ConfigError | Refusal | NewerStore):
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
        where = f"{e.filename}: " if e.filename else ""
        return 1, [f"{where}{os_error_text(e)}"]
    if isinstance(e, sqlite3.Error):
        return 1, [f"fel i den lokala databasen: {reason_text(e)}"]
    detail = f"{type(e).__name__}: {e}"
    if os.environ.get("LCSP_DEBUG"):
        import traceback

        traceback.print_exception(e)
    return 70, [f"internt fel: {detail}"]
