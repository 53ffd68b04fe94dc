"""The ``lcsp`` command (SPEC §9).

Headless subcommands never import Textual; only the bare ``lcsp`` (and ``demo`` without
``--no-tui``) start the app. Errors are one line on stderr with the exit codes of SPEC §9.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, cast

if TYPE_CHECKING:
    from lcsp_tui.domain.models import Event
    from lcsp_tui.stats import Stats
    from lcsp_tui.workstation import Workstation

EXIT_OK, EXIT_USAGE, EXIT_DATA, EXIT_UNREACHABLE, EXIT_INTERNAL = 0, 2, 65, 69, 70


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2
        from lcsp_tui.privacy import redact  # argparse echoes what was typed

        self.exit(EXIT_USAGE, f"lcsp: {redact(message)} (see lcsp --help)\n")


def _globals(parser: argparse.ArgumentParser, suppress: bool) -> None:
    d = argparse.SUPPRESS if suppress else None
    g = parser.add_argument_group("global options (also environment variables)")
    g.add_argument("--home", default=d, help="home directory (LCSP_HOME)")
    g.add_argument("--ledger", default=d, help="SQLite file or postgresql:// URL (LCSP_LEDGER)")
    g.add_argument("--user", default=d, help="user name recorded in the ledger (LCSP_USER)")
    g.add_argument("--role", default=d, help="role id, e.g. primarvard (LCSP_ROLE)")
    g.add_argument("--unit", default=d, help="operative unit id (LCSP_UNIT)")
    g.add_argument("--today", default=d, help="simulated now: YYYY-MM-DD[THH:MM] (LCSP_TODAY)")
    g.add_argument("--env", default=d, help="utbildning | acceptanstest | produktion (LCSP_ENV)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="lcsp",
        description="Prator -> Lifecare SP cutover companion. Without a command: the TUI.",
    )
    _globals(p, suppress=False)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    common = _Parser(add_help=False)
    _globals(common, suppress=True)

    def cmd(name: str, help_: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_, description=help_, parents=[common])

    c = cmd("demo", "fill an empty home with a fictitious region, then open the TUI")
    c.add_argument("--size", choices=("small", "region", "large"), default="region")
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--no-tui", action="store_true", help="only fill the home")
    c = cmd("import", "import a Prator export (CSV files) into the ledger")
    c.add_argument("files", nargs="+", metavar="FILE")
    c.add_argument("--dry-run", action="store_true", help="only show what would change")
    c = cmd("sync", "push local work, then pull from the ledger")
    c.add_argument("--json", action="store_true")
    c = cmd("worklist", "the role's pending subjects at the unit")
    c.add_argument("--json", action="store_true")
    c = cmd("checklist", "one subject's checklist for the role")
    c.add_argument("subject", metavar="SUBJECT")
    c.add_argument("--json", action="store_true")
    c = cmd("tick", "record a checklist item as done (or not, with --undo)")
    c.add_argument("subject", metavar="SUBJECT")
    c.add_argument("item", metavar="ITEM")
    c.add_argument("--undo", action="store_true")
    c.add_argument("--note", metavar="TEXT")
    c.add_argument("--value", metavar="UNIT", help="the unit an item sets (a unit id)")
    c = cmd("decide", "the samordningsansvarig's decision on a SIP: current or not")
    c.add_argument("sip", metavar="SIP_ID")
    c.add_argument("decision", choices=("aktuell", "ej-aktuell"))
    c = cmd("discharge", "the ward records that the patient is discharged (step 6 applies)")
    c.add_argument("admission", metavar="ADMISSION_ID")
    c = cmd("ack", "record the kvittering of a Prator message")
    c.add_argument("message_id", metavar="MESSAGE_ID")
    c = cmd("lookup", "support lookup by initial + surname and birth year (never personnummer)")
    c.add_argument("name", metavar="NAME", help='initial and surname, e.g. "A Larsson"')
    c.add_argument("birth_year", metavar="BIRTH_YEAR", help="four digits, e.g. 1945")
    c.add_argument("--json", action="store_true")
    c = cmd("stats", "statistics for the whole region (systemforvaltning)")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true")
    g.add_argument("--csv", action="store_true", help="for Excel: UTF-8 with BOM, semicolons")
    c = cmd("report", "the weekly status report in Markdown (systemforvaltning)")
    c.add_argument("--out", metavar="FILE", help="write it to FILE (default: standard output)")
    c = cmd("state-hash", "digest of the synced domain state")
    c = cmd("serve", "the TUI in the browser (textual-serve); loopback unless behind a proxy")
    c.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    c.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    c.add_argument(
        "--user-header",
        metavar="NAME",
        help="take each user from this request header, set by the login proxy "
        "(LCSP_USER_HEADER); without it every tab is --user",
    )
    c.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers use, e.g. https://lcsp.rvn.se (LCSP_PUBLIC_URL)",
    )
    led = cmd("ledger", "set up and check a region's ledger (database administrators)")
    lsub = led.add_subparsers(dest="ledger_command", metavar="ACTION", parser_class=_Parser)
    lsub.required = True
    c = lsub.add_parser(
        "init",
        parents=[common],
        help="create the schema, append-only guards and the app's role",
        description="Create the ledger schema in a PostgreSQL database (if missing), install "
        "the append-only guards and create the role workstations connect as, with only the "
        "rights a push and a pull need. Connect as the ledger's owner. A new role gets the "
        "password in LCSP_APP_PASSWORD, or a generated one that is shown once.",
    )
    c.add_argument("url", metavar="URL", help="postgresql://owner@host/db")
    c.add_argument("--app-role", help="the app's role (default <database>_app: one per database)")
    c.add_argument("--json", action="store_true")
    c = lsub.add_parser(
        "check",
        parents=[common],
        help="reachable, schema version, dense sequence, events per kind",
        description="Check a ledger (postgresql:// URL or SQLite file): exit 0 if healthy, "
        "1 if a check failed, 69 if unreachable.",
    )
    c.add_argument("url", metavar="URL", help="postgresql://… or a SQLite ledger file")
    c.add_argument("--json", action="store_true")
    from lcsp_tui.cli_support import audit_arguments, help_request_parser

    # audit's --user filters by user; a parent of its own, since "resolve" edits the parent
    audit_common = _Parser(add_help=False)
    _globals(audit_common, suppress=True)
    help_ = "the audit log (systemforvaltning): filter, export for spot checks"
    c = sub.add_parser(
        "audit",
        help=help_,
        description=help_,
        parents=[audit_common],
        conflict_handler="resolve",
    )
    audit_arguments(c)
    help_request_parser(cmd, _Parser, common)
    return p


# ------------------------------------------------------------------ helpers


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _progress(label: str) -> Callable[[int, int], None]:
    tty = sys.stderr.isatty()
    last = [-1]

    def show(done: int, total: int) -> None:
        pct = 100 * done // max(total, 1)
        if pct == last[0]:
            return
        last[0] = pct
        if tty:
            sys.stderr.write(f"\r{label}: {done:,}/{total:,} ({pct} %)")
            if done >= total:
                sys.stderr.write("\n")
        elif pct % 25 == 0:
            sys.stderr.write(f"{label}: {done:,}/{total:,} ({pct} %)\n")
        sys.stderr.flush()

    return show


def _workstation(args: argparse.Namespace) -> Workstation:
    from lcsp_tui.config import settings_from
    from lcsp_tui.workstation import Workstation

    s = settings_from(
        **{
            k: getattr(args, k, None)
            for k in ("home", "ledger", "user", "role", "unit", "today", "env")
        }
    )
    return Workstation(s)


# ------------------------------------------------------------------ commands


def cmd_sync(args: argparse.Namespace) -> int:
    ws = _workstation(args)
    r = ws.sync()
    if args.json:
        _json({"pushed": r.pushed, "pulled": r.pulled, "cursor": r.cursor})
    else:
        _out(f"pushed {r.pushed}, pulled {r.pulled}, cursor {r.cursor}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    ws = _workstation(args)
    paths = [Path(f) for f in args.files]
    if not args.dry_run:
        ws.sync()  # compare against the ledger's latest state
    plan = ws.import_plan(paths)
    _refuse_fictitious_in_production(ws, plan.events)
    width = max(len(n) for n in plan.counts) if plan.counts else 0
    for name, c in plan.counts.items():
        _out(
            f"{name:<{width}}  new {c['new']:>6}  changed {c['changed']:>6}  unchanged {c['unchanged']:>6}"
        )
    if args.dry_run:
        _out(f"dry run: {len(plan.events)} record(s) would change; nothing written")
        return EXIT_OK
    if not plan.events:
        _out("nothing to import: the ledger already has these records")
        return EXIT_OK
    r = ws.publish(plan.events, {"files": sorted(plan.counts), "records": len(plan.events)})
    _out(f"imported {len(plan.events)} record(s); cursor {r.cursor}")
    return EXIT_OK


def _refuse_fictitious_in_production(ws: Workstation, events: Sequence[Event]) -> None:
    from lcsp_tui.environments import PRODUCTION, EnvironmentRefused, fictitious_markers

    if ws.env != PRODUCTION:
        return
    found = fictitious_markers(events)
    if found:
        raise EnvironmentRefused(
            f"the files hold fictitious data ({len(found)} patient(s) with phone numbers from "
            f"the range reserved for fiction, first {found[0]}): a production home refuses them"
        )


def cmd_demo(args: argparse.Namespace) -> int:
    from lcsp_tui.demo.home import fill
    from lcsp_tui.workstation import UsageError

    ws = _workstation(args)
    if ws.env == "produktion":
        raise UsageError("lcsp demo refuses a production home: fictitious patients never go there")
    ws.sync()
    if ws.store.cursor > 0:
        raise UsageError("the home already has data; demo data not added")
    big = args.size != "small"
    done = fill(
        ws,
        args.size,
        args.seed,
        _progress("genererar") if big else None,
        _progress("skriver till liggaren") if big else None,
    )
    _out(
        f"demo region '{args.size}' (seed {args.seed}): {done.records} records; cursor {done.cursor}"
    )
    if done.rehearsal:
        _out(f"simulated today for this demo home: {done.rehearsal} (override with --today)")
    if args.no_tui:
        return EXIT_OK
    return run_tui(ws)


def cmd_worklist(args: argparse.Namespace) -> int:
    from lcsp_tui.domain.when import day_text

    ws = _workstation(args)
    role, unit = ws.require_role()
    rows = ws.worklist()
    if args.json:
        _json([r.as_json() for r in rows])
        return EXIT_OK
    _out(f"{role} @ {unit}: {len(rows)} pending")
    for r in rows:
        due = r.due.strftime("%Y-%m-%d %H:%M") if r.due else "-"
        due = f"mål {due}" if r.target and r.due else due
        flags = " ".join(
            f
            for f, on in (
                (f"öppnar {day_text(r.opens)}" if r.opens else "", r.opens is not None),
                ("FÖRSENAD", r.overdue),
                ("VÄNTAR", r.waiting),
                (f"OKVITTERADE:{r.unacknowledged}", r.unacknowledged),
                ("FLYTTA-TILL-LCSP", r.flagged),
            )
            if on
        )
        _out(
            f"{r.subject:<14} {r.kind:<9} steg {r.step:<3} {r.done}/{r.total:<3} {due}  {flags}".rstrip()
        )
    return EXIT_OK


def cmd_checklist(args: argparse.Namespace) -> int:
    ws = _workstation(args)
    found = ws.checklist(args.subject)
    ws.audit_read(args.subject, "checklista öppnad")
    if args.json:
        _json(
            {
                "subject": args.subject,
                "items": [
                    {
                        "id": r.item.id,
                        "step": r.item.step,
                        "label": r.item.label,
                        "done": r.done,
                        "applies": r.applies,
                        "waiting": r.waiting,
                        "prator_action": r.item.prator_action,
                        "note": r.note,
                        "by": r.by,
                        "at": r.at,
                        "value": r.value,
                    }
                    for r in found.items
                ],
            }
        )
        return EXIT_OK
    _out(f"{args.subject}: {found.done}/{found.total}")
    for r in found.items:
        box = "[x]" if r.done else "[ ]" if r.applies else "[-]"
        extra = []
        if r.item.prator_action:
            extra.append("Prator" + (" (låst)" if r.locked else ""))
        if not r.applies:
            extra.append(f"gäller ej: {r.reason}")
        if r.waiting:
            extra.append(f"väntar på {r.waiting}")
        tail = f"  ({'; '.join(extra)})" if extra else ""
        _out(f"{box} {r.item.id:<28} {r.item.label}{tail}")
    if found.owing:
        _out(f"okvitterade meddelanden hos: {', '.join(found.owing)}")
    return EXIT_OK


def cmd_tick(args: argparse.Namespace) -> int:
    ws = _workstation(args)
    ws.tick(args.subject, args.item, done=not args.undo, note=args.note, value=args.value)
    _out(
        f"{args.subject} {args.item}: {'ångrad' if args.undo else 'klar'} (sparad lokalt; synkas med lcsp sync)"
    )
    return EXIT_OK


def cmd_decide(args: argparse.Namespace) -> int:
    from lcsp_tui.domain.models import SipDecision

    ws = _workstation(args)
    decision = SipDecision.AKTUELL if args.decision == "aktuell" else SipDecision.EJ_AKTUELL
    ws.decide_sip(args.sip, decision)
    _out(f"{args.sip}: bedömd {args.decision} (sparad lokalt; synkas med lcsp sync)")
    return EXIT_OK


def cmd_discharge(args: argparse.Namespace) -> int:
    ws = _workstation(args)
    ws.discharge(args.admission)
    _out(f"{args.admission}: utskrivning registrerad – steg 6 gäller (sparad lokalt)")
    return EXIT_OK


def cmd_ack(args: argparse.Namespace) -> int:
    ws = _workstation(args)
    ev = ws.ack(args.message_id)
    if ev is None:
        _out(f"{args.message_id}: redan kvitterat")
    else:
        _out(f"{args.message_id}: kvitterat (sparad lokalt; synkas med lcsp sync)")
    return EXIT_OK


def cmd_lookup(args: argparse.Namespace) -> int:
    from lcsp_tui.domain.lookup import LookupRefused
    from lcsp_tui.lookup import audited_lookup
    from lcsp_tui.workstation import UsageError

    ws = _workstation(args)
    if ws.role not in ("support", "systemforvaltning"):
        raise UsageError("lookup is for the support desk: give --role support")
    try:
        matches = audited_lookup(ws, args.name, args.birth_year).matches
    except LookupRefused as e:
        raise UsageError(str(e)) from None
    if args.json:
        _json({"matches": matches})
        return EXIT_OK
    if not matches:
        _out("inga träffar")
    for m in matches:
        _out(f"{m['name']} ({m['birth_year']}) {m['municipality'] or ''}".rstrip())
        if m.get("protected"):
            _out("  lämna inga uppgifter: den som ringer kontaktar enheten själv")
            continue
        _out("  enheter: " + ", ".join(f"{u['name']} ({u['id']})" for u in m["units"]))
        for a in m["admissions"]:
            _out(f"  vårdtillfälle {a['id']} {a['ward_name']}: {a['cutover']}")
        for sp in m["sips"]:
            _out(f"  SIP {sp['id']} ({sp['coordinator']}): {sp['cutover']}")
        for u in m["unacknowledged"]:
            _out(f"  okvitterat {u['message_id']} ({u['type']}) hos {u['unit_name']} ({u['unit']})")
    if len(matches) > 1:
        _out(f"{len(matches)} träffar: fråga efter enhet för att veta vem det gäller")
    return EXIT_OK


def _region_stats(args: argparse.Namespace, what: str) -> tuple[Workstation, Stats]:
    from lcsp_tui.stats import collect
    from lcsp_tui.workstation import UsageError

    ws = _workstation(args)
    if ws.role != "systemforvaltning":
        raise UsageError(
            f"{what} for the region are for systemforvaltning: give --role systemforvaltning"
        )
    return ws, collect(ws.q, ws.region, ws.settings.now())


def cmd_stats(args: argparse.Namespace) -> int:
    import csv

    from lcsp_tui.stats.export import csv_rows

    _ws, stats = _region_stats(args, "statistics")
    if args.json:
        _json(stats.as_json())
        return EXIT_OK
    rows = csv_rows(stats)
    if args.csv:
        # typeshed: sys.stdout is a TextIO; it is a TextIOWrapper, which can reconfigure
        cast(io.TextIOWrapper, sys.stdout).reconfigure(encoding="utf-8-sig", newline="")
        w = csv.writer(sys.stdout, delimiter=";", lineterminator="\r\n")
        w.writerows(rows)
        return EXIT_OK
    for r in rows:
        _out("  ".join(f"{c:>12}" if i else f"{c:<20}" for i, c in enumerate(r)).rstrip())
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from lcsp_tui.privacy import private_file
    from lcsp_tui.stats.report import report

    ws, stats = _region_stats(args, "status reports")
    text = report(stats, env=ws.env, simulated=ws.settings.simulated)
    if not args.out:
        sys.stdout.write(text)
        return EXIT_OK
    with private_file(Path(args.out)) as f:  # 0600 from the first byte
        f.write(text)
    _out(f"rapporten skriven till {args.out}")
    return EXIT_OK


def cmd_state_hash(args: argparse.Namespace) -> int:
    ws = _workstation(args)
    _out(ws.store.state_hash())
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    from lcsp_tui.cli_support import cmd_audit as run

    return run(args)


def cmd_help_request(args: argparse.Namespace) -> int:
    from lcsp_tui.cli_support import cmd_help_request as run

    return run(args)


def cmd_serve(args: argparse.Namespace) -> int:
    from lcsp_tui.serve import serve

    return serve(args)


def cmd_ledger(args: argparse.Namespace) -> int:
    from lcsp_tui.ledger.base import LedgerUnreachable

    try:
        return _ledger_admin(args)
    except LedgerUnreachable as e:  # no "local work is kept": this is no workstation
        sys.stderr.write(f"lcsp: ledger unreachable: {e}\n")
        return EXIT_UNREACHABLE


def _ledger_admin(args: argparse.Namespace) -> int:
    import os

    from lcsp_tui.ledger import admin

    if args.ledger_command == "init":
        init = admin.init_ledger(
            args.url, args.app_role, os.environ.get("LCSP_APP_PASSWORD") or None
        )
        if args.json:
            _json(init.as_json())
            return EXIT_OK
        _out(
            f"ledger {init.ledger_id} at {init.where} (schema version {init.schema_version}, "
            f"tables in {init.schema}, owned by {init.owner}); append-only guards installed"
        )
        _out(
            f"app role {init.app_role}: {'created' if init.created_role else 'rights reset'}; "
            "it may append and read events, nothing else"
        )
        if init.password:
            _out(
                f"generated password for {init.app_role} (shown once; keep it in the "
                f"workstations' pgpass file, not in scripts): {init.password}"
            )
        _out(f"workstations use: --ledger {init.app_url}")
        return EXIT_OK
    r = admin.check_ledger(args.url)
    if args.json:
        _json(r.as_json())
    else:
        _out(f"ledger {r.ledger_id} at {r.where} ({r.backend}), schema version {r.schema_version}")
        guards = {None: "", True: ", append-only guards installed"}.get(
            r.guards, ", append-only guards MISSING"
        )
        dense = "dense" if r.dense else "NOT dense"
        _out(f"head {r.head}, {r.events} event(s), seq {dense}{guards}")
        for kind, n in r.kinds.items():
            _out(f"  {kind:<28} {n:>10}")
    if not r.ok:
        sys.stderr.write(f"lcsp: ledger check failed: {'; '.join(r.problems)}\n")
        return 1
    return EXIT_OK


def run_tui(ws: Workstation) -> int:
    from lcsp_tui.app import run_app

    return run_app(ws)


def cmd_tui(args: argparse.Namespace) -> int:
    return run_tui(_workstation(args))


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": cmd_demo,
    "import": cmd_import,
    "sync": cmd_sync,
    "worklist": cmd_worklist,
    "checklist": cmd_checklist,
    "tick": cmd_tick,
    "ack": cmd_ack,
    "decide": cmd_decide,
    "discharge": cmd_discharge,
    "lookup": cmd_lookup,
    "stats": cmd_stats,
    "report": cmd_report,
    "state-hash": cmd_state_hash,
    "serve": cmd_serve,
    "ledger": cmd_ledger,
    "audit": cmd_audit,
    "help-request": cmd_help_request,
}


def main(argv: Sequence[str] | None = None) -> int:
    import os

    from lcsp_tui.privacy import PRIVATE_UMASK, redact

    os.umask(PRIVATE_UMASK)  # every file lcsp makes (store, ledger, exports) is 0600
    args = build_parser().parse_args(argv)
    from lcsp_tui.errors import exit_code_for

    try:
        handler = COMMANDS.get(args.command or "", cmd_tui)
        return handler(args)
    except KeyboardInterrupt:
        sys.stderr.write("lcsp: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:  # every error is one line, never a traceback
        code, lines = exit_code_for(e)
        for line in map(redact, lines):  # never a personnummer, whatever the error echoes
            sys.stderr.write(f"lcsp: {line}\n" if code != EXIT_DATA else f"{line}\n")
        return code
