"""Loading the region's data files (``data/*.toml``): checklists, timeline, municipalities.

The files are validated once when loaded; a broken file is reported as one line naming the
file and what is wrong (``RegionDataError``).
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import tomllib
from collections.abc import Mapping
from functools import cache, cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from lcsp_tui.domain import fold_text as fold_text  # re-exported: its home moved
from lcsp_tui.domain.roles import ROLES

# The shipped data files (the top-level ``data`` package), found without importing it.
DATA_DIR = Path(str(importlib.resources.files("data")))

STEPS = ("1", "2", "3", "4", "5A", "5B", "6", "7")
SubjectKind = Literal["patient", "admission", "sip"]


class RegionDataError(Exception):
    """A data file is missing or invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ChecklistItem(_Strict):
    id: str
    step: str
    subject: SubjectKind
    roles: tuple[str, ...]
    label: str
    prator_action: bool = False
    applies: tuple[str, ...] = ()
    waits_for: tuple[str, ...] = ()
    closes: bool = False
    acknowledges: bool = False  # an LCSP kvittering: owed until done, gates the closing
    value: str | None = None  # the unit type of the unit the item sets (tick --value)
    phase: str | None = None  # the timeline phase whose window it has, if not its step's

    @field_validator("applies", mode="before")
    @classmethod
    def _one_or_many(cls, v: object) -> object:
        return (v,) if isinstance(v, str) else v

    @field_validator("step")
    @classmethod
    def _known_step(cls, v: str) -> str:
        if v not in STEPS:
            raise ValueError(f"okänt steg {v!r}")
        return v

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for r in v:
            if r not in ROLES:
                raise ValueError(f"okänd roll {r!r}")
        return v


class Reminder(_Strict):
    step: str
    text: str


class KvitteringHelp(_Strict):
    """Where to get help with a kvittering (the seed's two channels)."""

    region: str
    municipalities: str


class Checklists(_Strict):
    conditions: dict[str, str]
    item: tuple[ChecklistItem, ...]
    reminder: tuple[Reminder, ...] = ()
    kvittering_help: KvitteringHelp

    @model_validator(mode="after")
    def _consistent(self) -> Checklists:
        ids = [i.id for i in self.item]
        seen: set[str] = set()
        for i in self.item:
            if i.id in seen:
                raise ValueError(f"punkten {i.id!r} finns två gånger")
            seen.add(i.id)
            for c in i.applies:
                if c not in self.conditions:
                    raise ValueError(f"punkten {i.id}: okänt villkor {c!r}")
            for w in i.waits_for:
                if w not in ids:
                    raise ValueError(f"punkten {i.id}: väntar på en okänd punkt {w!r}")
        return self

    @cached_property
    def by_id(self) -> dict[str, ChecklistItem]:
        return {i.id: i for i in self.item}

    def for_role(self, role: str, subject: SubjectKind | None = None) -> list[ChecklistItem]:
        key = (role, subject)
        if key not in self._role_items:
            self._role_items[key] = tuple(
                i
                for i in self.item
                if role in i.roles and (subject is None or i.subject == subject)
            )
        return list(self._role_items[key])

    @cached_property
    def _role_items(self) -> dict[tuple[str, str | None], tuple[ChecklistItem, ...]]:
        return {}

    def reminders(self, steps: tuple[str, ...]) -> list[str]:
        return [r.text for r in self.reminder if r.step in steps]


class Phase(_Strict):
    id: str
    opens: dt.datetime
    due: dt.datetime | None = None
    target: bool = False  # the seed gives no end: ``due`` is a target (mål), never overdue
    when: str
    label: str
    roles: tuple[str, ...] = ()
    step: str | None = None
    steps: tuple[str, ...] = ()

    @property
    def all_steps(self) -> tuple[str, ...]:
        return ((self.step,) if self.step else ()) + self.steps


class Milestones(_Strict):
    discharge_ready_cutoff: dt.date
    prator_read_only: dt.datetime
    archiving: dt.datetime


