"""Concurrent writers against the PostgreSQL ledger: a reader pulling after its cursor must
see every event exactly once, in dense seq order.

The same checks run against a naive design (``seq bigserial`` assigned at insert) and catch
it skipping events — so these tests can fail, and the head-row design is why they pass.

The ledger tests run on both kinds of ledger a workstation meets, each pushed to as its
least-privilege app role: one set up by this release's ``lcsp ledger init`` (a push is one
call of ``lcsp_append``) and one set up by the earlier release's (``tests/ledger_earlier.py``;
a push inserts unnumbered rows, then numbers them).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest

from lcsp_tui.domain.models import Event
from lcsp_tui.ledger.admin import init_ledger
from lcsp_tui.ledger.postgres import PostgresLedger
from tests.ledger_earlier import earlier_ledger

pytestmark = pytest.mark.postgres

WRITERS = 8


def events(n: int, kind: str = "item.ticked") -> list[Event]:
    return [Event(kind=kind, payload={"i": i}) for i in range(n)]


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the interleaving to set up")
        time.sleep(0.01)


@pytest.fixture
def admin(pg_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(params=["current", "earlier"])
def app_url(request: pytest.FixtureRequest, pg_url: str) -> str:
    """The app role's URL of a ledger set up by this release's ``ledger init`` or by the
    earlier release's."""
    if request.param == "current":
        return init_ledger(pg_url).app_url
    return earlier_ledger(pg_url)


# -- the naive design, to show what goes wrong ---------------------------------------------


class NaiveLedger:
    """``seq bigserial`` numbered at insert: commits land out of seq order."""

    def __init__(self, url: str, sleep_in_txn: float = 0.0) -> None:
        self.conn = psycopg.connect(url, autocommit=True)
        self.sleep_in_txn = sleep_in_txn
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS naive_events (seq bigserial PRIMARY KEY, "
            "event_id text UNIQUE NOT NULL)"
        )

    def push(self, batch: list[Event]) -> dict[str, int]:
        with self.conn.transaction():
            rows = self.conn.execute(
                "INSERT INTO naive_events (event_id) SELECT unnest(%s::text[]) "
                "ON CONFLICT (event_id) DO NOTHING RETURNING event_id, seq",
                ([e.event_id for e in batch],),
            ).fetchall()
            if self.sleep_in_txn:
                time.sleep(random.uniform(0, self.sleep_in_txn))
        return dict(rows)

    def pull(self, after: int, limit: int = 500) -> list[tuple[int, str]]:
        return self.conn.execute(
            "SELECT seq, event_id FROM naive_events WHERE seq > %s ORDER BY seq LIMIT %s",
            (after, limit),
        ).fetchall()

    def close(self) -> None:
        self.conn.close()


def test_naive_bigserial_reader_skips_an_event(pg_url: str) -> None:
    t1 = psycopg.connect(pg_url)  # autocommit off: each holds its transaction open
    t2 = psycopg.connect(pg_url)
    reader = NaiveLedger(pg_url)
    try:
        (seq1,) = t1.execute(
            "INSERT INTO naive_events (event_id) VALUES ('t1') RETURNING seq"
        ).fetchone()  # type: ignore[misc]
        (seq2,) = t2.execute(
            "INSERT INTO naive_events (event_id) VALUES ('t2') RETURNING seq"
        ).fetchone()  # type: ignore[misc]
        assert (seq1, seq2) == (1, 2)
        t2.commit()
        seen = reader.pull(0)
        assert seen == [(2, "t2")]
        cursor = seen[-1][0]
        t1.commit()
        assert reader.pull(cursor) == []  # seq 1 is committed now, but behind the cursor
        assert reader.pull(0) == [(1, "t1"), (2, "t2")]
    finally:
        t1.close()
        t2.close()
        reader.close()


# -- the same interleavings against the ledger -----------------------------------------------

HOLD_KEY = 4242


def install_hold_after_number(admin: psycopg.Connection[Any]) -> None:
    """An event of kind ``hold.after_number`` makes its push wait, inside its transaction
    and once the event is numbered (inserted so by lcsp_append, or numbered by the earlier
    path's update), until the test releases advisory lock HOLD_KEY."""
    admin.execute(
        f"""
        CREATE FUNCTION lcsp_test_hold() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock_shared({HOLD_KEY});
            RETURN NULL;
        END $$;
        CREATE TRIGGER hold_after_numbered_insert AFTER INSERT ON lcsp_events FOR EACH ROW
            WHEN (NEW.kind = 'hold.after_number' AND NEW.seq IS NOT NULL)
            EXECUTE FUNCTION lcsp_test_hold();
        CREATE TRIGGER hold_after_number AFTER UPDATE ON lcsp_events FOR EACH ROW
            WHEN (NEW.kind = 'hold.after_number') EXECUTE FUNCTION lcsp_test_hold();
        """
    )


