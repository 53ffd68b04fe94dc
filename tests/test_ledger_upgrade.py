"""A ledger set up by the earlier release (``tests/ledger_earlier.py``) and this release.

- It keeps working as it is: this release's push (the earlier path: unnumbered insert, then
  numbering) appends, re-pushes and pulls as its app role, dense.
- ``lcsp ledger check`` says its guards are from an earlier release and what to run (exit 1).
- ``lcsp ledger init`` upgrades it in place: the same ledger, events, role and password; the
  per-row check gone, the app role's INSERT and UPDATE taken back, ``lcsp_append`` its only
  way to write. A connection opened before the upgrade keeps pushing after it, and pushes
  running while init runs all land, dense.
"""

from __future__ import annotations

import io
import json
import os
import threading
from contextlib import redirect_stderr, redirect_stdout

import psycopg
import pytest
from psycopg import errors

from lcsp_tui.cli import main
from lcsp_tui.domain.models import Event
from lcsp_tui.ledger.postgres import PostgresLedger
from tests.ledger_earlier import EARLIER_TRIGGERS, earlier_ledger

pytestmark = pytest.mark.postgres

OUTDATED = (
    "lcsp: kontrollen av den gemensamma databasen misslyckades: skydden och appens "
    "rättigheter är från en tidigare version av lcsp, med långsammare skrivningar "
    "(kör lcsp ledger init)"
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in [k for k in os.environ if k.startswith("LCSP_")]:
        monkeypatch.delenv(k)


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(list(args))
    return rc, out.getvalue(), err.getvalue()


def check(url: str) -> tuple[int, dict[str, object], str]:
    rc, out, err = run("ledger", "check", url, "--json")
    return rc, json.loads(out), err


def ev(i: int, replica: str = "r1") -> Event:
    return Event(
        replica_id=replica,
        origin_seq=i,
        kind="item.ticked",
        actor="anna",
        role="slutenvard-somatik",
        unit="SUS-AVD11",
        recorded_at="2025-09-30T09:00",
        payload={"subject": f"VT{i:06d}", "item": "s2.x", "done": True},
    )


def triggers(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {
            r[0]
            for r in conn.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                "AND tgrelid IN ('lcsp_events'::regclass, 'lcsp_head'::regclass)"
            )
        }


def test_an_earlier_ledger_keeps_working_and_check_says_to_run_init(pg_url: str) -> None:
    app = earlier_ledger(pg_url)
    assert triggers(pg_url) == EARLIER_TRIGGERS
    first, later = [ev(1), ev(2), ev(3)], ev(4)
    with PostgresLedger(app) as led:
        assert list(led.push(first).values()) == [1, 2, 3]
        assert list(led.push(first).values()) == [1, 2, 3]  # a retry: nothing new
        assert led.push([later, first[1]]) == {later.event_id: 4, first[1].event_id: 2}
        assert [e.seq for e in led.pull(0)] == [1, 2, 3, 4]
    rc, report, err = check(pg_url)
    assert rc == 1 and err.strip() == OUTDATED
    assert report["guards"] is True and report["guards_current"] is False
    assert report["dense"] is True and report["head"] == 4
    rc, out, err = run("ledger", "check", pg_url)
    assert rc == 1 and err.strip() == OUTDATED
    assert "nummerföljden obruten, skydden mot ändring är installerade" in out


def test_init_upgrades_an_earlier_ledger_in_place(pg_url: str) -> None:
    app = earlier_ledger(pg_url)
    before = PostgresLedger(app)  # open across the upgrade, as a running workstation's
    try:
        pushed = [ev(i) for i in range(1, 6)]
        assert list(before.push(pushed).values()) == [1, 2, 3, 4, 5]
        ledger_id = before.ledger_id
        rc, out, err = run("ledger", "init", pg_url)
        assert rc == 0, err
        assert "rättigheterna återställda" in out
        report = json.loads(run("ledger", "init", pg_url, "--json")[1])  # and again: idempotent
        assert report["ledger_id"] == ledger_id and report["created_role"] is False
        assert report["password"] is None and report["app_url"] == app

        rc, result, err = check(pg_url)
        assert rc == 0 and err == "", err
        assert result["guards"] is True and result["guards_current"] is True
        assert result["head"] == 5 and result["dense"] is True
        now = triggers(pg_url)
        assert "lcsp_events_numbered" not in now and "lcsp_events_inserted_numbered" in now
        with psycopg.connect(pg_url) as conn:
            gone = conn.execute("SELECT to_regprocedure('lcsp_check_numbered()')").fetchone()
        assert gone == (None,)

        # The earlier path's rights are taken back: lcsp_append is the only way to write.
        with psycopg.connect(app, autocommit=True) as conn:
            for statement in (
                "INSERT INTO lcsp_events (event_id, replica_id, origin_seq, kind, "
                "schema_version, actor, role, unit, recorded_at, payload) "
                "VALUES ('x', 'r', 1, 'k', 1, 'a', 'r', 'u', 't', '{}')",
                "UPDATE lcsp_events SET seq = seq WHERE seq = 1",
                "UPDATE lcsp_head SET last_seq = last_seq",
            ):
                with pytest.raises(errors.InsufficientPrivilege):
                    conn.execute(statement)

        # The connection opened before the upgrade finds lcsp_append and keeps pushing;
        # re-pushed events keep their seqs, new ones continue the sequence.
        more = [ev(i) for i in range(6, 9)]
        assert list(before.push([pushed[4], *more]).values()) == [5, 6, 7, 8]
        last = ev(9)
        with PostgresLedger(app) as fresh:
            assert list(fresh.push([last, pushed[0]]).values()) == [9, 1]
            assert [e.event_id for e in fresh.pull(0)] == [
                e.event_id for e in [*pushed, *more, last]
            ]
    finally:
        before.close()
    rc, result, err = check(app)  # the app role may read what check needs
    assert rc == 0 and result["head"] == 9 and result["events"] == 9, err


def test_pushes_while_init_upgrades_all_land_dense(pg_url: str) -> None:
    """Workstations keep syncing while the administrator runs init: every push succeeds
    (the earlier path until the upgrade commits, then lcsp_append), none twice, no gap."""
    app = earlier_ledger(pg_url)
    stop = threading.Event()
    failures: list[BaseException] = []
    seqs: dict[str, int] = {}
    lock = threading.Lock()

    def writer(w: int) -> None:
        try:
            with PostgresLedger(app) as led:
                i = 0
                while not stop.is_set():
                    batch = [ev(i + k, replica=f"w{w}") for k in range(5)]
                    i += 5
                    got = led.push(batch)
                    assert led.push(batch[:2]) == {e.event_id: got[e.event_id] for e in batch[:2]}
                    with lock:
                        seqs.update(got)
        except BaseException as exc:  # pragma: no cover - asserted below
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    try:
        stop.wait(0.5)
        with lock:
            before = len(seqs)
        rc, _out, err = run("ledger", "init", pg_url)
        assert rc == 0, err
        with lock:
            upgraded = len(seqs)
        stop.wait(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert not failures, failures
    rc, result, err = check(pg_url)
    assert rc == 0, err
    assert result["guards_current"] is True and result["dense"] is True
    assert sorted(seqs.values()) == list(range(1, len(seqs) + 1)) and result["head"] == len(seqs)
    assert before > 0 and upgraded < len(seqs)  # pushes before and after the upgrade
