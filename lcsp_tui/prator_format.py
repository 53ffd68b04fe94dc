"""The Prator export's file layout (SPEC §7): file names, columns and how they map to records.

Shared by the importer (reading) and the demo generator (writing), so both speak the same
format.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from lcsp_tui.domain.models import Admission, Message, Patient, Record, Sip, Unit

if TYPE_CHECKING:
    from _csv import Writer


@dataclass(frozen=True)
class FileSpec:
    name: str
    record: type[Record]
    columns: tuple[tuple[str, str], ...]  # (export column, record field)
    optional: frozenset[str] = frozenset()  # columns that may be absent from the header

    @property
    def id_column(self) -> str:
        return self.columns[0][0]


FILES: dict[str, FileSpec] = {
    f.name: f
    for f in (
        FileSpec(
            "enheter.csv",
            Unit,
            (
                ("enhet_id", "unit_id"),
                ("namn", "name"),
                ("typ", "type"),
                ("kommun", "municipality"),
            ),
        ),
        FileSpec(
            "patienter.csv",
            Patient,
            (
                ("patient_id", "patient_id"),
                ("personnummer", "personnummer"),
                ("fornamn", "first_name"),
                ("efternamn", "last_name"),
                ("kommun", "municipality"),
                ("boendeform", "housing"),
                ("boende_enhet", "housing_unit"),
                ("hemsjukvardsenhet", "home_health_unit"),
                ("bistandsenhet", "assistance_unit"),
                ("halsocentral", "health_centre"),
                ("psykiatrisk_oppenvardsenhet", "psych_outpatient_unit"),
                ("vistelseadress", "visiting_address"),
                ("narstaende", "next_of_kin"),
                ("skyddad_identitet", "protected_identity"),
            ),
            optional=frozenset({"skyddad_identitet"}),
        ),
        FileSpec(
            "vardtillfallen.csv",
            Admission,
            (
                ("vardtillfalle_id", "admission_id"),
                ("patient_id", "patient_id"),
                ("vardform", "care_form"),
                ("avdelning", "ward"),
                ("inskriven", "admitted"),
                ("utskrivningsklar", "discharge_ready"),
                ("status", "status"),
            ),
        ),
        FileSpec(
            "sip.csv",
            Sip,
            (
                ("sip_id", "sip_id"),
                ("patient_id", "patient_id"),
                ("samordningsansvar", "coordinator_org"),
                ("ansvarig_enhet", "responsible_unit"),
                ("kommun", "municipality"),
                ("startad", "started"),
                ("senaste_mote", "last_meeting"),
                ("status", "status"),
            ),
        ),
        FileSpec(
            "meddelanden.csv",
            Message,
            (
                ("meddelande_id", "message_id"),
                ("vardtillfalle_id", "admission_id"),
                ("typ", "type"),
                ("mottagare_enhet", "recipient_unit"),
                ("skickat", "sent"),
                ("kvitterat", "acknowledged"),
            ),
        ),
    )
}

FILE_FOR_RECORD: dict[type[Record], FileSpec] = {f.record: f for f in FILES.values()}


def format_value(value: object) -> str:
    """A record field as the export writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(getattr(value, "value", value))


def write_export(
    records: Iterable[Record],
    directory: Path,
    *,
    delimiter: str = ";",
    encoding: str = "utf-8-sig",
) -> list[Path]:
    """Write records as Prator export files (one per record type present) in ``directory``.

    Defaults are what Swedish Excel produces: semicolons, UTF-8 with BOM. An export holds
    one row per id: of several versions of a record, the last one is written (in the
    first one's place).
    """
    latest: dict[tuple[type[Record], object], Record] = {}
    for rec in records:
        key = (type(rec), getattr(rec, FILE_FOR_RECORD[type(rec)].columns[0][1]))
        latest[key] = rec
    records = latest.values()
    directory.mkdir(parents=True, exist_ok=True)
    handles: dict[str, tuple[TextIO, Writer]] = {}
    paths: list[Path] = []
    try:
        for rec in records:
            spec = FILE_FOR_RECORD[type(rec)]
            if spec.name not in handles:
                path = directory / spec.name
                fh = path.open("w", encoding=encoding, newline="")
                w = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")
                w.writerow([c for c, _ in spec.columns])
                handles[spec.name] = (fh, w)
                paths.append(path)
            _, w = handles[spec.name]
            w.writerow([format_value(getattr(rec, field)) for _, field in spec.columns])
    finally:
        for handle, _ in handles.values():
            handle.close()
    return paths
