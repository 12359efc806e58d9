"""Cases: 311 service requests, their lifecycle, SLA clocks, stores, reports and Open311.

A :class:`Catalogue` of services (from YAML/JSON/dicts), a :class:`CaseDesk` engine that
creates cases and moves them through the :data:`TRANSITIONS` table with an append-only audit
trail, SLA clocks in business time on :mod:`civiccc.calendar` calendars, and stores
(:class:`MemoryStore`, :class:`SqliteStore`, :class:`PostgresStore`). See ``docs/cases.md``.
"""

from __future__ import annotations

from civiccc.cases._catalogue import (
    CLOCK_KINDS,
    PRIORITIES,
    AttributeSpec,
    Catalogue,
    Department,
    Service,
    SlaTarget,
    parse_duration,
)
from civiccc.cases._desk import (
    AssignmentRule,
    CaseChanged,
    CaseDesk,
    Escalated,
    EscalationRule,
    SlaAlert,
    Suspension,
)
from civiccc.cases._lifecycle import CLOSED_STATES, OPEN_STATES, TRANSITIONS, CaseState, next_state
from civiccc.cases._model import Attachment, AuditEntry, Case, ClockRecord, Contact, Link, Location
from civiccc.cases._open311 import (
    Open311Error,
    import_requests,
    request_json,
    requests_json,
    service_definition_json,
    services_json,
)
from civiccc.cases._reports import (
    at_risk,
    cases_by_tag,
    open_by_department,
    resolution_times,
    status_view,
    to_csv,
)
from civiccc.cases._sla import ClockState, ClockStatus
from civiccc.cases._stores import MemoryStore, PostgresStore, SqliteStore, Store, open_store

__all__ = [  # noqa: RUF022 - plain sorted() order (tests/test_architecture.py)
    "AssignmentRule",
    "Attachment",
    "AttributeSpec",
    "AuditEntry",
    "CLOCK_KINDS",
    "CLOSED_STATES",
    "Case",
    "CaseChanged",
    "CaseDesk",
    "CaseState",
    "Catalogue",
    "ClockRecord",
    "ClockState",
    "ClockStatus",
    "Contact",
    "Department",
    "Escalated",
    "EscalationRule",
    "Link",
    "Location",
    "MemoryStore",
    "OPEN_STATES",
    "Open311Error",
    "PRIORITIES",
    "PostgresStore",
    "Service",
    "SlaAlert",
    "SlaTarget",
    "SqliteStore",
    "Store",
    "Suspension",
    "TRANSITIONS",
    "at_risk",
    "cases_by_tag",
    "import_requests",
    "next_state",
    "open_by_department",
    "open_store",
    "parse_duration",
    "request_json",
    "requests_json",
    "resolution_times",
    "service_definition_json",
    "services_json",
    "status_view",
    "to_csv",
]
