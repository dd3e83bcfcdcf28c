"""What a record's timeline shows of its escalation beyond the trail's own events
("Escalation alert": who was told at which step; "Escalation acknowledged": by
whom): each message, to whom, by which channel, and when it was sent; and while
nobody has acknowledged it, when it goes further."""

from __future__ import annotations

from sqlalchemy import select

from core.dates import utcnow
from core.templating import uk_time
from extensions import db
from incidents.models import Incident
from incidents.timeline import TimelineEntry
from notifications.channels import channels
from notifications.escalation import escalation_of
from notifications.models import Message, Status

STATES = {
    Status.QUEUED: "waiting to be sent",
    Status.SENDING: "being sent",
    Status.SENT: "sent",
    Status.FAILED: "not delivered",
}


def _message_entry(message: Message, labels: dict[str, str]) -> TimelineEntry:
    how = labels.get(message.channel, message.channel)
    state = STATES.get(message.status, message.status)
    details = [f"How: {how}", f"State: {state}"]
    if message.sent_at is not None:
        details.append(f"Sent: {uk_time(message.sent_at)}")
    step = message.event_key.rsplit(":", 1)[-1]
    return TimelineEntry(
        message.created_at,
        f"Alert by {how.lower()}",
        who=message.recipient.name,
        details=tuple(details),
        note=f"escalation step {step}",
        kind="escalation_message",
    )


def escalation_timeline(incident: Incident) -> list[TimelineEntry]:
    escalation = escalation_of(incident.id)
    if escalation is None:
        return []
    labels = {name: channel.label for name, channel in channels().items()}
    messages = db.session.scalars(
        select(Message)
        .where(Message.event_key.like(f"escalation:{incident.id}:%"))
        .order_by(Message.created_at, Message.id)
    )
    entries = [_message_entry(m, labels) for m in messages]
    if escalation.is_open and escalation.next_step_at is not None:
        entries.append(
            TimelineEntry(
                max(escalation.last_alert_at, utcnow()),
                "Escalation not yet acknowledged",
                note="goes to more managers unless a manager of the branch opens this record",
                details=(f"Next alert due: {uk_time(escalation.next_step_at)}",),
                kind="escalation_waiting",
            )
        )
    return entries
