"""The ``lcsp`` command (SPEC §9).

Headless subcommands never import Textual; only the bare ``lcsp`` (and ``demo`` without
``--no-tui``) start the app. Errors are one line on stderr with the exit codes of SPEC §9.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from lcsp_tui.domain.words import num, plural

if TYPE_CHECKING:
    import datetime as dt

    from lcsp_tui.importer import StagedImport
    from lcsp_tui.stats import Stats
    from lcsp_tui.workstation import Workstation

EXIT_OK, EXIT_USAGE, EXIT_DATA, EXIT_UNREACHABLE, EXIT_INTERNAL, EXIT_IO = 0, 2, 65, 69, 70, 74

JSON_HELP = "som JSON (för skript; nycklarna på engelska)"


def _choices(text: str) -> str:
    """``'a', 'b'`` -> ``a, b``."""
    return ", ".join(c.strip().strip("'\"") for c in text.split(","))


def _argument_error(arg: str, what: str) -> str:
    """argparse's ``argument X: …`` in Swedish."""
    if what == "expected one argument":
        return f"{arg} behöver ett värde"
    if what == "expected at most one argument":
        return f"{arg} tar högst ett värde"
    if what == "expected at least one argument":
        return f"{arg} behöver minst ett värde"
    if m := re.fullmatch(r"expected (\d+) arguments?", what):
        return f"{arg} behöver {m[1]} värden"
    if m := re.match(
        r"invalid choice: (.+?)(?: \(choose from (.+)\)|, maybe you meant .*)?$", what
    ):
        value = m[1].strip("'\"")
        among = f" (välj bland {_choices(m[2])})" if m[2] else ""
        if name := {"KOMMANDO": "okänt kommando", "ÅTGÄRD": "okänd åtgärd"}.get(arg):
            return f"{name} {value!r}{among}"
        return f"{arg}: okänt val {value!r}{among}"
    if m := re.fullmatch(r"invalid (\w+) value: (.+)", what):
        kind = {"int": "inget heltal", "float": "inget tal"}.get(m[1], "inget giltigt värde")
        return f"{arg}: {m[2]} är {kind}"
    if m := re.fullmatch(r"not allowed with argument (.+)", what):
        return f"{arg} går inte att kombinera med {m[1]}"
    if m := re.fullmatch(r"ignored explicit argument (.+)", what):
        return f"{arg} tar inget värde (fick {m[1]})"
    return f"{arg}: {what}"


def usage_error_text(message: str) -> str:
    """One of argparse's English error messages as one Swedish line."""
    if m := re.fullmatch(r"argument (.+?): (.+)", message, re.S):
        return _argument_error(m[1], m[2])
    if m := re.fullmatch(r"the following arguments are required: (.+)", message):
        return f"följande saknas: {m[1]}"
    if m := re.fullmatch(r"unrecognized arguments?: (.+)", message):
        return f"okänt argument: {m[1]}"
    if m := re.fullmatch(r"one of the arguments (.+) is required", message):
        return f"ange ett av {m[1]}"
    if m := re.fullmatch(r"ambiguous option: (\S+) could match (.+)", message):
        return f"{m[1]} är tvetydig: den kan vara {m[2]}"
    return f"felaktig användning: {message}"


def _columns() -> int:
    """``shutil.get_terminal_size().columns`` without importing shutil (and with it zlib,
    bz2 and lzma): argparse asks for it each time it makes a formatter, which it does for
    every option it is given, help or not (issue 14)."""
    import os

    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    try:
        lines = int(os.environ["LINES"])
    except (KeyError, ValueError):
        lines = 0
    if columns <= 0 or lines <= 0:
        try:
            size = os.get_terminal_size(sys.__stdout__.fileno())  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            size = os.terminal_size((80, 24))
        if columns <= 0:
            columns = size.columns or 80
    return columns


