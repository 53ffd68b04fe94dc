"""What a user sees: confirmed state plus the pending outbox, through the rules.

Builds subject contexts from the local store, overlays local events that the ledger has not
confirmed yet, and answers the questions of the screens and the CLI: a role's worklist at a
unit, one subject's checklist, a unit's unacknowledged messages.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from lcsp_tui.domain import models as m
from lcsp_tui.domain import rules
from lcsp_tui.domain.models import Admission, Message, Patient, Sip, SipDecision
from lcsp_tui.domain.regiondata import RegionData
from lcsp_tui.domain.roles import HSL_ROLES
from lcsp_tui.store.store import LocalStore

# Which patient column routes an admission to a role's unit.
PATIENT_UNIT_OF_ROLE = {
    "primarvard": "health_centre",
    "psykiatri-oppenvard": "psych_outpatient_unit",
    "bistandshandlaggare": "assistance_unit",
    **{r: "home_health_unit" for r in HSL_ROLES},
}
SLUTENVARD_CARE_FORM = {"slutenvard-somatik": "somatik", "slutenvard-psykiatri": "psykiatri"}


@dataclass(frozen=True)
class WorkRow:
    subject: str
    kind: str
    step: str
    done: int
    total: int
    due: dt.datetime | None
    overdue: bool
    waiting: bool
    unacknowledged: int
    title: str  # what the subject is, for screens (no personnummer)
    flagged: bool = False  # admission moved past the cut-off: "must move to LCSP"

    def as_json(self) -> dict[str, object]:
        return {
            "subject": self.subject,
            "kind": self.kind,
            "step": self.step,
            "done": self.done,
            "total": self.total,
            "due": self.due.isoformat(timespec="minutes") if self.due else None,
            "overdue": self.overdue,
        }


def _row_dict(cur: sqlite3.Cursor, row: tuple[object, ...]) -> dict[str, object]:
    return {d[0]: v for d, v in zip(cur.description, row, strict=True)}


class View:
    def __init__(self, store: LocalStore, region: RegionData, now: dt.datetime) -> None:
        self.store = store
        self.region = region
        self.now = now
        self.conn = store.conn
        self._load_overlay()

    # ------------------------------------------------------------ overlay of local work

    def _load_overlay(self) -> None:
        self.pending_items: dict[tuple[str, str], bool] = {}
        self.pending_acks: set[str] = set()
        self.pending_decisions: dict[str, str] = {}
        for e in self.store.outbox():
            p = e.payload
            if e.kind == m.ITEM_TICKED:
                self.pending_items[(p["subject"], p["item"])] = bool(p.get("done", True))
            elif e.kind == m.MESSAGE_ACKED:
                self.pending_acks.add(p["message_id"])
            elif e.kind == m.SIP_DECIDED:
                self.pending_decisions[p["sip_id"]] = p["decision"]

    def refresh(self) -> None:
        self._load_overlay()

    # ------------------------------------------------------------ records

    def _query(self, sql: str, args: Iterable[object] = ()) -> list[dict[str, object]]:
        cur = self.conn.execute(sql, tuple(args))
        return [_row_dict(cur, r) for r in cur.fetchall()]

    def patient(self, patient_id: str) -> Patient | None:
        rows = self._query("SELECT * FROM patients WHERE patient_id = ?", (patient_id,))
        return _patient(rows[0]) if rows else None

    def admission(self, admission_id: str) -> Admission | None:
        rows = self._query("SELECT * FROM admissions WHERE admission_id = ?", (admission_id,))
        return _admission(rows[0]) if rows else None

    def sip(self, sip_id: str) -> Sip | None:
        rows = self._query("SELECT * FROM sips WHERE sip_id = ?", (sip_id,))
        return _sip(rows[0]) if rows else None

    def unit_exists(self, unit_id: str) -> bool:
        return (
            self.conn.execute("SELECT 1 FROM units WHERE unit_id = ?", (unit_id,)).fetchone()
            is not None
        )

    def unit_name(self, unit_id: str) -> str:
        row = self.conn.execute("SELECT name FROM units WHERE unit_id = ?", (unit_id,)).fetchone()
        return row[0] if row else unit_id

    def message(self, message_id: str) -> dict[str, object] | None:
        rows = self._query("SELECT * FROM messages WHERE message_id = ?", (message_id,))
        return rows[0] if rows else None

    def is_acknowledged(self, msg: dict[str, object]) -> bool:
        return (
            msg["acknowledged"] is not None
            or msg["acked_seq"] is not None
            or msg["message_id"] in self.pending_acks
        )

    # ------------------------------------------------------------ contexts

    def _done_map(self, subjects: Iterable[str]) -> dict[str, dict[str, bool]]:
        subjects = list(subjects)
        out: dict[str, dict[str, bool]] = defaultdict(dict)
        for i in range(0, len(subjects), 500):
            chunk = subjects[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for s, item, done in self.conn.execute(
                f"SELECT subject, item, done FROM items WHERE subject IN ({marks})", chunk
            ):
                out[s][item] = bool(done)
        for (s, item), done in self.pending_items.items():
            out[s][item] = done
        return out

    def _unacked_by_admission(self, admission_ids: Iterable[str]) -> dict[str, list[Message]]:
        ids = list(admission_ids)
        out: dict[str, list[Message]] = defaultdict(list)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for r in self._query(
                f"SELECT * FROM messages WHERE admission_id IN ({marks}) "
                "AND acknowledged IS NULL AND acked_seq IS NULL",
                chunk,
            ):
                if r["message_id"] not in self.pending_acks:
                    out[str(r["admission_id"])].append(_message(r))
        return out

    def _decision(self, sip_id: str, confirmed: object) -> SipDecision | None:
        d = self.pending_decisions.get(sip_id, confirmed)
        return SipDecision(d) if d else None

    def _ongoing_admission_patients(self, patient_ids: Iterable[str]) -> set[str]:
        ids = list(patient_ids)
        out: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            out.update(
                r[0]
                for r in self.conn.execute(
                    f"SELECT DISTINCT patient_id FROM admissions WHERE status = 'pagaende' "
                    f"AND patient_id IN ({marks})",
                    chunk,
                )
            )
        return out

    def contexts(
        self, kind: str, where: str, args: tuple[object, ...]
    ) -> list[rules.SubjectContext]:
        """Subject contexts for the subjects of ``kind`` matching ``where`` (SQL on the table)."""
        if kind == "patient":
            rows = self._query(
                f"SELECT p.*, EXISTS(SELECT 1 FROM sips s WHERE s.patient_id = p.patient_id "
                f"AND s.status = 'pagaende') AS has_sip FROM patients p WHERE {where}",
                args,
            )
            done = self._done_map(str(r["patient_id"]) for r in rows)
            return [
                rules.SubjectContext(
                    kind="patient",
                    subject_id=str(r["patient_id"]),
                    patient=_patient(r),
                    has_ongoing_sip=bool(r["has_sip"]),
                    done=done.get(str(r["patient_id"]), {}),
                )
                for r in rows
            ]
        if kind == "admission":
            rows = self._query(
                "SELECT a.admission_id AS a_id, a.patient_id AS a_patient, a.care_form, a.ward, "
                "a.admitted, a.discharge_ready, a.status, a.earliest_discharge_ready, p.* "
                f"FROM admissions a JOIN patients p ON p.patient_id = a.patient_id WHERE {where}",
                args,
            )
            ids = [str(r["a_id"]) for r in rows]
            done = self._done_map(ids)
            unacked = self._unacked_by_admission(ids)
            out = []
            for r in rows:
                adm = _admission(
                    {
                        "admission_id": r["a_id"],
                        "patient_id": r["a_patient"],
                        **{
                            k: r[k]
                            for k in ("care_form", "ward", "admitted", "discharge_ready", "status")
                        },
                    }
                )
                out.append(
                    rules.SubjectContext(
                        kind="admission",
                        subject_id=adm.admission_id,
                        patient=_patient(r),
                        admission=adm,
                        has_ongoing_admission=True,
                        done=done.get(adm.admission_id, {}),
                        unacknowledged=tuple(unacked.get(adm.admission_id, ())),
                        earliest_discharge_ready=_date(r["earliest_discharge_ready"]),
                    )
                )
            return out
        if kind == "sip":
            rows = self._query(
                "SELECT s.sip_id AS s_id, s.patient_id AS s_patient, s.coordinator_org, "
                "s.responsible_unit, s.municipality AS s_municipality, s.started, "
                "s.last_meeting, s.status, d.decision, p.* FROM sips s "
                "JOIN patients p ON p.patient_id = s.patient_id "
                f"LEFT JOIN decisions d ON d.sip_id = s.sip_id WHERE {where}",
                args,
            )
            done = self._done_map(str(r["s_id"]) for r in rows)
            ongoing = self._ongoing_admission_patients(str(r["s_patient"]) for r in rows)
            out = []
            for r in rows:
                sip = _sip(
                    {
                        "sip_id": r["s_id"],
                        "patient_id": r["s_patient"],
                        "municipality": r["s_municipality"],
                        **{
                            k: r[k]
                            for k in (
                                "coordinator_org",
                                "responsible_unit",
                                "started",
                                "last_meeting",
                                "status",
                            )
                        },
                    }
                )
                out.append(
                    rules.SubjectContext(
                        kind="sip",
                        subject_id=sip.sip_id,
                        patient=_patient(r),
                        sip=sip,
                        has_ongoing_admission=sip.patient_id in ongoing,
                        sip_decision=self._decision(sip.sip_id, r["decision"]),
                        done=done.get(sip.sip_id, {}),
                    )
                )
            return out
        raise ValueError(kind)

    # ------------------------------------------------------------ worklists

    def role_contexts(self, role: str, unit: str) -> list[rules.SubjectContext]:
        """The subjects that land on ``role``'s worklist at ``unit`` (before progress)."""
        cutoff = self.region.timeline.milestones.discharge_ready_cutoff.isoformat()
        moving = "a.status = 'pagaende' AND (a.discharge_ready IS NULL OR a.discharge_ready > ?)"
        if role == "kommun-registrering":
            ctxs = self.contexts(
                "patient",
                "p.housing_unit = ? OR p.home_health_unit = ? OR p.assistance_unit = ?",
                (unit, unit, unit),
            )
            munis = self.region.municipalities
            return [c for c in ctxs if rules.needs_step1(c.patient, c.has_ongoing_sip, munis)]
        if role in SLUTENVARD_CARE_FORM:
            return self.contexts(
                "admission",
                f"a.ward = ? AND a.care_form = ? AND {moving}",
                (unit, SLUTENVARD_CARE_FORM[role], cutoff),
            )
        if role in PATIENT_UNIT_OF_ROLE:
            col = PATIENT_UNIT_OF_ROLE[role]
            return self.contexts("admission", f"p.{col} = ? AND {moving}", (unit, cutoff))
        if role == "samordningsansvarig":
            return self.contexts("sip", "s.responsible_unit = ? AND s.status = 'pagaende'", (unit,))
        return []

    def work_row(self, role: str, ctx: rules.SubjectContext, unit: str | None = None) -> WorkRow:
        """The subject's row; a protected patient's name only for one of its own units."""
        states = rules.checklist(role, ctx, self.now, self.region)
        done, total = rules.progress(states)
        open_states = [s for s in states if s.open]
        first = open_states[0] if open_states else (states[-1] if states else None)
        dues = [s.due for s in open_states if s.due is not None]
        due = min(dues) if dues else None
        flagged = ctx.admission is not None and rules.moved_past_cutoff(
            ctx.admission,
            ctx.earliest_discharge_ready,
            self.region.timeline.milestones.discharge_ready_cutoff,
        )
        return WorkRow(
            subject=ctx.subject_id,
            kind=ctx.kind,
            step=first.item.step if first else "",
            done=done,
            total=total,
            due=due,
            overdue=rules.is_overdue(due, self.now),
            waiting=bool(open_states) and all(s.waiting for s in open_states),
            unacknowledged=len(ctx.unacknowledged),
            title=_title(ctx, show_name=may_show_name(ctx, unit)),
            flagged=flagged,
        )

    def worklist(self, role: str, unit: str) -> list[WorkRow]:
        """Pending subjects for ``role`` at ``unit``, sorted by due time."""
        rows = []
        for ctx in self.role_contexts(role, unit):
            row = self.work_row(role, ctx, unit)
            pending = row.done < row.total
            if role in SLUTENVARD_CARE_FORM:
                pending = not rules.subject_finished(ctx, self.region)
            if pending:
                rows.append(row)
        far = dt.datetime.max
        rows.sort(key=lambda r: (r.due or far, r.subject))
        return rows

    def subject_context(
        self, role: str, unit: str | None, subject: str
    ) -> rules.SubjectContext | None:
        """The subject as ``role`` sees it at ``unit`` (None: not on that worklist)."""
        if unit is None:
            for kind, where in (
                ("admission", "a.admission_id = ?"),
                ("sip", "s.sip_id = ?"),
                ("patient", "p.patient_id = ?"),
            ):
                found = self.contexts(kind, where, (subject,))
                if found:
                    return found[0]
            return None
        for ctx in self.role_contexts(role, unit):
            if ctx.subject_id == subject:
                return ctx
        return None

    def find_subject_kind(self, subject: str) -> str | None:
        for kind, table, col in (
            ("admission", "admissions", "admission_id"),
            ("sip", "sips", "sip_id"),
            ("patient", "patients", "patient_id"),
        ):
            if self.conn.execute(f"SELECT 1 FROM {table} WHERE {col} = ?", (subject,)).fetchone():
                return kind
        return None

    # ------------------------------------------------------------ messages

    def unacknowledged(self, unit: str | None) -> list[dict[str, object]]:
        """A unit's (or, with None, the region's) unacknowledged messages, oldest first."""
        where = "acknowledged IS NULL AND acked_seq IS NULL"
        args: tuple[object, ...] = ()
        if unit is not None:
            where += " AND recipient_unit = ?"
            args = (unit,)
        rows = self._query(f"SELECT * FROM messages WHERE {where} ORDER BY sent, message_id", args)
        return [r for r in rows if r["message_id"] not in self.pending_acks]


