"""A home made by the previous release opens with this one and loses nothing.

The fixture (tests/fixtures/home-schema2, see its README) was made by the release before the
read model: store schema 2, with four events in the outbox that never reached the ledger.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "home-schema2"
OLD_OUTBOX = 4


def load(dump: Path, db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.executescript(dump.read_text(encoding="utf-8"))
    conn.close()


@pytest.fixture
def old_home(tmp_path: Path) -> tuple[Path, Path]:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    load(FIXTURE / "store.sql", home / "store.sqlite")
    ledger = tmp_path / "ledger.sqlite"
    load(FIXTURE / "ledger.sql", ledger)
    return home, ledger


def lcsp(
    home: Path, ledger: Path, *args: str, role: str, unit: str | None = None
) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCSP_")}
    cmd = [sys.executable, "-m", "lcsp_tui", "--home", str(home), "--ledger", str(ledger)]
    cmd += ["--user", "anna", "--role", role] + (["--unit", unit] if unit else [])
    p = subprocess.run([*cmd, *args], capture_output=True, text=True, env=env)
    return p.returncode, p.stdout, p.stderr


def meta(home: Path) -> dict[str, str]:
    conn = sqlite3.connect(home / "store.sqlite")
    try:
        return dict(conn.execute("SELECT key, value FROM meta").fetchall())
    finally:
        conn.close()


def ledger_kinds(ledger: Path) -> list[str]:
    conn = sqlite3.connect(ledger)
    try:
        return [r[0] for r in conn.execute("SELECT kind FROM events ORDER BY seq")]
    finally:
        conn.close()


def test_the_fixture_is_a_schema_2_home_with_unsynced_work(old_home: tuple[Path, Path]) -> None:
    home, _ledger = old_home
    assert meta(home)["schema_version"] == "2"
    conn = sqlite3.connect(home / "store.sqlite")
    assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == OLD_OUTBOX
    conn.close()


def test_an_old_home_opens_shows_its_pending_work_and_pushes_it(
    old_home: tuple[Path, Path],
) -> None:
    home, ledger = old_home
    before = meta(home)
    kinds_before = ledger_kinds(ledger)
    ward = {"role": "slutenvard-somatik", "unit": "SUS-AVD11"}
    rc, out, err = lcsp(home, ledger, "worklist", "--json", **ward)
    assert rc == 0, err
    rows = {r["subject"]: r for r in json.loads(out)}
    assert rows["VT000002"]["done"] == 2  # the two unsynced ticks, seen through the read model
    after = meta(home)
    assert after["schema_version"] == "4"
    for key in ("replica_id", "origin_seq", "ledger_id", "env"):
        assert after[key] == before[key], key
    # it held the whole region: it forgot that and pulled its bucket anew (issue 15)
    assert after["bucket"] == "care:SUS-AVD11" and int(after["cursor"]) >= int(before["cursor"])
    rc, out, err = lcsp(home, ledger, "checklist", "VT000002", "--json", **ward)
    assert rc == 0, err
    notes = {i["id"]: i["note"] for i in json.loads(out)["items"]}
    assert notes["s2.personuppgifter"] == "gjort i LCSP"
    # The kvittering and the SIP decision made by other roles in this home are pending too.
    rc, out, err = lcsp(home, ledger, "worklist", "--json", role="primarvard", unit="HC-SKONSBERG")
    assert rc == 0, err
    rc, out, err = lcsp(home, ledger, "sync", "--json", role="systemforvaltning")
    assert rc == 0, err
    # the old outbox, plus the reads audited since: pushed by this sync or by the syncs of
    # the role switches before it (a switch pulls the new bucket, issue 15)
    new = ledger_kinds(ledger)[len(kinds_before) :]
    pushed = len(new)
    assert pushed >= OLD_OUTBOX
    assert new.count("item.ticked") == 2
    assert new.count("message.acked") == 1
    assert new.count("sip.decided") == 1
    conn = sqlite3.connect(home / "store.sqlite")
    try:
        assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
        # the events kept their replica id and origin counter
        assert int(meta(home)["origin_seq"]) == int(before["origin_seq"]) + pushed - OLD_OUTBOX
    finally:
        conn.close()
    # After the sync the ticks are confirmed: still 2 done.
    rc, out, err = lcsp(home, ledger, "worklist", "--json", **ward)
    assert {r["subject"]: r["done"] for r in json.loads(out)}["VT000002"] == 2


def test_a_home_of_a_newer_release_is_refused_and_left_alone(
    old_home: tuple[Path, Path],
) -> None:
    home, ledger = old_home
    rc, _out, err = lcsp(home, ledger, "worklist", role="systemforvaltning")
    assert rc == 0, err
    conn = sqlite3.connect(home / "store.sqlite")
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    before = (home / "store.sqlite").read_bytes()
    rc, out, err = lcsp(home, ledger, "worklist", role="systemforvaltning")
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and "nyare version" in err
    assert "Traceback" not in err
    assert (home / "store.sqlite").read_bytes() == before


def test_a_home_with_an_older_read_model_rebuilds_it(old_home: tuple[Path, Path]) -> None:
    """A rule or an rm_* table changed (READ_MODEL_VERSION): the derived tables are made
    anew as this release defines them; the outbox stays."""
    home, ledger = old_home
    ward = {"role": "slutenvard-somatik", "unit": "SUS-AVD11"}
    rc, out, err = lcsp(home, ledger, "worklist", "--json", **ward)
    assert rc == 0, err
    before = json.loads(out)
    conn = sqlite3.connect(home / "store.sqlite")
    conn.execute("UPDATE meta SET value = '0' WHERE key = 'read_model'")
    conn.execute("DROP TABLE rm_list")
    conn.execute("CREATE TABLE rm_list (role TEXT, unit TEXT, subject TEXT)")  # an old shape
    conn.commit()
    conn.close()
    rc, out, err = lcsp(home, ledger, "worklist", "--json", **ward)
    assert rc == 0, err
    assert json.loads(out) == before
    assert meta(home)["read_model"] != "0"
