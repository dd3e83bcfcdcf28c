"""One incident's record as staff read it: marking it seen, how late it was made or
arrived, who opened a safeguarding record, and times and due dates in words."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from core import trail
from core.dates import utcnow
from core.models import Role, TrailEvent, User
from core.templating import uk_time
from extensions import db
from incidents.awareness import FROM_ACCIDENT
from incidents.models import Incident, IncidentDecision


def mark_seen(user: User, incident: Incident) -> None:
    """The first time a manager opens the record, it is "seen" (the reporter is
    told). A plain UPDATE, so it never counts as an edit that would turn someone's
    open form stale, and the first opener wins a race."""
    if user.role != Role.MANAGER.value or incident.seen_at is not None:
        return
    now = utcnow()
    result = db.session.execute(
        update(Incident)
        .where(Incident.id == incident.id, Incident.seen_at.is_(None))
        .values(seen_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0):
        trail.record(user, "seen", "incident", incident.id)
    db.session.commit()
    db.session.refresh(incident)


def offset_label(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def _days(delta: timedelta) -> int:
    return int(delta.total_seconds() // 86400)


def lateness(incident: Incident) -> list[str]:
    """Plain sentences when a report was made or arrived a day or more late."""
    notes: list[str] = []
    reported_after = _days(incident.reported_at - incident.occurred_at)
    if reported_after >= 1:
        notes.append(f"Reported {_plural(reported_after, 'day')} after it happened.")
    arrived_after = _days(incident.received_at - incident.reported_at)
    if arrived_after >= 1:
        notes.append(
            f"Arrived {_plural(arrived_after, 'day')} after it was made on the phone "
            "(it waited on the phone, for example without signal)."
        )
    return notes


def uk_time_from_iso(value: str) -> str:
    """A stored ISO timestamp (people informed) in UK time; text as it is otherwise."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    return uk_time(moment) if moment.tzinfo is not None else str(value)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def views_of(incident: Incident) -> list[TrailEvent]:
    """Who has seen a record that may be safeguarding, on its page or in a list
    (each view is in the audit trail)."""
    return [e for e in trail.events("incident", incident.id) if e.action == "view"]


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{_plural(days, 'day')} {_plural(hours, 'hour')}" if hours else _plural(days, "day")
    if hours:
        return _plural(hours, "hour")
    return _plural(mins, "minute")


def describe_due(due_at: datetime | None, now: datetime, done: bool = False) -> str:
    """ "Due Fri 20 Nov 2026, 10:00 (5 hours left)" or "(overdue by 2 days)"."""
    if due_at is None:
        return ""
    when = uk_time(due_at, "%a %d %b %Y, %H:%M")
    if done:
        return f"Was due {when}"
    if due_at < now:
        return f"Due {when} (overdue by {_span(now - due_at)})"
    return f"Due {when} ({_span(due_at - now)} left)"


def describe_clock(decision: IncidentDecision) -> str:
    """What started the duty's clock: "Clock started 14:05 on 3 Dec 2026, when the
    office was told" ("" for decisions made before it was kept)."""
    if decision.clock_started_at is None or not decision.clock_started_by:
        return ""
    if decision.clock_started_by == FROM_ACCIDENT:
        return f"Counted from the day of the accident, {uk_time(decision.clock_started_at, '%d %b %Y')}."
    when = uk_time(decision.clock_started_at, "%H:%M on %d %b %Y")
    return f"Clock started {when}, {decision.clock_started_by}."
