"""What the store's queries return: typed rows for screens, commands and statistics.

Kept apart from ``lcsp_tui.store`` so that screens can name these types without importing
the store (they never touch it: they call the workstation). Each is a frozen value
(``domain.frozen.Frozen``: a plain class with ``__slots__``, not a dataclass, so that a
command or the TUI does not import ``dataclasses`` to read a worklist; issue 14).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from lcsp_tui.domain.frozen import Frozen, setfield

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


class WorkRow(Frozen):
    """One subject on a role's worklist at a unit."""

    __slots__ = (
        "subject",
        "kind",
        "step",
        "done",
        "total",
        "due",
        "overdue",
        "waiting",
        "unacknowledged",
        "title",
        "flagged",
        "target",
        "opens",
        "personnummer",
        "own_unacknowledged",
    )
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
    flagged: bool  # utskrivningsklar moved past the cut-off: may need to move
    target: bool  # the due time is a target (mål), not a deadline
    opens: dt.datetime | None  # nothing on the row can be done before then
    personnummer: str  # twelve digits at the patient's own units (for the filter), else ""
    own_unacknowledged: int  # of ``unacknowledged``, those this row's unit owes

    def __init__(
        self,
        subject: str,
        kind: str,
        step: str,
        done: int,
        total: int,
        due: dt.datetime | None,
        overdue: bool,
        waiting: bool,
        unacknowledged: int,
        title: str,
        flagged: bool = False,
        target: bool = False,
        opens: dt.datetime | None = None,
        personnummer: str = "",
        own_unacknowledged: int = 0,
    ) -> None:
        setfield(self, "subject", subject)
        setfield(self, "kind", kind)
        setfield(self, "step", step)
        setfield(self, "done", done)
        setfield(self, "total", total)
        setfield(self, "due", due)
        setfield(self, "overdue", overdue)
        setfield(self, "waiting", waiting)
        setfield(self, "unacknowledged", unacknowledged)
        setfield(self, "title", title)
        setfield(self, "flagged", flagged)
        setfield(self, "target", target)
        setfield(self, "opens", opens)
        setfield(self, "personnummer", personnummer)
        setfield(self, "own_unacknowledged", own_unacknowledged)

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


class ItemRow(Frozen):
    """One item of a subject's checklist, as read at a moment."""

    __slots__ = (
        "item",
        "done",
        "applies",
        "reason",
        "waiting",
        "locked",
        "overdue",
        "note",
        "by",
        "at",
        "due",
        "value",
        "waiting_other_role",
        "target",
        "opens",
    )
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
    value: str | None  # what the item set (a unit id)
    waiting_other_role: bool  # it waits for another role's item
    target: bool  # its due time is a target (mål)
    opens: dt.datetime | None  # it cannot be ticked before then (None: open)

    def __init__(
        self,
        item: ChecklistItem,
        done: bool,
        applies: bool,
        reason: str | None,
        waiting: str | None,
        locked: bool,
        overdue: bool,
        note: str | None,
        by: str | None,
        at: str | None,
        due: dt.datetime | None,
        value: str | None = None,
        waiting_other_role: bool = False,
        target: bool = False,
        opens: dt.datetime | None = None,
    ) -> None:
        setfield(self, "item", item)
        setfield(self, "done", done)
        setfield(self, "applies", applies)
        setfield(self, "reason", reason)
        setfield(self, "waiting", waiting)
        setfield(self, "locked", locked)
        setfield(self, "overdue", overdue)
        setfield(self, "note", note)
        setfield(self, "by", by)
        setfield(self, "at", at)
        setfield(self, "due", due)
        setfield(self, "value", value)
        setfield(self, "waiting_other_role", waiting_other_role)
        setfield(self, "target", target)
        setfield(self, "opens", opens)

    @property
    def open(self) -> bool:
        return self.applies and not self.done

    @property
    def missed(self) -> bool:
        """An open Prator-action item that can no longer be done."""
        return self.open and self.locked


class Checklist(Frozen):
    """One subject's items for one role (at one unit), with the subject's facts."""

    __slots__ = (
        "subject",
        "kind",
        "role",
        "units",
        "title",
        "items",
        "due",
        "overdue",
        "target",
        "flagged",
        "decision",
        "owing",
        "status",
    )
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

    def __init__(
        self,
        subject: str,
        kind: str,
        role: str,
        units: tuple[str, ...],
        title: str,
        items: tuple[ItemRow, ...],
        due: dt.datetime | None,
        overdue: bool,
        target: bool,
        flagged: bool,
        decision: str | None,
        owing: tuple[str, ...],
        status: str,
    ) -> None:
        setfield(self, "subject", subject)
        setfield(self, "kind", kind)
        setfield(self, "role", role)
        setfield(self, "units", units)
        setfield(self, "title", title)
        setfield(self, "items", items)
        setfield(self, "due", due)
        setfield(self, "overdue", overdue)
        setfield(self, "target", target)
        setfield(self, "flagged", flagged)
        setfield(self, "decision", decision)
        setfield(self, "owing", owing)
        setfield(self, "status", status)

    @property
    def done(self) -> int:
        return sum(1 for i in self.items if i.applies and i.done)

    @property
    def total(self) -> int:
        return sum(1 for i in self.items if i.applies)