class _Formatter(argparse.HelpFormatter):
    """argparse's help in Swedish: ``användning:``."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        if width is None:  # as argparse computes it
            width = _columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)

    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, "användning: " if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that speaks Swedish: help headings, and errors as one line, exit 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        self._positionals.title = "argument"
        self._optionals.title = "flaggor"
        for action in self._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = "visa den här hjälpen och avsluta"

    def error(self, message: str) -> NoReturn:  # one line, exit 2
        from lcsp_tui.errors import tidy_line
        from lcsp_tui.privacy import redact  # argparse echoes what was typed

        text = tidy_line(redact(usage_error_text(message)))
        self.exit(EXIT_USAGE, f"lcsp: {text} – se {self.prog} --help\n")


def _globals(parser: argparse.ArgumentParser, suppress: bool) -> None:
    d = argparse.SUPPRESS if suppress else None
    g = parser.add_argument_group("gemensamma flaggor (också som miljövariabler)")
    g.add_argument("--home", default=d, metavar="KATALOG", help="hemkatalogen (LCSP_HOME)")
    g.add_argument(
        "--ledger",
        default=d,
        metavar="DATABAS",
        help="den gemensamma databasen: en SQLite-fil eller en postgresql://-adress (LCSP_LEDGER)",
    )
    g.add_argument(
        "--user",
        default=d,
        metavar="NAMN",
        help="ditt användarnamn, sparas med allt du gör (LCSP_USER)",
    )
    g.add_argument(
        "--role", default=d, metavar="ROLL", help="roll-id, t.ex. primarvard (LCSP_ROLE)"
    )
    g.add_argument(
        "--unit", default=d, metavar="ENHET", help="den operativa enhetens id (LCSP_UNIT)"
    )
    g.add_argument(
        "--today", default=d, metavar="TID", help="simulerad tid: ÅÅÅÅ-MM-DD[THH:MM] (LCSP_TODAY)"
    )
    g.add_argument(
        "--env",
        default=d,
        metavar="MILJÖ",
        help="utbildning | acceptanstest | produktion (LCSP_ENV)",
    )


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``lcsp`` command line. With ``only``, the subcommand of that name alone (``""``:
    none): what ``main`` parses with when the command line names its command up front
    (``command_of``), so a command does not build (and import) every other one's options."""
    p = _Parser(
        prog="lcsp",
        description="Stöd för övergången från Prator till Lifecare SP. Utan kommando öppnas "
        "terminalgränssnittet.",
    )
    _globals(p, suppress=False)
    sub = p.add_subparsers(dest="command", metavar="KOMMANDO", parser_class=_Parser)
    common = _Parser(add_help=False)
    _globals(common, suppress=True)

    def want(name: str) -> bool:
        return only is None or name == only

    def cmd(name: str, help_: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_, description=help_, parents=[common])

    if want("demo"):
        c = cmd(
            "demo", "fyll ett tomt hem med en fiktiv region och öppna sedan terminalgränssnittet"
        )
        c.add_argument(
            "--size",
            choices=("small", "region", "large"),
            default="region",
            help="regionens storlek: small (liten), region (som seedens) eller large (stor); "
            "standard region",
        )
        c.add_argument(
            "--seed",
            type=int,
            default=1,
            metavar="TAL",
            help="slumpfrö: samma frö ger samma region",
        )
        c.add_argument("--no-tui", action="store_true", help="fyll bara hemmet")
    if want("import"):
        c = cmd("import", "importera en Prator-export (CSV-filer) till den gemensamma databasen")
        c.add_argument(
            "files",
            nargs="+",
            metavar="FIL",
            help="exportfiler: enheter.csv, patienter.csv, vardtillfallen.csv, sip.csv, "
            "meddelanden.csv",
        )
        c.add_argument("--dry-run", action="store_true", help="visa bara vad som skulle ändras")
    if want("sync"):
        c = cmd("sync", "skicka det lokala arbetet och hämta det nya från den gemensamma databasen")
        c.add_argument("--json", action="store_true", help=JSON_HELP)
    if want("worklist"):
        c = cmd("worklist", "rollens arbetslista vid enheten: det som är kvar att göra")
        c.add_argument("--json", action="store_true", help=JSON_HELP)
    subject_help = "id:t ur Prator-exporten (vardtillfalle_id, sip_id eller patient_id)"
    if want("checklist"):
        c = cmd("checklist", "checklistan för ett vårdtillfälle, en SIP eller en patient")
        c.add_argument("subject", metavar="ID", help=subject_help)
        c.add_argument("--json", action="store_true", help=JSON_HELP)
    if want("tick"):
        c = cmd("tick", "bocka av en punkt i checklistan som gjord (eller ångra med --undo)")
        c.add_argument("subject", metavar="ID", help=subject_help)
        c.add_argument("item", metavar="PUNKT", help="punktens id, t.ex. s2.personuppgifter")
        c.add_argument("--undo", action="store_true", help="ångra en avbockning")
        c.add_argument("--note", metavar="TEXT", help="en anteckning till punkten")
        c.add_argument("--value", metavar="ENHET", help="enheten som punkten anger (ett enhets-id)")
    if want("decide"):
        c = cmd("decide", "samordningsansvarigs beslut om en SIP: aktuell eller ej aktuell")
        c.add_argument("sip", metavar="SIP_ID", help="SIP:ens id (sip_id)")
        c.add_argument(
            "decision",
            choices=("aktuell", "ej-aktuell"),
            metavar="aktuell|ej-aktuell",
            help="beslutet: SIP:en är aktuell eller ej aktuell",
        )
    if want("discharge"):
        c = cmd(
            "discharge", "avdelningen registrerar att patienten är utskriven (då gäller steg 6)"
        )
        c.add_argument("admission", metavar="VÅRDTILLFÄLLE_ID", help="vårdtillfällets id")
    if want("ack"):
        c = cmd("ack", "registrera kvittering av ett Prator-meddelande (gjord i Prator)")
        c.add_argument(
            "message_id", metavar="MEDDELANDE_ID", help="meddelandets id (meddelande_id)"
        )
    if want("lookup"):
        c = cmd(
            "lookup", "supportens sökning på initial, efternamn och födelseår (aldrig personnummer)"
        )
        c.add_argument("name", metavar="NAMN", help='initial och efternamn, t.ex. "A Larsson"')
        c.add_argument("birth_year", metavar="FÖDELSEÅR", help="fyra siffror, t.ex. 1945")
        c.add_argument("--json", action="store_true", help=JSON_HELP)
    if want("stats"):
        c = cmd("stats", "statistik för hela regionen (systemförvaltning)")
        g = c.add_mutually_exclusive_group()
        g.add_argument("--json", action="store_true", help=JSON_HELP)
        g.add_argument("--csv", action="store_true", help="för Excel: UTF-8 med BOM, semikolon")
    if want("report"):
        c = cmd("report", "veckans lägesrapport i Markdown (systemförvaltning)")
        c.add_argument("--out", metavar="FIL", help="skriv den till FIL (annars till standard ut)")
    if want("state-hash"):
        c = cmd("state-hash", "kontrollsumma över det synkade läget")
    if want("serve"):
        c = cmd(
            "serve",
            "terminalgränssnittet i webbläsaren (textual-serve); bara på den egna datorn "
            "(loopback) om ingen inloggningsproxy står framför",
        )
        c.add_argument(
            "--host",
            default="127.0.0.1",
            metavar="ADRESS",
            help="adressen att lyssna på (standard 127.0.0.1)",
        )
        c.add_argument("--port", type=int, default=8000, help="porten (standard 8000)")
        c.add_argument(
            "--user-header",
            metavar="NAMN",
            help="ta varje användare från det här huvudet i anropen, satt av inloggningsproxyn "
            "(LCSP_USER_HEADER); utan det är varje flik --user",
        )
        c.add_argument(
            "--public-url",
            metavar="URL",
            help="adressen som webbläsarna använder, t.ex. https://lcsp.rvn.se (LCSP_PUBLIC_URL)",
        )
    if want("ledger"):
        led = cmd(
            "ledger",
            "sätt upp och kontrollera regionens gemensamma databas (databasadministratörer)",
        )
        lsub = led.add_subparsers(dest="ledger_command", metavar="ÅTGÄRD", parser_class=_Parser)
        lsub.required = True
        c = lsub.add_parser(
            "init",
            parents=[common],
            help="skapa schemat, skydden mot ändringar och appens databasroll",
            description="Skapa den gemensamma databasens schema i en PostgreSQL-databas (om det "
            "saknas), installera skydden som gör att en händelse bara kan läggas till, aldrig ändras "
            "eller tas bort, och skapa rollen som arbetsstationerna ansluter som, med bara de "
            "rättigheter som att skicka och hämta kräver. Anslut som databasens ägare. En ny roll "
            "får lösenordet i LCSP_APP_PASSWORD, annars ett genererat som visas en gång.",
        )
        c.add_argument("url", metavar="URL", help="postgresql://ägare@värd/databas")
        c.add_argument(
            "--app-role",
            metavar="ROLL",
            help="appens databasroll (standard <databas>_app: en per databas)",
        )
        c.add_argument("--json", action="store_true", help=JSON_HELP)
        c = lsub.add_parser(
            "check",
            parents=[common],
            help="nåbar, schemaversion, obruten nummerföljd, händelser per slag",
            description="Kontrollera en gemensam databas (postgresql://-adress eller SQLite-fil): "
            "slutkod 0 om allt är i ordning, 1 om en kontroll misslyckades, 69 om den inte går att nå.",
        )
        c.add_argument("url", metavar="URL", help="postgresql://… eller en SQLite-fil")
        c.add_argument("--json", action="store_true", help=JSON_HELP)
    if want("audit"):
        from lcsp_tui.cli_support import audit_arguments

        # audit's --user filters by user; a parent of its own, since "resolve" edits the parent
        audit_common = _Parser(add_help=False)
        _globals(audit_common, suppress=True)
        help_ = "granskningsloggen (systemförvaltning): filtrera, exportera för stickprov"
        c = sub.add_parser(
            "audit",
            help=help_,
            description=help_,
            parents=[audit_common],
            conflict_handler="resolve",
        )
        audit_arguments(c)
    if want("help-request"):
        from lcsp_tui.cli_support import help_request_parser

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
            sys.stderr.write(f"\r{label}: {num(done)} av {num(total)} ({pct} %)")
            if done >= total:
                sys.stderr.write("\n")
        elif pct % 25 == 0:
            sys.stderr.write(f"{label}: {num(done)} av {num(total)} ({pct} %)\n")
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


