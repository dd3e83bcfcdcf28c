"""One incident's record, as its reader may see it."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user, login_required

from core.dates import utcnow
from core.models import User
from incidents import (
    attachments,
    decisions,
    hooks,
    permissions,
    record,
    services,
    staff_injury,
    timeline,
)
from incidents.duties import RULE_GUIDANCE
from incidents.models import Incident
from incidents.routes.blueprint import bp


def _record_context(user: User, incident: Incident) -> dict[str, Any]:
    """One record as its reader may see it: a reporter sees their own report and
    its history for them, without the duties or who looked at it."""
    is_reporter_view = permissions.sees_as_reporter(user)
    now = utcnow()
    return {
        "incident": incident,
        "now": now,
        "lateness": record.lateness(incident),
        "timeline": timeline.timeline(incident, for_reporter=is_reporter_view),
        "decisions": [] if is_reporter_view else incident.decisions,
        "notes": incident.notes,
        "photos": attachments.photos_of(incident),
        "views": record.views_of(incident)
        if incident.may_be_safeguarding and not is_reporter_view
        else [],
        "guidance": RULE_GUIDANCE,
        "can_triage": permissions.can_triage(user),
        "can_decide": decisions.may_decide(user),
        "can_add_details": permissions.can_add_details(user),
        "can_chase": permissions.can_chase(user),
        "reporter_view": is_reporter_view,
        "named_staff": services.staff_by_id(
            [
                *([incident.injured_staff_id] if incident.injured_staff_id else []),
                *(incident.other_staff_ids or []),
                *(incident.witness_ids or []),
            ]
        ),
        "days_off_note": staff_injury.days_off_note(incident.days_off_work),
        "can_add_duty": decisions.may_decide(user) and bool(decisions.addable_rules(incident)),
    }


@bp.get("/<incident_id>")
@login_required
def detail(incident_id: str) -> Any:
    user: User = current_user
    incident = services.get_incident(user, incident_id)
    record.mark_seen(user, incident)
    hooks.incident_opened(user, incident, utcnow())
    return render_template("incidents/detail.html", **_record_context(user, incident))
