"""The set-based fold of a pull (``lcsp_tui.store.fold``) against the fold as it was before
(``tests/fold_before.py``, one event at a time), on generated regions whose ticks,
kvitteringar, SIP decisions, discharges, help requests and record updates come in random
order (many before the records they name) — and the read model a pull of many batches
leaves (refreshed once, at its last batch) against one built from scratch.

Also: a pull cut off between batches leaves a consistent store whose read model is rebuilt
by the next pull; a refused batch folds nothing; events the fold cannot read are refused
with a clear line.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lcsp_tui import sync
from lcsp_tui.demo import generate
from lcsp_tui.domain import models as m
from lcsp_tui.domain.regiondata import load_region
from lcsp_tui.environments import EnvironmentRefused, pull_guard
from lcsp_tui.ledger.base import Ledger, open_ledger
from lcsp_tui.ledger.pulled import PulledEvent
from lcsp_tui.ledger.sqlite import SqliteLedger
from lcsp_tui.store import readmodel
from lcsp_tui.store import store as store_module
from lcsp_tui.store.schema import READ_TABLES
from lcsp_tui.store.store import READ_MODEL_BEHIND, LocalStore, NewerEvents, StoreError
from tests import fold_before, pg

REGION = load_region()
ITEMS = [i.id for i in REGION.checklists.item]
TMP_ROOT = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
IN_CI = os.environ.get("CI") == "true"


@contextmanager
def tmpdir() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="lcsp-pull-", dir=TMP_ROOT))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ------------------------------------------------------------------ a generated region


def scenario(seed: int) -> list[m.Event]:
    """A small demo region's records and a few hundred actions on them, shuffled."""
    rng = random.Random(seed)
    records = generate("small", seed)
    adms = [r for r in records if isinstance(r, m.Admission)]
    sips = [r for r in records if isinstance(r, m.Sip)]
    msgs = [r for r in records if isinstance(r, m.Message)]
    pats = [r for r in records if isinstance(r, m.Patient)]
    subjects = [a.admission_id for a in adms] + [s.sip_id for s in sips]
    subjects += [p.patient_id for p in pats] + ["X-okänd"]
    requests = [f"H{i}" for i in range(4)]

    def when() -> str:
        return rng.choice(["", "2025-09-29T10:00", "2025-09-30T08:15", "2025-10-02T13:40"])

    def ev(kind: str, payload: dict[str, Any]) -> m.Event:
        return m.Event(
            kind=kind,
            payload=payload,
            actor=rng.choice(["anna", "bo", ""]),
            role=rng.choice(["slutenvard-somatik", "support", "primarvard"]),
            unit=rng.choice(["", "U1"]),
            recorded_at=when(),
        )

    out = [m.record_event(r, recorded_at=when()) for r in records]
    for _ in range(rng.randint(150, 400)):
        r = rng.random()
        if r < 0.45:
            p: dict[str, Any] = {"subject": rng.choice(subjects), "item": rng.choice(ITEMS)}
            done = rng.choice([True, True, False, None, 0, 1, "missing"])
            if done != "missing":
                p["done"] = done
            if rng.random() < 0.4:
                p["note"] = rng.choice([None, "", "ok", "åäö ✓"])
            if rng.random() < 0.2:
                p["value"] = rng.choice(["U1", None, ""])
            out.append(ev(m.ITEM_TICKED, p))
        elif r < 0.6:
            p = {"message_id": rng.choice([*(x.message_id for x in msgs), "M-okänd"])}
            if rng.random() < 0.3:
                p["on_behalf_of"] = "U1"
            if rng.random() < 0.3:
                p["help_request"] = rng.choice([*requests, ""])
            out.append(ev(m.MESSAGE_ACKED, p))
        elif r < 0.68 and sips:
            decision = rng.choice(list(m.SipDecision)).value
            out.append(ev(m.SIP_DECIDED, {"sip_id": rng.choice(sips).sip_id, "decision": decision}))
        elif r < 0.74 and adms:
            out.append(ev(m.ADMISSION_DISCHARGED, {"admission_id": rng.choice(adms).admission_id}))
        elif r < 0.82 and adms:  # a later export moves the utskrivningsklar date
            a = rng.choice(adms)
            ready = rng.choice(
                [None, dt.date(2025, 9, 20), dt.date(2025, 9, 30), dt.date(2025, 10, 9)]
            )
            out.append(m.record_event(a.model_copy(update={"discharge_ready": ready})))
        elif r < 0.86 and msgs:
            out.append(m.record_event(rng.choice(msgs)))
        elif r < 0.92:
            rid = rng.choice(requests)
            kind = rng.choice([m.HELP_REQUESTED, m.HELP_UPDATED, m.HELP_RESOLVED])
            p = {"request_id": rid}
            if kind == m.HELP_REQUESTED:
                p |= {"units": ["U1", "U2"], "name": "A. Öberg", "lookup_key": "oberg a",
                      "birth_year": 1940, "need": "kvittering"}  # fmt: skip
            elif kind == m.HELP_UPDATED:
                p |= {"status": rng.choice(["ny", "pagar", "okänd"])}
            if rng.random() < 0.5:
                p["note"] = rng.choice(["", "ringt", None])
            out.append(ev(kind, p))
        else:  # reads, and kinds from a newer version with odd values
            kind = rng.choice([m.AUDIT_READ, "x.framtida"])
            p = {"outcome": rng.choice(["ok", "nekad", None])} if rng.random() < 0.5 else {}
            p["subject"] = rng.choice(["A1", 12345, 1.5, True, 0, "", None, [1, "a"]])
            p["what"] = rng.choice(["sökning", {"a": [1, None]}, 7, None, False])
            out.append(ev(kind, p))
    rng.shuffle(out)
    return out


