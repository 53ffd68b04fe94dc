"""Where the cutover stands at a moment: phases done / under way / coming, countdowns to the
milestones, and what each role must do (SPEC §3). Pure: "now" is always given, so a
rehearsal's simulated day works the same as the real clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lcsp_tui.domain.regiondata import Phase, Timeline
from lcsp_tui.domain.roles import ROLES
from lcsp_tui.domain.when import WEEKDAYS, day_text

__all__ = ["WEEKDAYS", "day_text"]


@dataclass(frozen=True)
class Countdown:
    label: str  # Swedish, e.g. "Prator läsläge"
    at: dt.datetime
    now: dt.datetime

    @property
    def passed(self) -> bool:
        return self.now >= self.at

    @property
    def days(self) -> int:
        """Whole calendar days from today to the day (negative once passed)."""
        return (self.at.date() - self.now.date()).days

    def text(self) -> str:
        """``om 16 dagar (tor 16/10)``, ``i morgon``, ``i dag``, ``sedan 3 dagar``."""
        d = self.days
        when = day_text(self.at)
        if self.passed:
            if d == 0:
                return f"i dag ({when}) – har börjat"
            return f"sedan {-d} {'dag' if d == -1 else 'dagar'} ({when})"
        if d == 0:
            hours = max(1, round((self.at - self.now).total_seconds() / 3600))
            return f"i dag ({when}), om {hours} tim"
        if d == 1:
            return f"i morgon ({when})"
        return f"om {d} dagar ({when})"

    def as_json(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(timespec="minutes"),
            "days": self.days,
            "passed": self.passed,
        }


def countdowns(now: dt.datetime, timeline: Timeline) -> tuple[Countdown, Countdown]:
    """To Prator becoming read-only and to archiving."""
    ms = timeline.milestones
    return (
        Countdown("Prator i läsläge", ms.prator_read_only, now),
        Countdown("Arkivering börjar", ms.archiving, now),
    )


def phase_state(phase: Phase, now: dt.datetime, timeline: Timeline) -> str:
    """``done`` | ``now`` | ``coming``."""
    if any(p.id == phase.id for p in timeline.current_phases(now)):
        return "now"
    return "coming" if phase.opens > now else "done"


@dataclass(frozen=True)
class RoleToday:
    role: str
    name: str
    state: str  # now | coming | late | done | none
    text: str  # Swedish: what the timeline asks of the role now


def role_today(role: str, now: dt.datetime, timeline: Timeline) -> RoleToday:
    """What the timeline asks of one role at ``now``."""
    r = ROLES[role]
    mine = sorted(
        (p for p in timeline.phase if set(p.all_steps) & set(r.steps)), key=lambda p: p.opens
    )

    def steps(p: Phase) -> str:
        return "–".join(s for s in p.all_steps if s in r.steps)

    current = [p for p in mine if p.opens <= now and (p.due is None or now < p.due)]
    if current:
        text = ", ".join(
            f"steg {steps(p)} pågår"
            + (
                f", {'mål' if p.target else 'senast'} {day_text(p.due, end_of_day=True)}"
                if p.due
                else ""
            )
            for p in current
        )
        return RoleToday(role, r.name, "now", text)
    coming = [p for p in mine if p.opens > now]
    if coming:
        p = coming[0]
        return RoleToday(role, r.name, "coming", f"steg {steps(p)} börjar {day_text(p.opens)}")
    if mine and all(p.target for p in mine):
        return RoleToday(role, r.name, "late", "målen har passerat: gör klart det som återstår")
    if mine:
        return RoleToday(
            role, r.name, "late", "stegen skulle vara klara: det som återstår är försenat"
        )
    return RoleToday(role, r.name, "none", "")


def roles_today(now: dt.datetime, timeline: Timeline) -> list[RoleToday]:
    """Every role with checklist steps, in the order of SPEC §2."""
    return [role_today(r, now, timeline) for r, role in ROLES.items() if role.steps]


def status_json(now: dt.datetime, timeline: Timeline) -> dict[str, object]:
    ro, arch = countdowns(now, timeline)
    return {
        "now": now.isoformat(timespec="minutes"),
        "current_phases": [
            {"id": p.id, "label": p.label, "when": p.when} for p in timeline.current_phases(now)
        ],
        "prator_read_only": ro.as_json(),
        "archiving": arch.as_json(),
    }
