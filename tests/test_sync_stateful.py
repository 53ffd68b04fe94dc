"""Replicas doing local writes, pushes, pulls, crashes, lost acks and duplicate pushes
converge to ``fold(ledger)``; the ledger keeps unique event ids and a dense seq.

Replicas hold buckets (issue 15): some the whole ledger, some a unit's or the region's
bucket; a replica may switch unit mid-way, and an import re-lists a patient at another
hälsocentral or biståndsenhet. A replica of a bucket converges to a fresh home of the same
bucket at the same cursor, and never holds another bucket's patients.

A Hypothesis ``RuleBasedStateMachine`` run against both ledger backends: a SQLite ledger
file in a temp dir, and PostgreSQL (a fresh database per example on the test server).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from lcsp_tui import sync
from lcsp_tui.domain import models as m
from lcsp_tui.ledger import postgres as pg_ledger_module
from lcsp_tui.ledger import sqlite as sqlite_ledger_module
from lcsp_tui.ledger.base import Ledger, open_ledger
from lcsp_tui.store import store as store_module
from lcsp_tui.store.store import LocalStore
from tests import pg

# SQLite files with synchronous=FULL: fsync dominates on a disk, so use tmpfs when there.
TMP_ROOT = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None

# ------------------------------------------------------------------ the seeded records

SEED_RECORDS: list[m.Record] = [
    m.Unit(unit_id="U-WARD", name="Avd 1", type=m.UnitType.SLUTENVARD_SOMATIK),
    m.Unit(unit_id="U-HC", name="Hälsocentral", type=m.UnitType.HALSOCENTRAL),
    m.Unit(unit_id="U-HC2", name="Hälsocentral 2", type=m.UnitType.HALSOCENTRAL),
    m.Unit(
        unit_id="U-BIST",
        name="Biståndsenheten",
        type=m.UnitType.BISTANDSENHET,
        municipality="Sundsvall",
    ),
    *[
        m.Patient(
            patient_id=f"P{i}",
            personnummer=f"19400101{i:04d}",
            first_name="Anna",
            last_name=f"Åström{i}",
            municipality="Sundsvall",
            housing=m.Housing.ORDINART,
            health_centre="U-HC",
            assistance_unit="U-BIST",
        )
        for i in (1, 2)
    ],
    *[
        m.Admission(
            admission_id=f"A{i}",
            patient_id=f"P{i}",
            care_form=m.CareForm.SOMATIK,
            ward="U-WARD",
            admitted="2025-09-10",
            discharge_ready="2025-10-03",
            status=m.AdmissionStatus.PAGAENDE,
        )
        for i in (1, 2)
    ],
    *[
        m.Sip(
            sip_id=f"S{i}",
            patient_id=f"P{i}",
            coordinator_org=m.CoordinatorOrg.KOMMUN,
            responsible_unit="U-BIST",
            municipality="Sundsvall",
            started="2025-01-01",
            status=m.SipStatus.PAGAENDE,
        )
        for i in (1, 2)
    ],
    *[
        m.Message(
            message_id=f"M{i}",
            admission_id=f"A{1 + i % 2}",
            type="inskrivningsmeddelande",
            recipient_unit="U-HC" if i % 2 else "U-BIST",
            sent="2025-09-10T10:00:00",
        )
        for i in range(1, 5)
    ],
]

SUBJECTS = ["A1", "A2", "S1", "S2", "P1", "P2"]
ITEMS = ["s2.personuppgifter", "s2.inskrivningsmeddelande", "s6.avsluta_lcsp", "s7.huvudmal"]
MESSAGES = ["M1", "M2", "M3", "M4", "M-unknown"]
SIPS = ["S1", "S2"]
ENVELOPE = {"actor": "tester", "role": "slutenvard-somatik", "unit": "U-WARD"}
# None: the whole ledger (the replica the invariants fold event by event)
BUCKETS = [None, "care:U-WARD", "care:U-HC", "care:U-HC2", "care:U-BIST", "region", "region:audit"]


class Upto:
    """A ledger read as if it ended at ``upto`` (a bucket's state at a cursor)."""

    def __init__(self, ledger: Ledger, upto: int) -> None:
        self.ledger, self.upto = ledger, upto

    def pull_bucket(self, after: int, limit: int, bucket: Any, me: str) -> Any:
        return self.ledger.pull_bucket(after, limit, bucket, me, upto=self.upto)  # type: ignore[attr-defined]

    def head(self) -> int:
        return self.upto


def seed_events() -> list[m.Event]:
    return [
        m.record_event(r, replica_id="seed", origin_seq=i, recorded_at="2025-09-01T08:00")
        for i, r in enumerate(SEED_RECORDS, start=1)
    ]


def ledger_events(ledger: Ledger) -> list[m.Event]:
    out: list[m.Event] = []
    while True:
        batch = ledger.pull(len(out), 1000)
        out.extend(batch)
        if len(batch) < 1000:
            return out


class LostReply(Exception):
    """The ledger committed the push, but the reply never reached the replica."""


class Crash(Exception):
    """The replica's process died in the middle of an operation."""


@contextmanager
def ledger_reply_lost() -> Iterator[None]:
    """Make the ledgers' after-commit crash point lose the reply instead of killing us."""

    def lose(name: str) -> None:
        if name == "after_ledger_commit":
            raise LostReply

    with (
        mock.patch.object(sqlite_ledger_module, "_crash_point", lose),
        mock.patch.object(pg_ledger_module, "_crash_point", lose),
    ):
        yield


@contextmanager
def store_dies_after_fold(store: LocalStore) -> Iterator[None]:
    """At the store's after-fold point, the connection goes away mid-transaction."""

    def die(name: str) -> None:
        if name == "after_fold":
            store._conn.close()  # an open transaction is rolled back, as in a real crash
            raise Crash

    with mock.patch.object(store_module, "_crash_point", die):
        yield


# ------------------------------------------------------------------ the state machine


class SyncMachine(RuleBasedStateMachine):
    # Set by the test for each backend: make a fresh ledger, return (spec, cleanup).
    make_ledger: Callable[[], tuple[str, Callable[[], None]]]

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="lcsp-stateful-", dir=TMP_ROOT))
        self.spec, self._drop_ledger = type(self).make_ledger()
        self.ledger = open_ledger(self.spec, create=True)
        self.ledger.push(seed_events())
        self.stores: list[LocalStore] = []
        # event_id -> (replica index, kind, payload) of every event a replica recorded
        self.recorded: dict[str, tuple[int, str, dict[str, Any]]] = {}
        # The reference fold: one event at a time; hash after each prefix length.
        self.reference = LocalStore(self.tmp / "reference.sqlite")
        self.prefix_hash: list[str] = [self.reference.state_hash()]
        self.bucket_hashes: dict[tuple[str, int], str] = {}
        self.clock = 0

    # -- helpers --------------------------------------------------------------------

    def path(self, r: int) -> Path:
        return self.tmp / f"replica{r}.sqlite"

    def reopen(self, r: int) -> None:
        with suppress(sqlite3.Error):
            self.stores[r].close()
        self.stores[r] = LocalStore(self.path(r))

    def record(self, r: int, kind: str, payload: dict[str, Any]) -> None:
        self.clock += 1
        ev = self.stores[r].record(
            kind, payload, recorded_at=f"2025-09-30T09:{self.clock % 60:02d}", **ENVELOPE
        )
        assert ev.event_id not in self.recorded
        self.recorded[ev.event_id] = (r, kind, payload)

    def extend_reference(self, events: list[m.Event]) -> None:
        for e in events[len(self.prefix_hash) - 1 :]:
            self.reference.apply_pulled([e])
            self.prefix_hash.append(self.reference.state_hash())

    # -- setup ----------------------------------------------------------------------

    @initialize(
        n=st.integers(min_value=2, max_value=3),
        buckets=st.lists(st.sampled_from(BUCKETS), min_size=3, max_size=3),
    )
    def make_replicas(self, n: int, buckets: list[str | None]) -> None:
        for r in range(n):
            self.stores.append(LocalStore(self.path(r)))
            if buckets[r] is not None:
                self.stores[r].enter_bucket(buckets[r])
        for s in self.stores:
            sync.check_identity(s, self.ledger)

    def bucket_hash(self, bucket: str, cursor: int) -> str:
        """The state of a fresh home of ``bucket`` pulled to ``cursor``."""
        key = (bucket, cursor)
        if key not in self.bucket_hashes:
            fresh = LocalStore(self.tmp / f"fresh-{len(self.bucket_hashes)}.sqlite")
            try:
                fresh.enter_bucket(bucket)
                sync.pull(fresh, Upto(self.ledger, cursor), batch=3)  # type: ignore[arg-type]
                assert fresh.cursor == cursor
                self.bucket_hashes[key] = fresh.state_hash()
            finally:
                fresh.close()
        return self.bucket_hashes[key]

    # -- local writes ---------------------------------------------------------------

    replica = st.integers(min_value=0, max_value=2)

    @rule(
        r=replica,
        subject=st.sampled_from(SUBJECTS),
        item=st.sampled_from(ITEMS),
        done=st.booleans(),
        note=st.sampled_from([None, "ok", "åäö ✓"]),
    )
    def tick(self, r: int, subject: str, item: str, done: bool, note: str | None) -> None:
        payload: dict[str, Any] = {"subject": subject, "item": item, "done": done}
        if note is not None:
            payload["note"] = note
        self.record(r % len(self.stores), m.ITEM_TICKED, payload)

    @rule(r=replica, message=st.sampled_from(MESSAGES), behalf=st.booleans())
    def ack(self, r: int, message: str, behalf: bool) -> None:
        payload: dict[str, Any] = {"message_id": message}
        if behalf:
            payload["on_behalf_of"] = "U-HC"
        self.record(r % len(self.stores), m.MESSAGE_ACKED, payload)

    @rule(r=replica, sip=st.sampled_from(SIPS), decision=st.sampled_from(list(m.SipDecision)))
    def decide(self, r: int, sip: str, decision: m.SipDecision) -> None:
        self.record(
            r % len(self.stores), m.SIP_DECIDED, {"sip_id": sip, "decision": decision.value}
        )

    @rule(
        admission=st.sampled_from(["A1", "A2"]),
        ready=st.sampled_from([None, "2025-09-20", "2025-10-01", "2025-10-09"]),
    )
    def import_update(self, admission: str, ready: str | None) -> None:
        """A later export updates a record (written straight into the ledger, like import)."""
        i = int(admission[1:])
        record = m.Admission(
            admission_id=admission,
            patient_id=f"P{i}",
            care_form=m.CareForm.SOMATIK,
            ward="U-WARD",
            admitted="2025-09-10",
            discharge_ready=ready,
            status=m.AdmissionStatus.PAGAENDE,
        )
        self.ledger.push([m.record_event(record, replica_id="importer", recorded_at="x")])

    @rule(
        patient=st.sampled_from(["P1", "P2"]),
        hc=st.sampled_from(["U-HC", "U-HC2", None]),
        bist=st.sampled_from(["U-BIST", None]),
    )
    def relist(self, patient: str, hc: str | None, bist: str | None) -> None:
        """A later export re-lists a patient at another hälsocentral (or none), another
        biståndsenhet: the units' buckets gain and lose the patient."""
        record = next(r for r in SEED_RECORDS if getattr(r, "patient_id", None) == patient)
        assert isinstance(record, m.Patient)
        moved = record.model_copy(update={"health_centre": hc, "assistance_unit": bist})
        self.ledger.push([m.record_event(moved, replica_id="importer", recorded_at="x")])

    @rule(r=replica, bucket=st.sampled_from(BUCKETS[1:]))
    def switch_bucket(self, r: int, bucket: str) -> None:
        """The home's user switches role or unit: it forgets the old bucket, keeps its
        outbox, and pulls the new one from the start (a replica of the whole ledger stays)."""
        store = self.stores[r % len(self.stores)]
        if store.bucket is None:
            return
        pending = store.pending_count()
        if store.enter_bucket(bucket):  # (the same bucket again: nothing to do)
            assert store.cursor == 0
        assert store.pending_count() == pending

    # -- sync -----------------------------------------------------------------------

    @rule(r=replica)
    def push(self, r: int) -> None:
        sync.push(self.stores[r % len(self.stores)], self.ledger)

    @rule(r=replica, batch=st.integers(min_value=1, max_value=7))
    def pull(self, r: int, batch: int) -> None:
        sync.pull(self.stores[r % len(self.stores)], self.ledger, batch=batch)

    @rule(r=replica, batch=st.integers(min_value=1, max_value=7))
    def sync_once(self, r: int, batch: int) -> None:
        store = self.stores[r % len(self.stores)]
        sync.push(store, self.ledger)
        sync.pull(store, self.ledger, batch=batch)

    @rule(r=replica, k=st.integers(min_value=1, max_value=5), crash=st.booleans())
    def push_reply_lost(self, r: int, k: int, crash: bool) -> None:
        """The ledger commits the first ``k`` outbox events; the reply is lost (and the
        replica may crash right after). The outbox keeps them; a later push repeats them."""
        r %= len(self.stores)
        pending = self.stores[r].outbox()[:k]
        if not pending:
            return
        with ledger_reply_lost(), pytest.raises(LostReply):
            self.ledger.push(pending)
        if crash:
            self.reopen(r)

    @rule(r=replica)
    def duplicate_push(self, r: int) -> None:
        """The same events twice in one batch, and the batch again."""
        pending = self.stores[r % len(self.stores)].outbox()
        if not pending:
            return
        first = self.ledger.push(pending + pending)
        again = self.ledger.push(list(reversed(pending)))
        assert first == again
        assert set(first) == {e.event_id for e in pending}

    @rule(r=replica)
    def crash_idle(self, r: int) -> None:
        self.reopen(r % len(self.stores))

    @rule(r=replica, batch=st.integers(min_value=1, max_value=7))
    def crash_during_pull(self, r: int, batch: int) -> None:
        """Killed after folding a batch but before the cursor moved: all of it is undone."""
        r %= len(self.stores)
        store = self.stores[r]
        before = (store.cursor, store.state_hash(), store.pending_count())
        if self.ledger.head() == store.cursor:
            return
        with store_dies_after_fold(store), pytest.raises((Crash, sqlite3.ProgrammingError)):
            sync.pull(store, self.ledger, batch=batch)
        self.reopen(r)
        store = self.stores[r]
        # the first batch died: only earlier, whole batches may have been applied — here
        # the very first batch died, so nothing changed at all
        assert (store.cursor, store.state_hash(), store.pending_count()) == before

    @rule(r=replica)
    def crash_uncommitted_write(self, r: int) -> None:
        """A write still in its transaction when the process dies leaves no trace."""
        r %= len(self.stores)
        store = self.stores[r]
        before = [e.event_id for e in store.outbox()]
        store._conn.execute("BEGIN IMMEDIATE")
        store._conn.execute(
            "INSERT INTO outbox (origin_seq, event_id, kind, payload) VALUES (?, ?, ?, ?)",
            (10**9, "never-committed", m.ITEM_TICKED, '{"subject":"A1","item":"x"}'),
        )
        self.reopen(r)
        assert [e.event_id for e in self.stores[r].outbox()] == before

    @rule()
    def converge(self) -> None:
        self.check_convergence()

    # -- invariants -----------------------------------------------------------------

    @invariant()
    def ledger_is_dense_and_unique(self) -> None:
        events = ledger_events(self.ledger)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert self.ledger.head() == len(events)
        ids = Counter(e.event_id for e in events)
        assert not [i for i, n in ids.items() if n > 1]

    @invariant()
    def replicas_equal_the_fold_of_their_prefix(self) -> None:
        events = ledger_events(self.ledger)
        self.extend_reference(events)
        for r, store in enumerate(self.stores):
            cursor = store.cursor
            assert cursor <= len(events)
            if store.bucket is None:
                assert store.state_hash() == self.prefix_hash[cursor], f"replica {r}"
            confirmed = {e.event_id for e in events[:cursor]}
            pending = {e.event_id for e in store.outbox()}
            # an outbox row leaves exactly when its event came back in a pull
            assert not pending & confirmed
            mine = {i for i, (who, _, _) in self.recorded.items() if who == r}
            # (a home that switched bucket starts again from 0: its work is in the ledger)
            known = confirmed if store.bucket is None else {e.event_id for e in events}
            assert mine <= pending | known, "a recorded event was lost"

    # -- the end --------------------------------------------------------------------

    def check_convergence(self) -> None:
        for store in self.stores:
            sync.push(store, self.ledger)
        for store in self.stores:
            sync.pull(store, self.ledger)
        events = ledger_events(self.ledger)
        fresh = LocalStore(self.tmp / f"fresh{len(events)}.sqlite")
        try:
            sync.pull(fresh, self.ledger)
            expected = fresh.state_hash()
        finally:
            fresh.close()
        self.extend_reference(events)
        assert self.prefix_hash[-1] == expected  # folding in batches == one by one
        for r, store in enumerate(self.stores):
            assert store.pending_count() == 0, f"replica {r} kept work in its outbox"
            assert store.cursor == len(events)
            bucket = store.bucket
            if bucket is None:
                assert store.state_hash() == expected, f"replica {r} diverged"
            else:  # the same as a fresh home of its bucket, and nothing of others'
                assert store.state_hash() == self.bucket_hash(bucket, len(events)), bucket
                self.check_holds_only_its_bucket(store, bucket)
        counts = Counter(e.event_id for e in events)
        by_id = {e.event_id: e for e in events}
        for event_id, (_, kind, payload) in self.recorded.items():
            assert counts[event_id] == 1
            assert by_id[event_id].kind == kind
            assert by_id[event_id].payload == payload

    def check_holds_only_its_bucket(self, store: LocalStore, bucket: str) -> None:
        patients = {
            r[0]: r[1] for r in store._conn.execute("SELECT patient_id, personnummer FROM patients")
        }
        if bucket.startswith("region"):
            assert not any(patients.values()), "a region home holds a personnummer"
            return
        unit = bucket.split(":", 1)[1]
        related = set()
        for r in store._conn.execute(
            "SELECT patient_id FROM patients WHERE ? IN (housing_unit, home_health_unit, "
            "assistance_unit, health_centre, psych_outpatient_unit) UNION SELECT patient_id "
            "FROM admissions WHERE ward = ? UNION SELECT patient_id FROM sips "
            "WHERE responsible_unit = ? UNION SELECT a.patient_id FROM messages m JOIN "
            "admissions a USING (admission_id) WHERE m.recipient_unit = ?",
            (unit, unit, unit, unit),
        ):
            related.add(r[0])
        assert set(patients) <= related, (bucket, set(patients) - related)

    def teardown(self) -> None:
        try:
            if self.stores:
                self.check_convergence()
        finally:
            for s in [*self.stores, self.reference]:
                with suppress(sqlite3.Error):
                    s.close()
            self.ledger.close()
            self._drop_ledger()
            shutil.rmtree(self.tmp, ignore_errors=True)


# CI runs the full profile (100 examples of 50 steps); a developer's run is quicker.
IN_CI = os.environ.get("CI") == "true"
SETTINGS = settings(
    max_examples=100 if IN_CI else 30,
    stateful_step_count=50 if IN_CI else 30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _run(make_ledger: Callable[[], tuple[str, Callable[[], None]]]) -> None:
    machine = type("Machine", (SyncMachine,), {"make_ledger": staticmethod(make_ledger)})
    run_state_machine_as_test(machine, settings=SETTINGS)


def test_replicas_converge_on_sqlite_ledger() -> None:
    def make() -> tuple[str, Callable[[], None]]:
        d = Path(tempfile.mkdtemp(prefix="lcsp-ledger-", dir=TMP_ROOT))
        return str(d / "ledger.sqlite"), lambda: shutil.rmtree(d, ignore_errors=True)

    _run(make)


@pytest.mark.postgres
def test_replicas_converge_on_postgres_ledger(pg_server: str) -> None:
    def make() -> tuple[str, Callable[[], None]]:
        url = pg.create_database(pg_server)
        return url, lambda: pg.drop_database(pg_server, url)

    _run(make)