def push_all(ledger: Ledger, events: Sequence[m.Event]) -> None:
    for i in range(0, len(events), 100):
        ledger.push(events[i : i + 100])


def all_events(ledger: Ledger) -> list[m.Event]:
    out: list[m.Event] = []
    while batch := ledger.pull(len(out), 1000):
        out += batch
    return out


def fold_one_by_one_as_before(path: Path, events: Sequence[m.Event]) -> LocalStore:
    """A store whose confirmed tables are folded by the former fold, one event at a time."""
    store = LocalStore(path)
    for e in events:
        with store.transaction() as c:
            fold_before.fold(c, [e])
    return store


def table(store: LocalStore, name: str) -> list[tuple[Any, ...]]:
    return sorted(store._conn.execute(f"SELECT * FROM {name}").fetchall(), key=repr)


def read_model(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in READ_TABLES}


def read_model_from_scratch(store: LocalStore) -> dict[str, list[tuple[Any, ...]]]:
    conn = store._conn
    conn.execute("BEGIN")
    try:
        for t in READ_TABLES:
            conn.execute(f"DELETE FROM {t}")
        readmodel.rebuild(conn, store.region)
        return read_model(conn)
    finally:
        conn.execute("ROLLBACK")


def check_same_as_before(ledger: Ledger, tmp: Path, batch: int, local: int, seed: int) -> None:
    events = all_events(ledger)
    before = fold_one_by_one_as_before(tmp / "before.sqlite", events)
    pulled = LocalStore(tmp / "pulled.sqlite")
    # some local work first: part of it is in the ledger already, part stays pending
    rng = random.Random(seed)
    for e in rng.sample(events, min(local, len(events))):
        if e.kind in (m.ITEM_TICKED, m.MESSAGE_ACKED, m.SIP_DECIDED):
            pulled.record(e.kind, e.payload, actor="lokal", role="", unit="", recorded_at="")
    assert sync.pull(pulled, ledger, batch=batch) == len(events)
    one_by_one = LocalStore(tmp / "one-by-one.sqlite")
    for e in events:
        one_by_one.apply_pulled([e])
    try:
        expected = before.state_hash()
        assert pulled.state_hash() == expected
        assert one_by_one.state_hash() == expected
        for name in ("audit", "help_requests"):
            assert table(pulled, name) == table(before, name), name
            assert table(one_by_one, name) == table(before, name), name
        assert pulled.get_meta(READ_MODEL_BEHIND) is None
        assert read_model(pulled._conn) == read_model_from_scratch(pulled)
        assert read_model(one_by_one._conn) == read_model_from_scratch(one_by_one)
    finally:
        for s in (before, pulled, one_by_one):
            s.close()