class Timeline(_Strict):
    year: int
    milestones: Milestones
    phase: tuple[Phase, ...]

    @cached_property
    def _windows(self) -> dict[str, Phase]:
        out: dict[str, Phase] = {}
        for p in self.phase:
            for step in p.all_steps:
                out.setdefault(step, p)
        return out

    def window(self, step: str) -> Phase:
        """The phase that holds ``step`` (its opens/due)."""
        return self._windows[step]

    def phase_by_id(self, phase_id: str) -> Phase:
        return next(p for p in self.phase if p.id == phase_id)

    def current_phases(self, now: dt.datetime) -> list[Phase]:
        """Phases under way at ``now``, the steps first; milestone phases (no due) last until
        the next phase."""
        out = []
        ordered = sorted(self.phase, key=lambda p: p.opens)
        for idx, p in enumerate(ordered):
            if p.opens > now:
                continue
            if p.due is not None:
                if now < p.due:
                    out.append(p)
            else:
                nxt = next((q.opens for q in ordered[idx + 1 :] if q.opens > p.opens), None)
                if nxt is None or now < nxt:
                    out.append(p)
        return sorted(out, key=lambda p: not p.all_steps)  # stable: time order within


class Municipality(_Strict):
    name: str
    aliases: tuple[str, ...] = ()
    short: str | None = None
    private_provider_step1: bool = True


class Municipalities(_Strict):
    municipality: tuple[Municipality, ...]

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.municipality]

    def resolve(self, text: str) -> str | None:
        """The canonical name for ``text`` (name or alias, case-insensitive), or None."""
        key = fold_text(text)
        for m in self.municipality:
            if key in {fold_text(n) for n in (m.name, *m.aliases)}:
                return m.name
        return None

    def get(self, name: str) -> Municipality:
        for m in self.municipality:
            if m.name == name:
                return m
        raise KeyError(name)


def _load(path: Path, model: type[BaseModel]) -> BaseModel:
    try:
        with path.open("rb") as f:
            raw = tomllib.load(f)
        return model.model_validate(raw)
    except FileNotFoundError:
        raise RegionDataError(f"{path}: filen saknas") from None
    except tomllib.TOMLDecodeError as e:
        raise RegionDataError(f"{path}: ogiltig TOML: {e}") from None
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        where = f"{loc}: " if loc else ""  # a whole-file check has no place
        raise RegionDataError(
            f"{path}: {where}{_swedish(first['type'], first['msg'], first.get('ctx'))}"
        ) from None


# Pydantic's messages for the mistakes a hand-edited file most often has, in Swedish.
_PYDANTIC_SV = {
    "missing": "saknas",
    "extra_forbidden": "okänt fält",
    "string_type": "ska vara en text",
    "bool_type": "ska vara true eller false",
    "bool_parsing": "ska vara true eller false",
    "date_type": "ska vara ett datum, t.ex. 2025-10-16",
    "date_parsing": "ska vara ett datum, t.ex. 2025-10-16",
    "datetime_type": "ska vara en tidpunkt, t.ex. 2025-10-16T08:00:00",
    "datetime_parsing": "ska vara en tidpunkt, t.ex. 2025-10-16T08:00:00",
    "datetime_from_date_parsing": "ska vara en tidpunkt, t.ex. 2025-10-16T08:00:00",
    "int_type": "ska vara ett heltal",
    "tuple_type": "ska vara en lista",
    "dict_type": "ska vara en tabell",
}


def _swedish(kind: str, msg: str, ctx: Mapping[str, object] | None) -> str:
    """One pydantic error in Swedish: our own validators' text without "Value error, ",
    the common kinds translated, any other kind as pydantic words it."""
    if kind == "value_error" and ctx and "error" in ctx:
        return str(ctx["error"])
    return _PYDANTIC_SV.get(kind, msg)


class RegionData(BaseModel):
    model_config = ConfigDict(frozen=True)
    checklists: Checklists
    timeline: Timeline
    municipalities: Municipalities


@cache
def load_region(data_dir: Path = DATA_DIR) -> RegionData:
    """Load and validate the region's data files (cached per directory)."""
    return RegionData(
        checklists=_load(data_dir / "checklists.toml", Checklists),
        timeline=_load(data_dir / "timeline.toml", Timeline),
        municipalities=_load(data_dir / "municipalities.toml", Municipalities),
    )
