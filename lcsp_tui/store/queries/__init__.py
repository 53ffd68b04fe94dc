"""Every read of the local store, with typed results.

No other module runs SQL against the store's tables: screens and commands call the
workstation, the workstation and statistics call these. One class per area, combined in
``Queries`` over the store's connection.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from lcsp_tui.store.queries.audit import AuditQueries, AuditRow
from lcsp_tui.store.queries.figures import FigureQueries
from lcsp_tui.store.queries.help import HelpQueries
from lcsp_tui.store.queries.lookup import LookupQueries
from lcsp_tui.store.queries.work import WorkQueries

if TYPE_CHECKING:  # the region's data is loaded only when a query needs it
    from lcsp_tui.domain.regiondata import RegionData

__all__ = ["AuditRow", "Queries"]


class Queries(WorkQueries, FigureQueries, LookupQueries, AuditQueries, HelpQueries):
    def __init__(self, conn: sqlite3.Connection, region: RegionData) -> None:
        self._conn = conn
        self.region = region
