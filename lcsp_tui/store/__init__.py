"""The workstation's local store: folded state, outbox of local events, pull cursor."""

from lcsp_tui.store.store import LocalStore, StoreError

__all__ = ["LocalStore", "StoreError"]
