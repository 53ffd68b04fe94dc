"""A workstation: one home (local store) working as one user, role and unit.

The actions of the CLI and the TUI live here, so both behave the same: every change is
checked against the rules, written to the local outbox first, and synced with the ledger.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, cast

from lcsp_tui.config import Settings, parse_today
from lcsp_tui.domain import LazyRegion, Refusal
from lcsp_tui.domain.roles import ROLES, UNIT_TYPE_NAMES, UNIT_TYPES_OF_ROLE
from lcsp_tui.domain.when import day_text
from lcsp_tui.paths import absolute, check_home, remembered_ledger
from lcsp_tui.privacy import harden_home, refuse_personnummer
from lcsp_tui.rows import KIND_TEXT, Checklist, WorkRow
from lcsp_tui.store.queries import Queries
from lcsp_tui.store.store import LocalStore

# Only what opening a home and reading it needs is imported above (issue 14): the event
# models, the ledger, sync and the importer are imported by the actions that use them.
if TYPE_CHECKING:
    from lcsp_tui.domain import models as m
    from lcsp_tui.domain.regiondata import ChecklistItem, RegionData
    from lcsp_tui.importer import StagedImport
    from lcsp_tui.importer.kinds import Known, KnownMany
    from lcsp_tui.ledger.base import Ledger
    from lcsp_tui.sync import SyncResult


@contextmanager
def home_lock(home: Path) -> Iterator[None]:
    """One sync at a time per home, across processes: two browser tabs of one user (lcsp
    serve) or a cron ``lcsp sync`` beside the TUI would otherwise both pull after the same
    cursor, and the second fold stops loudly on a "gap"."""
    try:
        import fcntl
    except ImportError:  # Windows: no lcsp serve there; one process per home
        yield
        return
    fd = os.open(home / ".sync.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


class UsageError(Refusal):
    """Bad usage or a refused action: exit 2, one line."""


class Workstation:
    def __init__(self, settings: Settings, region: RegionData | LazyRegion | None = None) -> None:
        self.settings = settings
        self._followed = True  # (reads while opening do not switch the bucket: see the end)
        # The region's data is loaded when an action or a screen reads it, not to open the
        # home: the store reads it only to derive its read model (``LocalStore`` takes any
        # object with its three parts, loaded or not).
        self._region = region if region is not None else LazyRegion()
        # Absolute before anything is stored (``settings_from`` does it; Settings made in
        # code may not): a home must never record a path relative to where it was made.
        home = settings.home = absolute(settings.home)
        if settings.ledger:
            from lcsp_tui.ledger.base import is_postgres

            if not is_postgres(settings.ledger):
                settings.ledger = str(absolute(settings.ledger))
        # A file, or a directory of something else, is refused before anything in it is
        # made or has its mode changed; the home is private only once it is ours.
        check_home(home)
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.store = LocalStore(settings.store_path, cast("RegionData", self._region))
        harden_home(home)
        self.env = self._resolve_env(settings.env)
        if settings.today is None and (saved := self.store.get_meta("today")):
            # A rehearsal home (the demo) keeps its simulated day unless --today is given.
            settings.today = parse_today(saved)
        if settings.role and settings.unit:  # given on the command line or in the environment
            self.check_unit_kind(settings.role, settings.unit)
        self._followed = False  # the command's first read or write follows its role

    def _follow_role(self) -> None:
        """A home used with another role or unit than its bucket's (``--role`` on one
        command) holds nothing of the old bucket and pulls the new one, when the command
        first reads or writes (a command refused before that changes nothing); so does a
        home upgraded from a release before buckets (it forgot what it pulled). Without the
        ledger it is empty until the next sync reaches it."""
        from lcsp_tui.errors import PathRefused
        from lcsp_tui.ledger.base import LedgerError
        from lcsp_tui.ledger.buckets import bucket_of

        if self._followed:
            return
        self._followed = True
        held = self.store.bucket
        if held == bucket_of(self.role, self.unit).name or (held and self.role is None):
            return
        if held is None and not (self.store.get_meta("ledger_id") and self.role):
            return  # a new home: its first sync chooses
        unit, q = self.unit, self.store.queries()
        if unit and q.has_units() and q.unit(unit) is None:
            return  # an unknown unit: the command refuses it (units stay across buckets)
        try:
            self.sync()
        except (LedgerError, PathRefused):  # (the next sync says why)
            self.enter_bucket()

    def _resolve_env(self, wanted: str | None) -> str:
        known = self.store.get_meta("env")
        if known is None:
            env = wanted or "utbildning"
            self.store.set_meta("env", env)
            return env
        if wanted is not None and wanted != known:
            raise UsageError(
                f"hemmet hör till miljön {known} och kan inte användas som {wanted} "
                "(ange ett annat --home)"
            )
        return known

    def close(self) -> None:
        self.store.close()

    @property
    def region(self) -> RegionData:
        """The region's checklists, timeline and municipalities (loaded on first use)."""
        if isinstance(self._region, LazyRegion):
            return self._region.get()
        return self._region

    @property
    def region_loaded(self) -> bool:
        """Whether the region's data has been loaded (reading ``region`` loads it)."""
        return not isinstance(self._region, LazyRegion) or self._region.loaded

    def lazy_region(self) -> RegionData | LazyRegion:
        """The region as given to this workstation, loaded or not: for another workstation
        on the same home (the TUI's sync worker) that should not load it before it must."""
        return self._region

    # ------------------------------------------------------------ who, where, when

    @property
    def user(self) -> str:
        return self.settings.user

    @property
    def role(self) -> str | None:
        return self.settings.role or self.store.get_meta("role")

    @property
    def unit(self) -> str | None:
        return self.settings.unit or self.store.get_meta("unit")

    def remember(self, role: str, unit: str | None) -> None:
        """Save the chosen role and unit in the home (the TUI's first start, or a switch)."""
        self.settings.role, self.settings.unit = role, unit
        self.store.set_meta("role", role)
        self.store.set_meta("unit", unit)
        self.enter_bucket()  # nothing of the other bucket stays; the next sync pulls this one

    def now(self) -> dt.datetime:
        return self.settings.now()

    @property
    def q(self) -> Queries:
        """Every read of this home's store (the read model, records, the audit trail)."""
        self._follow_role()
        return self.store.queries()

    @contextmanager
    def reading(self) -> Iterator[Queries]:
        """Queries on a connection of this thread's own (for a worker thread)."""
        store = LocalStore(self.settings.store_path, cast("RegionData", self._region))
        try:
            yield store.queries()
        finally:
            store.close()

    def worklist(self) -> list[WorkRow]:
        """The current role's pending subjects at the current unit, by due time."""
        role, unit = self.require_role()
        return self.q.worklist(role, unit or "", self.now())

    def checklist(self, subject: str) -> Checklist:
        """The subject's checklist for the current role at the current unit; refused (exit 2)
        when it is not on that worklist."""
        role, unit = self.require_role()
        found = self.q.checklist(role, unit, subject, self.now())
        if found is None:
            if self.q.subject_kind(subject) is None:
                raise UsageError(f"okänt id {subject!r}")
            raise UsageError(
                f"{subject} finns inte på arbetslistan för {ROLES[role].name} på {unit}"
            )
        return found

    def require_role(self, *, unit: bool = True) -> tuple[str, str | None]:
        role = self._role()
        needs_unit = ROLES[role].needs_unit and unit
        u = self.unit
        if needs_unit:
            if u is None:
                raise UsageError(
                    f"{ROLES[role].name} arbetar på en enhet: ange --unit (eller LCSP_UNIT)"
                )
            if not self.q.unit_exists(u):
                raise UsageError(f"okänd enhet {u!r} (kör lcsp sync om den nyss importerats)")
            self.check_unit_kind(role, u)
        return role, u if needs_unit else u

    def _role(self) -> str:
        role = self.role
        if role is None:
            raise UsageError("ingen roll: ange --role (eller LCSP_ROLE)")
        return role

    def check_unit_kind(self, role: str, unit: str) -> None:
        """A role works only at a unit of its kind (a hälsocentral, not a ward, for
        primärvården); refused with exit 2. A unit the store does not know yet passes."""
        types = UNIT_TYPES_OF_ROLE.get(role)
        found = self.q.unit(unit) if types is not None else None
        if types is None or found is None or found.type in types:
            return
        kinds = " eller ".join(UNIT_TYPE_NAMES.get(t, t) for t in types)
        raise UsageError(
            f"{ROLES[role].name} arbetar inte på {found.name} "
            f"({UNIT_TYPE_NAMES.get(found.type, found.type)}): välj en {kinds}"
        )

    def _record(self, kind: str, payload: dict[str, object]) -> m.Event:
        self._follow_role()
        return self.store.record(
            kind,
            payload,
            actor=self.user,
            role=self.role or "",
            unit=self.unit or "",
            recorded_at=self.settings.now().isoformat(timespec="minutes"),
        )

    # ------------------------------------------------------------ ledger

    def ledger_spec(self) -> str:
        """The ledger given (absolute: see ``settings_from``), else the one the home
        remembers (a relative path recorded by an earlier release resolved or refused: see
        ``lcsp_tui.paths.remembered_ledger``), else the SQLite file in the home."""
        from lcsp_tui.ledger.base import is_postgres

        if self.settings.ledger:
            return self.settings.ledger
        remembered = self.store.get_meta("ledger")
        if remembered and not is_postgres(remembered):
            return remembered_ledger(self.settings.home, remembered)
        return remembered or self.settings.default_ledger

    def open_ledger(self) -> Ledger:
        from lcsp_tui.ledger.base import LedgerMismatch, open_ledger
        from lcsp_tui.sync import check_identity

        spec = self.ledger_spec()
        ledger = open_ledger(spec, create=self.store.get_meta("ledger_id") is None)
        try:
            check_identity(self.store, ledger)
        except LedgerMismatch:
            ledger.close()
            raise
        if self.store.get_meta("ledger") != spec:
            self.store.set_meta("ledger", spec)
        self.enter_bucket()
        self._check_ledger_env(ledger)
        return ledger

    def enter_bucket(self) -> None:
        """The home holds what its role at its unit may see (``lcsp_tui.ledger.buckets``):
        after a switch it forgets the other bucket (its outbox kept) and pulls this one. A
        command without a role keeps the bucket the home has (a new home: the region's,
        which holds no personnummer)."""
        from lcsp_tui.ledger.buckets import bucket_of

        if self.role is None and self.store.bucket is not None:
            return
        self.store.enter_bucket(bucket_of(self.role, self.unit).name)

    def _check_ledger_env(self, ledger: Ledger) -> None:
        """A production home checks the whole ledger for demo data before its first push,
        then declares itself there (see ``lcsp_tui.environments``)."""
        from lcsp_tui.domain import models as m
        from lcsp_tui.environments import PRODUCTION, pull_guard
        from lcsp_tui.sync import pull

        if self.env != PRODUCTION or self.store.get_meta("env_declared"):
            return
        pull(self.store, ledger, guard=pull_guard(self.env))
        self._record(m.LEDGER_ENVIRONMENT, {"env": self.env, "what": f"miljö: {self.env}"})
        self.store.set_meta("env_declared", self.env)

    def sync(self) -> SyncResult:
        from lcsp_tui.environments import pull_guard
        from lcsp_tui.sync import sync

        with home_lock(self.settings.home):
            ledger = self.open_ledger()
            try:
                return sync(self.store, ledger, guard=pull_guard(self.env))
            finally:
                ledger.close()

    # ------------------------------------------------------------ actions

    def tick(
        self,
        subject: str,
        item_id: str,
        *,
        done: bool = True,
        note: str | None = None,
        value: str | None = None,
    ) -> m.Event:
        from lcsp_tui.domain import models as m
        from lcsp_tui.domain import rules

        role, unit = self.require_role()
        item = self.region.checklists.by_id.get(item_id)
        if item is None:
            raise UsageError(f"okänd punkt {item_id!r}")
        if role not in item.roles:
            raise UsageError(
                f"{item_id} bockas av {', '.join(ROLES[r].name for r in item.roles)}, "
                f"inte av {ROLES[role].name}"
            )
        found = self.checklist(subject)
        if found.kind != item.subject:
            raise UsageError(
                f"{item_id} hör till en {KIND_TEXT[item.subject]}, {subject} är en "
                f"{KIND_TEXT[found.kind]}"
            )
        row = next(r for r in found.items if r.item.id == item_id)
        rules.check_tick(
            rules.TickCheck(
                item, row.applies, row.reason, row.waiting, row.locked, row.opens, found.owing
            ),
            done,
        )
        refuse_personnummer(note, value)
        payload: dict[str, object] = {"subject": subject, "item": item_id, "done": done}
        if note:
            payload["note"] = note
        if done and (unit_set := self._value(subject, item, value)):
            payload["value"] = unit_set
        elif value is not None and not done:
            raise UsageError("--value hör till en bockad punkt, inte till --undo")
        return self._record(m.ITEM_TICKED, payload)

    def _value(self, subject: str, item: ChecklistItem, value: str | None) -> str | None:
        """The unit an item sets: the one given, or the patient's own of the right type."""
        if item.value is None:
            if value is not None:
                raise UsageError(f"{item.id} anger ingen enhet: --value gäller inte här")
            return None
        kind = UNIT_TYPE_NAMES.get(item.value, item.value)
        if value is None:
            value = self.q.patient_unit_of_type(subject, item.value)
            if value is None:
                raise UsageError(f"{item.id}: patienten har ingen {kind} – ange den med --value")
            return value
        unit = self.q.unit(value)
        if unit is None or unit.type != item.value:
            raise UsageError(f"--value: {value} är ingen {kind}")
        return value

    def discharge(self, admission_id: str) -> m.Event:
        """The ward records that the patient is discharged: step 6 applies."""
        from lcsp_tui.domain import models as m

        role, unit = self.require_role()
        found = self.checklist(admission_id)
        if found.kind != "admission" or not any(i.item.closes for i in found.items):
            raise UsageError("utskrivning registreras av slutenvården på patientens avdelning")
        return self._record(m.ADMISSION_DISCHARGED, {"admission_id": admission_id})

    def ack(self, message_id: str, help_request: str | None = None) -> m.Event | None:
        """Record the kvittering of a Prator message; None when it already was acknowledged.

        Support acknowledges on the recipient unit's behalf, optionally for a help request.
        """
        from lcsp_tui.domain import models as m

        role = self._role()
        msg = self.q.message(message_id)
        if msg is None:
            raise UsageError(f"okänt meddelande {message_id!r}")
        if role != "support" and self.unit != msg.recipient_unit:
            raise UsageError(
                f"meddelande {message_id} är till {self.q.unit_name(msg.recipient_unit)}: bara "
                "den enheten, eller supporten åt den, kan kvittera det"
            )
        if msg.acknowledged:
            return None
        read_only = self.region.timeline.milestones.prator_read_only
        if self.now() >= read_only:
            raise UsageError(
                f"Prator är i läsläge sedan {day_text(read_only)}: meddelandet kan inte längre "
                "kvitteras (det visas som missat för systemförvaltningen)"
            )
        payload: dict[str, object] = {"message_id": message_id}
        if role == "support":
            payload["on_behalf_of"] = msg.recipient_unit
            if help_request:
                payload["help_request"] = help_request
        return self._record(m.MESSAGE_ACKED, payload)

    def decide_sip(self, sip_id: str, decision: m.SipDecision) -> m.Event:
        from lcsp_tui.domain import models as m

        role, unit = self.require_role()
        if role != "samordningsansvarig":
            raise UsageError("bara samordningsansvarig bedömer om en SIP är aktuell")
        found = self.q.checklist(role, unit, sip_id, self.now())
        if found is None or found.kind != "sip":
            raise UsageError(f"{sip_id} är ingen pågående SIP på enheten {unit}")
        return self._record(m.SIP_DECIDED, {"sip_id": sip_id, "decision": decision.value})

    def audit_read(self, subject: str | None, what: str, outcome: str = "ok") -> str:
        """Every read of a patient's data is an audit event in the ledger: committed to the
        outbox (durable) before this returns, so before the caller shows what was read. One
        prepared insert and one commit; no ``Event`` model is built. Returns its event id."""
        return self.store.record(
            "audit.read",  # models.AUDIT_READ, without importing the models
            {"subject": subject, "what": what, "outcome": outcome},
            actor=self.user,
            role=self.role or "",
            unit=self.unit or "",
            recorded_at=self.settings.now().isoformat(timespec="minutes"),
            event=False,
        )

    # ------------------------------------------------------------ import and demo

    def record_lookups(self) -> tuple[Known, KnownMany]:
        """The importer's view of the records the ledger has: ``known`` (one) and
        ``known_many`` (in bulk). A home whose bucket may not hold personnummer
        (``lcsp_tui.ledger.buckets``) answers for the patients from the ledger: a corrected
        personnummer must count as a change."""
        from lcsp_tui.domain.models import Patient
        from lcsp_tui.ledger.buckets import REGION, Bucket

        store_known, store_many = self.store.known(), self.store.known_many
        bucket = self.store.bucket
        if bucket is None or Bucket.parse(bucket).kind != REGION:
            return store_known, store_many
        ledger = self.open_ledger()
        try:
            payloads = ledger.patient_records()
        finally:
            ledger.close()
        patients = {
            pid: Patient.model_validate(p).model_dump(mode="json") for pid, p in payloads.items()
        }

        def known(kind: str, record_id: str) -> dict[str, object] | None:
            return patients.get(record_id) if kind == "patient" else store_known(kind, record_id)

        def known_many(kind: str, ids: Sequence[str]) -> dict[str, dict[str, object]]:
            if kind != "patient":
                return store_many(kind, ids)
            return {i: patients[i] for i in ids if i in patients}

        return known, known_many

    def known(self) -> Known:
        return self.record_lookups()[0]

    def import_plan(self, paths: Sequence[Path]) -> StagedImport:
        """Read, check and diff an export against the confirmed records (``ImportFailed``
        with every error); nothing is written."""
        from lcsp_tui.importer import stage_import

        known, known_many = self.record_lookups()
        return stage_import(paths, self.region, known, self.settings.now().date(), known_many)

    def publish(
        self,
        events: Sequence[m.Event] | StagedImport,
        summary: dict[str, object],
        progress: Callable[[int, int], None] | None = None,
    ) -> SyncResult:
        """Write record events straight into the ledger (import, demo), then fold them into
        this home: a staged import is made into events a batch at a time, as it is written."""
        with home_lock(self.settings.home):
            return self._publish(events, summary, progress)

    def _publish(
        self,
        events: Sequence[m.Event] | StagedImport,
        summary: dict[str, object],
        progress: Callable[[int, int], None] | None,
    ) -> SyncResult:
        """Each batch is pushed (one ledger transaction) and then folded into this home's
        store straight from memory (``LocalStore.apply_pulled``: the store is never ahead of
        the ledger) when the ledger numbered it right after the store's cursor, as it does
        unless another writer came in between; then the store pulls instead. The read model
        is refreshed once, at the end, for everything the batches touched."""
        import uuid
        from collections.abc import Iterable
        from contextlib import suppress
        from itertools import chain, islice
        from typing import Any

        from lcsp_tui.domain import models as m
        from lcsp_tui.environments import pull_guard
        from lcsp_tui.importer import bulk
        from lcsp_tui.importer.diff import StagedImport
        from lcsp_tui.ledger.buckets import REGION, Bucket, redact
        from lcsp_tui.ledger.pulled import PulledEvent
        from lcsp_tui.store.readmodel import Touched
        from lcsp_tui.sync import SyncResult, pull, sync

        ledger = self.open_ledger()
        guard = pull_guard(self.env)
        store = self.store
        try:
            pushed = sync(store, ledger, guard=guard).pushed
            replica = store.replica_id
            actor, role, unit = self.user, self.role or "", self.unit or ""
            now = self.settings.now().isoformat(timespec="minutes")
            envelope = {"actor": actor, "role": role, "unit": unit, "recorded_at": now}
            Event = m.Event
            Item = m.Event | tuple[str, dict[str, object]]
            check: Callable[[Sequence[Any]], None] = guard

            def stamped(e: m.Event | tuple[str, dict[str, object]]) -> m.Event:
                """An event of this import as the ledger gets it, not validated again (its
                payload was: a checked export row, or a validated model). One that says when
                and by whom it was done (the demo's work under way, done on its own days by
                its own staff) keeps that; the others are this user's now."""
                if isinstance(e, tuple):
                    kind, payload = e
                    return Event.model_construct(
                        event_id=str(uuid.uuid4()),
                        replica_id=replica,
                        kind=kind,
                        actor=actor,
                        role=role,
                        unit=unit,
                        recorded_at=now,
                        payload=payload,
                    )
                if e.recorded_at:
                    fields = {**e.__dict__, "replica_id": replica, "seq": None}
                else:
                    fields = {**e.__dict__, **envelope, "replica_id": replica, "seq": None}
                return Event.model_construct(**fields)

            source: Iterable[Item]
            if isinstance(events, StagedImport):
                source, total = events.payloads(), len(events)
            else:
                source, total = events, len(events)
            head: list[Item] = []
            if "demo" in summary:  # marked before its records: see lcsp_tui.environments
                marker = {"what": "fiktiva demodata", "demo": summary["demo"]}
                head.append((m.DEMO_DATA, marker))
            tail: list[Item] = [("import.completed", {"what": "import", **summary})]
            total += len(head) + len(tail)
            every = chain(head, source, tail)
            written = folded = 0
            deferred = Touched()
            # A region home holds all of it, redacted as the ledger would serve it; a care
            # home only its bucket, so it pulls (the ledger filters).
            region = Bucket.parse(store.bucket or "").kind == REGION
            try:
                while batch := [stamped(e) for e in islice(every, bulk.BATCH)]:
                    seqs = ledger.push(batch)
                    written += len(batch)
                    first = seqs[batch[0].event_id]
                    if (
                        region
                        and store.cursor == first - 1
                        and seqs[batch[-1].event_id] == first + len(batch) - 1
                    ):
                        # Numbered right after the store's cursor, and densely (a ledger
                        # numbers a push's new events in batch order): fold it as it is.
                        rows = [
                            PulledEvent.of(e, seq=first + i, payload=redact(e.kind, e.payload))
                            for i, e in enumerate(batch)
                        ]
                        check(rows)
                        store.apply_pulled(rows, deferred=deferred, last=False)
                        folded += len(rows)
                    else:  # another writer came in between: pull what the ledger has
                        store.catch_up(deferred)
                        folded += pull(store, ledger, guard=guard)
                    if progress:
                        progress(written, total)
            except Exception:
                if deferred:  # what was folded reaches the read model (as ``sync.pull``)
                    with suppress(Exception):
                        store.catch_up(deferred)
                raise
            store.catch_up(deferred)
            return SyncResult(pushed=pushed + written, pulled=folded, cursor=store.cursor)
        finally:
            ledger.close()
