"""The central ledger: an append-only event log with a dense, commit-ordered sequence."""

from lcsp_tui.ledger.base import (
    Ledger,
    LedgerError,
    LedgerMismatch,
    LedgerUnreachable,
    open_ledger,
)

__all__ = ["Ledger", "LedgerError", "LedgerMismatch", "LedgerUnreachable", "open_ledger"]
