"""What a record's timeline shows of its escalation beyond the trail's own events
("Escalation alert": who was told at which step; "Escalation acknowledged": by
whom): each message sent, by which channel and when, and while nobody has
acknowledged it, when it goes further."""

from __future__ import annotations

from core.dates import utcnow
from core.templating import uk_time
from incidents.models import Incident
from incidents.timeline import TimelineEntry
from notifications.escalation import escalation_of


def escalation_timeline(incident: Incident) -> list[TimelineEntry]:
    escalation = escalation_of(incident.id)
    if escalation is None:
        return []
    entries: list[TimelineEntry] = []
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
