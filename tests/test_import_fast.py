"""The import as ``lcsp import`` runs it (issue 14): staged without a model per record, the
diff asked in bulk, the events made and written a batch at a time, and folded into the
importing home straight from memory — with the same outcome as the model path and as a
home that pulls the same ledger."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from lcsp_tui import demo
from lcsp_tui.config import settings_from
from lcsp_tui.domain import models as m
from lcsp_tui.domain.regiondata import load_region
from lcsp_tui.importer import MAX_ERRORS, ImportFailed, bulk, read_records, stage_import
from lcsp_tui.importer.kinds import KIND_OF, MANY
from lcsp_tui.ledger.sqlite import SqliteLedger
from lcsp_tui.prator_format import FILE_FOR_RECORD, write_export
from lcsp_tui.store.schema import READ_TABLES
from lcsp_tui.workstation import Workstation

REGION = load_region()
REF = dt.date(2025, 9, 1)
TODAY = "2025-09-30T09:00"


def no_known(kind: str, key: str) -> dict[str, Any] | None:
    return None


def asked_per_id(kind: str, key: str) -> dict[str, Any] | None:
    raise AssertionError("asked id by id although a bulk form was given")


def read_model(home: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the read model's tables, sorted (what the screens read)."""
    with closing(sqlite3.connect(home / "store.sqlite")) as conn:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}"), key=repr) for t in READ_TABLES}


def workstation(home: Path, ledger: str | None = None) -> Workstation:
    return Workstation(
        settings_from(home=str(home), ledger=ledger, today=TODAY, role="systemforvaltning")
    )


