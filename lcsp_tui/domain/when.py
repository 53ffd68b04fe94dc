"""Instants as people read them, in Swedish: ``tis 30/9 08:00``."""

from __future__ import annotations

import datetime as dt

WEEKDAYS = ("mån", "tis", "ons", "tor", "fre", "lör", "sön")


def day_text(when: dt.datetime, *, end_of_day: bool = False, this_year: int | None = None) -> str:
    """``tor 16/10`` (with ``end_of_day`` a 00:00 deadline is the day before, ``24:00``); with
    the year (``lör 12/11 2078``) when it is not ``this_year``."""
    if end_of_day and when.time() == dt.time():
        d = (when - dt.timedelta(days=1)).date()
        return f"{WEEKDAYS[d.weekday()]} {d.day}/{d.month}{_year(d, this_year)} 24:00"
    clock = "" if when.time() == dt.time() else f" {when:%H:%M}"
    return f"{WEEKDAYS[when.weekday()]} {when.day}/{when.month}{_year(when, this_year)}{clock}"


def _year(d: dt.date, this_year: int | None) -> str:
    return "" if this_year is None or d.year == this_year else f" {d.year}"


def short_time(when: dt.datetime, *, this_year: int | None = None) -> str:
    """``30/9 10:00`` — with the year (``30/9 2024 10:00``) when it is not ``this_year``."""
    year = "" if this_year is None or when.year == this_year else f" {when.year}"
    return f"{when.day}/{when.month}{year} {when:%H:%M}"
