"""What a message about an incident says: its kind, reference, branch and a link,
nothing else. No narrative, no person supported (neither reference nor
initials), no names: a message goes through mail servers and push services, and
can show on a locked phone's screen. Escalations and reminders build theirs here."""

from __future__ import annotations

from dataclasses import dataclass

from incidents.models import Incident
from notifications.kinds import Kind


@dataclass(frozen=True)
class Wording:
    subject: str
    text: str
    link_path: str


def about_incident(kind: Kind, incident: Incident, what: str = "") -> Wording:
    """`what` is a fixed sentence from the caller's code ("Open the record to
    acknowledge it."), never text a person typed."""
    where = incident.branch.name
    text = f"{kind.label}: {incident.reference}, {where}."
    if what:
        text = f"{text} {what}"
    return Wording(
        subject=f"{kind.label}: {incident.reference} ({incident.branch.code})",
        text=text,
        link_path=f"/incidents/{incident.id}",
    )
