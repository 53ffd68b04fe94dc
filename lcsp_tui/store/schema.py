"""Schema of the local store (SQLite)."""

from __future__ import annotations

# 2: help_requests; audit.on_behalf_of. 3: the read model (rm_*); items.value;
# admissions.discharged_at and ready_changed_at. 4: buckets (issue 15) — patients.born, a
# personnummer only where the bucket may hold it; a home of 2 or 3 held the whole region, so
# its upgrade empties what it pulled (``LocalStore.reset``, the outbox kept) and pulls its
# bucket anew.
STORE_SCHEMA_VERSION = 4

# Domain tables: folded from ledger events; these (and only these) make the state hash.
DOMAIN_TABLES: dict[str, str] = {
    "units": """
        CREATE TABLE units (
            unit_id TEXT PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL,
            municipality TEXT)""",
    "patients": """
        CREATE TABLE patients (
            patient_id TEXT PRIMARY KEY, personnummer TEXT, first_name TEXT NOT NULL,
            last_name TEXT NOT NULL, municipality TEXT NOT NULL, housing TEXT NOT NULL,
            housing_unit TEXT, home_health_unit TEXT, assistance_unit TEXT, health_centre TEXT,
            psych_outpatient_unit TEXT, visiting_address TEXT, next_of_kin TEXT,
            protected_identity INTEGER NOT NULL DEFAULT 0, born INTEGER,
            lookup_key TEXT NOT NULL)""",
    "admissions": """
        CREATE TABLE admissions (
            admission_id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, care_form TEXT NOT NULL,
            ward TEXT NOT NULL, admitted TEXT NOT NULL, discharge_ready TEXT,
            status TEXT NOT NULL, earliest_discharge_ready TEXT, discharged_at TEXT,
            ready_changed_at TEXT)""",
    "sips": """
        CREATE TABLE sips (
            sip_id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, coordinator_org TEXT NOT NULL,
            responsible_unit TEXT NOT NULL, municipality TEXT NOT NULL, started TEXT NOT NULL,
            last_meeting TEXT, status TEXT NOT NULL)""",
    "messages": """
        CREATE TABLE messages (
            message_id TEXT PRIMARY KEY, admission_id TEXT NOT NULL, type TEXT NOT NULL,
            recipient_unit TEXT NOT NULL, sent TEXT NOT NULL, acknowledged TEXT,
            acked_seq INTEGER, acked_by TEXT, acked_role TEXT)""",
    "items": """
        CREATE TABLE items (
            subject TEXT NOT NULL, item TEXT NOT NULL, done INTEGER NOT NULL, note TEXT,
            actor TEXT, role TEXT, unit TEXT, seq INTEGER NOT NULL, value TEXT,
            PRIMARY KEY (subject, item))""",
    "decisions": """
        CREATE TABLE decisions (
            sip_id TEXT PRIMARY KEY, decision TEXT NOT NULL, actor TEXT, role TEXT,
            unit TEXT, seq INTEGER NOT NULL)""",
}

OTHER_TABLES: dict[str, str] = {
    "meta": "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
    # The audit trail as pulled from the ledger (not part of the state hash).
    "audit": """
        CREATE TABLE audit (
            seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL, kind TEXT NOT NULL,
            actor TEXT, role TEXT, unit TEXT, recorded_at TEXT, subject TEXT, what TEXT,
            outcome TEXT, on_behalf_of TEXT)""",
    # The support desk's kvittering help requests (SPEC §5), folded from help.* events.
    # Support-desk state, not part of the state hash (SPEC §9 lists what that covers).
    "help_requests": """
        CREATE TABLE help_requests (
            request_id TEXT PRIMARY KEY, units TEXT NOT NULL, name TEXT NOT NULL,
            lookup_key TEXT NOT NULL, birth_year INTEGER NOT NULL, need TEXT NOT NULL,
            status TEXT NOT NULL, note TEXT, acks INTEGER NOT NULL DEFAULT 0,
            requested_by TEXT, requested_at TEXT, requested_seq INTEGER NOT NULL,
            updated_by TEXT, updated_at TEXT)""",
    # Local events not yet confirmed by the ledger, in the order they were made.
    "outbox": """
        CREATE TABLE outbox (
            origin_seq INTEGER PRIMARY KEY, event_id TEXT UNIQUE NOT NULL, kind TEXT NOT NULL,
            actor TEXT, role TEXT, unit TEXT, recorded_at TEXT, payload TEXT NOT NULL)""",
}

