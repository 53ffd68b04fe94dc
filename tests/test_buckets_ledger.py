"""The ledger serves buckets (issue 15, docs/need-to-know.md): the SQLite ledger's relation
tables, its filtered pull, the region bucket's redaction, grants and revocations, and the
backfill of a ledger made by an earlier release."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections import defaultdict
from contextlib import closing
from pathlib import Path

import pytest

from lcsp_tui.domain import models as m
from lcsp_tui.ledger import buckets
from lcsp_tui.ledger.buckets import CARE, REGION, Bucket
from lcsp_tui.ledger.sqlite import SqliteLedger

ROOT = Path(__file__).resolve().parent.parent
ME = "replica-under-test"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home filled with the small demo (a real process); its ledger and read model."""
    home = tmp_path_factory.mktemp("buckets") / "home"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LCSP_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "lcsp_tui", "demo", "--size", "small", "--no-tui"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return home


@pytest.fixture
def ledger(demo: Path, tmp_path: Path) -> SqliteLedger:
    copy = tmp_path / "ledger.sqlite"
    with (
        closing(sqlite3.connect(demo / "ledger.sqlite")) as src,
        closing(sqlite3.connect(copy)) as dst,
    ):
        src.backup(dst)
    return SqliteLedger(copy, create=False)


def pull_all(ledger: SqliteLedger, bucket: Bucket, after: int = 0, limit: int = 5000) -> list:
    out = []
    while True:
        got = ledger.pull_bucket(after, limit, bucket, ME)
        out += got.rows
        if got.through == after or got.through >= ledger.head():
            return out
        after = got.through


def patients_of(rows: list) -> dict[str, dict]:
    return {r.payload["patient_id"]: r.payload for r in rows if r.kind == m.PATIENT_UPSERTED}


def test_every_subject_on_a_units_lists_is_in_its_bucket(demo: Path, ledger: SqliteLedger) -> None:
    """``holders ⊆ related``: the read model of the whole region puts a subject on a unit's
    list only if the unit's bucket holds the subject's patient, its records and its ticks."""
    with closing(sqlite3.connect(demo / "store.sqlite")) as store:
        on_list: dict[str, set[str]] = defaultdict(set)
        for unit, patient in store.execute(
            "SELECT DISTINCT l.unit, s.patient_id FROM rm_list l "
            "JOIN rm_subject s ON s.subject = l.subject WHERE l.unit <> ''"
        ):
            on_list[unit].add(patient)
        ticked = dict(store.execute("SELECT DISTINCT subject, seq FROM items"))
    assert len(on_list) > 10
    for unit, patients in on_list.items():
        rows = pull_all(ledger, Bucket(CARE, unit))
        held = patients_of(rows)
        assert patients <= set(held), unit
        # nothing of a patient it does not serve: every event is of a held patient, or global
        for r in rows:
            p = r.payload
            if r.kind in (m.ADMISSION_UPSERTED, m.SIP_UPSERTED):
                assert p["patient_id"] in held
            assert r.kind not in ("audit.read",)
        seqs = [r.seq for r in rows]
        assert seqs == sorted(set(seqs))
        in_bucket = {r.seq for r in rows}
        # every tick of a subject on its lists came along
        with closing(sqlite3.connect(demo / "store.sqlite")) as store:
            subjects = [
                s
                for (s,) in store.execute(
                    "SELECT DISTINCT subject FROM rm_list WHERE unit = ?", (unit,)
                )
            ]
        for s in subjects:
            if s in ticked:
                assert ticked[s] in in_bucket or ticked[s] is None


