"""Instants as people read them, in Swedish: ``tis 30/9 08:00``."""

from __future__ import annotations

import datetime as dt

WEEKDAYS = ("mån", "tis", "ons", "tor", "fre", "lör", "sön")


def day_text(when: dt.datetime, *, end_of_day: bool = False) -> str:
    """``tor 16/10`` (with ``end_of_day`` a 00:00 deadline is the day before, ``24:00``)."""
    if end_of_day and when.time() == dt.time():
        d = (when - dt.timedelta(days=1)).date()
        return f"{WEEKDAYS[d.weekday()]} {d.day}/{d.month} 24:00"
    clock = "" if when.time() == dt.time() else f" {when:%H:%M}"
    return f"{WEEKDAYS[when.weekday()]} {when.day}/{when.month}{clock}"
