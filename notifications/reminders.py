"""Reminders, checked every minute by the worker's schedule: a regulatory duty
due within 4 hours and when it becomes overdue (to the branch's managers); one
08:00 morning digest per action owner (actions due tomorrow and overdue); the
Monday 08:00 weekly summary to managers; a new bulletin to the staff it is for.
No request here; the clock is passed in. Each message's event key names its
occasion (the duty and its due time, the owner and the UK day, the manager and
the week, the bulletin), so a check run again, or late after the worker was
stopped, tells nobody twice. Messages hold counts, references and branches only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, select

from actions.models import Action, ActionStatus
from core.dates import UK
from core.models import Branch, Role, User
from extensions import db
from incidents.duties import rule_label
from incidents.models import DecisionStatus, Incident, IncidentDecision
from learning.bulletins import audience_members
from learning.models import Bulletin
from notifications.dispatch import notify
from notifications.kinds import Kind
from notifications.models import Message
from notifications.on_call import managers_of

DUE_SOON = timedelta(hours=4)
# A duty overdue, or a bulletin published, longer ago than this is not news: a
# worker stopped for a day does not send stale reminders when it starts again.
CATCH_UP = timedelta(hours=24)
MORNING = time(8, 0)
# After this (UK time) the morning's digest or summary is no longer sent that day.
EVENING = time(21, 0)
MONDAY = 0


def uk_morning(now: datetime) -> date | None:
    """The UK day whose 08:00 morning messages are due at `now` (from 08:00 to
    21:00 UK clock time, in GMT or BST alike); None outside those hours."""
    local = now.astimezone(UK)
    if MORNING <= local.time() < EVENING:
        return local.date()
    return None


def monday_morning(now: datetime) -> date | None:
    """The Monday whose weekly summary is due at `now` (08:00-21:00 UK time)."""
    day = uk_morning(now)
    return day if day is not None and day.weekday() == MONDAY else None


@dataclass(frozen=True)
class Reminder:
    kind: Kind
    event_key: str
    recipients: list[User]
    subject: str
    text: str
    link_path: str


def _pending_duties() -> Any:
    return and_(
        IncidentDecision.due_at.is_not(None),
        IncidentDecision.done_at.is_(None),
        IncidentDecision.status != DecisionStatus.DOES_NOT_APPLY.value,
    )


def duty_reminders(now: datetime) -> list[Reminder]:
    """Duties due within 4 hours (kind duty_due) and those that became overdue in
    the last day (duty_overdue), to the managers of the incident's branch."""
    rows = db.session.execute(
        select(IncidentDecision, Incident.reference, Incident.id, Branch.id, Branch.code)
        .join(Incident, Incident.id == IncidentDecision.incident_id)
        .join(Branch, Branch.id == Incident.branch_id)
        .where(
            _pending_duties(),
            IncidentDecision.due_at > now - CATCH_UP,
            IncidentDecision.due_at <= now + DUE_SOON,
        )
        .order_by(IncidentDecision.due_at, IncidentDecision.id)
    ).all()
    reminders = []
    for decision, reference, incident_id, branch_id, code in rows:
        due_at = decision.due_at
        if due_at is None:  # not by the query; for the type checker
            continue
        duty = rule_label(decision.rule)
        overdue = due_at <= now
        kind = Kind.DUTY_OVERDUE if overdue else Kind.DUTY_DUE
        state = "is now overdue" if overdue else "is due within 4 hours"
        reminders.append(
            Reminder(
                kind,
                f"{kind.value}:{decision.id}:{due_at.isoformat()}",
                managers_of(branch_id),
                f"{'Overdue' if overdue else 'Due soon'}: {duty} for {reference} ({code})",
                f"The duty {duty} on {reference} in branch {code} {state}. "
                "Open the record to decide it or record that it is done.",
                f"/incidents/{incident_id}",
            )
        )
    return reminders


def action_digests(now: datetime) -> list[Reminder]:
    """At 08:00 UK time: one digest per owner with open actions due tomorrow or
    overdue (none for an owner with neither)."""
    today = uk_morning(now)
    if today is None:
        return []
    tomorrow = today + timedelta(days=1)
    counts: dict[int, list[int]] = {}
    for owner_id, due in db.session.execute(
        select(Action.owner_id, Action.due).where(
            Action.status == ActionStatus.OPEN.value,
            (Action.due == tomorrow) | (Action.due < today),
        )
    ):
        tally = counts.setdefault(owner_id, [0, 0])
        tally[0 if due == tomorrow else 1] += 1
    owners = _active_users(counts)
    reminders = []
    for owner in owners:
        due_tomorrow, overdue = counts[owner.id]
        reminders.append(
            Reminder(
                Kind.ACTION_DIGEST,
                f"action_digest:{owner.id}:{today.isoformat()}",
                [owner],
                f"Your actions: {due_tomorrow} due tomorrow, {overdue} overdue",
                f"You have {_count(due_tomorrow, 'action')} due tomorrow and "
                f"{_count(overdue, 'action')} overdue. Open your actions in Candour to see them.",
                "/actions?view=mine",
            )
        )
    return reminders