# The read model (see ``lcsp_tui.store.readmodel``): the rules applied once, when a subject's
# inputs change, to the confirmed state with the pending outbox on top. Derived: never in
# the state hash, rebuilt from the other tables whenever the store is upgraded. Instants
# are ISO text (``YYYY-MM-DDTHH:MM:SS``, '' for never), compared with "now" when read.
READ_TABLES: dict[str, str] = {
    # One row per admission and SIP (all of them: the lookup shows every one), and per
    # patient in step 1. ``in_scope``: the subject has a checklist (is on some list).
    "rm_subject": """
        CREATE TABLE rm_subject (
            subject TEXT PRIMARY KEY, kind TEXT NOT NULL, patient_id TEXT NOT NULL,
            municipality TEXT NOT NULL, in_scope INTEGER NOT NULL, care_form TEXT,
            holder_unit TEXT, coordinator_org TEXT, decision TEXT,
            started INTEGER NOT NULL, flagged INTEGER NOT NULL, status TEXT NOT NULL,
            own_units TEXT NOT NULL, owing TEXT NOT NULL,
            title TEXT NOT NULL, title_hidden TEXT NOT NULL)""",
    # One row per item of a subject in scope that some role holding the subject ticks.
    # ``roles``: bit set of those roles (ROLE_BITS); ``pos``: the item's place in the data.
    "rm_item": """
        CREATE TABLE rm_item (
            subject TEXT NOT NULL, item TEXT NOT NULL, pos INTEGER NOT NULL, step TEXT NOT NULL,
            roles INTEGER NOT NULL, applies INTEGER NOT NULL, reason TEXT, done INTEGER NOT NULL,
            done_by TEXT, done_at TEXT, note TEXT, value TEXT, waiting TEXT,
            waiting_other INTEGER NOT NULL, prator_action INTEGER NOT NULL, opens TEXT,
            due TEXT, target INTEGER NOT NULL, overdue_from TEXT, locked_from TEXT,
            PRIMARY KEY (subject, item))""",
    # Which role's list at which unit holds a subject ('' = no unit: counted, on no list),
    # with the row's figures; ``pending``: shown on the worklist.
    "rm_list": """
        CREATE TABLE rm_list (
            role TEXT NOT NULL, unit TEXT NOT NULL, subject TEXT NOT NULL,
            role_bit INTEGER NOT NULL, pending INTEGER NOT NULL, done INTEGER NOT NULL,
            total INTEGER NOT NULL, step TEXT NOT NULL, opens TEXT, due TEXT,
            target INTEGER NOT NULL, overdue_from TEXT, waiting INTEGER NOT NULL,
            kind TEXT NOT NULL, title TEXT NOT NULL, pnr TEXT NOT NULL,
            flagged INTEGER NOT NULL, unacked INTEGER NOT NULL, unacked_own INTEGER NOT NULL,
            PRIMARY KEY (role, unit, subject)) WITHOUT ROWID""",
    # Every Prator message with its kvittering as the user sees it (confirmed or pending).
    "rm_message": """
        CREATE TABLE rm_message (
            message_id TEXT PRIMARY KEY, admission_id TEXT NOT NULL, type TEXT NOT NULL,
            recipient_unit TEXT NOT NULL, sent TEXT NOT NULL, acked INTEGER NOT NULL,
            pending INTEGER NOT NULL)""",
    # The figures, kept counted as the rows above change (readmodel._count): counted item
    # rows per what the statistics count them by, and per unit whose lists hold them (an
    # item shared by roles at one unit once); ``day`` of the latest tick of a done item.
    "rm_count": """
        CREATE TABLE rm_count (
            municipality TEXT NOT NULL, step TEXT NOT NULL, roles INTEGER NOT NULL,
            done INTEGER NOT NULL, overdue_from TEXT NOT NULL, locked_from TEXT NOT NULL,
            day TEXT NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (municipality, step, roles, done, overdue_from, locked_from, day))""",
    "rm_unit_count": """
        CREATE TABLE rm_unit_count (
            unit TEXT NOT NULL, done INTEGER NOT NULL, overdue_from TEXT NOT NULL,
            locked_from TEXT NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (unit, done, overdue_from, locked_from))""",
    # The help requests as the user sees them (confirmed or pending).
    "rm_help": """
        CREATE TABLE rm_help (
            request_id TEXT PRIMARY KEY, units TEXT NOT NULL, name TEXT NOT NULL,
            lookup_key TEXT NOT NULL, birth_year INTEGER NOT NULL, need TEXT NOT NULL,
            status TEXT NOT NULL, note TEXT, acks INTEGER NOT NULL DEFAULT 0,
            requested_by TEXT, requested_at TEXT, requested_seq INTEGER NOT NULL,
            updated_by TEXT, updated_at TEXT, pending INTEGER NOT NULL DEFAULT 0)""",
}

READ_INDEXES = (
    "CREATE INDEX rm_subject_patient ON rm_subject(patient_id)",
    "CREATE INDEX rm_subject_kind ON rm_subject(kind, in_scope)",
    "CREATE INDEX rm_list_subject ON rm_list(subject)",
    "CREATE INDEX rm_list_unit ON rm_list(unit, subject)",
    "CREATE INDEX rm_message_unit ON rm_message(recipient_unit, acked)",
    "CREATE INDEX rm_message_admission ON rm_message(admission_id)",
)

INDEXES = (
    "CREATE INDEX patients_housing_unit ON patients(housing_unit)",
    "CREATE INDEX patients_home_health_unit ON patients(home_health_unit)",
    "CREATE INDEX patients_assistance_unit ON patients(assistance_unit)",
    "CREATE INDEX patients_health_centre ON patients(health_centre)",
    "CREATE INDEX patients_psych_unit ON patients(psych_outpatient_unit)",
    "CREATE INDEX patients_lookup ON patients(lookup_key)",
    "CREATE INDEX admissions_patient ON admissions(patient_id)",
    "CREATE INDEX admissions_ward ON admissions(ward)",
    "CREATE INDEX sips_patient ON sips(patient_id)",
    "CREATE INDEX sips_unit ON sips(responsible_unit)",
    "CREATE INDEX messages_admission ON messages(admission_id)",
    "CREATE INDEX messages_recipient ON messages(recipient_unit)",
    "CREATE INDEX audit_subject ON audit(subject)",
    "CREATE INDEX audit_actor ON audit(actor)",
    "CREATE INDEX audit_recorded ON audit(recorded_at)",
    "CREATE INDEX help_status ON help_requests(status)",
)