SETTINGS = settings(
    max_examples=25 if IN_CI else 6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@SETTINGS
@given(
    seed=st.integers(1, 10_000),
    batch=st.sampled_from([1, 7, 50, 5000]),
    local=st.integers(0, 20),
)
def test_set_based_fold_equals_the_fold_before_event_by_event(
    seed: int, batch: int, local: int
) -> None:
    with tmpdir() as tmp:
        ledger = SqliteLedger(tmp / "ledger.sqlite")
        try:
            push_all(ledger, scenario(seed))
            check_same_as_before(ledger, tmp, batch, local, seed)
        finally:
            ledger.close()


@pytest.mark.postgres
def test_set_based_fold_from_postgres_equals_the_fold_before(pg_server: str) -> None:
    """The PostgreSQL ledger hands out payloads as jsonb's text (keys reordered, spaces)."""
    for seed, batch in ((11, 13), (12, 5000)):
        url = pg.create_database(pg_server)
        try:
            with tmpdir() as tmp:
                ledger = open_ledger(url)
                try:
                    push_all(ledger, scenario(seed))
                    check_same_as_before(ledger, tmp, batch, 5, seed)
                finally:
                    ledger.close()
        finally:
            pg.drop_database(pg_server, url)


# ------------------------------------------------------------------ cut off, refused, unreadable


def test_a_pull_cut_off_between_batches_is_consistent_and_the_next_one_rebuilds(
    tmp_path: Path,
) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.sqlite")
    push_all(ledger, scenario(5))
    store = LocalStore(tmp_path / "store.sqlite")
    batches = 0

    def die_at_third(name: str) -> None:
        nonlocal batches
        if name == "after_fold":
            batches += 1
            if batches == 3:
                store._conn.close()  # the process dies in the third batch's transaction
                raise KeyboardInterrupt

    with (
        mock.patch.object(store_module, "_crash_point", die_at_third),
        pytest.raises((KeyboardInterrupt, sqlite3.ProgrammingError)),
    ):
        sync.pull(store, ledger, batch=40)
    store = LocalStore(tmp_path / "store.sqlite")
    assert store.cursor == 80  # two whole batches, each with its cursor
    assert store.get_meta(READ_MODEL_BEHIND) == "1"  # their read model was to come last
    prefix = LocalStore(tmp_path / "prefix.sqlite")
    prefix.apply_pulled(ledger.pull(0, 80))
    assert store.state_hash() == prefix.state_hash()
    sync.pull(store, ledger, batch=40)
    assert store.get_meta(READ_MODEL_BEHIND) is None
    assert store.cursor == ledger.head()
    assert read_model(store._conn) == read_model_from_scratch(store)
    ledger.close()


def test_a_refused_batch_folds_nothing_and_the_earlier_ones_reach_the_read_model(
    tmp_path: Path,
) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.sqlite")
    events = scenario(6)
    marker = m.Event(kind=m.LEDGER_ENVIRONMENT, payload={"env": "produktion"})
    push_all(ledger, [*events[:95], marker, *events[95:]])
    store = LocalStore(tmp_path / "store.sqlite")
    with pytest.raises(EnvironmentRefused, match="produktionens"):
        sync.pull(store, ledger, batch=30, guard=pull_guard("utbildning"))
    assert store.cursor == 90  # three batches; the fourth holds the declaration
    assert store.get_meta(READ_MODEL_BEHIND) is None
    assert read_model(store._conn) == read_model_from_scratch(store)
    ledger.close()


def raw_event(seq: int, kind: str, payload: str, version: int = m.SCHEMA_VERSION) -> PulledEvent:
    return PulledEvent(seq, f"e{seq}", "r", seq, kind, version, "a", "r", "", "", payload)


@pytest.mark.parametrize(
    ("event", "error", "says"),
    [
        (raw_event(2, m.ITEM_TICKED, '{"item":"s2.x"}'), StoreError, "saknar subject"),
        (raw_event(2, m.SIP_DECIDED, '{"sip_id":"S1"}'), StoreError, "saknar decision"),
        (raw_event(2, m.ITEM_TICKED, "[1, 2]"), StoreError, "inget JSON-objekt"),
        (raw_event(2, m.AUDIT_READ, "{nej"), StoreError, "inget giltigt JSON"),
        (raw_event(2, m.ITEM_TICKED, "{}", version=2), NewerEvents, "uppdatera lcsp"),
    ],
)
def test_an_event_the_fold_cannot_read_is_refused_and_nothing_of_its_batch_is_written(
    tmp_path: Path, event: PulledEvent, error: type[Exception], says: str
) -> None:
    store = LocalStore(tmp_path / "store.sqlite")
    first = raw_event(1, m.ITEM_TICKED, '{"subject":"A1","item":"s2.personuppgifter"}')
    before = store.state_hash()
    with pytest.raises(error, match=says) as refused:
        store.apply_pulled([first, event])
    assert str(refused.value).startswith(f"händelse 2 ({event.kind}) i den gemensamma databasen")
    assert store.cursor == 0
    assert store.state_hash() == before
    assert store._conn.execute("SELECT count(*) FROM audit").fetchone() == (0,)


def test_pulled_rows_carry_what_the_models_do(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.sqlite")
    push_all(ledger, scenario(8)[:50])
    rows, models = ledger.pull_rows(0, 50), ledger.pull(0, 50)
    assert [r.event() for r in rows] == models
    assert [PulledEvent.of(e) for e in models] == rows
    ledger.close()
