"""The demo's fictitious staff: who works in which role at which unit.

Names are drawn from the demo's pools of common first names and surnames (never a list of
real people) and become user names such as ``anna.berglund``; a name that is taken gets a
number (``anna.berglund2``), as a directory would do.
"""

from __future__ import annotations

from dataclasses import dataclass

from lcsp_tui.demo.common import _rng
from lcsp_tui.demo.names import _FEMALE, _MALE, _SURNAME_POOL

_LOGIN = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", " ": "-"})


def login(first: str, last: str) -> str:
    """The user name of a person: ``first.last`` in lower-case ASCII."""
    return f"{first}.{last}".lower().translate(_LOGIN)


@dataclass(frozen=True, slots=True)
class Worker:
    user: str
    role: str
    unit: str


class Staff:
    """Everyone who works on the cutover in the demo, made on first need. The same calls in
    the same order give the same people for the same seed."""

    def __init__(self, seed: int) -> None:
        self._rng = _rng(seed, "staff")
        self._taken: set[str] = set()
        self._teams: dict[tuple[str, str], list[Worker]] = {}

    def team(self, role: str, unit: str, size: int) -> list[Worker]:
        """The ``size`` people working as ``role`` at ``unit`` (the first call decides)."""
        key = (role, unit)
        if key not in self._teams:
            self._teams[key] = [Worker(self._new_user(), role, unit) for _ in range(size)]
        return self._teams[key]

    def _new_user(self) -> str:
        rng = self._rng
        # Care and municipal administration: most staff are women.
        first = rng.choice(_FEMALE if rng.random() < 0.8 else _MALE)
        base = login(first, rng.choice(_SURNAME_POOL))
        user, n = base, 1
        while user in self._taken:
            n += 1
            user = f"{base}{n}"
        self._taken.add(user)
        return user