def saved_locally() -> str:
    return "sparat lokalt; synkas med lcsp sync"


def who_text(ws: Workstation, role: str, unit: str | None) -> str:
    """``Somatisk slutenvård vid Avd 11 Medicin Sundsvall (SUS-AVD11)``; a role without a
    unit works for ``hela regionen`` (never ``None``)."""
    from lcsp_tui.domain.roles import ROLES

    name = ROLES[role].name if role in ROLES else role
    if not unit:
        return f"{name}, hela regionen"
    unit_name = ws.q.unit_names([unit]).get(unit, (unit, None))[0]
    return f"{name} vid {unit_name} ({unit})" if unit_name != unit else f"{name} vid {unit}"


# ------------------------------------------------------------------ commands


def cmd_sync(args: argparse.Namespace) -> int:
    ws = _workstation(args)
    r = ws.sync()
    if args.json:
        _json({"pushed": r.pushed, "pulled": r.pulled, "cursor": r.cursor})
    else:
        _out(
            f"synkat med den gemensamma databasen: {num(r.pushed)} skickade och "
            f"{num(r.pulled)} hämtade händelser; läst till och med händelse {num(r.cursor)}"
        )
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from lcsp_tui.paths import absolute
    from lcsp_tui.textout import text_table
    from lcsp_tui.workstation import UsageError

    ws = _workstation(args)
    if ws.role != "systemforvaltning":  # a dry run too: it reads the whole export
        raise UsageError("importen är systemförvaltningens: ange --role systemforvaltning")
    paths = [absolute(f) for f in args.files]
    if not args.dry_run:
        ws.sync()  # compare against the ledger's latest state
    plan = ws.import_plan(paths)
    _refuse_fictitious_in_production(ws, plan)
    rows = [
        [name, num(c["new"]), num(c["changed"]), num(c["unchanged"])]
        for name, c in plan.counts.items()
    ]
    if rows:
        for line in text_table(["Fil", "Nya", "Ändrade", "Oförändrade"], rows):
            _out(line)
    n = plural(len(plan), "post", "poster")
    if args.dry_run:
        _out(f"provkörning: {n} skulle läggas till eller ändras; inget har skrivits")
        return EXIT_OK
    if not len(plan):
        _out("inget att importera: den gemensamma databasen har redan de här posterna")
        return EXIT_OK
    r = ws.publish(plan, {"files": sorted(plan.counts), "records": len(plan)})
    _out(
        f"importerade {n} till den gemensamma databasen; läst till och med händelse {num(r.cursor)}"
    )
    return EXIT_OK


