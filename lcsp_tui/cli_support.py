"""The support desk's and the audit trail's commands: ``lcsp help-request …``, ``lcsp audit``.

Kept apart from ``lcsp_tui.cli`` (which wires them in) so that module keeps one job.
Output never holds a personnummer: help requests carry initial + surname + birth year, the
audit trail carries ids.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from lcsp_tui.cli import EXIT_OK, _json, _out, _workstation, saved_locally
from lcsp_tui.domain.words import plural

if TYPE_CHECKING:
    import datetime as dt

    from lcsp_tui.rows import HelpRequest
    from lcsp_tui.store.queries import AuditRow

HELP_ACTIONS = ("add", "list", "work", "ack", "resolve")


# ------------------------------------------------------------------ parsers


def audit_arguments(c: argparse.ArgumentParser) -> None:
    f = c.add_argument_group("filter (kombinera fritt)")
    f.add_argument("--user", dest="filter_user", metavar="ANVÄNDARE", help="den som gjorde det")
    f.add_argument(
        "--patient",
        metavar="PATIENT_ID",
        help="patienten, dess vårdtillfällen, SIP:ar och meddelanden, och sökningar som "
        "hittade den",
    )
    f.add_argument(
        "--unit",
        dest="filter_unit",
        metavar="ENHET",
        help="enheten där det gjordes eller som det gjordes åt",
    )
    f.add_argument("--since", metavar="TID", help="från ÅÅÅÅ-MM-DD[THH:MM] (inklusive)")
    f.add_argument("--until", metavar="TID", help="till ÅÅÅÅ-MM-DD[THH:MM] (ett datum: hela dagen)")
    o = c.add_argument_group("utdata").add_mutually_exclusive_group()
    o.add_argument("--json", action="store_true", help="som JSON (nycklarna på engelska)")
    o.add_argument("--csv", action="store_true", help="för Excel: UTF-8 med BOM, semikolon")
    c.add_argument(
        "--out",
        metavar="FIL",
        help="skriv exporten till FIL (bara läsbar för dig): CSV, eller JSON med --json",
    )


def help_request_parser(
    cmd: Callable[..., argparse.ArgumentParser],
    parser_class: type[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    c = cmd("help-request", "supportens hjälpärenden om kvittering (support)")
    sub = c.add_subparsers(
        dest="help_action", metavar="ÅTGÄRD", parser_class=parser_class, required=True
    )

    def action(name: str, help_: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_, description=help_, parents=[common])

    json_help = "som JSON (nycklarna på engelska)"
    a = action(
        "add", "registrera ett ärende: enhet(er), initial och efternamn, födelseår, vad som behövs"
    )
    a.add_argument("units", metavar="ENHETER", help="enhets-id, kommaseparerade")
    a.add_argument("name", metavar="NAMN", help='initial och efternamn, t.ex. "A Larsson"')
    a.add_argument("birth_year", metavar="FÖDELSEÅR", help="fyra siffror, t.ex. 1945")
    a.add_argument(
        "need", metavar="BEHOV", help="vad som behövs, t.ex. kvittera inskrivningsmeddelandet"
    )
    a.add_argument("--json", action="store_true", help=json_help)
    a = action("list", "öppna ärenden med ålder, äldst först")
    a.add_argument("--all", action="store_true", help="även lösta ärenden")
    a.add_argument("--json", action="store_true", help=json_help)
    a = action("work", "ta ett ärende (status pågår), med en anteckning om du vill")
    a.add_argument("request_id", metavar="ID", help="ärendets id, t.ex. H-1A2B3C4D")
    a.add_argument("--note", metavar="TEXT", help="en anteckning")
    a = action("ack", "kvittera ett meddelande åt enheten som bad om hjälp")
    a.add_argument("request_id", metavar="ID", help="ärendets id, t.ex. H-1A2B3C4D")
    a.add_argument("message_id", metavar="MEDDELANDE_ID", help="meddelandets id (meddelande_id)")
    a = action("resolve", "markera ett ärende som löst, med en anteckning om du vill")
    a.add_argument("request_id", metavar="ID", help="ärendets id, t.ex. H-1A2B3C4D")
    a.add_argument("--note", metavar="TEXT", help="en anteckning")


# ------------------------------------------------------------------ help requests


def cmd_help_request(args: argparse.Namespace) -> int:
    from lcsp_tui import helpdesk
    from lcsp_tui.workstation import UsageError

    ws = _workstation(args)
    now = ws.settings.now()
    act = args.help_action
    if act == "list":
        if ws.role not in ("support", "systemforvaltning"):
            raise UsageError("hjälpärendena är supportens: ange --role support")
        reqs = helpdesk.requests(ws, include_resolved=args.all)
        if args.json:
            _json([r.as_json(now) for r in reqs])
            return EXIT_OK
        n_open = sum(r.open for r in reqs)
        solved = f", {plural(len(reqs) - n_open, 'löst', 'lösta')}" if args.all else ""
        _out(plural(n_open, "öppet hjälpärende", "öppna hjälpärenden") + solved)
        if reqs:
            for line in request_table(reqs, now):
                _out(line)
        return EXIT_OK
    if act == "add":
        units = [u for u in args.units.split(",") if u.strip()]
        req = helpdesk.record(ws, units, args.name, args.birth_year, args.need)
        if args.json:
            _json(req.as_json(now))
        else:
            _out(f"{req.request_id}: registrerat ({saved_locally()})")
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
            f"({args.request_id.upper()}; {saved_locally()})"
        )
    return EXIT_OK


def request_table(reqs: Sequence[HelpRequest], now: dt.datetime) -> list[str]:
    """Help requests as a table: their status and age, the patient as initial, surname and
    birth year, the units, what is needed, kvitteringar done and the latest note."""
    from lcsp_tui.helpdesk import STATUS_LABELS, fmt_age
    from lcsp_tui.textout import text_table

    rows = [
        [
            r.request_id,
            STATUS_LABELS.get(r.status, r.status),
            fmt_age(r.age(now)) if r.open else "–",
            f"{r.name} ({r.birth_year})",
            ", ".join(r.units),
            r.need,
            plural(r.acks, "kvittering", "kvitteringar") if r.acks else "",
            r.note or "",
        ]
        for r in reqs
    ]
    head = ["Id", "Status", "Ålder", "Patient", "Enheter", "Behov", "Gjort", "Anteckning"]
    return text_table(head, rows, "llrlllll")


# ------------------------------------------------------------------ audit


def cmd_audit(args: argparse.Namespace) -> int:
    from lcsp_tui import audit
    from lcsp_tui.csvout import to_stdout
    from lcsp_tui.paths import out_file
    from lcsp_tui.privacy import remove_export, write_private
    from lcsp_tui.workstation import UsageError

    path = out_file(args.out) if args.out is not None else None  # checked before the work
    ws = _workstation(args)
    if ws.role != "systemforvaltning":
        raise UsageError("granskningsloggen är systemförvaltningens: ange --role systemforvaltning")
    f = audit.make_filter(args.filter_user, args.patient, args.filter_unit, args.since, args.until)
    rows = audit.query(ws.q, f)
    labels = audit.item_labels(ws.region)
    n = plural(len(rows), "rad", "rader")
    # Reading the audit trail is itself audited (the filter's patient as subject, if any).
    if path is not None:
        # The export is audited once the file is written, never for one that failed; if
        # the audit event cannot be recorded, the file does not stay either.
        if args.json:
            text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
            write_private(path, lambda fh: fh.write(text))
        else:
            write_private(
                path,
                lambda fh: audit.write_csv(rows, fh, labels),
                encoding="utf-8-sig",
                newline="",
            )
        try:
            ws.audit_read(f.patient, "granskningslogg exporterad", outcome=n)
        except BaseException:
            remove_export(path)
            raise
        _out(f"{n} ({f.describe()}) till {path}")
        return EXIT_OK
    # On screen (or a pipe) it is audited first: nothing is shown that is not audited.
    what = "granskningslogg exporterad" if args.csv else "granskningslogg visad"
    ws.audit_read(f.patient, what, outcome=n)
    if args.json:
        _json(rows)
        return EXIT_OK
    if args.csv:
        to_stdout(audit.csv_rows(rows, labels))
        return EXIT_OK
    for line in audit_text(rows, ws.now().year, labels):
        _out(line)
    return EXIT_OK


def role_name(role: str | None) -> str:
    """A role as people call it (``Somatisk slutenvård``); an unknown id as it is."""
    from lcsp_tui.domain.roles import ROLES

    return ROLES[role].name if role in ROLES else role or ""


def audit_text(rows: Sequence[AuditRow], this_year: int, labels: dict[str, str]) -> list[str]:
    """The audit trail as a table: what was done in words (an item by its label, the event
    kind when there are no words), last since it is the longest; times as ``30/9 10:00``;
    support's kvittering ``åt`` the unit it was done for."""
    from lcsp_tui.audit import what_text
    from lcsp_tui.textout import text_table, when_text

    if not rows:
        return ["inga händelser i granskningsloggen"]
    table = [
        [
            str(r["seq"]),
            when_text(r["at"], this_year),
            r["user"] or "",
            role_name(r["role"]),
            r["unit"] or "" if not r["on_behalf_of"] else f"åt {r['on_behalf_of']}",
            r["subject"] or "",
            r["outcome"] or "",
            what_text(r["what"] or r["kind"], labels),
        ]
        for r in rows
    ]
    head = ["Nr", "Tid", "Användare", "Roll", "Enhet", "Avser", "Utfall", "Vad"]
    return [*text_table(head, table, "rlllllll"), plural(len(rows), "händelse", "händelser")]
