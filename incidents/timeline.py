"""An incident's timeline: its own moments, every trail event on it in words, duties
done, and what the packages above add (learning: its actions)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from flask import Flask, current_app

from core import trail
from core.models import TrailEvent
from core.templating import uk_time
from incidents.duties import rule_label
from incidents.models import LABELS, Incident, Status, label
from incidents.record import offset_label


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    title: str
    who: str | None = None
    details: tuple[str, ...] = ()
    note: str | None = None
    kind: str = "event"


EVENT_TITLES = {
    "seen": "Seen by a manager",
    "triage": "Triaged",
    "duties_opened": "Duties to decide",
    "duty_due_changed": "A duty is now due sooner",
    "decision": "Decision recorded",
    "details_added": "Details added",
    "note": "Office note added",
    "chase": "Reporter asked for more detail",
    "close": "Closed",
    "closed": "Closed",
    "reopen": "Reopened",
    "feedback": "Feedback written to the reporter",
    "add_photo": "Photo added",
    "duty_added": "Duty added by a manager",
    "staff_injury": "Staff injury updated",
}


FIELD_LABELS = {
    "kind": "Incident or near miss",
    "category": "Category",
    "medication_error": "Medication error",
    "harm": "Harm",
    "status": "Status",
    "reviewer": "Reviewer",
    "feedback": "What we learned",
    "no_review_reason": "Why no review is needed",
    "review_id": "Review number",
    "location": "Location",
    "person": "Person supported",
    "rationale": "Rationale",
    "done_at": "Done at",
    "due_at": "Due",
    "reference": "Reference",
    "reason": "Reason",
    "rule": "Duty",
    "rules": "Duties",
    "note": "Note",
    "message": "Message",
    "photo": "Photo",
    "consent_by": "Who agreed to it",
    "bytes": "Size in bytes",
    "safeguarding": "Might be abuse or neglect",
    "clinical_escalation": "Needed a doctor, 111 or 999",
    "family_contact": "Family should be told",
    "police_involved": "The police became involved",
    "injured_staff": "Colleague hurt",
    "staff_injury": "The injury",
    "specified_injury": "Specified injury (RIDDOR)",
    "non_worker_hospital": "Someone not a worker taken to hospital",
    "days_off_work": "Days off work",
}


# What a reporter sees of the history of their own report.
REPORTER_EVENTS = {"seen", "chase", "close", "closed", "reopen", "feedback"}


# Events shown elsewhere on the page, not in the timeline.
HIDDEN_EVENTS = {"create", "view"}


def _format_value(key: str, value: Any) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if key in {"rule", "rules"}:
        return _format_rules(value)
    if isinstance(value, list):
        return ", ".join(_format_value(key, v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{_field_label(k)}: {_format_value(k, v)}" for k, v in value.items())
    if isinstance(value, str):
        return _format_text(value)
    return str(value)


def _format_rules(value: Any) -> str:
    """A duty, or a list of duties, by name."""
    if isinstance(value, list):
        return ", ".join(rule_label(str(v)) for v in value)
    return rule_label(str(value))


def _format_text(value: str) -> str:
    """A choice by its label, an ISO time with its offset in UK time, or as written."""
    if value in LABELS:
        return label(value)
    if len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return uk_time(moment)
    return value


def _field_label(key: str) -> str:
    return FIELD_LABELS.get(key, key.replace("_", " ").capitalize())


# Events about one duty: titled by it (the rule is then not listed again).
DUTY_EVENT_TITLES = {
    "decision": "Decision recorded",
    "duty_added": "Duty added",
    "duty_due_changed": "Due sooner",
}


def _title(action: str, detail: dict[str, Any]) -> str:
    if action in DUTY_EVENT_TITLES and "rule" in detail:
        return f"{DUTY_EVENT_TITLES[action]}: {rule_label(str(detail.pop('rule')))}"
    return EVENT_TITLES.get(action, action.replace("_", " ").capitalize())


def describe_event(event: TrailEvent) -> TimelineEntry:
    """Any audit event on an incident, in words: known actions get their own
    title, others a readable one, and every detail is listed (escaped on the page)."""
    detail = dict(event.detail or {})
    title = _title(event.action, detail)
    lines: list[str] = []
    changes = detail.pop("changes", None)
    change = _status_change(event)
    if event.action == "triage" and change is not None:
        if change[1] == Status.CLOSED.value:
            title = "Triaged and closed"
        elif change[0] == Status.CLOSED.value:
            title = "Triaged and reopened"
    if isinstance(changes, dict):
        for key, pair in changes.items():
            if isinstance(pair, list | tuple) and len(pair) == 2:
                lines.append(
                    f"{_field_label(key)}: {_format_value(key, pair[0])} → {_format_value(key, pair[1])}"
                )
            else:
                lines.append(f"{_field_label(key)}: {_format_value(key, pair)}")
    for key, value in detail.items():
        lines.append(f"{_field_label(key)}: {_format_value(key, value)}")
    who = event.actor.name if event.actor is not None else None
    return TimelineEntry(event.at, title, who, tuple(lines), kind=event.action)


def _status_change(event: TrailEvent) -> tuple[Any, Any] | None:
    changes = (event.detail or {}).get("changes")
    status = changes.get("status") if isinstance(changes, dict) else None
    if isinstance(status, list | tuple) and len(status) == 2:
        return status[0], status[1]
    return None


def _closes(event: TrailEvent) -> bool:
    change = _status_change(event)
    return change is not None and change[1] == Status.CLOSED.value


# What a package above adds to a record's timeline for staff (learning: actions).
TimelineSource = Callable[[Incident], list["TimelineEntry"]]


def add_timeline_source(app: Flask, source: TimelineSource) -> None:
    app.extensions.setdefault("candour_timeline_sources", []).append(source)


def timeline(incident: Incident, *, for_reporter: bool = False) -> list[TimelineEntry]:
    """What happened to the record, in order: its own moments (device and server
    times), every audit event on it, when duties were done, and its actions."""
    author = incident.author.name
    entries: list[TimelineEntry] = [
        TimelineEntry(
            incident.occurred_at,
            "It happened",
            note=f"phone's clock {offset_label(incident.occurred_offset)}",
            kind="occurred",
        ),
        TimelineEntry(
            incident.reported_at,
            "Reported on the phone",
            who=author,
            note=f"phone's clock {offset_label(incident.reported_offset)}",
            kind="reported",
        ),
        TimelineEntry(incident.received_at, "Received by Candour", who=author, kind="received"),
    ]
    events = [e for e in trail.events("incident", incident.id) if e.action not in HIDDEN_EVENTS]
    if for_reporter:
        events = [e for e in events if e.action in REPORTER_EVENTS]
    described = [describe_event(e) for e in events]
    if for_reporter:
        # The reporter hears that it was seen, closed or asked about; the details of
        # the review are the manager's (what was learned is shown to them apart).
        described = [
            replace(d, who=None, details=d.details if d.kind == "chase" else ()) for d in described
        ]
    entries += described
    kinds = {e.action for e in events}
    if incident.seen_at is not None and "seen" not in kinds:
        entries.append(TimelineEntry(incident.seen_at, "Seen by a manager", kind="seen"))
    closed_by_event = bool(kinds & {"close", "closed"}) or any(_closes(e) for e in events)
    if incident.closed_at is not None and not closed_by_event:
        entries.append(TimelineEntry(incident.closed_at, "Closed", kind="closed"))
    if not for_reporter:
        for decision in incident.decisions:
            if decision.done_at is not None:
                details = (f"Reference: {decision.reference}",) if decision.reference else ()
                entries.append(
                    TimelineEntry(
                        decision.done_at,
                        f"Done: {rule_label(decision.rule)}",
                        details=details,
                        kind="done",
                    )
                )
        for source in current_app.extensions.get("candour_timeline_sources", []):
            entries += source(incident)
    # Stable: equal times keep the order above (record, then events, then the rest).
    return sorted(entries, key=lambda e: e.at)
