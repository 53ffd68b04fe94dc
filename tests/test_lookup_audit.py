"""The support lookup's audit write (issue 14): durable before the result is shown, and cheap.

Every lookup is one ``audit.read`` event committed to the outbox (WAL, ``synchronous=FULL``)
before ``audited_lookup`` returns: one ``BEGIN IMMEDIATE`` … ``COMMIT`` holding two prepared
statements (the ``origin_seq`` upsert and the outbox insert), no read model refresh, no
pydantic. A real ``lcsp lookup`` process killed (SIGKILL) inside that transaction shows
nothing and keeps nothing; killed right after the commit, the event is in the outbox.

Records with known answers come from ``tests.test_lookup_stats.records``: A Larsson 1945
matches two patients (P1, P2).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from lcsp_tui.config import settings_from
from lcsp_tui.domain import models as m
from lcsp_tui.domain.lookup import LookupRefused
from lcsp_tui.importer import diff_events
from lcsp_tui.lookup import audited_lookup
from lcsp_tui.store import readmodel
from lcsp_tui.store.fold import payload_json
from lcsp_tui.workstation import Workstation
from tests.test_lookup_stats import records

TODAY = "2025-10-01T09:00"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in [k for k in os.environ if k.startswith("LCSP_")]:
        monkeypatch.delenv(k)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    ws = Workstation(settings_from(home=str(h), user="import", role="systemforvaltning"))
    ws.publish(diff_events(records(), ws.known()).events, {"test": True})
    ws.sync()  # an empty outbox to start from
    ws.close()
    desk = support(h)  # the desk's home: the support bucket (issue 15) pulled once
    desk.sync()
    desk.close()
    return h


def support(home: Path) -> Workstation:
    return Workstation(settings_from(home=str(home), user="stina", role="support", today=TODAY))


def outbox(home: Path) -> list[tuple[int, str, str, str, str]]:
    """(origin_seq, kind, actor, role, payload) of the outbox, read from the store file."""
    with closing(sqlite3.connect(f"file:{home / 'store.sqlite'}?mode=ro", uri=True)) as conn:
        return conn.execute(
            "SELECT origin_seq, kind, actor, role, payload FROM outbox ORDER BY origin_seq"
        ).fetchall()


def origin_meta(home: Path) -> int:
    with closing(sqlite3.connect(f"file:{home / 'store.sqlite'}?mode=ro", uri=True)) as conn:
        return int(conn.execute("SELECT value FROM meta WHERE key = 'origin_seq'").fetchone()[0])


def test_one_commit_two_statements_per_lookup(home: Path) -> None:
    ws = support(home)
    try:
        audited_lookup(ws, "A Larsson", "1945")  # statements prepared, pages warm
        seen: list[str] = []
        ws.store._conn.set_trace_callback(seen.append)
        found = audited_lookup(ws, "A. Larsson", "1945")
        ws.store._conn.set_trace_callback(None)
    finally:
        ws.close()
    assert len(found.matches) == 2
    begin = [i for i, s in enumerate(seen) if s.startswith("BEGIN")]
    commit = [i for i, s in enumerate(seen) if s.startswith("COMMIT")]
    assert len(begin) == 1 and len(commit) == 1, seen
    assert seen[begin[0]] == "BEGIN IMMEDIATE"
    inside = seen[begin[0] + 1 : commit[0]]
    assert len(inside) == 2, inside
    assert inside[0].startswith("INSERT INTO meta") and "origin_seq" in inside[0]
    assert inside[1].startswith("INSERT INTO outbox")
    # the write is the last thing: nothing is read after the audit is committed
    assert commit[0] == len(seen) - 1, seen
    assert not any("rm_" in s for s in seen[begin[0] :]), "no read model work for a read"


def test_the_audit_event_numbers_on_from_the_outbox(home: Path) -> None:
    ws = support(home)
    try:
        start = origin_meta(home)
        found = audited_lookup(ws, "A Larsson", "1945")
        with pytest.raises(LookupRefused):
            audited_lookup(ws, "A Larsson", "19450101-1234")
        audited_lookup(ws, "Z Zzzzz", "1901")
        assert ws.store.outbox()[0].event_id  # the outbox reads back as events
    finally:
        ws.close()
    rows = outbox(home)
    assert [r[0] for r in rows] == [start + 1, start + 2, start + 3]
    assert origin_meta(home) == start + 3
    assert {(r[1], r[2], r[3]) for r in rows} == {("audit.read", "stina", "support")}
    payloads = [json.loads(r[4]) for r in rows]
    assert payloads[0] == {
        "subject": ",".join(found.patient_ids),
        "what": "sökning",
        "outcome": "2 träffar",
    }
    assert payloads[1] == {"subject": None, "what": "sökning", "outcome": "nekad"}
    assert "19450101" not in rows[1][4]  # what was typed is never kept
    assert payloads[2] == {"subject": None, "what": "sökning", "outcome": "0 träffar"}


def test_record_without_event_writes_what_the_event_path_writes(home: Path) -> None:
    """``event=False`` and the ordinary path store the same row; only the return differs."""
    payload = {"subject": "P1,P2", "what": "sökning – åäö", "outcome": "2 träffar"}
    ws = support(home)
    try:
        lean = ws.store.record(
            m.AUDIT_READ,
            payload,
            actor="a",
            role="support",
            unit="",
            recorded_at=TODAY,
            event=False,
        )
        full = ws.store.record(
            m.AUDIT_READ, payload, actor="a", role="support", unit="", recorded_at=TODAY
        )
        pending = {e.event_id: e for e in ws.store.outbox()}
    finally:
        ws.close()
    assert isinstance(lean, str) and isinstance(full, m.Event)
    assert pending[full.event_id] == full
    assert pending[lean].model_copy(update={"event_id": "", "origin_seq": 0}) == (
        full.model_copy(update={"event_id": "", "origin_seq": 0})
    )
    rows = outbox(home)
    assert rows[0][4] == rows[1][4] == payload_json(payload)


@pytest.mark.parametrize(
    "payload",
    [
        {"subject": None, "what": "sökning", "outcome": "nekad"},
        {"b": [1, 2, {"ö": "Å"}], "a": 1.5, "c": True, "d": 'x"y\\z\n'},
    ],
)
def test_the_stored_payload_is_fold_payload_json(home: Path, payload: dict[str, object]) -> None:
    ws = support(home)
    try:
        ws.store.record(
            "audit.read", payload, actor="a", role="", unit="", recorded_at=TODAY, event=False
        )
    finally:
        ws.close()
    assert outbox(home)[-1][4] == payload_json(payload)


def test_an_audit_read_touches_no_read_model_row() -> None:
    """``LocalStore.record`` skips the read model for ``"audit.read"`` by name."""
    assert m.AUDIT_READ == "audit.read"
    ev = m.Event(kind=m.AUDIT_READ, payload={"subject": "P1", "what": "x", "outcome": "ok"})
    assert not readmodel.touched_by([ev])


def test_a_tick_still_refreshes_the_read_model(home: Path) -> None:
    """The ordinary path (an event that changes what users see) is unchanged: its read model
    rows move in the same transaction, and it returns the validated event."""
    ws = support(home)
    try:
        seen: list[str] = []
        ws.store._conn.set_trace_callback(seen.append)
        ev = ws.store.record(
            m.ITEM_TICKED,
            {"subject": "V1", "item": "s2.personuppgifter", "done": True},
            actor="a",
            role="slutenvard-somatik",
            unit="AVD1",
            recorded_at=TODAY,
        )
        ws.store._conn.set_trace_callback(None)
    finally:
        ws.close()
    assert isinstance(ev, m.Event) and ev.origin_seq == outbox(home)[-1][0]
    assert ev.replica_id
    assert any("rm_subject" in s for s in seen)


def lcsp(home: Path, *args: str, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCSP_")}
    if crash_at:
        env["LCSP_CRASH_AT"] = crash_at
    return subprocess.run(
        [sys.executable, "-m", "lcsp_tui", "--home", str(home), "--today", TODAY, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_a_lookup_killed_before_its_audit_commits_shows_nothing(home: Path) -> None:
    args = ("--user", "stina", "--role", "support", "lookup", "A Larsson", "1945", "--json")
    out = lcsp(home, *args, crash_at="before_record_commit")
    assert out.returncode == -signal.SIGKILL, out.stderr
    assert out.stdout == ""  # the result is never shown before its audit is durable
    assert outbox(home) == []
    out = lcsp(home, *args, crash_at="after_record_commit")
    assert out.returncode == -signal.SIGKILL, out.stderr
    assert out.stdout == ""
    (row,) = outbox(home)  # committed: it survives the kill, and syncs later
    assert row[1:4] == ("audit.read", "stina", "support")
    assert json.loads(row[4])["outcome"] == "2 träffar"
    out = lcsp(home, *args)
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)["matches"]) == 2
    assert [r[0] for r in outbox(home)] == [row[0], row[0] + 1]


def test_a_lookup_imports_neither_pydantic_nor_the_read_model(home: Path) -> None:
    """The support screen's path (``audited_lookup`` on an open workstation), in a fresh
    process: the audited read builds no model and refreshes nothing, so the first lookup
    imports neither pydantic nor the rules and the read model."""
    code = (
        "import sys\n"
        "from lcsp_tui.config import settings_from\n"
        "from lcsp_tui.lookup import audited_lookup\n"
        "from lcsp_tui.workstation import Workstation\n"
        f"ws = Workstation(settings_from(home={str(home)!r}, user='stina', role='support', "
        f"today={TODAY!r}))\n"
        "print(len(audited_lookup(ws, 'A Larsson', '1945').matches))\n"
        "ws.close()\n"
        "loaded = [n for n in ('pydantic', 'lcsp_tui.domain.models', "
        "'lcsp_tui.store.readmodel', 'lcsp_tui.domain.rules') if n in sys.modules]\n"
        "sys.exit(f'loaded: {loaded}' if loaded else 0)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCSP_")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2"
    assert len(outbox(home)) == 1
