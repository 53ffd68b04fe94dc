"""When the demo's staff work: weekdays in office hours, at the pace a cutover really has —
a slow start in May, the summer holidays in July, a rush in the last weeks of September.

Everything here is pure arithmetic on dates and a seeded ``random.Random``: no clock.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Sequence

# Public holidays on weekdays between step 1's opening and the rehearsal (2025), and
# midsommarafton, which everyone takes off.
HOLIDAYS = frozenset(
    {
        dt.date(2025, 5, 1),  # första maj
        dt.date(2025, 5, 29),  # Kristi himmelsfärdsdag
        dt.date(2025, 6, 6),  # Sveriges nationaldag
        dt.date(2025, 6, 20),  # midsommarafton
    }
)

# Office hours: the hour a sitting starts, weighted (few before 8, a lunch dip, a short Friday
# afternoon is not modelled).
_HOURS = (7, 8, 9, 10, 11, 12, 13, 14, 15, 16)
_HOUR_WEIGHTS = (0.2, 1.0, 1.3, 1.3, 0.9, 0.4, 1.1, 1.1, 0.8, 0.3)
_HOUR_CUM = tuple(itertools.accumulate(_HOUR_WEIGHTS))


def is_workday(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in HOLIDAYS


def pace(day: dt.date) -> float:
    """How much gets done on a workday, relative to an ordinary one."""
    if day.month == 5:
        return 0.3 + 0.3 * (day.day / 31)  # learning the new system
    if day.month == 6:
        return 0.5 if day.day >= 23 else 0.8  # the week after midsommar is slow
    if day.month == 7:
        return 0.15  # semester
    if day.month == 8:
        return 0.5 if day.day < 11 else 1.0  # back from the holidays
    if day.month == 9:
        if day.day == 30:
            return 0.4  # late work on the rehearsal's morning
        if day.day == 29:
            return 3.0  # the last day of step 1
        return 1.4 if day.day < 15 else 2.2  # the rush towards the deadline
    return 0.3


class Calendar:
    """The workdays from ``first`` up to and including ``last``, each with its pace."""

    def __init__(self, first: dt.date, last: dt.date) -> None:
        span = (last - first).days + 1
        self.days: tuple[dt.date, ...] = tuple(
            d for k in range(span) if is_workday(d := first + dt.timedelta(days=k))
        )
        self._cum = tuple(itertools.accumulate(pace(d) for d in self.days))
        self._index = {d: k for k, d in enumerate(self.days)}

    def draw(self, rng: random.Random, k: int) -> list[dt.date]:
        """``k`` workdays drawn at the calendar's pace."""
        return rng.choices(self.days, cum_weights=self._cum, k=k)

    def later(self, day: dt.date, workdays: int) -> dt.date | None:
        """The workday ``workdays`` after ``day`` (a workday), None past the calendar."""
        k = self._index[day] + workdays
        return self.days[k] if k < len(self.days) else None


def office_time(rng: random.Random, day: dt.date) -> dt.datetime:
    """A moment in office hours on ``day``, when a sitting of work starts."""
    hour = rng.choices(_HOURS, cum_weights=_HOUR_CUM)[0]
    minute = rng.randrange(30, 60) if hour == 7 else rng.randrange(0, 60)
    return dt.datetime(day.year, day.month, day.day, hour, minute)


def minutes(rng: random.Random, lo: int, hi: int) -> dt.timedelta:
    return dt.timedelta(minutes=rng.randint(lo, hi))


def stamp(when: dt.datetime) -> str:
    """An event's ``recorded_at``: local time to the minute, as the workstation writes it."""
    return when.isoformat(timespec="minutes")


def spread(rng: random.Random, start: dt.datetime, n: int, gap: Sequence[int]) -> list[dt.datetime]:
    """``n`` moments from ``start``, each ``gap`` (lo, hi) minutes after the previous one."""
    out = [start]
    for _ in range(n - 1):
        out.append(out[-1] + minutes(rng, gap[0], gap[1]))
    return out
