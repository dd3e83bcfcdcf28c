"""Valid payloads to start tests from; each test changes only what it is about."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any


def iso(moment: datetime) -> str:
    return moment.isoformat()


def incident_payload(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "kind": "near_miss",
        "category": "medication",
        "medication_error": "omission",
        "time_critical": True,
        "occurred_at": iso(now - timedelta(minutes=20)),
        "reported_at": iso(now - timedelta(minutes=1)),
        "late_reason": None,
        "person_ref": "P-0001",
        "location": "kitchen",
        "what_happened": "Evening Parkinson's dose was not in the blister pack.",
        "immediate_actions": "Rang the on-call manager; pharmacy delivered the dose.",
        "harm": "none",
        "staff_injured": False,
        "people_informed": [
            {"who": "manager", "at": iso(now - timedelta(minutes=10)), "method": "phone"}
        ],
        "thresholds": {
            "safeguarding": "no",
            "clinical_escalation": "unsure",
            "family_contact": "yes",
        },
    }
    body.update(changes)
    return body
