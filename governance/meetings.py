"""Governance meetings: the branches and period looked at, who attended, minutes and
decisions, a frozen snapshot of the figures, the actions agreed, and their packs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from actions import queries
from actions.models import Action, ActionSource
from actions.sources import SourceInfo
from core import scoping, trail
from core.dates import UK, Period, utcnow
from core.errors import Invalid, OutOfScope
from core.forms import record_id
from core.models import Role, User
from core.permissions import require_role
from extensions import db
from governance.figures import choose_branches, dashboard_figures
from governance.models import GovernanceMeeting
from learning import patterns as pattern_rules

MAX_PERIOD_DAYS = 731


def visible_meetings(user: User) -> Any:
    return scoping.scoped(db.select(GovernanceMeeting), user, GovernanceMeeting)


def get_meeting(user: User, meeting_id: int) -> GovernanceMeeting:
    meeting: GovernanceMeeting | None = db.session.scalar(
        visible_meetings(user).where(GovernanceMeeting.id == meeting_id)
    )
    if meeting is None:
        raise OutOfScope(meeting_id)
    return meeting


def meeting_title(meeting_id: str) -> str | None:
    """A meeting's title (its date and branches) for an action it agreed, shown to
    people who may see the action but not the meeting. Nothing else of it."""
    key = record_id(meeting_id)
    meeting = db.session.get(GovernanceMeeting, key) if key is not None else None
    return meeting.title if meeting is not None else None


def list_meetings(user: User) -> list[GovernanceMeeting]:
    require_role(user, {Role.MANAGER})
    return list(
        db.session.scalars(
            visible_meetings(user).order_by(
                GovernanceMeeting.held_on.desc(), GovernanceMeeting.id.desc()
            )
        )
    )


def meeting_problems(data: dict[str, Any], today: date) -> dict[str, list[str]]:
    """The rules a meeting's dates must meet (the form's shape is the schema's)."""
    errors: dict[str, list[str]] = {}
    start, end, held = data["period_start"], data["period_end"], data["held_on"]
    if end < start:
        errors["period_end"] = ["The end of the period must be the same as or after its start."]
    elif (end - start).days > MAX_PERIOD_DAYS:
        errors["period_end"] = ["A meeting can look back over two years at most."]
    if start > today:
        errors["period_start"] = ["The period cannot start in the future."]
    for name, message in (("attendees", "Say who attended."), ("minutes", "Write the minutes.")):
        if not str(data.get(name) or "").strip():
            errors[name] = [message]
    if held > today:
        errors["held_on"] = [
            "Record a meeting once it has been held: the date cannot be in the future."
        ]
    return errors


def record_meeting(
    user: User,
    data: dict[str, Any],
    *,
    now: datetime | None = None,
    pattern_settings: pattern_rules.PatternSettings | None = None,
) -> GovernanceMeeting:
    require_role(user, {Role.MANAGER})
    now = now or utcnow()
    errors = meeting_problems(data, now.astimezone(UK).date())
    try:
        branches = choose_branches(user, data.get("branch"))
    except Invalid as err:
        errors.update(err.errors)
        branches = []
    if not branches and "branch" not in errors:
        errors["branch"] = ["You have no branches to hold a meeting for."]
    if errors:
        raise Invalid(errors)
    period = Period(data["period_start"], data["period_end"])
    meeting = GovernanceMeeting(
        period_start=period.start,
        period_end=period.end,
        held_on=data["held_on"],
        attendees=data["attendees"].strip(),
        minutes=data["minutes"].strip(),
        decisions=(data.get("decisions") or "").strip(),
        snapshot=dashboard_figures(
            user,
            branches,
            period,
            now=now,
            pattern_settings=pattern_settings,
        ),
        author_id=user.id,
        created_at=now,
    )
    meeting.branches = list(branches)
    db.session.add(meeting)
    db.session.flush()
    trail.record(
        user,
        "create",
        "governance_meeting",
        meeting.id,
        branches=[b.code for b in branches],
        period_start=period.start.isoformat(),
        period_end=period.end.isoformat(),
        held_on=meeting.held_on.isoformat(),
    )
    db.session.commit()
    return meeting


def meeting_actions(user: User, meeting: GovernanceMeeting) -> list[Action]:
    """The actions agreed at a meeting that `user` may see."""
    return list(
        db.session.scalars(
            queries.visible_actions(user)
            .where(Action.source_type == "meeting", Action.source_id == str(meeting.id))
            .order_by(Action.due, Action.id)
        )
    )


def record_pack_export(user: User, meeting: GovernanceMeeting, fmt: str) -> None:
    trail.record(user, "export", "governance_meeting", meeting.id, format=fmt)
    db.session.commit()


def meeting_source(user: User, source_id: str) -> SourceInfo:
    """A governance meeting as the source of an action (actions.sources): one
    recorded in Candour, by its id, or one held outside it (and every action
    raised before meetings were recorded), by its name as typed."""
    text = source_id.strip()
    number = record_id(text)  # ASCII digits only: "²".isdigit() is true
    if number is None:
        return SourceInfo(ActionSource.MEETING.value, text, text, None)
    meeting = get_meeting(user, number)
    branch_ids = tuple(b.id for b in meeting.branches)
    return SourceInfo(
        ActionSource.MEETING.value,
        str(meeting.id),
        meeting.title,
        branch_ids[0] if len(branch_ids) == 1 else None,
        branch_ids=branch_ids,
    )


def meeting_public_title(source_id: str) -> str:
    # Whoever may see an action may know which meeting agreed it (its title and
    # date, never its minutes): the carer who owns it, say.
    return meeting_title(source_id) or f"Meeting {source_id}"
