"""The Ledger contract, run against both backends (SQLite file and PostgreSQL)."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from lcsp_tui.domain.models import Event
from lcsp_tui.ledger.base import (
    LEDGER_SCHEMA_VERSION,
    Ledger,
    LedgerMismatch,
    LedgerUnreachable,
    open_ledger,
)
from lcsp_tui.ledger.postgres import PostgresLedger
from lcsp_tui.ledger.sqlite import SqliteLedger


def make_events(n: int, tag: str = "e") -> list[Event]:
    return [
        Event(
            replica_id=f"replica-{tag}",
            origin_seq=i + 1,
            kind="item.ticked",
            actor="anna",
            role="kommun_bistand",
            unit="U1",
            recorded_at="2025-03-04T10:00:00",
            payload={"subject": f"{tag}{i}", "item": "k1", "done": True, "note": "åäö ✓"},
        )
        for i in range(n)
    ]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def spec(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A ``--ledger`` value naming a not-yet-created ledger of each backend."""
    if request.param == "sqlite":
        return str(tmp_path / "ledger" / "ledger.db")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def ledger(spec: str) -> Iterator[Ledger]:
    led = open_ledger(spec, create=True)
    yield led
    led.close()


def set_meta(spec: str, key: str, value: str) -> None:
    """Change a meta value behind the ledger's back."""
    if spec.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(spec, autocommit=True) as conn:
            conn.execute("UPDATE lcsp_meta SET value = %s WHERE key = %s", (value, key))
    else:
        with sqlite3.connect(spec) as conn:
            conn.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))
        conn.close()


def pull_all(led: Ledger, after: int = 0, limit: int = 5000) -> list[Event]:
    out: list[Event] = []
    while True:
        page = led.pull(after, limit)
        if not page:
            return out
        assert len(page) <= limit
        out += page
        after = page[-1].seq or 0


# -- push / pull / head ---------------------------------------------------------------


def test_open_ledger_picks_the_backend(ledger: Ledger, spec: str) -> None:
    expected = PostgresLedger if spec.startswith("postgresql://") else SqliteLedger
    assert isinstance(ledger, expected)
    assert ledger.head() == 0
    assert ledger.pull(0) == []


def test_push_assigns_dense_seqs_in_batch_order(ledger: Ledger) -> None:
    first = make_events(5, "a")
    second = make_events(3, "b")
    assert ledger.push(first) == {e.event_id: i + 1 for i, e in enumerate(first)}
    assert ledger.push(second) == {e.event_id: i + 6 for i, e in enumerate(second)}
    assert ledger.head() == 8
    assert ledger.push([]) == {}
    assert ledger.head() == 8


def test_duplicate_push_returns_existing_seqs_and_adds_nothing(ledger: Ledger) -> None:
    events = make_events(6)
    seqs = ledger.push(events)
    assert ledger.push(events) == seqs
    assert ledger.push(list(reversed(events[2:4]))) == {
        e.event_id: seqs[e.event_id] for e in events[2:4]
    }
    assert ledger.head() == 6

    new = make_events(3, "n")
    mixed = [new[0], events[1], new[1], events[4], new[2], new[0]]  # new[0] twice in one batch
    result = ledger.push(mixed)
    assert result == {
        new[0].event_id: 7,
        events[1].event_id: seqs[events[1].event_id],
        new[1].event_id: 8,
        events[4].event_id: seqs[events[4].event_id],
        new[2].event_id: 9,
    }
    assert ledger.head() == 9
    pulled = pull_all(ledger)
    assert [e.seq for e in pulled] == list(range(1, 10))
    assert len({e.event_id for e in pulled}) == 9


def test_pull_pages_return_every_event_once_in_order(ledger: Ledger) -> None:
    batches = [make_events(10, "a"), make_events(7, "b"), make_events(8, "c")]
    for batch in batches:
        ledger.push(batch)
    events = [e for batch in batches for e in batch]
    pulled = pull_all(ledger, limit=4)
    assert [e.seq for e in pulled] == list(range(1, 26))
    assert [e.model_dump(exclude={"seq"}) for e in pulled] == [
        e.model_dump(exclude={"seq"}) for e in events
    ]
    assert [e.seq for e in ledger.pull(20, 3)] == [21, 22, 23]
    assert ledger.pull(25) == []
    assert ledger.pull(100) == []


def test_round_trip_keeps_every_field(ledger: Ledger) -> None:
    event = Event(
        replica_id="r1",
        origin_seq=42,
        kind="patient.upserted",
        schema_version=1,
        actor="bo",
        role="support",
        unit="",
        recorded_at="2025-05-01T08:30:00",
        payload={"name": "Åsa Öberg", "nested": {"list": [1, 2.5, None, True]}, "empty": {}},
    )
    ledger.push([event])
    (back,) = ledger.pull(0)
    assert back == event.model_copy(update={"seq": 1})


# -- identity, opening, errors ----------------------------------------------------------


def test_ledger_id_is_stable_across_reopen(spec: str) -> None:
    with closing(open_ledger(spec, create=True)) as led:
        ledger_id = led.ledger_id
        led.push(make_events(3))
    assert ledger_id
    with closing(open_ledger(spec, create=False)) as again:
        assert again.ledger_id == ledger_id
        assert again.head() == 3
    with closing(open_ledger(spec, create=True)) as third:
        assert third.ledger_id == ledger_id