def install_hold_before_number(admin: psycopg.Connection[Any]) -> None:
    """The first push to reach the head (before it takes the head's lock; on the earlier
    path after inserting its rows unnumbered) waits there, inside its transaction, until
    the test releases advisory lock HOLD_KEY; later pushes pass."""
    admin.execute(
        f"""
        CREATE FUNCTION lcsp_test_hold_first() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF pg_try_advisory_xact_lock({HOLD_KEY + 1}) THEN
                PERFORM pg_advisory_xact_lock_shared({HOLD_KEY});
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER hold_before_number BEFORE UPDATE ON lcsp_head FOR EACH STATEMENT
            EXECUTE FUNCTION lcsp_test_hold_first();
        """
    )


def lock_waiters(admin: psycopg.Connection[Any], locktype: str) -> int:
    row = admin.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = %s AND NOT granted", (locktype,)
    ).fetchone()
    return int(row[0]) if row else 0


@dataclass
class Pusher:
    """Runs one push on its own ledger connection in a thread."""

    ledger: PostgresLedger
    batch: list[Event]
    result: dict[str, int] = field(default_factory=dict)
    error: BaseException | None = None

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.result = self.ledger.push(self.batch)
        except BaseException as exc:  # pragma: no cover - asserted by the test
            self.error = exc

    def join(self) -> dict[str, int]:
        self.thread.join(20)
        assert not self.thread.is_alive(), "push never finished"
        assert self.error is None, self.error
        return self.result


def test_ledger_push_that_holds_commit_blocks_later_numbering(
    pg_url: str, app_url: str, admin: psycopg.Connection[Any]
) -> None:
    """T1 has seq 1 and has not committed; T2 must not commit seq 2 before it."""
    l1, l2, reader = (PostgresLedger(app_url) for _ in range(3))
    install_hold_after_number(admin)
    admin.execute("SELECT pg_advisory_lock(%s)", (HOLD_KEY,))
    e1 = events(1, "hold.after_number")
    e2 = events(1)
    try:
        t1 = Pusher(l1, e1)
        wait_until(lambda: lock_waiters(admin, "advisory") == 1)  # T1 numbered, holding
        t2 = Pusher(l2, e2)
        wait_until(lambda: lock_waiters(admin, "transactionid") == 1)  # T2 waits for T1
        time.sleep(0.2)
        assert t2.thread.is_alive()
        assert reader.pull(0) == []
        assert reader.head() == 0
        admin.execute("SELECT pg_advisory_unlock(%s)", (HOLD_KEY,))
        assert t1.join() == {e1[0].event_id: 1}
        assert t2.join() == {e2[0].event_id: 2}
        assert [(e.seq, e.event_id) for e in reader.pull(0)] == [
            (1, e1[0].event_id),
            (2, e2[0].event_id),
        ]
    finally:
        admin.execute("SELECT pg_advisory_unlock_all()")
        for led in (l1, l2, reader):
            led.close()


def test_ledger_push_that_stalls_before_numbering_gets_the_later_seq(
    pg_url: str, app_url: str, admin: psycopg.Connection[Any]
) -> None:
    """T1 started first (on the earlier path: inserted first) but stalls before numbering;
    T2 commits seq 1, T1 then gets seq 2, and a reader whose cursor moved to 1 still sees
    T1's event."""
    l1, l2, reader = (PostgresLedger(app_url) for _ in range(3))
    install_hold_before_number(admin)
    admin.execute("SELECT pg_advisory_lock(%s)", (HOLD_KEY,))
    e1 = events(1)
    e2 = events(1)
    try:
        t1 = Pusher(l1, e1)
        wait_until(lambda: lock_waiters(admin, "advisory") == 1)
        assert l2.push(e2) == {e2[0].event_id: 1}  # not blocked by T1
        first = reader.pull(0)
        assert [(e.seq, e.event_id) for e in first] == [(1, e2[0].event_id)]
        admin.execute("SELECT pg_advisory_unlock(%s)", (HOLD_KEY,))
        assert t1.join() == {e1[0].event_id: 2}
        assert [(e.seq, e.event_id) for e in reader.pull(1)] == [(2, e1[0].event_id)]
    finally:
        admin.execute("SELECT pg_advisory_unlock_all()")
        for led in (l1, l2, reader):
            led.close()


