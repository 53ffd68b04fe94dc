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
        return 1, [f"fel i den lokala databasen: {e}"]
    detail = f"{type(e).__name__}: {e}"
    if os.environ.get("LCSP_DEBUG"):
        import traceback

        traceback.print_exception(e)
    return 70, [f"internt fel: {detail}"]