def _refuse_fictitious_in_production(ws: Workstation, plan: StagedImport) -> None:
    """A production home takes no patient carrying a phone number of the range kept for
    fiction (``environments.FICTION_PHONE``) among what the import would write."""
    from lcsp_tui.domain.models import PATIENT_UPSERTED
    from lcsp_tui.environments import FICTION_PHONE, PRODUCTION, EnvironmentRefused

    if ws.env != PRODUCTION:
        return
    found = [
        str(p.get("patient_id"))
        for p in plan.payloads_of(PATIENT_UPSERTED)
        if FICTION_PHONE.search(f"{p.get('next_of_kin') or ''} {p.get('visiting_address') or ''}")
    ]
    if found:
        raise EnvironmentRefused(
            f"filerna innehåller fiktiva uppgifter ({plural(len(found), 'patient', 'patienter')} "
            f"med telefonnummer ur serien som är reserverad för fiktion, först {found[0]}): "
            "ett hem i produktion tar inte emot dem"
        )


def cmd_demo(args: argparse.Namespace) -> int:
    from lcsp_tui.config import parse_today
    from lcsp_tui.demo.home import fill
    from lcsp_tui.domain.when import day_text
    from lcsp_tui.workstation import UsageError

    ws = _workstation(args)
    if ws.env == "produktion":
        raise UsageError(
            "lcsp demo fyller aldrig ett hem i produktion: fiktiva patienter hör inte hemma där"
        )
    ws.sync()
    if ws.store.cursor > 0:
        raise UsageError("hemmet har redan data; inga demodata har lagts till")
    big = args.size != "small"
    done = fill(
        ws,
        args.size,
        args.seed,
        _progress("skapar demoregionen") if big else None,
        _progress("skriver till den gemensamma databasen") if big else None,
    )
    _out(
        f"demoregion {args.size!r} (slumpfrö {args.seed}): {plural(done.records, 'post', 'poster')}"
        f" i den gemensamma databasen; läst till och med händelse {num(done.cursor)}"
    )
    if done.rehearsal:
        when = day_text(parse_today(done.rehearsal))
        _out(f"simulerad tid i det här demohemmet: {when} (ändra med --today)")
    if args.no_tui:
        return EXIT_OK
    return run_tui(ws)


