"""What the rules read about a subject: the confirmed rows with the pending outbox on top.

``Pending`` is the outbox's effect on what users see; ``Inputs`` lays it over the confirmed
tables and builds the rules' ``SubjectContext`` for a set of subjects. This is the one place
local work that the ledger has not confirmed yet reaches the read model (and so every
reader); the confirmed tables alone make the state hash.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from lcsp_tui.domain import models as m
from lcsp_tui.domain import rules
from lcsp_tui.domain.models import (
    Admission,
    AdmissionStatus,
    Message,
    Patient,
    Sip,
    SipDecision,
)
from lcsp_tui.domain.regiondata import RegionData
from lcsp_tui.store.keys import CHUNK as CHUNK  # re-exported
from lcsp_tui.store.keys import chunks as chunks
from lcsp_tui.store.keys import rows as rows

PRE_REGISTERED = "s1.personnummersokning"  # step 1's first item: the patient is in LCSP


@dataclass(frozen=True)
class Tick:
    done: bool
    note: str | None
    value: str | None
    by: str | None
    at: str | None

    def after(self, later: Tick) -> Tick:
        """``later`` on top of this tick: a tick without a note or value keeps this one's."""
        return Tick(
            later.done, later.note or self.note, later.value or self.value, later.by, later.at
        )


@dataclass
class Pending:
    """The outbox's effect on what users see, in the outbox's order (last one wins)."""

    ticks: dict[tuple[str, str], Tick] = field(default_factory=dict)
    acks: set[str] = field(default_factory=set)
    decisions: dict[str, str] = field(default_factory=dict)
    discharges: set[str] = field(default_factory=set)
    events: list[m.Event] = field(default_factory=list)  # help.* and help acks, in order

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> Pending:
        out = cls()
        for kind, actor, recorded_at, payload, event_id in conn.execute(
            "SELECT kind, actor, recorded_at, payload, event_id FROM outbox ORDER BY origin_seq"
        ):
            p = json.loads(payload)
            if kind == m.ITEM_TICKED:
                key = (p["subject"], p["item"])
                tick = Tick(
                    bool(p.get("done", True)), p.get("note"), p.get("value"), actor, recorded_at
                )
                out.ticks[key] = out.ticks[key].after(tick) if key in out.ticks else tick
            elif kind == m.MESSAGE_ACKED:
                out.acks.add(p["message_id"])
            elif kind == m.SIP_DECIDED:
                out.decisions[p["sip_id"]] = p["decision"]
            elif kind == m.ADMISSION_DISCHARGED:
                out.discharges.add(p["admission_id"])
            if kind.startswith("help.") or (kind == m.MESSAGE_ACKED and p.get("help_request")):
                out.events.append(
                    m.Event(
                        event_id=event_id,
                        kind=kind,
                        actor=actor or "",
                        recorded_at=recorded_at or "",
                        payload=p,
                    )
                )
        return out


def _date(v: object) -> dt.date | None:
    return dt.date.fromisoformat(str(v)) if v else None


def _instant(v: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(v)) if v else None
    except ValueError:
        return None


# Rows were validated when imported; building the models validated again is still cheaper
# than ``model_construct`` (pydantic's validator is compiled, ``model_construct`` is not).


def _patient(r: sqlite3.Row) -> Patient:
    return Patient(
        patient_id=r["patient_id"],
        personnummer=r["personnummer"],
        born=r["born"],
        first_name=r["first_name"],
        last_name=r["last_name"],
        municipality=r["municipality"],
        housing=r["housing"],
        housing_unit=r["housing_unit"],
        home_health_unit=r["home_health_unit"],
        assistance_unit=r["assistance_unit"],
        health_centre=r["health_centre"],
        psych_outpatient_unit=r["psych_outpatient_unit"],
        visiting_address=r["visiting_address"],
        next_of_kin=r["next_of_kin"],
        protected_identity=bool(r["protected_identity"]),
    )