# -- many writers, one reader ---------------------------------------------------------------


@dataclass
class StressResult:
    pushed: dict[str, int]  # every id a writer pushed -> seq the ledger returned
    seen: list[tuple[int, str]]  # (seq, event_id) in the order the reader saw them
    pushes: int


def stress(
    make_writer: Callable[[], Any],
    pull: Callable[[int], list[tuple[int, str]]],
    seconds: float,
    repush: bool,
) -> StressResult:
    stop = threading.Event()
    writers_done = threading.Event()
    errors: list[BaseException] = []
    pushed: dict[str, int] = {}
    seen: list[tuple[int, str]] = []
    lock = threading.Lock()
    pushes = 0

    def writer() -> None:
        nonlocal pushes
        led = make_writer()
        rng = random.Random()
        history: list[list[Event]] = []
        try:
            while not stop.is_set():
                batch = events(rng.randint(1, 20))
                if repush and history and rng.random() < 0.2:
                    old = rng.choice(history)
                    batch = batch + old[: rng.randint(1, len(old))]  # mixed with duplicates
                result = led.push(batch)
                history.append(batch)
                with lock:
                    pushes += 1
                    for event_id, seq in result.items():
                        assert pushed.setdefault(event_id, seq) == seq, "seq changed on re-push"
        except BaseException as exc:
            errors.append(exc)
        finally:
            led.close()

    def reader() -> None:
        cursor = 0
        try:
            while True:
                done = writers_done.is_set()  # read before pulling: the last pull is complete
                page = pull(cursor)
                seen.extend(page)
                if page:
                    cursor = page[-1][0]
                elif done:
                    return
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    reading = threading.Thread(target=reader)
    for t in threads:
        t.start()
    reading.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(30)
    writers_done.set()
    reading.join(30)
    assert not errors, errors
    return StressResult(pushed, seen, pushes)


def test_many_writers_reader_sees_every_event_once_in_dense_order(
    pg_url: str, app_url: str, admin: psycopg.Connection[Any]
) -> None:
    # Random short stalls inside push transactions — before the head is taken, after the
    # insert (numbered or not) and while numbering — so that transactions overlap and would
    # commit out of order if they could.
    admin.execute(
        """
        CREATE FUNCTION lcsp_test_jitter() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_sleep(random() * 0.002); RETURN NULL; END $$;
        CREATE TRIGGER jitter_head BEFORE UPDATE ON lcsp_head
            FOR EACH STATEMENT EXECUTE FUNCTION lcsp_test_jitter();
        CREATE TRIGGER jitter_insert AFTER INSERT ON lcsp_events
            FOR EACH STATEMENT EXECUTE FUNCTION lcsp_test_jitter();
        CREATE TRIGGER jitter_number AFTER UPDATE ON lcsp_events
            FOR EACH STATEMENT EXECUTE FUNCTION lcsp_test_jitter();
        """
    )
    reader = PostgresLedger(app_url)

    def pull(after: int) -> list[tuple[int, str]]:
        return [(e.seq or 0, e.event_id) for e in reader.pull(after, 300)]

    result = stress(lambda: PostgresLedger(app_url), pull, seconds=3.0, repush=True)
    reader.close()

    seqs = [s for s, _ in result.seen]
    assert result.pushes > 100
    assert seqs == list(range(1, len(seqs) + 1))  # strictly increasing, dense, from 1
    assert len({i for _, i in result.seen}) == len(result.seen)  # each event once
    assert dict((i, s) for s, i in result.seen) == result.pushed  # and exactly the pushed ones
    with PostgresLedger(app_url) as check:
        assert check.head() == len(seqs)


def test_many_writers_naive_reader_misses_events(pg_url: str) -> None:
    """The same harness catches the naive design skipping events."""
    reader = NaiveLedger(pg_url)
    result = stress(
        lambda: NaiveLedger(pg_url, sleep_in_txn=0.003), reader.pull, seconds=2.0, repush=False
    )
    reader.close()
    missed = set(result.pushed) - {i for _, i in result.seen}
    assert missed, "expected the naive bigserial reader to skip events"