class MessageRow(Frozen):
    __slots__ = (
        "message_id",
        "admission_id",
        "type",
        "recipient_unit",
        "sent",
        "acknowledged",
        "title",
    )
    message_id: str
    admission_id: str
    type: str
    recipient_unit: str
    sent: str
    acknowledged: bool
    title: str  # the admission's patient as the recipient unit may see it

    def __init__(
        self,
        message_id: str,
        admission_id: str,
        type: str,
        recipient_unit: str,
        sent: str,
        acknowledged: bool,
        title: str = "",
    ) -> None:
        setfield(self, "message_id", message_id)
        setfield(self, "admission_id", admission_id)
        setfield(self, "type", type)
        setfield(self, "recipient_unit", recipient_unit)
        setfield(self, "sent", sent)
        setfield(self, "acknowledged", acknowledged)
        setfield(self, "title", title)


class UnitRow(Frozen):
    __slots__ = ("unit_id", "name", "type", "municipality")
    unit_id: str
    name: str
    type: str
    municipality: str | None

    def __init__(self, unit_id: str, name: str, type: str, municipality: str | None) -> None:
        setfield(self, "unit_id", unit_id)
        setfield(self, "name", name)
        setfield(self, "type", type)
        setfield(self, "municipality", municipality)


class Selector(Frozen):
    """A figure of the dashboard: progress narrowed by step, role, unit, municipality, and
    what to show (all, open, overdue, missed, done), or one of the counted tables."""

    __slots__ = ("figure", "step", "role", "unit", "municipality", "org", "only")
    figure: str  # progress | flagged | undecided | unacknowledged | sips
    step: str | None
    role: str | None
    unit: str | None  # None: any; WITHOUT_UNIT: on no unit's worklist
    municipality: str | None
    org: str | None  # sips: the coordinating organisation
    only: str  # progress: all | open | overdue | missed | done

    def __init__(
        self,
        figure: str,
        step: str | None = None,
        role: str | None = None,
        unit: str | None = None,
        municipality: str | None = None,
        org: str | None = None,
        only: str = "all",
    ) -> None:
        setfield(self, "figure", figure)
        setfield(self, "step", step)
        setfield(self, "role", role)
        setfield(self, "unit", unit)
        setfield(self, "municipality", municipality)
        setfield(self, "org", org)
        setfield(self, "only", only)


WITHOUT_UNIT = ""  # Selector.unit for "on no unit's worklist"


class DrillRow(Frozen, uncompared=("units",)):
    """One subject behind a figure, with its share of it."""

    __slots__ = (
        "subject",
        "kind",
        "title",
        "unit",
        "municipality",
        "done",
        "total",
        "overdue",
        "missed",
        "note",
        "units",
    )
    subject: str
    kind: str  # patient | admission | sip
    title: str
    unit: str | None
    municipality: str
    done: int
    total: int
    overdue: int
    missed: int
    note: str
    units: tuple[str, ...]

    def __init__(
        self,
        subject: str,
        kind: str,
        title: str,
        unit: str | None,
        municipality: str,
        done: int = 0,
        total: int = 0,
        overdue: int = 0,
        missed: int = 0,
        note: str = "",
        units: tuple[str, ...] = (),
    ) -> None:
        setfield(self, "subject", subject)
        setfield(self, "kind", kind)
        setfield(self, "title", title)
        setfield(self, "unit", unit)
        setfield(self, "municipality", municipality)
        setfield(self, "done", done)
        setfield(self, "total", total)
        setfield(self, "overdue", overdue)
        setfield(self, "missed", missed)
        setfield(self, "note", note)
        setfield(self, "units", units)

    @property
    def open(self) -> int:
        return self.total - self.done


class HelpRequest(Frozen):
    """A kvittering help request as the support desk sees it."""

    __slots__ = (
        "request_id",
        "units",
        "name",
        "lookup_key",
        "birth_year",
        "need",
        "status",
        "note",
        "acks",
        "requested_by",
        "requested_at",
        "updated_by",
        "updated_at",
        "pending",
    )
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
    pending: bool  # recorded here, not yet confirmed by the ledger

    def __init__(
        self,
        request_id: str,
        units: tuple[str, ...],
        name: str,
        lookup_key: str,
        birth_year: int,
        need: str,
        status: str,
        note: str | None,
        acks: int,
        requested_by: str,
        requested_at: str,
        updated_by: str,
        updated_at: str,
        pending: bool = False,
    ) -> None:
        setfield(self, "request_id", request_id)
        setfield(self, "units", units)
        setfield(self, "name", name)
        setfield(self, "lookup_key", lookup_key)
        setfield(self, "birth_year", birth_year)
        setfield(self, "need", need)
        setfield(self, "status", status)
        setfield(self, "note", note)
        setfield(self, "acks", acks)
        setfield(self, "requested_by", requested_by)
        setfield(self, "requested_at", requested_at)
        setfield(self, "updated_by", updated_by)
        setfield(self, "updated_at", updated_at)
        setfield(self, "pending", pending)

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