def _admission(r: sqlite3.Row) -> Admission:
    return Admission(
        admission_id=r["a_id"],
        patient_id=r["a_patient"],
        care_form=r["care_form"],
        ward=r["ward"],
        admitted=r["admitted"],
        discharge_ready=r["discharge_ready"],
        status=r["a_status"],
    )


_ADMISSION_COLS = (
    "a.admission_id AS a_id, a.patient_id AS a_patient, a.care_form, a.ward, a.admitted, "
    "a.discharge_ready, a.status AS a_status, a.earliest_discharge_ready, a.discharged_at"
)


class Inputs:
    """Confirmed rows with the pending outbox laid over them, for a set of subjects."""

    def __init__(self, conn: sqlite3.Connection, pending: Pending, region: RegionData) -> None:
        self.conn = conn
        self.pending = pending
        self.region = region

    def ticks(self, subjects: Sequence[str]) -> dict[str, dict[str, Tick]]:
        """Each subject's latest tick per item."""
        out: dict[str, dict[str, Tick]] = defaultdict(dict)
        for r in rows(
            self.conn,
            "SELECT i.subject, i.item, i.done, i.note, i.value, i.actor, a.recorded_at "
            "FROM items i LEFT JOIN audit a ON a.seq = i.seq WHERE i.subject IN ({marks})",
            subjects,
        ):
            out[r[0]][r[1]] = Tick(bool(r[2]), r[3], r[4], r[5], r[6])
        wanted = set(subjects)
        for (subject, item), tick in self.pending.ticks.items():
            if subject in wanted:
                old = out[subject].get(item)
                out[subject][item] = old.after(tick) if old else tick
        return out

    def messages(self, where: str, ids: Sequence[str]) -> list[tuple[Message, bool, bool]]:
        """(message, acknowledged, by a pending kvittering) for messages matching ``where``."""
        out = []
        for r in rows(
            self.conn,
            "SELECT message_id, admission_id, type, recipient_unit, sent, acknowledged, "
            f"acked_seq FROM messages WHERE {where} IN ({{marks}})",
            ids,
        ):
            confirmed = r["acknowledged"] is not None or r["acked_seq"] is not None
            local = not confirmed and r["message_id"] in self.pending.acks
            msg = Message.model_construct(
                message_id=r["message_id"],
                admission_id=r["admission_id"],
                type=r["type"],
                recipient_unit=r["recipient_unit"],
                sent=r["sent"],
                acknowledged=r["acknowledged"],
            )
            out.append((msg, confirmed or local, local))
        return out

    def _discharged(self, r: sqlite3.Row) -> bool:
        return (
            r["a_status"] == AdmissionStatus.UTSKRIVEN.value
            or r["discharged_at"] is not None
            or r["a_id"] in self.pending.discharges
        )

    def contexts(
        self, ids: Sequence[str]
    ) -> tuple[list[rules.SubjectContext], dict[str, dict[str, Tick]]]:
        """Contexts for the subjects among ``ids`` (of any kind; unknown ids are skipped),
        and each one's latest ticks; patients outside step 1 are skipped too (on no list)."""
        adms = rows(
            self.conn,
            f"SELECT {_ADMISSION_COLS}, a.ready_changed_at, p.* FROM admissions a "
            "JOIN patients p ON p.patient_id = a.patient_id WHERE a.admission_id IN ({marks})",
            ids,
        )
        sips = rows(
            self.conn,
            "SELECT s.sip_id, s.coordinator_org, s.responsible_unit, s.municipality AS s_muni, "
            "s.started, s.last_meeting, s.status AS s_status, d.decision, p.* FROM sips s "
            "JOIN patients p ON p.patient_id = s.patient_id "
            "LEFT JOIN decisions d ON d.sip_id = s.sip_id WHERE s.sip_id IN ({marks})",
            ids,
        )
        municipalities = self.region.municipalities
        pats = [  # a patient outside step 1 is on no list: no context (``rules.holders``)
            r
            for r in rows(
                self.conn,
                "SELECT p.*, EXISTS (SELECT 1 FROM sips s WHERE s.patient_id = p.patient_id "
                "AND s.status = 'pagaende') AS ongoing_sip FROM patients p "
                "WHERE p.patient_id IN ({marks})",
                ids,
            )
            if rules.in_step1(
                r["housing"], r["municipality"], bool(r["ongoing_sip"]), municipalities
            )
        ]
        found = [r["a_id"] for r in adms] + [r["sip_id"] for r in sips]
        found += [r["patient_id"] for r in pats] + [r["patient_id"] for r in adms]
        ticks = self.ticks(found)
        unacked: dict[str, list[Message]] = defaultdict(list)
        for msg, acked, _local in self.messages("admission_id", [r["a_id"] for r in adms]):
            if not acked:
                unacked[msg.admission_id].append(msg)
        moving = self._moving_patients([r["patient_id"] for r in sips])
        out = []
        for r in adms:
            adm = _admission(r)
            mine = ticks.get(adm.admission_id, {})
            patient_ticks = ticks.get(adm.patient_id, {})
            out.append(
                rules.SubjectContext(
                    kind="admission",
                    subject_id=adm.admission_id,
                    patient=_patient(r),
                    admission=adm,
                    earliest_discharge_ready=_date(r["earliest_discharge_ready"]),
                    done=_flags(mine),
                    values=_values(mine),
                    unacknowledged=tuple(unacked.get(adm.admission_id, ())),
                    discharged=self._discharged(r),
                    changed_at=_instant(r["ready_changed_at"]),
                    pre_registered=bool(
                        (t := patient_ticks.get(PRE_REGISTERED)) is not None and t.done
                    ),
                )
            )
        for r in sips:
            sip = Sip(
                sip_id=r["sip_id"],
                patient_id=r["patient_id"],
                coordinator_org=r["coordinator_org"],
                responsible_unit=r["responsible_unit"],
                municipality=r["s_muni"],
                started=r["started"],
                last_meeting=r["last_meeting"],
                status=r["s_status"],
            )
            decision = self.pending.decisions.get(sip.sip_id, r["decision"])
            out.append(
                rules.SubjectContext(
                    kind="sip",
                    subject_id=sip.sip_id,
                    patient=_patient(r),
                    sip=sip,
                    has_ongoing_admission=sip.patient_id in moving,
                    sip_decision=SipDecision(decision) if decision else None,
                    done=_flags(ticks.get(sip.sip_id)),
                )
            )
        for r in pats:
            out.append(
                rules.SubjectContext(
                    kind="patient",
                    subject_id=r["patient_id"],
                    patient=_patient(r),
                    has_ongoing_sip=bool(r["ongoing_sip"]),
                    done=_flags(ticks.get(r["patient_id"])),
                )
            )
        return out, ticks

    def _moving_patients(self, patient_ids: Sequence[str]) -> set[str]:
        """The patients with an admission that is (or is being) moved to LCSP: ongoing,
        not finished in Prator, not discharged (the SIP's branch: "Erbjud SIP")."""
        cutoff = self.region.timeline.milestones.discharge_ready_cutoff
        return {
            r["a_patient"]
            for r in rows(
                self.conn,
                f"SELECT {_ADMISSION_COLS} FROM admissions a WHERE a.patient_id IN ({{marks}})",
                sorted(set(patient_ids)),
            )
            if not self._discharged(r) and rules.admission_moves(_admission(r), cutoff)
        }


def _flags(ticks: dict[str, Tick] | None) -> dict[str, bool]:
    return {item: t.done for item, t in (ticks or {}).items()}


def _values(ticks: dict[str, Tick]) -> dict[str, str]:
    return {item: t.value for item, t in ticks.items() if t.value}