@pytest.fixture(scope="module")
def region_export(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The small demo region, some of its records edited to hold what the model path
    dumps differently (protected identity, empty optionals, times), as an export."""
    rng = random.Random(7)
    records = demo.generate("small", seed=3)
    edited: list[m.Record] = []
    for rec in records:
        if isinstance(rec, m.Patient) and rng.random() < 0.2:
            rec = rec.model_copy(update={"protected_identity": True, "next_of_kin": None})
        edited.append(rec)
    return write_export(edited, tmp_path_factory.mktemp("export"))


def test_staged_payloads_are_the_models_dumps(region_export: list[Path]) -> None:
    """Every payload made from the checked columns is ``model_dump(mode="json")`` of the
    record the model path builds, field order included, in the same order."""
    records = read_records(region_export, REGION, no_known, REF)
    staged = stage_import(region_export, REGION, no_known, REF)
    made = list(staged.payloads())
    assert len(staged) == len(records) == len(made)
    assert any(p["protected_identity"] for k, p in made if k == m.PATIENT_UPSERTED)
    for rec, (kind, payload) in zip(records, made, strict=True):
        assert kind == m.RECORD_KINDS[type(rec)]
        dumped = rec.model_dump(mode="json")
        assert list(payload.items()) == list(dumped.items())
    for name, count in staged.counts.items():
        assert count["changed"] == count["unchanged"] == 0
        cls = next(c for c, spec in FILE_FOR_RECORD.items() if spec.name == name)
        assert count["new"] == sum(type(r) is cls for r in records)


def test_the_diff_asks_in_bulk_and_a_reimport_changes_nothing(
    tmp_path: Path, region_export: list[Path]
) -> None:
    ws = workstation(tmp_path / "home")
    try:
        ws.publish(ws.import_plan(region_export), {"records": 1})
        asked: list[tuple[str, int]] = []

        _known, known_many = ws.record_lookups()

        def many(kind: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
            asked.append((kind, len(ids)))
            return known_many(kind, ids)

        again = stage_import(region_export, REGION, asked_per_id, REF, many)
        assert len(again) == 0 and not list(again.payloads())
        assert all(c["new"] == c["changed"] == 0 for c in again.counts.values())
        rows = {
            KIND_OF[cls]: sum(c.values())
            for cls, spec in FILE_FOR_RECORD.items()
            for name, c in again.counts.items()
            if spec.name == name
        }
        # the diff: one question per MANY ids of a file (references of a whole export are
        # all in it: none asked)
        diff = [a for a in asked if a[1] > 0]
        assert len(diff) == sum(-(-n // MANY) for n in rows.values()), asked

        # one patient changed, one new: exactly they are written
        patients = region_export[1]
        assert patients.name == "patienter.csv"
        lines = patients.read_text(encoding="utf-8-sig").splitlines()
        cells = lines[1].split(";")
        cells[3] = "Annorlunda"  # efternamn
        lines[1] = ";".join(cells)
        edited = tmp_path / "later" / "patienter.csv"
        edited.parent.mkdir()
        edited.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
        later = stage_import([edited], REGION, asked_per_id, REF, known_many)
        assert later.counts == {
            "patienter.csv": {"new": 0, "changed": 1, "unchanged": rows["patient"] - 1}
        }
        (payload,) = later.payloads_of(m.PATIENT_UPSERTED)
        assert payload["last_name"] == "Annorlunda"
    finally:
        ws.close()


def test_publish_folds_its_own_batches_like_a_pull(
    tmp_path: Path, region_export: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The importing home folds what it wrote without reading it back, batch by batch,
    and ends in the state of a home that pulls the same ledger; no batch is read back."""
    pulled: list[int] = []
    original = SqliteLedger.pull_rows

    def counted(self: SqliteLedger, after_seq: int, limit: int = 5000) -> Any:
        rows = original(self, after_seq, limit)
        pulled.append(len(rows))
        return rows

    monkeypatch.setattr(SqliteLedger, "pull_rows", counted)
    monkeypatch.setattr(bulk, "BATCH", 20)
    ws = workstation(tmp_path / "home")
    try:
        plan = ws.import_plan(region_export)
        n = len(plan)
        result = ws.publish(plan, {"records": n})
        assert result.cursor == n + 1 == ws.store.cursor == result.pulled  # + import.completed
        assert sum(pulled) == 0, pulled
        ledger = ws.ledger_spec()
        mine = ws.store.state_hash()
    finally:
        ws.close()
    other = workstation(tmp_path / "other", ledger)
    try:
        assert other.sync().pulled == n + 1
        assert other.store.state_hash() == mine
    finally:
        other.close()
    assert read_model(tmp_path / "home") == read_model(tmp_path / "other")


def test_another_writer_in_between_is_pulled(
    tmp_path: Path, region_export: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When another writer's events got numbers between the store's cursor and a batch,
    the home pulls instead of folding from memory: the cursor stays dense."""
    original = SqliteLedger.push
    calls = []

    def push(self: SqliteLedger, events: Sequence[m.Event]) -> dict[str, int]:
        calls.append(len(events))
        if len(calls) == 2:  # before the second batch: a tick of someone else
            original(self, [m.Event(kind=m.ITEM_TICKED, payload={"subject": "x", "item": "y"})])
        return original(self, events)

    monkeypatch.setattr(SqliteLedger, "push", push)
    monkeypatch.setattr(bulk, "BATCH", 20)
    ws = workstation(tmp_path / "home")
    try:
        plan = ws.import_plan(region_export)
        n = len(plan)
        result = ws.publish(plan, {"records": n})
        assert len(calls) >= 2
        assert result.cursor == n + 2 == ws.store.cursor
        ledger = ws.ledger_spec()
        mine = ws.store.state_hash()
    finally:
        ws.close()
    other = workstation(tmp_path / "other", ledger)
    try:
        other.sync()
        assert other.store.state_hash() == mine
    finally:
        other.close()
    assert read_model(tmp_path / "home") == read_model(tmp_path / "other")


def test_a_failed_import_writes_nothing(tmp_path: Path, region_export: list[Path]) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    paths = []
    for p in region_export:
        lines = p.read_text(encoding="utf-8-sig").splitlines()
        if p.name == "vardtillfallen.csv":
            lines.append(lines[-1].replace(lines[-1].split(";")[1], "PAT-OKAND", 1))
            lines[-1] = "NY-1" + lines[-1][lines[-1].index(";") :]
        (broken / p.name).write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
        paths.append(broken / p.name)
    ws = workstation(tmp_path / "home")
    try:
        ws.sync()
        with pytest.raises(ImportFailed) as failed:
            ws.import_plan(paths)
        assert any("okänd patient" in e for e in failed.value.errors[:MAX_ERRORS])
        assert ws.store.cursor == 0
        assert SqliteLedger(ws.ledger_spec(), create=False).head() == 0
    finally:
        ws.close()


@pytest.mark.postgres
def test_postgres_ledger_takes_an_import(
    tmp_path: Path, region_export: list[Path], pg_url: str
) -> None:
    ws = workstation(tmp_path / "home", pg_url)
    try:
        plan = ws.import_plan(region_export)
        n = len(plan)
        result = ws.publish(plan, {"records": n})
        assert result.cursor == ws.store.cursor == n + 1
        mine = ws.store.state_hash()
        assert len(ws.import_plan(region_export)) == 0
    finally:
        ws.close()
    other = workstation(tmp_path / "other", pg_url)
    try:
        assert other.sync().pulled == n + 1
        assert other.store.state_hash() == mine
    finally:
        other.close()
