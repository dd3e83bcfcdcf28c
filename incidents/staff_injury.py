"""A manager's update of the staff injury on a record (RIDDOR): which colleague,
what the injury was, whether it is a specified injury, whether someone who is
not a worker went to hospital, and days off work, which is only known later.

Changes go to the audit trail with the values before and after, and the duties
are worked out again: over 7 days off (the accident day not counted) opens the
over-7-day RIDDOR report, due 15 days after the accident. Decisions already
recorded are kept (incidents/decisions.py open_decisions).
"""

from __future__ import annotations

from typing import Any

from core import trail
from core.errors import NotAllowed
from core.models import User
from core.saving import check_version, saving
from extensions import db
from incidents import decisions
from incidents.errors import InvalidChange, stale_incident
from incidents.models import Incident
from incidents.permissions import can_triage
from incidents.riddor import OVER_DAYS_RECORDED, OVER_DAYS_REPORTABLE
from incidents.services import STAFF_NOT_HERE, branch_staff_ids


def update_staff_injury(
    actor: User,
    incident: Incident,
    *,
    version: int,
    injured_staff_id: int | None,
    staff_injury: str,
    specified_injury: str | None,
    non_worker_hospital: bool,
    days_off_work: int | None,
    reason: str,
) -> Incident:
    """Record the staff injury as now known (a manager's, within their scope)."""
    if not can_triage(actor):
        raise NotAllowed()
    check_version(incident, version, stale_incident(incident))
    if injured_staff_id is not None and injured_staff_id not in branch_staff_ids(
        incident.branch_id
    ):
        raise InvalidChange({"injured_staff_id": [STAFF_NOT_HERE]})
    after: dict[str, Any] = {
        "injured_staff_id": injured_staff_id,
        "staff_injury": staff_injury.strip(),
        "specified_injury": specified_injury,
        "non_worker_hospital": non_worker_hospital,
        "days_off_work": days_off_work,
    }
    changes = {
        name: [getattr(incident, name), value]
        for name, value in after.items()
        if getattr(incident, name) != value
    }
    if not changes:
        raise InvalidChange(
            {"days_off_work": ["Nothing was changed: change a detail, or go back."]}
        )
    with saving(stale_incident(incident)):
        if "injured_staff_id" in changes:
            changes["injured_staff"] = [_name(v) for v in changes.pop("injured_staff_id")]
        for name, value in after.items():
            setattr(incident, name, value)
        if injured_staff_id is not None or specified_injury or days_off_work:
            incident.staff_injured = True
        detail: dict[str, Any] = {"changes": changes}
        if reason.strip():
            detail["reason"] = reason.strip()
        trail.record(actor, "staff_injury", "incident", incident.id, **detail)
        decisions.open_decisions(incident)
    return incident


def _name(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    return user.name if user is not None else None


def days_off_note(days: int | None) -> str:
    """What the days off work mean for RIDDOR, in one sentence."""
    if days is None:
        return "Not recorded yet: a manager records it once known."
    if days > OVER_DAYS_REPORTABLE:
        return "Over 7 days (not counting the day of the accident): reportable to HSE within 15 days of the accident."
    if days > OVER_DAYS_RECORDED:
        return "Over 3 days: kept on record (RIDDOR), not reportable unless it goes over 7."
    return "Not over 3 days."
