"""Two homes on one ledger (SQLite file and PostgreSQL), through the real ``lcsp`` command.

They converge to the same ``state-hash`` and see each other's ticks; when the ledger is
down, local work goes on (``tick`` exits 0), ``sync`` exits 69 with one line and keeps the
outbox, and the work is pushed when the ledger is back; a home refuses another ledger
(exit 2); a missing SQLite ledger of a home that already synced is unreachable (69) and is
never recreated.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from lcsp_tui.cli import main
from lcsp_tui.ledger.base import open_ledger
from tests import pg

TODAY = "2025-10-03T09:00"  # every step open (step 7 too), Prator not yet read-only


def lcsp(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCSP_")}
    return subprocess.run(
        [sys.executable, "-m", "lcsp_tui", "--today", TODAY, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def ok(*args: str) -> str:
    """A command that must succeed, run in this process (the same ``main`` as ``lcsp``,
    without a Python start per call); returns its stdout."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(["--today", TODAY, *args])
    assert rc == 0, (args, rc, err.getvalue())
    return out.getvalue()


def one_line_error(p: subprocess.CompletedProcess[str], code: int) -> str:
    assert p.returncode == code, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    return lines[0]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process commands read LCSP_* too: none may leak in from the caller's shell."""
    for k in [k for k in os.environ if k.startswith("LCSP_")]:
        monkeypatch.delenv(k)


@dataclass(frozen=True)
class Work:
    """Something a role can tick: role, unit, subject, item."""

    role: str
    unit: str
    subject: str
    item: str

    def args(self) -> tuple[str, ...]:
        return ("--role", self.role, "--unit", self.unit)


