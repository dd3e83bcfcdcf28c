"""What the sync API assembles from several packages: the reference data an
offline phone needs to fill in forms with no signal."""

from __future__ import annotations

from typing import Any

from audits import template_versions
from audits.schemas import template_reference
from core import scoping
from core.models import User
from incidents import body_regions
from incidents.models import Category, MedicationError, label


def reference_for(user: User) -> dict[str, Any]:
    """Categories, people and staff in the user's scope, and the current version
    of every spot-check template with its items (docs/api.md, GET /api/v1/reference)."""
    return {
        "categories": [{"value": c.value, "label": label(c.value)} for c in Category],
        "medication_errors": [{"value": m.value, "label": label(m.value)} for m in MedicationError],
        "people": [
            {"ref": p.ref, "initials": p.initials, "branch": p.branch.code}
            for p in scoping.people_for(user)
        ],
        "staff": [
            {
                "id": u.id,
                "name": u.name,
                "role": u.role,
                "branches": [b.code for b in u.branches],
            }
            for u in scoping.staff_for(user)
        ],
        "audit_templates": template_reference(template_versions.published_templates()),
        # Added to the contract (issue 15): the body map's places, each on one side.
        "body_regions": body_regions.reference(),
    }
