"""``lcsp ledger init`` and ``lcsp ledger check`` on a real PostgreSQL server.

Least privilege: the app role appends (through ``lcsp_append`` only) and reads (a full
``lcsp sync`` works as it) but cannot insert, update, delete or truncate events, move the
head, touch the meta table, change the function, create tables or drop the ledger — each
asserted as the server's permission error. The append-only guards hold for the owner too,
and keep the sequence dense against the owner's hand numbering. ``init`` is idempotent and takes back any
right granted by hand; ``check`` reports reachability, schema version, density, events per
kind and the guards, and fails (exit 1) on a damaged ledger.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import errors

from lcsp_tui.cli import main
from lcsp_tui.domain.models import Event
from lcsp_tui.ledger.postgres import APPEND_SIGNATURE, PostgresLedger

pytestmark = pytest.mark.postgres

TODAY = "2025-09-30T09:00"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in [k for k in os.environ if k.startswith("LCSP_")]:
        monkeypatch.delenv(k)


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(list(args))
    return rc, out.getvalue(), err.getvalue()


def ok_json(*args: str) -> dict:  # type: ignore[type-arg]
    rc, out, err = run(*args, "--json")
    assert rc == 0, (args, rc, err)
    return json.loads(out)  # type: ignore[no-any-return]


def one_line(rc: int, err: str, code: int) -> str:
    assert rc == code, (rc, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def as_role(url: str, role: str) -> str:
    """The same database as another role (the test server trusts loopback)."""
    return url.replace("postgres@", f"{role}@", 1)


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


@pytest.fixture
def ledger(pg_url: str) -> dict:  # type: ignore[type-arg]
    """A ledger set up by ``lcsp ledger init`` with three events pushed by the app role."""
    report = ok_json("ledger", "init", pg_url)
    with PostgresLedger(as_role(pg_url, report["app_role"])) as led:
        assert list(led.push([ev(1), ev(2), ev(3)]).values()) == [1, 2, 3]
    return report


def _scram_matches(verifier: str, password: str) -> bool:
    method, rest = verifier.split("$", 1)
    iter_salt, keys = rest.split("$")
    iterations, salt = iter_salt.split(":")
    stored_key, _server_key = keys.split(":")
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return method == "SCRAM-SHA-256" and hashlib.sha256(client_key).digest() == base64.b64decode(
        stored_key
    )


def test_init_makes_the_schema_the_guards_and_a_plain_app_role(pg_url: str) -> None:
    report = ok_json("ledger", "init", pg_url)
    dbname = pg_url.rsplit("/", 1)[1]
    app = report["app_role"]
    assert app == f"{dbname}_app" and report["created_role"] is True  # one role per database
    assert report["schema_version"] == 1 and report["schema"] == "public"
    assert report["owner"] == "postgres"
    password = report["password"]
    assert password and len(password) >= 24
    assert report["app_url"].startswith(f"postgresql://{app}:")
    with psycopg.connect(pg_url) as conn:
        row = conn.execute(
            "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolreplication, "
            "rolbypassrls, rolpassword FROM pg_authid WHERE rolname = %s",
            (app,),
        ).fetchone()
        assert row is not None and row[:6] == (True, False, False, False, False, False)
        # Only the SCRAM verifier reached the server, and it is the printed password's.
        assert _scram_matches(row[6], password)
        ledger_id = conn.execute("SELECT value FROM lcsp_meta WHERE key = 'ledger_id'").fetchone()
    assert ledger_id is not None and ledger_id[0] == report["ledger_id"]
    check = ok_json("ledger", "check", pg_url)
    assert check["ok"] and check["guards"] is True and check["dense"] and check["head"] == 0
    assert check["guards_current"] is True
    with psycopg.connect(pg_url) as conn:
        rights = conn.execute(
            "SELECT has_table_privilege(%(r)s, 'lcsp_events', 'INSERT'), "
            "has_column_privilege(%(r)s, 'lcsp_events', 'seq', 'UPDATE'), "
            "has_column_privilege(%(r)s, 'lcsp_head', 'last_seq', 'UPDATE'), "
            "has_table_privilege(%(r)s, 'lcsp_events', 'SELECT'), "
            "has_function_privilege(%(r)s, %(f)s, 'EXECUTE'), "
            "has_function_privilege('public', %(f)s, 'EXECUTE'), "
            "(SELECT prosecdef FROM pg_proc WHERE oid = to_regprocedure(%(f)s))",
            {"r": app, "f": APPEND_SIGNATURE},
        ).fetchone()
    # writes only through lcsp_append, which runs as the owner and nobody else may call
    assert rights == (False, False, False, True, True, False, True)


def test_the_text_output_says_what_to_do_next(pg_url: str) -> None:
    rc, out, err = run("ledger", "init", pg_url)
    assert rc == 0, err
    assert "skydden mot ändring och borttagning är installerade" in out
    app = pg_url.rsplit("/", 1)[1] + "_app"
    assert f"appens roll {app}: skapad" in out
    assert f"genererat lösenord för {app} (visas en gång" in out
    assert f"arbetsstationerna använder: --ledger postgresql://{app}:" in out
    rc, out, err = run("ledger", "check", pg_url)
    assert rc == 0 and err == ""
    assert (
        "senaste nummer 0, 0 händelser, nummerföljden obruten, skydden mot ändring är installerade"
        in out
    )


def test_the_app_role_syncs_a_workstation(pg_url: str, tmp_path: Path) -> None:
    app_url = ok_json("ledger", "init", pg_url)["app_url"]
    g = ["--home", str(tmp_path / "h"), "--ledger", app_url, "--today", TODAY]
    rc, out, err = run(*g, "--role", "systemforvaltning", "demo", "--size", "small", "--no-tui")
    assert rc == 0, err
    h2 = ["--home", str(tmp_path / "h2"), "--ledger", app_url, "--today", TODAY]
    assert ok_json(*h2, "sync")["pulled"] > 100
    rc, out, err = run(*h2, "--role", "slutenvard-somatik", "--unit", "SUS-AVD11", "tick",
                       "VT000002", "s2.personuppgifter")  # fmt: skip
    assert rc == 0, err
    assert ok_json(*h2, "sync")["pushed"] == 1
    assert ok_json(*g, "sync")["pulled"] == 1
    # each home holds its bucket (issue 15): a home of the same bucket agrees with it
    ward = ["--role", "slutenvard-somatik", "--unit", "SUS-AVD11"]
    for home, role in ((g, ["--role", "systemforvaltning"]), (h2, ward)):
        twin = [*home, *role]
        twin[1] = str(tmp_path / f"twin-{role[1]}")
        ok_json(*twin, "sync")
        hashes = {run(*x, "state-hash")[1] for x in ([*home, *role], twin)}
        assert len(hashes) == 1, role
    check = ok_json("ledger", "check", app_url)  # the app role may read what check needs
    assert check["ok"] and check["kinds"]["item.ticked"] == 1


APP_REFUSED = [
    "UPDATE lcsp_events SET kind = 'item.ticked', payload = '{}'",
    "UPDATE lcsp_events SET seq = seq + 1000",  # seq is grantable only for unnumbered rows
    "UPDATE lcsp_events SET seq = NULL",
    "INSERT INTO lcsp_events (event_id, replica_id, origin_seq, kind, schema_version, actor, "
    "role, unit, recorded_at, payload) "
    "VALUES ('x', 'r', 1, 'k', 1, 'a', 'r', 'u', 't', '{}')",  # writes go through lcsp_append
    "UPDATE lcsp_head SET last_seq = last_seq + 1",
    "DELETE FROM lcsp_events",
    "TRUNCATE lcsp_events",
    "UPDATE lcsp_meta SET value = 'x' WHERE key = 'ledger_id'",
    "INSERT INTO lcsp_meta (key, value) VALUES ('x', 'y')",
    "DELETE FROM lcsp_head",
    "UPDATE lcsp_head SET id = 2",
    "INSERT INTO lcsp_events (event_id, seq, replica_id, origin_seq, kind, schema_version, "
    "actor, role, unit, recorded_at, payload) "
    "VALUES ('x', 4, 'r', 1, 'k', 1, 'a', 'r', 'u', 't', '{}')",  # the client never picks seq
    "DROP TABLE lcsp_events",
    "ALTER TABLE lcsp_events DISABLE TRIGGER USER",
    "CREATE TABLE lcsp_shadow (x int)",
    "CREATE OR REPLACE FUNCTION lcsp_guard_no_removal() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$",
    f"ALTER FUNCTION {APPEND_SIGNATURE} SECURITY INVOKER",
    f"DROP FUNCTION {APPEND_SIGNATURE}",
]


@pytest.mark.parametrize("statement", APP_REFUSED)
def test_the_app_role_cannot_change_or_remove_events(
    ledger: dict[str, Any], pg_url: str, statement: str
) -> None:
    with psycopg.connect(as_role(pg_url, ledger["app_role"]), autocommit=True) as conn:
        with pytest.raises(errors.InsufficientPrivilege) as exc:
            conn.execute(statement)
        assert exc.value.sqlstate == "42501"
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute("SELECT seq, kind FROM lcsp_events ORDER BY seq").fetchall()
        meta = conn.execute("SELECT count(*) FROM lcsp_meta").fetchone()
    assert rows == [(1, "item.ticked"), (2, "item.ticked"), (3, "item.ticked")]
    assert meta == (2,)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE lcsp_events SET payload = '{}'",
        "UPDATE lcsp_events SET seq = seq + 1000",
        "DELETE FROM lcsp_events WHERE seq = 3",
        "TRUNCATE lcsp_events",
        "DELETE FROM lcsp_head",
    ],
)
def test_the_guards_hold_for_the_owner_too(ledger: dict, pg_url: str, statement: str) -> None:  # type: ignore[type-arg]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        with pytest.raises(errors.InsufficientPrivilege, match="tar bara emot nya händelser"):
            conn.execute(statement)
        assert conn.execute("SELECT count(*) FROM lcsp_events").fetchone() == (3,)


_ROW = ("INSERT INTO lcsp_events (event_id, seq, replica_id, origin_seq, kind, schema_version, "
        "actor, role, unit, recorded_at, payload) VALUES ('x', {}, 'r', 9, 'k', 1, 'a', 'r', 'u', "
        "'t', '{{}}')")  # fmt: skip


@pytest.mark.parametrize(
    "steps",
    [
        # a row numbered past the head, head not moved: a gap for every reader
        [_ROW.format(9)],
        # a row without a seq (invisible to every pull)
        [_ROW.format("NULL")],
        # the head moved by two, one row numbered
        ["UPDATE lcsp_head SET last_seq = last_seq + 2", _ROW.format(4)],
        # the head moved with no rows at all
        ["UPDATE lcsp_head SET last_seq = 10"],
        # the head moved back
        ["UPDATE lcsp_head SET last_seq = 1"],
    ],
)
def test_hand_numbering_cannot_break_the_sequence(
    ledger: dict[str, Any], pg_url: str, steps: list[str]
) -> None:
    """The app role cannot number at all (APP_REFUSED); the owner, who may write the tables,
    is held to a dense sequence by the guards (at the statement or at commit)."""
    with (
        psycopg.connect(pg_url) as conn,
        pytest.raises(errors.IntegrityConstraintViolation, match="lcsp: den gemensamma databasen"),
    ):
        for s in steps:
            conn.execute(s)
        conn.commit()
    check = ok_json("ledger", "check", pg_url)
    assert check["ok"] and check["head"] == 3 and check["events"] == 3


def test_hand_numbering_done_right_is_accepted(ledger: dict[str, Any], pg_url: str) -> None:
    """The guards above refuse what breaks the sequence, not every hand-made row."""
    with psycopg.connect(pg_url) as conn:
        conn.execute("UPDATE lcsp_head SET last_seq = last_seq + 1")
        conn.execute(_ROW.format(4))
        conn.commit()
    check = ok_json("ledger", "check", pg_url)
    assert check["ok"] and check["head"] == 4 and check["events"] == 4


def test_lcsp_append_as_the_app_role(ledger: dict[str, Any], pg_url: str) -> None:
    """The function itself: new ids numbered in batch order after the head, ids already there
    keep their seq, an id twice in a batch is stored once, and columns of unequal length are
    refused with nothing stored."""
    app = as_role(pg_url, ledger["app_role"])
    cols = "%s::text[], %s::text[], %s::bigint[], %s::text[], %s::int[], " + ", ".join(
        ["%s::text[]"] * 5
    )
    call = f"SELECT event_id, seq FROM lcsp_append({cols})"

    def columns(ids: list[str]) -> list[list[Any]]:
        n = len(ids)
        return [ids, ["r"] * n, list(range(n)), ["item.ticked"] * n, [1] * n, ["a"] * n,
                ["r"] * n, ["u"] * n, ["t"] * n, ['{"x": 1}'] * n]  # fmt: skip

    with psycopg.connect(app, autocommit=True) as conn:
        existing: dict[str, int] = dict(conn.execute("SELECT event_id, seq FROM lcsp_events"))
        old = sorted(existing, key=existing.__getitem__)
        got: dict[str, int] = dict(conn.execute(call, columns(["n1", old[1], "n2", "n1", old[0]])))
        assert got == {"n1": 4, old[1]: 2, "n2": 5, old[0]: 1}
        assert dict(conn.execute(call, columns(["n3"])).fetchall()) == {"n3": 6}
        bad = columns(["n4", "n5"])
        bad[3] = ["item.ticked"]
        with pytest.raises(errors.InvalidParameterValue, match="olika längd"):
            conn.execute(call, bad)
        assert conn.execute(call, columns([])).fetchall() == []
    check = ok_json("ledger", "check", pg_url)
    assert check["ok"] and check["head"] == 6 and check["events"] == 6


def test_concurrent_pushes_as_the_app_role_stay_dense(ledger: dict[str, Any], pg_url: str) -> None:
    import threading

    app = as_role(pg_url, ledger["app_role"])
    seqs: list[int] = []
    lock = threading.Lock()

    def writer(w: int) -> None:
        with PostgresLedger(app) as led:
            for b in range(10):
                batch = [ev(100 * b + i, replica=f"w{w}") for i in range(5)]
                got = led.push(batch)
                led.push(batch)  # a retry after a lost reply: same seqs, nothing new
                with lock:
                    seqs.extend(got.values())

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seqs) == list(range(4, 4 + 6 * 10 * 5))
    check = ok_json("ledger", "check", app)
    assert check["ok"] and check["head"] == 303 and check["kinds"] == {"item.ticked": 303}


def test_init_again_keeps_the_ledger_and_takes_back_extra_rights(
    ledger: dict[str, Any], pg_url: str
) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"GRANT DELETE, UPDATE ON lcsp_events TO {ledger['app_role']}")
        conn.execute("ALTER TABLE lcsp_events DISABLE TRIGGER lcsp_events_no_delete")
    rc, out, _err = run("ledger", "check", pg_url, "--json")
    assert rc == 1 and json.loads(out)["guards"] is False
    again = ok_json("ledger", "init", pg_url)
    assert again["ledger_id"] == ledger["ledger_id"]
    assert again["created_role"] is False and again["password"] is None
    assert again["app_url"] == as_role(pg_url, ledger["app_role"])  # the password was kept
    with psycopg.connect(as_role(pg_url, ledger["app_role"]), autocommit=True) as conn:
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("DELETE FROM lcsp_events")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("UPDATE lcsp_events SET kind = 'x'")
    assert ok_json("ledger", "check", pg_url)["guards"] is True


def test_a_password_from_the_environment_is_never_printed(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LCSP_APP_PASSWORD", "s3cret-from-vault")
    rc, out, err = run("ledger", "init", pg_url, "--app-role", "lcsp_ward")  # a named role
    assert rc == 0, err
    assert "s3cret" not in out + err
    assert "--ledger postgresql://lcsp_ward:***@" in out
    with psycopg.connect(pg_url) as conn:
        verifier = conn.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = 'lcsp_ward'"
        ).fetchone()
    assert verifier is not None and _scram_matches(verifier[0], "s3cret-from-vault")


@pytest.mark.parametrize(
    ("setup", "args", "code", "expected"),
    [
        (None, ["--app-role", "Bad-Name"], 2, "lcsp: appens roll 'Bad-Name': använd gemener"),
        ("CREATE ROLE boss SUPERUSER LOGIN", ["--app-role", "boss"], 2,
         "lcsp: rollen boss har SUPERUSER, CREATEROLE, CREATEDB eller BYPASSRLS"),
        (None, ["--app-role", "postgres"], 2, "lcsp: postgres äger tabellerna"),
    ],
)  # fmt: skip
def test_init_refuses_an_app_role_with_too_much_power(
    pg_url: str, setup: str | None, args: list[str], code: int, expected: str
) -> None:
    if setup:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(setup)
    try:
        rc, _out, err = run("ledger", "init", pg_url, *args)
        assert one_line(rc, err, code).startswith(expected)
    finally:
        if setup:
            with psycopg.connect(pg_url, autocommit=True) as conn:
                conn.execute("DROP ROLE IF EXISTS boss")


def test_the_app_role_cannot_run_init(ledger: dict, pg_url: str) -> None:  # type: ignore[type-arg]
    rc, _out, err = run("ledger", "init", as_role(pg_url, ledger["app_role"]), "--app-role", "two")
    assert one_line(rc, err, 2).startswith("lcsp: inte tillåtet på 127.0.0.1:")


def test_init_and_check_refuse_what_is_no_ledger(pg_url: str, tmp_path: Path) -> None:
    rc, _o, err = run("ledger", "init", str(tmp_path / "l.sqlite"))
    assert one_line(rc, err, 2) == (
        "lcsp: lcsp ledger init gäller en gemensam databas i PostgreSQL (postgresql://…); "
        "en SQLite-fil skapas vid första synkningen"
    )
    rc, _o, err = run("ledger", "check", pg_url)  # an empty database
    assert one_line(rc, err, 2).startswith(
        "lcsp: ingen gemensam lcsp-databas (schemat saknas) på 127.0.0.1:"
    )
    rc, _o, err = run("ledger", "check", str(tmp_path / "missing.sqlite"))
    assert one_line(rc, err, 69).startswith("lcsp: den gemensamma databasens fil finns inte")
    (tmp_path / "junk.sqlite").write_text("not a database")
    rc, _o, err = run("ledger", "check", str(tmp_path / "junk.sqlite"))
    assert one_line(rc, err, 2).startswith("lcsp: ingen gemensam lcsp-databas:")


def test_unreachable_server_exits_69_with_one_line() -> None:
    for action in ("init", "check"):
        p = subprocess.run(
            [sys.executable, "-m", "lcsp_tui", "ledger", action,
             "postgresql://postgres:pw123@127.0.0.1:1/lcsp"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        line = one_line(p.returncode, p.stderr, 69)
        assert line.startswith(
            "lcsp: den gemensamma databasen på 127.0.0.1:1/lcsp går inte att nå: anslutningen nekades"
        )
        assert "pw123" not in p.stderr and "lokala arbetet" not in p.stderr


def test_check_finds_a_damaged_ledger(ledger: dict, pg_url: str) -> None:  # type: ignore[type-arg]
    with psycopg.connect(pg_url, autocommit=True) as conn:  # what only an owner can do
        conn.execute("ALTER TABLE lcsp_events DISABLE TRIGGER USER")
        conn.execute("DELETE FROM lcsp_events WHERE seq = 2")
    rc, out, err = run("ledger", "check", pg_url)
    line = one_line(rc, err, 1)
    assert line.startswith(
        "lcsp: kontrollen av den gemensamma databasen misslyckades: nummerföljden är bruten: "
        "2 numrerade händelser"
    )
    assert "skydden mot ändring saknas (kör lcsp ledger init)" in line
    assert "nummerföljden BRUTEN, skydden mot ändring SAKNAS" in out
    report = json.loads(run("ledger", "check", pg_url, "--json")[1])
    assert report["ok"] is False and report["dense"] is False and report["head"] == 3


def test_check_a_sqlite_ledger(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    rc, _o, err = run("--home", str(tmp_path / "h"), "--ledger", str(ledger),
                      "--role", "systemforvaltning", "demo", "--size", "small", "--no-tui")  # fmt: skip
    assert rc == 0, err
    report = ok_json("ledger", "check", str(ledger))
    with closing(sqlite3.connect(ledger)) as conn:
        kinds = dict(conn.execute("SELECT kind, count(*) FROM events GROUP BY kind"))
    assert report["ok"] and report["backend"] == "sqlite" and report["guards"] is None
    assert report["kinds"] == kinds and report["head"] == sum(kinds.values())
    assert report["kinds"]["patient.upserted"] > 10


def test_a_home_ahead_of_a_restored_ledger_stops_instead_of_diverging(
    pg_url: str, tmp_path: Path
) -> None:
    """A point-in-time restore to before the last syncs: the ledger is healthy again, but a
    home that applied seqs past its new head would skip the next events with those numbers."""
    app_url = ok_json("ledger", "init", pg_url)["app_url"]
    g = ["--home", str(tmp_path / "h"), "--ledger", app_url, "--today", TODAY]
    rc, _o, err = run(*g, "--role", "systemforvaltning", "demo", "--size", "small", "--no-tui")
    assert rc == 0, err
    cursor = ok_json(*g, "sync")["cursor"]
    with psycopg.connect(pg_url, autocommit=True) as conn:  # as the restore leaves it
        conn.execute("ALTER TABLE lcsp_events DISABLE TRIGGER USER")
        conn.execute("ALTER TABLE lcsp_head DISABLE TRIGGER USER")
        conn.execute("DELETE FROM lcsp_events WHERE seq > %s", (cursor - 5,))
        conn.execute("UPDATE lcsp_head SET last_seq = %s", (cursor - 5,))
        conn.execute("ALTER TABLE lcsp_events ENABLE TRIGGER USER")
        conn.execute("ALTER TABLE lcsp_head ENABLE TRIGGER USER")
    assert ok_json("ledger", "check", pg_url)["ok"]
    rc, _o, err = run(*g, "sync")
    assert one_line(rc, err, 2) == (
        f"lcsp: den gemensamma databasen slutar vid händelse {cursor - 5}, men hemmet har läst "
        f"till och med {cursor}: databasen har återställts till en tidigare punkt; "
        "se README (Outage and restore)"
    )
