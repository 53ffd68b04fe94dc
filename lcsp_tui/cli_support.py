"""The support desk's and the audit trail's commands: ``lcsp help-request …``, ``lcsp audit``.

Kept apart from ``lcsp_tui.cli`` (which wires them in) so that module keeps one job.
Output never holds a personnummer: help requests carry initial + surname + birth year, the
audit trail carries ids.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from lcsp_tui.cli import EXIT_OK, _json, _out, _workstation

if TYPE_CHECKING:
    import datetime as dt

    from lcsp_tui.rows import HelpRequest

HELP_ACTIONS = ("add", "list", "work", "ack", "resolve")


# ------------------------------------------------------------------ parsers


def audit_arguments(c: argparse.ArgumentParser) -> None:
    f = c.add_argument_group("filters (combine freely)")
    f.add_argument("--user", dest="filter_user", metavar="USER", help="who did it")
    f.add_argument(
        "--patient",
        metavar="PATIENT_ID",
        help="the patient, its admissions, SIPs and messages, lookups that found it",
    )
    f.add_argument("--unit", dest="filter_unit", metavar="UNIT", help="worked at or acted for")
    f.add_argument("--since", metavar="WHEN", help="from YYYY-MM-DD[THH:MM] (inclusive)")
    f.add_argument("--until", metavar="WHEN", help="to YYYY-MM-DD[THH:MM] (a date: whole day)")
    o = c.add_argument_group("output").add_mutually_exclusive_group()
    o.add_argument("--json", action="store_true")
    o.add_argument("--csv", action="store_true", help="for Excel: UTF-8 with BOM, semicolons")
    c.add_argument(
        "--out", metavar="FILE", help="write the export to FILE (0600): CSV, or JSON with --json"
    )


def help_request_parser(
    cmd: Callable[..., argparse.ArgumentParser],
    parser_class: type[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    c = cmd("help-request", "the support desk's kvittering help requests (support)")
    sub = c.add_subparsers(
        dest="help_action", metavar="ACTION", parser_class=parser_class, required=True
    )

    def action(name: str, help_: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_, description=help_, parents=[common])

    a = action("add", "record a request: unit(s), initial + surname, birth year, what is needed")
    a.add_argument("units", metavar="UNITS", help="unit id(s), comma-separated")
    a.add_argument("name", metavar="NAME", help='initial and surname, e.g. "A Larsson"')
    a.add_argument("birth_year", metavar="BIRTH_YEAR", help="four digits, e.g. 1945")
    a.add_argument("need", metavar="NEED", help="what is needed, e.g. kvittera inskrivningen")
    a.add_argument("--json", action="store_true")
    a = action("list", "open requests with their age, oldest first")
    a.add_argument("--all", action="store_true", help="resolved ones too")
    a.add_argument("--json", action="store_true")
    a = action("work", "take a request (status pågår), with an optional note")
    a.add_argument("request_id", metavar="ID")
    a.add_argument("--note", metavar="TEXT")
    a = action("ack", "acknowledge a message on the requesting unit's behalf")
    a.add_argument("request_id", metavar="ID")
    a.add_argument("message_id", metavar="MESSAGE_ID")
    a = action("resolve", "resolve a request, with an optional note")
    a.add_argument("request_id", metavar="ID")
    a.add_argument("--note", metavar="TEXT")


# ------------------------------------------------------------------ help requests


def cmd_help_request(args: argparse.Namespace) -> int:
    from lcsp_tui import helpdesk
    from lcsp_tui.workstation import UsageError

    ws = _workstation(args)
    now = ws.settings.now()
    act = args.help_action
    if act == "list":
        if ws.role not in ("support", "systemforvaltning"):
            raise UsageError("help requests are for the support desk: give --role support")
        reqs = helpdesk.requests(ws, include_resolved=args.all)
        if args.json:
            _json([r.as_json(now) for r in reqs])
            return EXIT_OK
        n_open = sum(r.open for r in reqs)
        _out(f"{n_open} öppna hjälpärenden" + (f", {len(reqs) - n_open} lösta" if args.all else ""))
        for r in reqs:
            _out(_line(r, now))
        return EXIT_OK
    if act == "add":
        units = [u for u in args.units.split(",") if u.strip()]
        req = helpdesk.record(ws, units, args.name, args.birth_year, args.need)
        if args.json:
            _json(req.as_json(now))
        else:
            _out(f"{req.request_id}: registrerat (sparat lokalt; synkas med lcsp sync)")
        return EXIT_OK
    if act == "work":
        req = helpdesk.work(ws, args.request_id, args.note)
        _out(f"{req.request_id}: pågår")
        return EXIT_OK
    if act == "resolve":
        req = helpdesk.resolve(ws, args.request_id, args.note)
        _out(f"{req.request_id}: löst")
        return EXIT_OK
    ev = helpdesk.ack(ws, args.request_id, args.message_id)
    if ev is None:
        _out(f"{args.message_id}: redan kvitterat")
    else:
        _out(
            f"{args.message_id}: kvitterat åt {ev.payload['on_behalf_of']} "
            f"({args.request_id.upper()}; sparat lokalt, synkas med lcsp sync)"
        )
    return EXIT_OK


def _line(r: HelpRequest, now: dt.datetime) -> str:
    from lcsp_tui.helpdesk import STATUS_LABELS, fmt_age

    status = STATUS_LABELS.get(r.status, r.status)
    age = fmt_age(r.age(now)) if r.open else "-"
    extra = f"  [{r.acks} kvitterade]" if r.acks else ""
    note = f"  – {r.note}" if r.note else ""
    return (
        f"{r.request_id}  {status:<5}  {age:>10}  {r.name} ({r.birth_year})  "
        f"{','.join(r.units)}  {r.need}{extra}{note}"
    )


# ------------------------------------------------------------------ audit


def cmd_audit(args: argparse.Namespace) -> int:
    from lcsp_tui import audit
    from lcsp_tui.privacy import private_file
    from lcsp_tui.store.queries.audit import row_values
    from lcsp_tui.workstation import UsageError

    ws = _workstation(args)
    if ws.role != "systemforvaltning":
        raise UsageError("the audit log is for systemforvaltning: give --role systemforvaltning")
    f = audit.make_filter(args.filter_user, args.patient, args.filter_unit, args.since, args.until)
    rows = audit.query(ws.q, f)
    # Reading the audit trail is itself audited (the filter's patient as subject, if any).
    what = "granskningslogg exporterad" if (args.out or args.csv) else "granskningslogg visad"
    ws.audit_read(f.patient, what, outcome=f"{len(rows)} rader")
    if args.out:
        path = Path(args.out)
        if args.json:
            with private_file(path) as fh:
                fh.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        else:
            with private_file(path, encoding="utf-8-sig", newline="") as fh:
                audit.write_csv(rows, fh)
        _out(f"{len(rows)} rader ({f.describe()}) till {path}")
        return EXIT_OK
    if args.json:
        _json(rows)
        return EXIT_OK
    if args.csv:
        # typeshed: sys.stdout is a TextIO; it is a TextIOWrapper, which can reconfigure
        cast(io.TextIOWrapper, sys.stdout).reconfigure(encoding="utf-8-sig", newline="")
        audit.write_csv(rows, sys.stdout)
        return EXIT_OK
    for r in rows:
        _out("  ".join("" if v is None else str(v) for v in row_values(r)))
    return EXIT_OK
