"""Domain records (what a Prator export holds) and the event envelope.

Field names are English; the Swedish export columns are mapped in the importer. Enumeration
values keep the export's Swedish spelling so that the files, the ledger and the UI agree.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class UnitType(StrEnum):
    SLUTENVARD_SOMATIK = "slutenvard_somatik"
    SLUTENVARD_PSYKIATRI = "slutenvard_psykiatri"
    HALSOCENTRAL = "halsocentral"
    PSYKIATRISK_OPPENVARD = "psykiatrisk_oppenvard"
    BISTANDSENHET = "bistandsenhet"
    BOENDEENHET = "boendeenhet"
    HEMSJUKVARDSENHET = "hemsjukvardsenhet"
    HEMTJANSTGRUPP = "hemtjanstgrupp"


REGIONAL_UNIT_TYPES = frozenset(
    {
        UnitType.SLUTENVARD_SOMATIK,
        UnitType.SLUTENVARD_PSYKIATRI,
        UnitType.HALSOCENTRAL,
        UnitType.PSYKIATRISK_OPPENVARD,
    }
)


class Housing(StrEnum):
    ORDINART = "ordinart"
    SARSKILT_BOENDE = "sarskilt_boende"
    LSS_BOENDE = "lss_boende"
    SOCIALPSYKIATRI = "socialpsykiatri"
    PRIVAT_AKTOR = "privat_aktor"


class CareForm(StrEnum):
    SOMATIK = "somatik"
    PSYKIATRI = "psykiatri"


class AdmissionStatus(StrEnum):
    PAGAENDE = "pagaende"
    UTSKRIVEN = "utskriven"


class CoordinatorOrg(StrEnum):
    KOMMUN = "kommun"
    PRIMARVARD = "primarvard"
    SLUTENVARD = "slutenvard"


class SipStatus(StrEnum):
    PAGAENDE = "pagaende"
    AVSLUTAD = "avslutad"


class SipDecision(StrEnum):
    AKTUELL = "aktuell"
    EJ_AKTUELL = "ej_aktuell"


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Unit(Record):
    unit_id: str
    name: str
    type: UnitType
    municipality: str | None = None


class Patient(Record):
    patient_id: str
    # normalised, 12 digits; None in a bucket that may not hold it (issue 15: the ledger
    # sends support and systemförvaltning the record without it, and ``born`` instead)
    personnummer: str | None = None
    first_name: str
    last_name: str
    municipality: str
    housing: Housing
    housing_unit: str | None = None
    home_health_unit: str | None = None
    assistance_unit: str | None = None
    health_centre: str | None = None
    psych_outpatient_unit: str | None = None
    visiting_address: str | None = None
    next_of_kin: str | None = None
    protected_identity: bool = False
    born: int | None = None  # the birth year of a record without personnummer

    @property
    def birth_year(self) -> int:
        return int(self.personnummer[:4]) if self.personnummer else int(self.born or 0)


class Admission(Record):
    admission_id: str
    patient_id: str
    care_form: CareForm
    ward: str
    admitted: dt.date
    discharge_ready: dt.date | None = None
    status: AdmissionStatus


class Sip(Record):
    sip_id: str
    patient_id: str
    coordinator_org: CoordinatorOrg
    responsible_unit: str
    municipality: str
    started: dt.date
    last_meeting: dt.date | None = None
    status: SipStatus


class Message(Record):
    message_id: str
    admission_id: str
    type: str
    recipient_unit: str
    sent: dt.datetime
    acknowledged: dt.datetime | None = None


# Event kinds. A record upsert carries the whole record (the export's latest truth).
UNIT_UPSERTED = "unit.upserted"
PATIENT_UPSERTED = "patient.upserted"
ADMISSION_UPSERTED = "admission.upserted"
SIP_UPSERTED = "sip.upserted"
MESSAGE_UPSERTED = "message.upserted"
ITEM_TICKED = "item.ticked"  # payload: subject, item, done, note, value (a unit id)
ADMISSION_DISCHARGED = "admission.discharged"  # payload: admission_id (the ward records it)
MESSAGE_ACKED = "message.acked"  # payload: message_id, on_behalf_of (unit or null)
SIP_DECIDED = "sip.decided"  # payload: sip_id, decision
AUDIT_READ = "audit.read"  # payload: subject, what, outcome
HELP_REQUESTED = "help.requested"  # payload: request_id, units, name, lookup_key, birth_year, need
HELP_UPDATED = "help.updated"  # payload: request_id, status (ny | pagar), note
HELP_RESOLVED = "help.resolved"  # payload: request_id, note
DEMO_DATA = "demo.fictitious"  # payload: demo, seed; pushed before a demo's records
LEDGER_ENVIRONMENT = "ledger.environment"  # payload: env; a production home's first sync

RECORD_KINDS: dict[type[Record], str] = {
    Unit: UNIT_UPSERTED,
    Patient: PATIENT_UPSERTED,
    Admission: ADMISSION_UPSERTED,
    Sip: SIP_UPSERTED,
    Message: MESSAGE_UPSERTED,
}

SCHEMA_VERSION = 1


class Event(BaseModel):
    """The envelope every change and every audited read travels in.

    ``event_id`` is made by the client and is the idempotency key; only the ledger assigns
    ``seq`` (dense, commit-ordered).
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    event_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    replica_id: str = ""
    origin_seq: int = 0
    kind: str
    schema_version: int = SCHEMA_VERSION
    actor: str = ""
    role: str = ""
    unit: str = ""
    recorded_at: str = ""  # ISO timestamp, informational (the effective "now", may be simulated)
    payload: dict[str, Any]
    seq: int | None = None


def record_event(record: Record, **envelope: Any) -> Event:
    """The upsert event for a record, with a JSON-ready payload."""
    return Event(
        kind=RECORD_KINDS[type(record)], payload=record.model_dump(mode="json"), **envelope
    )
