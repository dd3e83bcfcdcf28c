"""When the provider became aware of an incident: the moment its duty clocks
("without delay", the duty of candour, a safeguarding referral, telling the
family) start from, and in words which moment it was.

The provider knew when its carer knew and told: the reporter's own time of
reporting on the phone (the report's `reported_at`, the device's clock), or an
earlier "who was told" time naming a manager or on-call, or the office,
whichever is earliest. Never later than the report reached Candour (a phone
clock running fast), never before it happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from incidents.models import PROVIDER_TOLD, Incident

# The words after "Clock started <time>, ..." on the record.
WHEN_REPORTED = "when the reporter made the report on their phone"
WHEN_RECEIVED = "when the report reached Candour"
WHEN_HAPPENED = "when it happened"
WHEN_TOLD = {
    "manager": "when a manager or the on-call manager was told",
    "office": "when the office was told",
}
FROM_ACCIDENT = "from the day of the accident (RIDDOR counts from it)"


@dataclass(frozen=True)
class Awareness:
    at: datetime
    by: str


def _told(incident: Incident) -> list[Awareness]:
    moments = []
    for row in incident.people_informed or []:
        who = row.get("who")
        if who not in PROVIDER_TOLD:
            continue
        try:
            at = datetime.fromisoformat(row["at"])
        except (KeyError, TypeError, ValueError):
            continue
        if at.tzinfo is not None:
            moments.append(Awareness(at, WHEN_TOLD[who]))
    return moments


def awareness(incident: Incident) -> Awareness:
    """The earliest moment the provider knew, and which moment that was."""
    candidates = [Awareness(incident.reported_at, WHEN_REPORTED), *_told(incident)]
    # The earliest wins; on a tie the report itself (first in the list).
    earliest = min(candidates, key=lambda a: a.at)
    if incident.received_at is not None and incident.received_at < earliest.at:
        earliest = Awareness(incident.received_at, WHEN_RECEIVED)
    if earliest.at < incident.occurred_at:
        earliest = Awareness(incident.occurred_at, WHEN_HAPPENED)
    return earliest
