"""Mapping errors to exit codes (SPEC §9) and one-line messages."""

from __future__ import annotations

import os
import sqlite3


def exit_code_for(e: BaseException) -> tuple[int, list[str]]:
    from lcsp_tui.config import ConfigError
    from lcsp_tui.domain.regiondata import RegionDataError
    from lcsp_tui.domain.rules import Refusal
    from lcsp_tui.ledger.base import LedgerMismatch, LedgerUnreachable
    from lcsp_tui.store.store import NewerStore, StoreError

    if isinstance(e, LedgerUnreachable):
        return 69, [f"ledger unreachable: {e} (local work is kept)"]
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
        return 1, [f"{e.strerror or e}: {e.filename or ''}".rstrip(": ")]
    if isinstance(e, sqlite3.Error):
        return 1, [f"local store error: {e}"]
    detail = f"{type(e).__name__}: {e}"
    if os.environ.get("LCSP_DEBUG"):
        import traceback

        traceback.print_exception(e)
    return 70, [f"internal error: {detail}"]