class Home:
    def __init__(self, path: Path, ledger: str) -> None:
        self.path, self.ledger = path, ledger

    @property
    def g(self) -> tuple[str, ...]:
        return ("--home", str(self.path), "--ledger", self.ledger)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return lcsp(*self.g, *args)

    def ok(self, *args: str) -> str:
        return ok(*self.g, *args)

    def sync(self) -> dict[str, int]:
        result = json.loads(self.ok("sync", "--json"))
        assert set(result) == {"pushed", "pulled", "cursor"}
        return result

    def state_hash(self) -> str:
        h = self.ok("state-hash").strip()
        assert len(h) == 64
        return h

    def tick(self, w: Work) -> None:
        self.ok(*w.args(), "tick", w.subject, w.item)

    def done(self, w: Work) -> bool:
        data = json.loads(self.ok(*w.args(), "checklist", w.subject, "--json"))
        assert data["subject"] == w.subject
        return next(i["done"] for i in data["items"] if i["id"] == w.item)

    def pending(self) -> int:
        with closing(sqlite3.connect(f"file:{self.path / 'store.sqlite'}?mode=ro", uri=True)) as c:
            return int(c.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def query(self, sql: str) -> list[str]:
        with closing(sqlite3.connect(f"file:{self.path / 'store.sqlite'}?mode=ro", uri=True)) as c:
            return [r[0] for r in c.execute(sql)]


def find_work(home: Home, role: str, units_sql: str, besides: str = "") -> Work:
    """The first unit (from ``units_sql``) where ``role`` has work, and a tickable item (of
    another subject than ``besides``)."""
    for unit in dict.fromkeys(home.query(units_sql)):
        rows = json.loads(home.ok("--role", role, "--unit", unit, "worklist", "--json"))
        for row in rows:
            if row["subject"] == besides:
                continue
            data = json.loads(
                home.ok("--role", role, "--unit", unit, "checklist", row["subject"], "--json")
            )
            for i in data["items"]:
                if i["applies"] and i["waiting"] is None and not i["done"]:
                    return Work(role, unit, row["subject"], i["id"])
    raise AssertionError(f"no work for {role} in the small demo")


def somatic_work(home: Home) -> Work:
    return find_work(
        home,
        "slutenvard-somatik",
        "SELECT ward FROM admissions WHERE care_form = 'somatik' AND status = 'pagaende' "
        "ORDER BY admission_id",
    )


def sip_work(home: Home) -> Work:
    return find_work(
        home,
        "samordningsansvarig",
        "SELECT responsible_unit FROM sips WHERE status = 'pagaende' ORDER BY sip_id",
    )


def two_homes(tmp_path: Path, ledger: str) -> tuple[Home, Home]:
    a, b = Home(tmp_path / "a", ledger), Home(tmp_path / "b", ledger)
    demo = a.run("demo", "--size", "small", "--no-tui")  # a real process
    assert demo.returncode == 0 and "demoregion 'small'" in demo.stdout, demo.stderr
    synced = b.run("sync", "--json")
    assert synced.returncode == 0 and json.loads(synced.stdout)["pulled"] > 0, synced.stderr
    assert a.state_hash() == b.state_hash()
    return a, b


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_spec(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "central" / "ledger.sqlite")
    return str(request.getfixturevalue("pg_url"))


# ------------------------------------------------------------------ convergence


def test_two_homes_see_each_others_ticks_and_agree(tmp_path: Path, ledger_spec: str) -> None:
    """Two nurses of one ward (two homes of one bucket, issue 15) on two admissions."""
    a, b = two_homes(tmp_path, ledger_spec)
    wa = somatic_work(a)
    wb = find_work(b, wa.role, f"SELECT '{wa.unit}'", besides=wa.subject)
    assert wa.subject != wb.subject
    a.tick(wa)
    b.tick(wb)
    # Each sees its own work at once (local first), not yet the other's.
    assert a.done(wa) and b.done(wb)
    assert not a.done(wb) and not b.done(wa)
    assert a.state_hash() == b.state_hash()  # the hash is of synced state only

    first = [a.sync(), b.sync(), a.sync(), b.sync()]
    assert first[0]["pushed"] >= 1 and first[1]["pushed"] >= 1
    assert first[2]["cursor"] == first[3]["cursor"]
    assert a.pending() == 0 and b.pending() == 0
    assert a.state_hash() == b.state_hash()
    assert a.done(wa) and a.done(wb) and b.done(wa) and b.done(wb)

    # An undo travels the same way.
    a.ok(*wb.args(), "tick", wb.subject, wb.item, "--undo")
    for h in (a, b, a, b):
        h.sync()
    assert not a.done(wb) and not b.done(wb)
    assert a.state_hash() == b.state_hash()


# ------------------------------------------------------------------ ledger down


def assert_down_then_back(
    a: Home, b: Home, down: Callable[[], None], up: Callable[[], None]
) -> None:
    """With the ledger down: tick works, sync is 69 and keeps the outbox; then back up."""
    wa = somatic_work(a)
    hash_before = a.state_hash()
    down()
    a.tick(wa)
    assert a.pending() >= 1
    kept = a.pending()
    line = one_line_error(a.run("sync"), 69)
    assert "(det lokala arbetet finns kvar)" in line
    one_line_error(a.run("sync", "--json"), 69)
    assert a.pending() == kept  # the outbox keeps the work
    assert a.done(wa)  # and the view still shows it
    assert a.state_hash() == hash_before
    up()
    waiting = a.pending()  # the tick, plus the audited reads of the checklist
    assert a.sync()["pushed"] == waiting
    assert a.pending() == 0
    b.sync()
    assert b.done(wa)
    assert a.state_hash() == b.state_hash()


def test_sqlite_ledger_moved_away_then_back(tmp_path: Path) -> None:
    central = tmp_path / "central"
    ledger = central / "ledger.sqlite"
    a, b = two_homes(tmp_path, str(ledger))
    aside = tmp_path / "aside"

    def down() -> None:
        shutil.move(central, aside)

    def up() -> None:
        assert not central.exists(), "a missing ledger was recreated"
        shutil.move(aside, central)

    assert_down_then_back(a, b, down, up)


@pytest.mark.postgres
def test_postgres_server_stopped_then_started(tmp_path: Path, pg_server: str) -> None:
    # A server of its own, so stopping it disturbs no other test.
    server = pg.start_server()
    try:
        url = pg.create_database(server.base_url)
        a, b = two_homes(tmp_path, url)

        # Nothing listens on this port: unreachable, not a mismatch.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed = s.getsockname()[1]
        line = one_line_error(
            lcsp(
                "--home",
                str(a.path),
                "--ledger",
                url.replace(str(server.port), str(closed)),
                "sync",
            ),
            69,
        )
        assert "(det lokala arbetet finns kvar)" in line

        assert_down_then_back(a, b, server.stop, server.start)
    finally:
        pg.stop_server(server)


# ------------------------------------------------------------------ identity


def test_home_refuses_another_ledger(
    tmp_path: Path, ledger_spec: str, request: pytest.FixtureRequest
) -> None:
    a, _ = two_homes(tmp_path, ledger_spec)
    if ledger_spec.startswith("postgresql://"):
        other = pg.create_database(request.getfixturevalue("pg_server"))
    else:
        other = str(tmp_path / "other" / "ledger.sqlite")
    open_ledger(other, create=True).close()  # a real, different ledger
    hash_before = a.state_hash()
    line = one_line_error(lcsp("--home", str(a.path), "--ledger", other, "sync"), 2)
    assert "hör till den gemensamma databasen" in line
    assert a.state_hash() == hash_before
    assert a.sync()["pushed"] == 0  # its own ledger still works
    if ledger_spec.startswith("postgresql://"):
        pg.drop_database(request.getfixturevalue("pg_server"), other)


def test_missing_default_ledger_is_unreachable_and_not_recreated(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ok("--home", str(home), "demo", "--size", "small", "--no-tui")  # the ledger in the home
    ledger = home / "ledger.sqlite"
    assert ledger.exists()
    hash_before = ok("--home", str(home), "state-hash")
    for p in home.glob("ledger.sqlite*"):
        p.unlink()
    for args in (("sync",), ("sync", "--json")):
        line = one_line_error(lcsp("--home", str(home), *args), 69)
        assert "(det lokala arbetet finns kvar)" in line and "ledger.sqlite" in line
        assert not ledger.exists(), "a missing ledger was recreated"
    # the same when the ledger is named explicitly
    one_line_error(lcsp("--home", str(home), "--ledger", str(ledger), "sync"), 69)
    assert not ledger.exists()
    assert ok("--home", str(home), "state-hash") == hash_before


def test_fresh_home_on_missing_ledger_file_creates_it(tmp_path: Path) -> None:
    """The contrast: a home that never synced may create its ledger."""
    ledger = tmp_path / "new" / "ledger.sqlite"
    out = json.loads(ok("--home", str(tmp_path / "h"), "--ledger", str(ledger), "sync", "--json"))
    assert out == {"pushed": 0, "pulled": 0, "cursor": 0}
    assert ledger.exists()
