"""The support desk's kvittering help requests (SPEC §5).

A caller gives the unit(s), the patient as initial + surname and the birth year — never the
personnummer — and what is needed. Support records the request, works it, acknowledges
messages on the unit's behalf where the process allows it (a ``message.acked`` by
``support`` with ``on_behalf_of`` and the request id) and resolves it.

Requests travel as ``help.*`` events; the fold keeps them in ``help_requests``. What a user
sees is that table with the pending outbox replayed on top, like every other view.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace

from lcsp_tui.domain import models as m
from lcsp_tui.domain.lookup import LookupRefused, parse_query
from lcsp_tui.domain.rules import Refusal
from lcsp_tui.privacy import refuse_personnummer
from lcsp_tui.workstation import UsageError, Workstation

STATUS_LABELS = {"ny": "ny", "pagar": "pågår", "lost": "löst"}
PROTECTED_REFUSAL = (
    "Skyddad identitet – kontakta enheten. Inget hjälpärende registreras för patienten."
)
NEED_MAX = 300


@dataclass(frozen=True)
class HelpRequest:
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


def fmt_age(age: dt.timedelta) -> str:
    """``5 min``, ``3 h``, ``2 d 4 h`` (at most 9 characters)."""
    minutes = int(age.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 24:
        return f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def display_name(name: str) -> str:
    """``"a. larsson"`` -> ``"A. Larsson"``; a whole first name keeps only its initial."""
    parts = name.replace(".", " ").split()
    surname = parts[1:]
    if all(p.islower() for p in surname):
        surname = [p[:1].upper() + p[1:] for p in surname]
    return f"{parts[0][:1].upper()}. {' '.join(surname)}"


# ------------------------------------------------------------------ reading


def _from_row(r: tuple[object, ...]) -> HelpRequest:
    return HelpRequest(
        request_id=str(r[0]),
        units=tuple(u for u in str(r[1]).split(",") if u),
        name=str(r[2]),
        lookup_key=str(r[3]),
        birth_year=int(r[4]),  # type: ignore[call-overload]
        need=str(r[5]),
        status=str(r[6]),
        note=None if r[7] is None else str(r[7]),
        acks=int(r[8]),  # type: ignore[call-overload]
        requested_by=str(r[9] or ""),
        requested_at=str(r[10] or ""),
        updated_by=str(r[11] or ""),
        updated_at=str(r[12] or ""),
    )


_COLUMNS = (
    "request_id, units, name, lookup_key, birth_year, need, status, note, acks, "
    "requested_by, requested_at, updated_by, updated_at"
)


def requests(ws: Workstation, *, include_resolved: bool = False) -> list[HelpRequest]:
    """Help requests (open ones unless asked), oldest first; local work replayed on top."""
    by_id = {
        str(r[0]): _from_row(r)
        for r in ws.store.conn.execute(f"SELECT {_COLUMNS} FROM help_requests")
    }
    confirmed_acks: set[str] = set()
    outbox = ws.store.outbox()
    for e in outbox:
        p = e.payload
        rid = str(p.get("request_id", ""))
        if e.kind == m.HELP_REQUESTED and rid not in by_id:
            by_id[rid] = HelpRequest(
                request_id=rid,
                units=tuple(p.get("units") or ()),
                name=str(p.get("name", "")),
                lookup_key=str(p.get("lookup_key", "")),
                birth_year=int(p.get("birth_year") or 0),
                need=str(p.get("need", "")),
                status="ny",
                note=None,
                acks=0,
                requested_by=e.actor,
                requested_at=e.recorded_at,
                updated_by=e.actor,
                updated_at=e.recorded_at,
                pending=True,
            )
        elif e.kind in (m.HELP_UPDATED, m.HELP_RESOLVED) and rid in by_id:
            status = "lost" if e.kind == m.HELP_RESOLVED else str(p.get("status", "pagar"))
            old = by_id[rid]
            by_id[rid] = replace(
                old,
                status=status,
                note=p.get("note") or old.note,
                updated_by=e.actor,
                updated_at=e.recorded_at,
                pending=True,
            )
        elif e.kind == m.MESSAGE_ACKED and p.get("help_request") in by_id:
            mid = str(p["message_id"])
            if mid in confirmed_acks:
                continue
            row = ws.store.conn.execute(
                "SELECT acknowledged IS NULL AND acked_seq IS NULL FROM messages "
                "WHERE message_id = ?",
                (mid,),
            ).fetchone()
            if row and row[0]:
                confirmed_acks.add(mid)
                old = by_id[str(p["help_request"])]
                by_id[old.request_id] = replace(old, acks=old.acks + 1, pending=True)
    out = [r for r in by_id.values() if include_resolved or r.open]
    out.sort(key=lambda r: (not r.open, r.requested_at, r.request_id))
    return out


def get(ws: Workstation, request_id: str) -> HelpRequest:
    wanted = request_id.strip().upper()
    for r in requests(ws, include_resolved=True):
        if r.request_id == wanted:
            return r
    raise UsageError(f"unknown help request {request_id!r} (lcsp help-request list --all)")


# ------------------------------------------------------------------ writing


def _require_support(ws: Workstation) -> None:
    if ws.role != "support":
        raise UsageError("help requests are for the support desk: give --role support")


def _new_id(ws: Workstation) -> str:
    known = {r.request_id for r in requests(ws, include_resolved=True)}
    while True:
        rid = f"H-{secrets.token_hex(4).upper()}"
        if rid not in known:
            return rid


def record(
    ws: Workstation, units: Sequence[str], name: str, birth_year: str, need: str
) -> HelpRequest:
    """Record a kvittering help request; refused (nothing kept) on a personnummer."""
    _require_support(ws)
    try:
        refuse_personnummer(need, *units)
        query = parse_query(name, birth_year)
    except (LookupRefused, Refusal) as e:
        ws.audit_read(None, "hjälpärende", outcome="nekad")  # what was typed is never kept
        raise UsageError(str(e)) from None
    need = " ".join(need.split())
    if not need:
        raise UsageError("say what is needed (e.g. kvittera inskrivningsmeddelandet)")
    if len(need) > NEED_MAX:
        raise UsageError(f"what is needed: at most {NEED_MAX} characters")
    unit_ids = list(dict.fromkeys(u.strip() for u in units if u.strip()))
    if not unit_ids:
        raise UsageError("give the unit(s) that need help (--unit)")
    view = ws.view()
    for u in unit_ids:
        if not view.unit_exists(u):
            raise UsageError(f"unknown unit {u!r}")
    flags = [
        bool(r[0])
        for r in ws.store.conn.execute(
            "SELECT protected_identity FROM patients WHERE lookup_key = ?", (query.key,)
        )
    ]
    if flags and all(flags):
        ws.audit_read(None, "hjälpärende", outcome="nekad: skyddad identitet")
        raise UsageError(PROTECTED_REFUSAL)
    rid = _new_id(ws)
    ws._record(
        m.HELP_REQUESTED,
        {
            "request_id": rid,
            "units": unit_ids,
            "name": display_name(name),
            "lookup_key": query.key,
            "birth_year": query.birth_year,
            "need": need,
        },
    )
    return get(ws, rid)


def _open_request(ws: Workstation, request_id: str) -> HelpRequest:
    _require_support(ws)
    req = get(ws, request_id)
    if not req.open:
        raise UsageError(f"help request {req.request_id} is already resolved")
    return req


def work(ws: Workstation, request_id: str, note: str | None = None) -> HelpRequest:
    """Take the request: status "pågår", with an optional note."""
    req = _open_request(ws, request_id)
    refuse_personnummer(note)
    payload: dict[str, object] = {"request_id": req.request_id, "status": "pagar"}
    if note:
        payload["note"] = note
    ws._record(m.HELP_UPDATED, payload)
    return get(ws, req.request_id)


def resolve(ws: Workstation, request_id: str, note: str | None = None) -> HelpRequest:
    req = _open_request(ws, request_id)
    refuse_personnummer(note)
    payload: dict[str, object] = {"request_id": req.request_id}
    if note:
        payload["note"] = note
    ws._record(m.HELP_RESOLVED, payload)
    return get(ws, req.request_id)


def ack(ws: Workstation, request_id: str, message_id: str) -> m.Event | None:
    """Acknowledge a message on a requesting unit's behalf (None: it already was)."""
    req = _open_request(ws, request_id)
    msg = ws.view().message(message_id)
    if msg is None:
        raise UsageError(f"unknown message {message_id!r}")
    if msg["recipient_unit"] not in req.units:
        raise UsageError(
            f"message {message_id} is for unit {msg['recipient_unit']}, which is not a unit "
            f"of help request {req.request_id} ({', '.join(req.units)})"
        )
    return ws.ack(message_id, help_request=req.request_id)