def _due_text(due: dt.datetime | None, target: bool, year: int) -> str:
    from lcsp_tui.domain.when import day_text

    if due is None:
        return "–"
    return f"{'mål' if target else 'senast'} {day_text(due, end_of_day=True, this_year=year)}"


def cmd_worklist(args: argparse.Namespace) -> int:
    ws = _workstation(args)
    role, unit = ws.require_role()
    rows = ws.worklist()
    if args.json:  # plain rows of the read model: nothing more to import (issue 14)
        _json([r.as_json() for r in rows])
        return EXIT_OK
    from lcsp_tui.domain import FLAG_TEXT
    from lcsp_tui.domain.when import day_text
    from lcsp_tui.rows import KIND_TEXT
    from lcsp_tui.textout import text_table

    year = ws.now().year
    n = plural(len(rows), "ärende", "ärenden")
    _out(f"{who_text(ws, role, unit)}: {n} på arbetslistan")
    if not rows:
        return EXIT_OK
    table = []
    for r in rows:
        flags = [
            f
            for f, on in (
                (f"öppnar {day_text(r.opens, this_year=year)}" if r.opens else "", r.opens),
                (FLAG_TEXT.upper(), r.flagged),
                ("FÖRSENAD", r.overdue),
                ("VÄNTAR på annan roll", r.waiting),
                (plural(r.unacknowledged, "okvitterat", "okvitterade"), r.unacknowledged),
            )
            if on
        ]
        table.append(
            [
                r.subject,
                KIND_TEXT.get(r.kind, r.kind),
                r.step,
                f"{r.done} av {r.total}",
                _due_text(r.due, r.target, year),
                " · ".join(flags),
            ]
        )
    for line in text_table(["Id", "Vad", "Steg", "Klart", "Tid", "Status"], table, "lllrll"):
        _out(line)
    return EXIT_OK


