"""Escalation of serious reports: which reports escalate, who is told first, who
next when nobody acknowledges, and acknowledgement by opening the record. No
request here; the clock is passed in.

Steps (event key "escalation:<incident id>:<step>", so each step is told once
whatever re-runs or re-sends happen):
1. the branch's manager(s) on call at the time; every manager of the branch
   when nobody is;
2. ESCALATION_MINUTES later, unacknowledged: the next manager of the branch (in
   escalation_order: on call next, then by name) not yet told;
3. ESCALATION_MINUTES after that, still unacknowledged: all the branch's managers.
A step with nobody new to tell ends the escalation (nobody is left to tell).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import update

from core import trail
from core.models import Branch, Role, User
from extensions import db
from incidents.models import Harm, Incident
from notifications import on_call
from notifications.dispatch import notify
from notifications.kinds import Kind
from notifications.on_call_models import Escalation

SERIOUS_HARM = {Harm.SEVERE.value, Harm.DEATH.value}
FIRST, NEXT, ALL = 1, 2, 3
STEP_LABELS = {
    FIRST: "the manager on call",
    NEXT: "the next manager of the branch",
    ALL: "every manager of the branch",
}


def reasons(incident: Incident) -> list[str]:
    """Why a report escalates (empty: it does not): harm severe or death, the
    safeguarding threshold answered yes, or a member of staff injured."""
    found = []
    if incident.harm in SERIOUS_HARM:
        found.append("harm")
    if incident.safeguarding == "yes":
        found.append("safeguarding")
    if incident.staff_injured:
        found.append("staff_injured")
    return found


def escalates(incident: Incident) -> bool:
    return bool(reasons(incident))


def window() -> timedelta:
    return timedelta(minutes=int(current_app.config["ESCALATION_MINUTES"]))


@dataclass(frozen=True)
class Step:
    number: int
    recipients: list[User]


def first_step(on_call_now: Sequence[User], managers: Sequence[User]) -> Step:
    """Step 1: the managers on call; every manager of the branch when nobody is."""
    return Step(FIRST, list(on_call_now) if on_call_now else list(managers))


def following_step(done: int, alerted_ids: Sequence[int], order: Sequence[User]) -> Step | None:
    """The step after `done`, or None when nobody is left to tell. `order` is the
    branch's managers in escalation order."""
    alerted = set(alerted_ids)
    untold = [m for m in order if m.id not in alerted]
    if not untold:
        return None
    if done == FIRST:
        return Step(NEXT, untold[:1])
    if done == NEXT:
        return Step(ALL, list(order))
    return None


def subject_and_text(incident: Incident, step: int) -> tuple[str, str]:
    """What the alert says: the reference, the branch, the kind of event, never the
    narrative, the person or a colleague's name."""
    code = db.session.get_one(Branch, incident.branch_id).code
    subject = f"Urgent: {incident.reference} ({code}) needs a manager"
    kinds = {
        "harm": "harm reported as severe or death",
        "safeguarding": "a possible safeguarding concern",
        "staff_injured": "a member of staff injured",
    }
    why = "; ".join(kinds[r] for r in reasons(incident))
    text = (
        f"A serious report, {incident.reference}, arrived in branch {code}: "
        f"{why}. "
        f"You are told as {STEP_LABELS[step]}. Open the record to acknowledge it; "
        "until someone does, it goes to more managers."
    )
    return subject, text


def _alert(escalation: Escalation, incident: Incident, step: Step, now: datetime) -> None:
    subject, text = subject_and_text(incident, step.number)
    notify(
        Kind.ESCALATION,
        event_key=f"escalation:{incident.id}:{step.number}",
        recipients=step.recipients,
        subject=subject,
        text=text,
        link_path=f"/incidents/{incident.id}",
    )
    escalation.step = step.number
    escalation.last_alert_at = now
    told = list(escalation.alerted_ids or [])
    told += [m.id for m in step.recipients if m.id not in told]
    escalation.alerted_ids = told
    more = following_step(step.number, told, on_call.escalation_order(incident.branch_id, now))
    escalation.next_step_at = now + window() if more is not None else None
    event = trail.record(
        None,
        "escalation_alert",
        "incident",
        incident.id,
        step=STEP_LABELS[step.number],
        alerted=[m.name for m in step.recipients],
    )
    event.at = now


def start(incident: Incident, now: datetime) -> Escalation | None:
    """For a new serious report, in the transaction that saves it: the escalation
    and its first alerts (sent after the commit). None for other reports."""
    found = reasons(incident)
    if not found:
        return None
    escalation = Escalation(
        incident_id=incident.id,
        branch_id=incident.branch_id,
        started_at=now,
        last_alert_at=now,
        alerted_ids=[],
        reason=",".join(found),
    )
    db.session.add(escalation)
    step = first_step(
        on_call.on_call_now(incident.branch_id, now), on_call.managers_of(incident.branch_id)
    )
    _alert(escalation, incident, step, now)
    return escalation


def due(now: datetime) -> list[Escalation]:
    return list(
        db.session.scalars(
            db.select(Escalation)
            .where(Escalation.acknowledged_at.is_(None), Escalation.next_step_at <= now)
            .order_by(Escalation.next_step_at)
        )
    )


def run_escalations(now: datetime) -> int:
    """The periodic check (every minute): each unacknowledged escalation whose
    window has passed goes to its next step. Returns how many moved on."""
    moved = 0
    for escalation in due(now):
        incident = db.session.get_one(Incident, escalation.incident_id)
        if incident.is_closed:
            escalation.next_step_at = None
            continue
        order = on_call.escalation_order(incident.branch_id, now)
        step = following_step(escalation.step, escalation.alerted_ids or [], order)
        if step is None:
            escalation.next_step_at = None
            continue
        _alert(escalation, incident, step, now)
        moved += 1
    db.session.commit()
    return moved


def acknowledge(user: User, incident: Incident, now: datetime) -> bool:
    """Opening the record as a manager of its branch acknowledges its open
    escalation (once: the first such manager). True when this did."""
    if user.role != Role.MANAGER.value or incident.branch_id not in user.branch_ids:
        return False
    result = db.session.execute(
        update(Escalation)
        .where(Escalation.incident_id == incident.id, Escalation.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by_id=user.id, next_step_at=None)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        return False
    trail.record(user, "escalation_acknowledged", "incident", incident.id).at = now
    db.session.commit()
    return True


def escalation_of(incident_id: str) -> Escalation | None:
    return db.session.get(Escalation, incident_id)