def test_distinct_ledgers_have_distinct_ids(tmp_path: Path) -> None:
    a = SqliteLedger(tmp_path / "a.db", create=True)
    b = SqliteLedger(tmp_path / "b.db", create=True)
    assert a.ledger_id != b.ledger_id
    a.close()
    b.close()


def test_wrong_schema_version_is_a_mismatch(spec: str) -> None:
    open_ledger(spec, create=True).close()
    set_meta(spec, "schema_version", str(LEDGER_SCHEMA_VERSION + 1))
    for create in (False, True):
        with pytest.raises(LedgerMismatch, match=r"har schemaversion 2;") as info:
            open_ledger(spec, create=create)
        assert "\n" not in str(info.value)


def test_missing_sqlite_file_with_create_false_is_unreachable_and_not_created(
    tmp_path: Path,
) -> None:
    path = tmp_path / "gone" / "ledger.db"
    with pytest.raises(LedgerUnreachable, match="den gemensamma databasens fil finns inte") as info:
        open_ledger(str(path), create=False)
    assert str(path) in str(info.value)
    assert not path.exists()
    assert not path.parent.exists()


def test_new_sqlite_ledger_makes_parent_dirs_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "ledger.db"
    SqliteLedger(path, create=True).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def test_sqlite_file_that_is_not_a_database_is_a_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"this is not sqlite" * 100)
    for create in (False, True):
        with pytest.raises(LedgerMismatch, match="ingen gemensam lcsp-databas") as info:
            SqliteLedger(path, create=create)
        assert "\n" not in str(info.value)
    assert path.read_bytes() == b"this is not sqlite" * 100


def test_foreign_sqlite_database_is_a_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE stuff (x)")
    conn.close()
    for create in (False, True):
        with pytest.raises(LedgerMismatch, match="ingen gemensam lcsp-databas"):
            SqliteLedger(path, create=create)
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert tables == {"stuff"}


def test_unopenable_sqlite_path_is_unreachable(tmp_path: Path) -> None:
    directory = tmp_path / "a_directory"
    directory.mkdir()
    with pytest.raises(
        LedgerUnreachable,
        match=f"den gemensamma databasens fil {re.escape(str(directory))} går inte att öppna",
    ):
        SqliteLedger(directory, create=False)


@pytest.mark.postgres
def test_postgres_without_schema_and_create_false_is_a_mismatch(pg_url: str) -> None:
    import psycopg

    with pytest.raises(LedgerMismatch, match=r"ingen gemensam lcsp-databas \(schemat saknas\)"):
        open_ledger(pg_url, create=False)
    with psycopg.connect(pg_url) as conn:
        (n,) = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'lcsp%'"
        ).fetchone()  # type: ignore[misc]
    assert n == 0


def test_unreachable_postgres_fails_fast_without_the_password() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://lcsp:s3cret-pw@127.0.0.1:{port}/ledgerdb"
    start = time.monotonic()
    with pytest.raises(LedgerUnreachable) as info:
        open_ledger(url, create=True)
    assert time.monotonic() - start < 3
    message = str(info.value)
    assert message.startswith(
        f"den gemensamma databasen på 127.0.0.1:{port}/ledgerdb går inte att nå: "
    )
    assert "s3cret" not in message
    assert "\n" not in message


@pytest.mark.postgres
def test_postgres_server_gone_is_unreachable_then_reconnects(pg_url: str) -> None:
    import psycopg

    led = PostgresLedger(pg_url, create=True)
    led.push(make_events(2, "a"))
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    with pytest.raises(
        LedgerUnreachable, match=r"den gemensamma databasen på \S+ går inte att nå: "
    ):
        led.push(make_events(2, "b"))
    # The failed push committed nothing; the next call reconnects and carries on.
    later = make_events(2, "c")
    assert led.push(later) == {later[0].event_id: 3, later[1].event_id: 4}
    led.close()


# -- concurrency and crash hook -----------------------------------------------------------


def test_sqlite_concurrent_writers_get_dense_seqs(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    SqliteLedger(path, create=True).close()
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def writer(tag: str) -> None:
        try:
            led = SqliteLedger(path, create=False)
            for i in range(30):
                results.append(led.push(make_events(7, f"{tag}-{i}-")))
            led.close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"w{k}",)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    seqs = sorted(s for r in results for s in r.values())
    assert seqs == list(range(1, 4 * 30 * 7 + 1))
    with SqliteLedger(path, create=False) as led:
        assert [e.seq for e in pull_all(led, limit=1000)] == seqs


def test_crash_after_ledger_commit_keeps_the_push(spec: str) -> None:
    open_ledger(spec, create=True).close()
    script = (
        "import sys\n"
        "from lcsp_tui.domain.models import Event\n"
        "from lcsp_tui.ledger.base import open_ledger\n"
        "led = open_ledger(sys.argv[1], create=False)\n"
        "led.push([Event(event_id=sys.argv[2], kind='x', payload={})])\n"
        "print('survived')\n"
    )
    env = {**os.environ, "LCSP_CRASH_AT": "after_ledger_commit"}
    proc = subprocess.run(
        [sys.executable, "-c", script, spec, "crash-1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == -9, proc.stderr
    assert "survived" not in proc.stdout
    with closing(open_ledger(spec, create=False)) as led:
        assert [(e.event_id, e.seq) for e in led.pull(0)] == [("crash-1", 1)]