def cmd_checklist(args: argparse.Namespace) -> int:
    from lcsp_tui.textout import when_text

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
    year = ws.now().year
    _out(f"{args.subject} – {found.title}: {found.done} av {found.total} klara")
    width = max((len(r.item.id) for r in found.items), default=0)
    for r in found.items:
        box = "[x]" if r.done else "[ ]" if r.applies else "[-]"
        extra = []
        if r.item.prator_action:
            extra.append("i Prator" + (" (låst: Prator är i läsläge)" if r.locked else ""))
        if not r.applies:
            extra.append(f"gäller ej: {r.reason}")
        if r.waiting:
            extra.append(f"väntar på {r.waiting}")
        if r.done and (r.by or r.at):
            extra.append(f"klar {when_text(r.at, year)} av {r.by or '–'}")
        if r.value:
            extra.append(f"enhet {r.value}")
        if r.note:
            extra.append(f"anteckning: {r.note}")
        tail = f"  ({'; '.join(extra)})" if extra else ""
        _out(f"{box} {r.item.id:<{width}}  {r.item.label}{tail}")
    if found.owing:
        names = ws.q.unit_names(found.owing)
        owing = [f"{names.get(u, (u, None))[0]} ({u})" for u in found.owing]
        _out(f"okvitterade meddelanden hos: {', '.join(owing)}")
    return EXIT_OK


def cmd_tick(args: argparse.Namespace) -> int:
    ws = _workstation(args)
    ws.tick(args.subject, args.item, done=not args.undo, note=args.note, value=args.value)
    what = "avbockningen ångrad" if args.undo else "klar"
    _out(f"{args.subject} {args.item}: {what} ({saved_locally()})")
    return EXIT_OK


def cmd_decide(args: argparse.Namespace) -> int:
    from lcsp_tui.domain.models import SipDecision

    ws = _workstation(args)
    decision = SipDecision.AKTUELL if args.decision == "aktuell" else SipDecision.EJ_AKTUELL
    ws.decide_sip(args.sip, decision)
    words = "aktuell" if decision == SipDecision.AKTUELL else "ej aktuell"
    _out(f"{args.sip}: bedömd som {words} ({saved_locally()})")
    return EXIT_OK


def cmd_discharge(args: argparse.Namespace) -> int:
    ws = _workstation(args)
    ws.discharge(args.admission)
    _out(f"{args.admission}: utskrivning registrerad – steg 6 gäller ({saved_locally()})")
    return EXIT_OK


