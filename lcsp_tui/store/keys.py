"""The read model's keys and SQL helpers: what readers need without the rules (light)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator, Sequence

from lcsp_tui.domain.roles import ROLES

READ_MODEL_VERSION = 5  # bump when a rule or an rm_* table changes: homes rebuild on open
ROLE_BITS = {r: 1 << k for k, r in enumerate(ROLES)}
NO_UNIT = ""  # rm_list.unit of a subject held at no unit
CHUNK = 500  # ids per "IN (…)", well under SQLite's variable limit

_INSTANTS: dict[dt.datetime, str] = {}


def instant(t: dt.datetime | None) -> str:
    """How instants are stored and compared: ISO text to the second ('' = never)."""
    if t is None:
        return ""
    text = _INSTANTS.get(t)  # a region has few distinct instants; formatting them is not free
    if text is None:
        if len(_INSTANTS) >= 50_000:
            _INSTANTS.clear()
        text = _INSTANTS[t] = t.isoformat(timespec="seconds")
    return text


def reached(column: str) -> str:
    """SQL: the instant in ``column`` has come at ``:now`` (never for '')."""
    return f"({column} <> '' AND {column} <= :now)"


# An item row (alias i) that counts: it applies, and a role holding its subject ticks it.
COUNTED = "i.applies = 1 AND i.roles <> 0"
# Per unit and subject (alias l): the bits of the roles whose list at the unit holds it; an
# item is on the unit's lists when (i.roles & l.rb) <> 0 (a shared item once per unit).
UNIT_ROLES = "SELECT unit, subject, sum(role_bit) AS rb FROM rm_list {where} GROUP BY unit, subject"


def chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    for i in range(0, len(ids), CHUNK):
        yield list(ids[i : i + CHUNK])


def rows(conn: sqlite3.Connection, sql: str, ids: Sequence[str]) -> list[sqlite3.Row]:
    """``sql`` has one ``{marks}`` for an IN list; run it in chunks of ``ids``."""
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row
    out: list[sqlite3.Row] = []
    for chunk in chunks(ids):
        out += cur.execute(sql.format(marks=",".join("?" * len(chunk))), chunk).fetchall()
    return out
