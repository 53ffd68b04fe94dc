"""Burndown: open checklist items at the end of each day, against the plan.

Open at the end of day *d* = the items open now (exactly the progress figures) plus every
counted item done now whose latest tick came after *d* (``Queries.ticks_by_day``: the read
model's ``done_at``, the effective "now" of the workstation that ticked, so a rehearsal's
simulated days work). A tick recorded after "today" counts today. An item ticked, undone
and ticked again counts from the last tick; one undone stays open. Only items that count
now count in the past: a subject that has left every list (a closed SIP) is not in the
series at all.

The plan: each step's items burn down linearly over its window in the timeline (opens →
due); remaining planned work at a moment is the sum over steps.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from lcsp_tui.domain.regiondata import RegionData, Timeline
from lcsp_tui.stats.progress import Progress

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Burndown:
    days: tuple[dt.date, ...]  # every day of the series, first to last
    remaining: tuple[int | None, ...]  # open items at the end of the day (None: future)
    planned: tuple[int, ...]  # the plan's open items at the end of the day
    done: tuple[int, ...]  # items done (latest tick) on the day
    today: dt.date
    total: int  # items that apply now

    def at(self, day: dt.date) -> tuple[int | None, int]:
        """(remaining, planned) at the end of ``day``."""
        k = self.days.index(day)
        return self.remaining[k], self.planned[k]

    def pace(self, days: int = 7) -> float:
        """Items done per day over the last ``days`` days up to today."""
        k = self.days.index(self.today)
        window = self.done[max(0, k - days + 1) : k + 1]
        return sum(window) / days

    def projected_end(self, days: int = 7) -> dt.date | None:
        """At the pace of the last ``days`` days, the day the last item would be done."""
        k = self.days.index(self.today)
        left = self.remaining[k] or 0
        if left == 0:
            return self.today
        pace = self.pace(days)
        if pace <= 0:
            return None
        return self.today + dt.timedelta(days=-(-left // pace))

    def as_json(self) -> dict[str, object]:
        return {
            "today": self.today.isoformat(),
            "total": self.total,
            "days": [
                {
                    "day": d.isoformat(),
                    "remaining": r,
                    "planned": p,
                    "done": n,
                }
                for d, r, p, n in zip(
                    self.days, self.remaining, self.planned, self.done, strict=True
                )
            ],
        }


def planned_remaining(step_totals: Mapping[str, int], timeline: Timeline, when: dt.datetime) -> int:
    """The plan's open items at ``when``: each step burns linearly over its window."""
    left = 0.0
    for step, total in step_totals.items():
        try:
            w = timeline.window(step)
        except KeyError:
            left += total
            continue
        due = w.due or w.opens
        if when <= w.opens:
            left += total
        elif when < due:
            left += total * (due - when) / (due - w.opens)
    return round(left)


def compute_burndown(
    region: RegionData,
    now: dt.datetime,
    progress: Progress,
    per_day: Counter[str],
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Burndown:
    """The series from the first tick (or the plan's start) to the read-only day.

    ``start``/``end`` narrow or widen it; today is always inside.
    """
    timeline = region.timeline
    today = now.date()
    known = sorted(dt.date.fromisoformat(d) for d in per_day if d)
    plan_start = min(
        (timeline.window(s).opens.date() for s in progress.by_step if _has_window(timeline, s)),
        default=today,
    )
    first = min([plan_start, today, *known[:1]])
    last = max(today, (timeline.milestones.prator_read_only - DAY).date())
    first = min(start or first, today)
    last = max(end or last, today)
    days = tuple(first + DAY * k for k in range((last - first).days + 1))
    # Undated ticks count on the first day; ticks after today count today.
    counts: Counter[dt.date] = Counter()
    for day, n in per_day.items():
        counts[min(dt.date.fromisoformat(day) if day else first, today)] += n
    step_totals = {s: t.total for s, t in progress.by_step.items()}
    total = progress.total.total
    # Open at the end of day d = open now + everything ticked after d.
    later = sum(n for d, n in counts.items() if d >= first)
    remaining: list[int | None] = []
    done: list[int] = []
    planned: list[int] = []
    for d in days:
        n = counts.get(d, 0) if d <= today else 0
        later -= n
        done.append(n)
        remaining.append(progress.total.open + later if d <= today else None)
        planned.append(
            planned_remaining(step_totals, timeline, dt.datetime.combine(d + DAY, dt.time()))
        )
    return Burndown(
        days=days,
        remaining=tuple(remaining),
        planned=tuple(planned),
        done=tuple(done),
        today=today,
        total=total,
    )


def _has_window(timeline: Timeline, step: str) -> bool:
    try:
        timeline.window(step)
    except KeyError:
        return False
    return True