def cmd_ack(args: argparse.Namespace) -> int:
    ws = _workstation(args)
    ev = ws.ack(args.message_id)
    if ev is None:
        _out(f"{args.message_id}: redan kvitterat")
    else:
        _out(f"{args.message_id}: kvittering registrerad ({saved_locally()})")
    return EXIT_OK


def cmd_lookup(args: argparse.Namespace) -> int:
    from lcsp_tui.domain.lookup import LookupRefused
    from lcsp_tui.domain.words import ORG_LABELS
    from lcsp_tui.lookup import audited_lookup
    from lcsp_tui.workstation import UsageError

    ws = _workstation(args)
    if ws.role not in ("support", "systemforvaltning"):
        raise UsageError("sökningen är supportens: ange --role support")
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
            org = ORG_LABELS.get(sp["coordinator"] or "", "okänd").lower()
            _out(f"  SIP {sp['id']} (samordningsansvar: {org}): {sp['cutover']}")
        for u in m["unacknowledged"]:
            _out(f"  okvitterat {u['message_id']} ({u['type']}) hos {u['unit_name']} ({u['unit']})")
    if len(matches) > 1:
        _out(
            f"{plural(len(matches), 'träff', 'träffar')}: fråga efter enhet för att veta vem det gäller"
        )
    return EXIT_OK


def _region_stats(args: argparse.Namespace, what: str) -> tuple[Workstation, Stats]:
    from lcsp_tui.stats import collect
    from lcsp_tui.workstation import UsageError

    ws = _workstation(args)
    if ws.role != "systemforvaltning":
        raise UsageError(
            f"{what} för hela regionen är systemförvaltningens: ange --role systemforvaltning"
        )
    return ws, collect(ws.q, ws.region, ws.settings.now())


def cmd_stats(args: argparse.Namespace) -> int:
    from lcsp_tui.csvout import to_stdout
    from lcsp_tui.stats.export import csv_rows
    from lcsp_tui.stats.text import stats_text

    _ws, stats = _region_stats(args, "statistiken")
    if args.json:
        _json(stats.as_json())
        return EXIT_OK
    if args.csv:
        to_stdout(csv_rows(stats))
        return EXIT_OK
    _out(stats_text(stats))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from lcsp_tui.paths import out_file
    from lcsp_tui.privacy import write_private
    from lcsp_tui.stats.report import report

    out = out_file(args.out) if args.out is not None else None  # checked before the work
    ws, stats = _region_stats(args, "lägesrapporten")
    text = report(stats, env=ws.env, simulated=ws.settings.simulated)
    if out is None:
        sys.stdout.write(text)
        return EXIT_OK
    write_private(out, lambda f: f.write(text))  # 0600 from the first byte
    _out(f"rapporten skriven till {out}")
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
    from lcsp_tui.errors import tidy_line
    from lcsp_tui.ledger.base import LedgerUnreachable
    from lcsp_tui.privacy import redact

    try:
        return _ledger_admin(args)
    except LedgerUnreachable as e:  # no "local work is kept": this is no workstation
        sys.stderr.write(f"lcsp: {tidy_line(redact(str(e)))}\n")
        return EXIT_UNREACHABLE