# ------------------------------------------------------------------ row -> record


def _date(v: object) -> dt.date | None:
    return dt.date.fromisoformat(str(v)) if v else None


def _patient(r: dict[str, object]) -> Patient:
    return Patient.model_validate(
        {k: r[k] for k in Patient.model_fields if k != "protected_identity"}
        | {"protected_identity": bool(r["protected_identity"])}
    )


def _admission(r: dict[str, object]) -> Admission:
    return Admission.model_validate({k: r[k] for k in Admission.model_fields})


def _sip(r: dict[str, object]) -> Sip:
    return Sip.model_validate({k: r[k] for k in Sip.model_fields})


def _message(r: dict[str, object]) -> Message:
    return Message.model_validate({k: r[k] for k in Message.model_fields})


PROTECTED_TITLE = "Skyddad identitet"
_PATIENT_UNIT_FIELDS = (
    "housing_unit",
    "home_health_unit",
    "assistance_unit",
    "health_centre",
    "psych_outpatient_unit",
)


def own_units(ctx: rules.SubjectContext) -> set[str]:
    """The units with a care relation to the subject's patient."""
    p = ctx.patient
    units = {str(getattr(p, f)) for f in _PATIENT_UNIT_FIELDS if getattr(p, f)}
    if ctx.admission is not None:
        units.add(ctx.admission.ward)
    if ctx.sip is not None:
        units.add(ctx.sip.responsible_unit)
    return units


def may_show_name(ctx: rules.SubjectContext, unit: str | None) -> bool:
    """A protected identity's name shows only on the screens of the patient's own units."""
    return not ctx.patient.protected_identity or (unit is not None and unit in own_units(ctx))


def _title(ctx: rules.SubjectContext, show_name: bool = False) -> str:
    p = ctx.patient
    if show_name or not p.protected_identity:
        who = f"{p.first_name[:1]}. {p.last_name} ({p.birth_year})"
    else:
        who = PROTECTED_TITLE
    if ctx.kind == "admission" and ctx.admission is not None:
        return f"{who} – vårdtillfälle {ctx.admission.care_form.value}"
    if ctx.kind == "sip":
        return f"{who} – SIP"
    return f"{who} – förregistrering"
