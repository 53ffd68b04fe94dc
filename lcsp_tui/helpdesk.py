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

from lcsp_tui.domain import models as m
from lcsp_tui.domain.lookup import LookupRefused, parse_query
from lcsp_tui.domain.rules import Refusal
from lcsp_tui.privacy import refuse_personnummer
from lcsp_tui.rows import HelpRequest
from lcsp_tui.workstation import UsageError, Workstation

STATUS_LABELS = {"ny": "ny", "pagar": "pågår", "lost": "löst"}
PROTECTED_REFUSAL = (
    "Skyddad identitet – kontakta enheten. Inget hjälpärende registreras för patienten."
)
NEED_MAX = 300


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


def requests(ws: Workstation, *, include_resolved: bool = False) -> list[HelpRequest]:
    """Help requests (open ones unless asked), oldest first; local work included."""
    return ws.q.help_requests(include_resolved=include_resolved)


def get(ws: Workstation, request_id: str) -> HelpRequest:
    wanted = request_id.strip().upper()
    for r in requests(ws, include_resolved=True):
        if r.request_id == wanted:
            return r
    raise UsageError(f"okänt hjälpärende {request_id!r} (se lcsp help-request list --all)")


# ------------------------------------------------------------------ writing


def _require_support(ws: Workstation) -> None:
    if ws.role != "support":
        raise UsageError("hjälpärendena är supportens: ange --role support")


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
        raise UsageError("skriv vad som behövs (t.ex. kvittera inskrivningsmeddelandet)")
    if len(need) > NEED_MAX:
        raise UsageError(f"vad som behövs: högst {NEED_MAX} tecken")
    unit_ids = list(dict.fromkeys(u.strip() for u in units if u.strip()))
    if not unit_ids:
        raise UsageError("ange enheten eller enheterna som behöver hjälp")
    for u in unit_ids:
        if not ws.q.unit_exists(u):
            raise UsageError(f"okänd enhet {u!r}")
    flags = ws.q.protected_flags(query.key)
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
        raise UsageError(f"hjälpärendet {req.request_id} är redan löst")
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
    msg = ws.q.message(message_id)
    if msg is None:
        raise UsageError(f"okänt meddelande {message_id!r}")
    if msg.recipient_unit not in req.units:
        raise UsageError(
            f"meddelandet {message_id} gäller enheten {msg.recipient_unit}, som inte hör till "
            f"hjälpärendet {req.request_id} ({', '.join(req.units)})"
        )
    return ws.ack(message_id, help_request=req.request_id)