def test_a_ward_gets_a_small_part_and_no_other_personnummer(
    demo: Path, ledger: SqliteLedger
) -> None:
    with closing(sqlite3.connect(demo / "store.sqlite")) as store:
        (unit,) = store.execute(
            "SELECT unit FROM rm_list WHERE role = 'slutenvard-somatik' GROUP BY unit "
            "ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    every = {pid: p["personnummer"] for pid, p in ledger.patient_records().items()}
    rows = pull_all(ledger, Bucket(CARE, unit))
    held = patients_of(rows)
    assert 0 < len(held) < len(every) / 2
    text = "\n".join(r.payload_json for r in rows)
    for pid, pnr in every.items():
        if pid not in held:
            assert pnr not in text and pnr[2:] not in text


def test_the_region_bucket_is_redacted(ledger: SqliteLedger) -> None:
    for bucket in (Bucket(REGION), Bucket(REGION, audit=True)):
        rows = pull_all(ledger, bucket)
        assert len(rows) == ledger.head() or not bucket.audit
        patients = patients_of(rows)
        assert patients
        for p in patients.values():
            assert "personnummer" not in p
            assert len(p["first_name"]) == 1
            assert 1890 < p["born"] < 2030
        text = "\n".join(r.payload_json for r in rows)
        assert not any(len(w) >= 10 and w.isdigit() for w in text.replace('"', " ").split())


def test_own_events_outside_the_bucket_are_confirmed_not_served(ledger: SqliteLedger) -> None:
    head = ledger.head()
    audit = m.Event(replica_id=ME, origin_seq=1, kind="audit.read", payload={"subject": None})
    ledger.push([audit])
    got = ledger.pull_bucket(head, 100, Bucket(CARE, "NO-SUCH-UNIT"), ME)
    assert got.rows == [] and got.confirmed == [audit.event_id] and got.through == head + 1
    other = ledger.pull_bucket(head, 100, Bucket(CARE, "NO-SUCH-UNIT"), "someone-else")
    assert other.rows == [] and other.confirmed == [] and other.through == head + 1
    sysf = ledger.pull_bucket(head, 100, Bucket(REGION, audit=True), "someone-else")
    assert [r.event_id for r in sysf.rows] == [audit.event_id]


def test_a_patient_relisted_at_another_health_centre(ledger: SqliteLedger) -> None:
    """The old hälsocentral purges the patient; the new one gets its whole history."""
    conn = ledger._conn
    pid, payload = next(
        (p, json.loads(pl))
        for p, pl in conn.execute(
            "SELECT patient_id, payload FROM events e WHERE kind = 'patient.upserted' AND "
            "json_extract(payload, '$.health_centre') IS NOT NULL AND NOT EXISTS (SELECT 1 "
            "FROM relation r WHERE r.patient_id = e.patient_id AND r.unit = "
            "json_extract(e.payload, '$.health_centre') AND r.record NOT LIKE 'patient.%') "
            "ORDER BY seq"
        )
    )
    old = payload["health_centre"]
    new = next(
        u
        for (u,) in conn.execute(
            "SELECT DISTINCT json_extract(payload, '$.health_centre') FROM events "
            "WHERE kind = 'patient.upserted'"
        )
        if u and u != old
    )
    history = {s for (s,) in conn.execute("SELECT seq FROM events WHERE patient_id = ?", (pid,))}
    assert history
    head = ledger.head()
    moved = m.Event(kind=m.PATIENT_UPSERTED, payload={**payload, "health_centre": new})
    ledger.push([moved])
    at_old = ledger.pull_bucket(head, 100, Bucket(CARE, old), ME)
    assert pid in at_old.purge and pid not in at_old.refill
    assert all(r.payload.get("patient_id") != pid for r in at_old.rows)
    at_new = ledger.pull_bucket(head, 100, Bucket(CARE, new), ME)
    assert pid in at_new.purge and pid in at_new.refill
    assert {r.seq for r in at_new.rows} >= history | {head + 1}
    assert [r.seq for r in at_new.rows] == sorted({r.seq for r in at_new.rows})
    # moving back: the new one purges, the old one is granted again
    ledger.push([m.Event(kind=m.PATIENT_UPSERTED, payload=payload)])
    back = ledger.pull_bucket(head + 1, 100, Bucket(CARE, new), ME)
    assert pid in back.purge and pid not in back.refill


def test_a_ledger_of_an_earlier_release_is_filled_on_open(
    ledger: SqliteLedger, tmp_path: Path
) -> None:
    made = {
        t: sorted(ledger._conn.execute(f"SELECT * FROM {t}").fetchall())
        for t in ("subject_patient", "relation")
    }
    patient_of = ledger._conn.execute("SELECT seq, patient_id FROM events ORDER BY seq").fetchall()
    ledger.close()
    path = tmp_path / "ledger.sqlite"
    old = tmp_path / "old.sqlite"
    shutil.copy(path, old)
    with closing(sqlite3.connect(old)) as conn:
        for name, kind in conn.execute(
            "SELECT name, type FROM sqlite_master WHERE type IN ('trigger', 'table', 'index') "
            "AND name NOT IN ('meta', 'events') AND name NOT LIKE 'sqlite_%'"
        ).fetchall():
            conn.execute(f"DROP {kind} IF EXISTS {name}")
        conn.execute("ALTER TABLE events DROP COLUMN patient_id")
        conn.commit()
    reopened = SqliteLedger(old, create=False)
    for table, rows in made.items():
        assert sorted(reopened._conn.execute(f"SELECT * FROM {table}").fetchall()) == rows
    assert (
        reopened._conn.execute("SELECT seq, patient_id FROM events ORDER BY seq").fetchall()
        == patient_of
    )
    assert buckets.bucket_of("support", None) == Bucket(REGION)
    assert buckets.bucket_of("systemforvaltning", None) == Bucket(REGION, audit=True)
    assert buckets.bucket_of("primarvard", "HC-1") == Bucket(CARE, "HC-1")


@pytest.mark.postgres
def test_postgres_serves_the_same_buckets(ledger: SqliteLedger, pg_url: str) -> None:
    """The PostgreSQL ledger, its tables kept by its trigger, answers every bucket as the
    SQLite ledger does (the same events, redactions, grants and revocations), also after
    a patient moved; and a ledger of an earlier release is filled once by replaying it."""
    import psycopg

    from lcsp_tui.ledger.postgres import PostgresLedger, install_buckets
    from tests.ledger_earlier import drop_buckets

    events = ledger.pull(0, 100_000)
    pg = PostgresLedger(pg_url)
    try:
        pg.push([e.model_copy(update={"seq": None}) for e in events])
        units = [r.payload["unit_id"] for r in events if r.kind == m.UNIT_UPSERTED]

        def same(after: int) -> None:
            for bucket in [Bucket(CARE, u) for u in units] + [
                Bucket(REGION),
                Bucket(REGION, audit=True),
            ]:
                a = ledger.pull_bucket(after, 5000, bucket, ME)
                b = pg.pull_bucket(after, 5000, bucket, ME)
                assert [(r.seq, r.event_id, r.payload) for r in a.rows] == [
                    (r.seq, r.event_id, r.payload) for r in b.rows
                ], bucket
                assert (a.through, a.head, a.confirmed, a.purge, a.refill) == (
                    b.through,
                    b.head,
                    b.confirmed,
                    b.purge,
                    b.refill,
                ), bucket

        same(0)
        head = ledger.head()
        moved = []
        for p in list(ledger.patient_records().values())[:5]:
            hc = p.get("health_centre")
            moved.append(
                m.Event(
                    kind=m.PATIENT_UPSERTED,
                    payload={**p, "health_centre": None if hc else units[0]},
                )
            )
        ledger.push(moved)
        pg.push(moved)
        same(head)
        # as a ledger of an earlier release: no bucket tables; opened, it is replayed
        pg.close()
        drop_buckets(pg_url)
        with psycopg.connect(pg_url, autocommit=True) as conn, conn.transaction():
            install_buckets(conn)  # what lcsp ledger init does
        pg = PostgresLedger(pg_url)
        same(0)
        same(head)
    finally:
        pg.close()
