"""The support desk's help requests as the read model holds them (pending work on top)."""

from __future__ import annotations

import sqlite3

from lcsp_tui.rows import HelpRequest


class HelpQueries:
    _conn: sqlite3.Connection

    def help_requests(self, *, include_resolved: bool = False) -> list[HelpRequest]:
        """Open help requests (and resolved ones if asked), open first, oldest first."""
        where = "" if include_resolved else " WHERE status <> 'lost'"
        rows = [
            HelpRequest(
                request_id=str(r[0]),
                units=tuple(u for u in str(r[1]).split(",") if u),
                name=str(r[2]),
                lookup_key=str(r[3]),
                birth_year=int(r[4]),
                need=str(r[5]),
                status=str(r[6]),
                note=r[7],
                acks=int(r[8]),
                requested_by=str(r[9] or ""),
                requested_at=str(r[10] or ""),
                updated_by=str(r[11] or ""),
                updated_at=str(r[12] or ""),
                pending=bool(r[13]),
            )
            for r in self._conn.execute(
                "SELECT request_id, units, name, lookup_key, birth_year, need, status, note, "
                "acks, requested_by, requested_at, updated_by, updated_at, pending "
                f"FROM rm_help{where}"
            )
        ]
        rows.sort(key=lambda r: (not r.open, r.requested_at, r.request_id))
        return rows
