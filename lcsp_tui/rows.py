"""What the store's queries return: typed rows for screens, commands and statistics.

Kept apart from ``lcsp_tui.store`` so that screens can name these types without importing
the store (they never touch it: they call the workstation).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the region's data is loaded only when a checklist needs it
    from lcsp_tui.domain.regiondata import ChecklistItem

PROTECTED_TITLE = "Skyddad identitet"
KIND_TEXT = {"patient": "förregistrering", "admission": "vårdtillfälle", "sip": "SIP"}
CARE_FORM_TEXT = {"somatik": "somatiskt vårdtillfälle", "psykiatri": "psykiatriskt vårdtillfälle"}


def dashed(personnummer: str) -> str:
    """``19420312-1234`` from the stored twelve digits."""
    return f"{personnummer[:8]}-{personnummer[8:]}"


def subject_title(
    kind: str,
    first_name: str,
    last_name: str,
    birth_year: str,
    *,
    care_form: str | None = None,
    protected: bool = False,
    personnummer: str | None = None,
) -> str:
    """What a subject is, as a list shows it: for the patient's own units (the care relation)
    ``19420312-1234 Anna Larsson – somatiskt vårdtillfälle``; for everyone else
    ``A. Larsson (1942) – somatiskt vårdtillfälle``, or no name at all when the identity is
    protected."""
    if personnummer:
        who = f"{dashed(personnummer)} {first_name} {last_name}"
    elif protected:
        who = PROTECTED_TITLE
    else:
        who = f"{first_name[:1]}. {last_name} ({birth_year})"
    what = CARE_FORM_TEXT.get(care_form or "", KIND_TEXT[kind])
    return f"{who} – {what}"


@dataclass(frozen=True)
class WorkRow:
    """One subject on a role's worklist at a unit."""

    subject: str
    kind: str
    step: str
    done: int
    total: int
    due: dt.datetime | None
    overdue: bool
    waiting: bool
    unacknowledged: int  # the admission's messages that units (this one or others) still owe
    title: str  # what the subject is, as the unit may see it (rows.subject_title)
    flagged: bool = False  # utskrivningsklar moved past the cut-off: may need to move
    target: bool = False  # the due time is a target (mål), not a deadline
    opens: dt.datetime | None = None  # nothing on the row can be done before then
    personnummer: str = ""  # twelve digits at the patient's own units (for the filter), else ""
    own_unacknowledged: int = 0  # of ``unacknowledged``, those this row's unit owes

    def as_json(self) -> dict[str, object]:
        return {
            "subject": self.subject,
            "kind": self.kind,
            "step": self.step,
            "done": self.done,
            "total": self.total,
            "due": self.due.isoformat(timespec="minutes") if self.due else None,
            "overdue": self.overdue,
        }


@dataclass(frozen=True)
class ItemRow:
    """One item of a subject's checklist, as read at a moment."""

    item: ChecklistItem
    done: bool
    applies: bool
    reason: str | None  # why it does not apply
    waiting: str | None  # the other role's item it waits for
    locked: bool  # a Prator action after the read-only date
    overdue: bool
    note: str | None
    by: str | None
    at: str | None
    due: dt.datetime | None
    value: str | None = None  # what the item set (a unit id)
    waiting_other_role: bool = False  # it waits for another role's item
    target: bool = False  # its due time is a target (mål)
    opens: dt.datetime | None = None  # it cannot be ticked before then (None: open)

    @property
    def open(self) -> bool:
        return self.applies and not self.done

    @property
    def missed(self) -> bool:
        """An open Prator-action item that can no longer be done."""
        return self.open and self.locked


@dataclass(frozen=True)
class Checklist:
    """One subject's items for one role (at one unit), with the subject's facts."""

    subject: str
    kind: str
    role: str
    units: tuple[str, ...]  # the units whose list holds it for the role ('' = none)
    title: str
    items: tuple[ItemRow, ...]
    due: dt.datetime | None
    overdue: bool
    target: bool
    flagged: bool
    decision: str | None  # a SIP's decision: aktuell | ej_aktuell | None
    owing: tuple[str, ...]  # units that still owe a kvittering of the admission
    status: str  # the subject's status words (as the lookup says them)

    @property
    def done(self) -> int:
        return sum(1 for i in self.items if i.applies and i.done)

    @property
    def total(self) -> int:
        return sum(1 for i in self.items if i.applies)


@dataclass(frozen=True)
class MessageRow:
    message_id: str
    admission_id: str
    type: str
    recipient_unit: str
    sent: str
    acknowledged: bool
    title: str = ""  # the admission's patient as the recipient unit may see it


@dataclass(frozen=True)
class UnitRow:
    unit_id: str
    name: str
    type: str
    municipality: str | None


@dataclass(frozen=True)
class Selector:
    """A figure of the dashboard: progress narrowed by step, role, unit, municipality, and
    what to show (all, open, overdue, missed, done), or one of the counted tables."""

    figure: str  # progress | flagged | undecided | unacknowledged | sips
    step: str | None = None
    role: str | None = None
    unit: str | None = None  # None: any; WITHOUT_UNIT: on no unit's worklist
    municipality: str | None = None
    org: str | None = None  # sips: the coordinating organisation
    only: str = "all"  # progress: all | open | overdue | missed | done


WITHOUT_UNIT = ""  # Selector.unit for "on no unit's worklist"


@dataclass(frozen=True)
class DrillRow:
    """One subject behind a figure, with its share of it."""

    subject: str
    kind: str  # patient | admission | sip
    title: str
    unit: str | None
    municipality: str
    done: int = 0
    total: int = 0
    overdue: int = 0
    missed: int = 0
    note: str = ""
    units: tuple[str, ...] = field(default=(), compare=False)

    @property
    def open(self) -> int:
        return self.total - self.done


@dataclass(frozen=True)
class HelpRequest:
    """A kvittering help request as the support desk sees it."""

    request_id: str
    units: tuple[str, ...]
    name: str  # "A. Larsson": initial and surname, never a whole first name
    lookup_key: str
    birth_year: int
    need: str
    status: str  # ny | pagar | lost
    note: str | None
    acks: int
    requested_by: str
    requested_at: str
    updated_by: str
    updated_at: str
    pending: bool = False  # recorded here, not yet confirmed by the ledger

    @property
    def open(self) -> bool:
        return self.status != "lost"

    def age(self, now: dt.datetime) -> dt.timedelta:
        try:
            since = dt.datetime.fromisoformat(self.requested_at)
        except ValueError:
            return dt.timedelta(0)
        return max(now - since, dt.timedelta(0))

    def as_json(self, now: dt.datetime) -> dict[str, object]:
        return {
            "id": self.request_id,
            "status": self.status,
            "units": list(self.units),
            "name": self.name,
            "birth_year": self.birth_year,
            "need": self.need,
            "note": self.note,
            "acks": self.acks,
            "requested_by": self.requested_by,
            "requested_at": self.requested_at,
            "age_minutes": int(self.age(now).total_seconds() // 60),
            "updated_by": self.updated_by,
            "updated_at": self.updated_at,
            "synced": not self.pending,
        }