def _ledger_admin(args: argparse.Namespace) -> int:
    import os

    from lcsp_tui.ledger import admin
    from lcsp_tui.textout import text_table

    if args.ledger_command == "init":
        init = admin.init_ledger(
            args.url, args.app_role, os.environ.get("LCSP_APP_PASSWORD") or None
        )
        if args.json:
            _json(init.as_json())
            return EXIT_OK
        _out(
            f"den gemensamma databasen {init.ledger_id} på {init.where} (schemaversion "
            f"{init.schema_version}, tabellerna i {init.schema}, ägare {init.owner}): skydden "
            "mot ändring och borttagning är installerade"
        )
        _out(
            f"appens roll {init.app_role}: "
            f"{'skapad' if init.created_role else 'rättigheterna återställda'}; "
            "den får lägga till och läsa händelser, inget annat"
        )
        if init.password:
            _out(
                f"genererat lösenord för {init.app_role} (visas en gång; spara det i "
                f"arbetsstationernas pgpass-fil, inte i skript): {init.password}"
            )
        _out(f"arbetsstationerna använder: --ledger {init.app_url}")
        return EXIT_OK
    r = admin.check_ledger(args.url)
    if args.json:
        _json(r.as_json())
    else:
        _out(
            f"den gemensamma databasen {r.ledger_id} på {r.where} ({r.backend}), "
            f"schemaversion {r.schema_version}"
        )
        guards = {None: "", True: ", skydden mot ändring är installerade"}.get(
            r.guards, ", skydden mot ändring SAKNAS"
        )
        dense = "obruten" if r.dense else "BRUTEN"
        events = plural(r.events, "händelse", "händelser")
        _out(f"senaste nummer {num(r.head)}, {events}, nummerföljden {dense}{guards}")
        if r.kinds:
            rows = [[kind, num(n)] for kind, n in r.kinds.items()]
            for line in text_table(["Slag av händelse", "Antal"], rows):
                _out("  " + line)
    if not r.ok:
        sys.stderr.write(
            f"lcsp: kontrollen av den gemensamma databasen misslyckades: {'; '.join(r.problems)}\n"
        )
        return 1
    return EXIT_OK


def run_tui(ws: Workstation) -> int:
    import gc

    gc.disable()  # until the first paint (lcsp_tui.app.run_app turns it back on; issue 14)
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


# The global options that take a value (``_globals``): what ``command_of`` steps over.
_VALUED = ("--home", "--ledger", "--user", "--role", "--unit", "--today", "--env")


def command_of(argv: Sequence[str]) -> str | None:
    """The subcommand a command line names, read the way argparse reads it, when that is
    certain: a known command after nothing but the global options with their values
    (``""`` when there is no command at all: the TUI). None when anything else comes first
    (help, an unknown or ambiguous option, an unknown command): then the whole parser
    decides, with its help and its error messages."""
    args = iter(argv)
    for arg in args:
        if arg in COMMANDS:
            return arg
        if not arg.startswith("--") or arg == "--":
            return None
        name, eq, _ = arg.partition("=")
        matches = [o for o in _VALUED if o.startswith(name)]  # argparse takes prefixes too
        if len(matches) != 1:
            return None
        if not eq:
            next(args, None)  # its value
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    import os

    from lcsp_tui.privacy import PRIVATE_UMASK, redact

    os.umask(PRIVATE_UMASK)  # every file lcsp makes (store, ledger, exports) is 0600
    given = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(command_of(given)).parse_args(given)
    from lcsp_tui.errors import exit_code_for, tidy_line

    try:
        handler = COMMANDS.get(args.command or "", cmd_tui)
        code = handler(args)
        sys.stdout.flush()  # a full disk behind a redirect fails here, not at exit
        return code
    except KeyboardInterrupt:
        sys.stderr.write("lcsp: avbrutet\n")
        return 130
    except BrokenPipeError:
        _drop_stdout()
        return EXIT_OK
    except Exception as e:  # every error is one line, never a traceback
        if isinstance(e, OSError):
            _settle_stdout()
        code, lines = exit_code_for(e)
        for line in lines:  # escaped, cut, never a personnummer, whatever the error echoes
            text = tidy_line(redact(line))
            sys.stderr.write(f"lcsp: {text}\n" if code != EXIT_DATA else f"{text}\n")
        return code


def _settle_stdout() -> None:
    """What was printed before an OS error is kept if stdout still works."""
    try:
        sys.stdout.flush()
    except OSError:
        _drop_stdout()


def _drop_stdout() -> None:
    """After stdout failed (a closed pipe, a full disk): what is still buffered goes
    nowhere, so Python's own flush at exit prints no English error of its own."""
    import os

    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):  # not a real file (a test's capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