def weekly_summaries(now: datetime) -> list[Reminder]:
    """Monday 08:00 UK time: each manager's week in figures, per branch."""
    monday = monday_morning(now)
    if monday is None:
        return []
    week_ago = now - timedelta(days=7)
    today = now.astimezone(UK).date()
    reminders = []
    for manager in db.session.scalars(
        select(User).where(User.role == Role.MANAGER.value, User.active.is_(True)).order_by(User.id)
    ):
        lines = [_branch_week(branch, week_ago, now, today) for branch in manager.branches]
        if not lines:
            continue
        reminders.append(
            Reminder(
                Kind.WEEKLY_SUMMARY,
                f"weekly_summary:{manager.id}:{monday.isoformat()}",
                [manager],
                f"Candour: your week to {monday.strftime('%d %b %Y')}",
                "Your branches last week: " + " ".join(lines) + " Open Candour for the details.",
                "/",
            )
        )
    return reminders


def _branch_week(branch: Branch, week_ago: datetime, now: datetime, today: date) -> str:
    reports = db.session.scalar(
        select(func.count(Incident.id)).where(
            Incident.branch_id == branch.id, Incident.received_at >= week_ago
        )
    )
    overdue_duties = db.session.scalar(
        select(func.count(IncidentDecision.id))
        .join(Incident, Incident.id == IncidentDecision.incident_id)
        .where(Incident.branch_id == branch.id, _pending_duties(), IncidentDecision.due_at < now)
    )
    overdue_actions = db.session.scalar(
        select(func.count(Action.id)).where(
            Action.branch_id == branch.id,
            Action.status == ActionStatus.OPEN.value,
            Action.due < today,
        )
    )
    return (
        f"{branch.code}: {_count(reports or 0, 'new report')}, "
        f"{_count(overdue_duties or 0, 'duty', 'duties')} overdue, "
        f"{_count(overdue_actions or 0, 'action')} overdue."
    )


def bulletin_reminders(now: datetime) -> list[Reminder]:
    """A bulletin published in the last day, to the staff it is written for (its
    branches, and its roles if it names any), but its author."""
    reminders = []
    for bulletin in db.session.scalars(
        select(Bulletin)
        .where(Bulletin.published_at > now - CATCH_UP, Bulletin.published_at <= now)
        .order_by(Bulletin.id)
    ):
        readers = [u for u in audience_members(bulletin) if u.id != bulletin.author_id]
        codes = ", ".join(b.code for b in bulletin.branches)
        reminders.append(
            Reminder(
                Kind.BULLETIN,
                f"bulletin:{bulletin.id}",
                readers,
                f"New learning bulletin for {codes}",
                f"A new learning bulletin for {codes} is ready to read in Candour.",
                f"/bulletins/{bulletin.id}",
            )
        )
    return reminders


def due_reminders(now: datetime) -> list[Reminder]:
    """Everything due at `now` (those already sent are skipped by notify's key)."""
    return (
        duty_reminders(now) + action_digests(now) + weekly_summaries(now) + bulletin_reminders(now)
    )


def _active_users(ids: Iterable[int]) -> list[User]:
    wanted = list(ids)
    if not wanted:
        return []
    return list(
        db.session.scalars(
            select(User).where(User.id.in_(wanted), User.active.is_(True)).order_by(User.id)
        )
    )


def _count(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number} {noun if number == 1 else (plural or noun + 's')}"


def run_reminders(now: datetime) -> int:
    """The periodic check (every minute): send every reminder due at `now`.
    Returns how many messages this run made (0 when all were sent before)."""
    made = 0
    due = due_reminders(now)
    # Most minutes, everything due was sent before: skip those occasions in one
    # query rather than asking once per recipient and channel.
    done = _sent_keys([r.event_key for r in due])
    for reminder in due:
        if reminder.event_key in done:
            continue
        made += len(
            notify(
                reminder.kind,
                event_key=reminder.event_key,
                recipients=reminder.recipients,
                subject=reminder.subject,
                text=reminder.text,
                link_path=reminder.link_path,
                now=now,
            )
        )
    db.session.commit()
    return made


def _sent_keys(keys: list[str]) -> set[str]:
    """The event keys that already have a message (in chunks: databases limit
    how many values one statement may carry)."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(
            db.session.scalars(select(Message.event_key).where(Message.event_key.in_(chunk)))
        )
    return found
