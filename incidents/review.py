"""Reviewing incidents: the filtered list, a record's timeline, triage by a
manager, administrative detail and chasing by the office. The page routes call
these; no request objects here. Every read goes through services.visible_incidents
(core.scoping)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Select, case, or_, select, update

from core import scoping, trail
from core.dates import uk_midnight, utcnow
from core.errors import Invalid, NotAllowed, Stale
from core.models import PersonSupported, Role, Team, TrailEvent, User
from core.saving import check_version, saving
from core.templating import uk_time
from extensions import db
from incidents import duties
from incidents.duties import rule_label
from incidents.models import (
    LABELS,
    Category,
    Harm,
    Incident,
    IncidentNote,
    Kind,
    NoteKind,
    Status,
    label,
)
from incidents.schemas import TEAM_CHOICE
from incidents.services import visible_incidents

HARM_ORDER = [Harm.DEATH, Harm.SEVERE, Harm.MODERATE, Harm.LOW, Harm.NONE]
SORTS = {
    "newest": "Newest reports first",
    "oldest": "Oldest reports first",
    "harm": "Most harm first",
}
# Statuses a manager may set at triage ("sent" is only ever the starting point).
TRIAGE_STATUSES = [
    Status.TRIAGED.value,
    Status.UNDER_REVIEW.value,
    Status.ACTIONS_AGREED.value,
    Status.CLOSED.value,
]
CLINICAL_FIELDS = ("kind", "category", "medication_error", "harm")


# --- who may do what ------------------------------------------------------------------


def can_triage(user: User) -> bool:
    return user.role == Role.MANAGER.value


def can_add_details(user: User) -> bool:
    """Administrative detail (location, person, notes): office staff and managers."""
    return user.role in {Role.OFFICE.value, Role.MANAGER.value}


def can_chase(user: User) -> bool:
    return user.role in {Role.OFFICE.value, Role.MANAGER.value}


def can_filter(user: User) -> bool:
    """Carers see their own reports; everyone else reviews a filterable list."""
    return user.role != Role.CARER.value


# --- the list -----------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentFilters:
    q: str = ""
    branch: str | None = None
    category: str | None = None
    harm: str | None = None
    status: str | None = None
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    person: str | None = None
    team: int | None = None
    overdue: bool = False
    sort: str = "newest"
    page: int = 1

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> IncidentFilters:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class IncidentPage:
    items: list[Incident]
    total: int
    page: int
    page_size: int
    overdue_ids: set[str] = field(default_factory=set)
    chases: dict[str, list[IncidentNote]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def first_shown(self) -> int:
        return 0 if not self.items else (self.page - 1) * self.page_size + 1

    @property
    def last_shown(self) -> int:
        return (self.page - 1) * self.page_size + len(self.items)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filtered(user: User, filters: IncidentFilters, now: datetime) -> Select[Any]:
    """The incidents `user` may see, narrowed by `filters` (not yet ordered)."""
    stmt = visible_incidents(user)
    if filters.q.strip():
        pattern = _like(filters.q.strip())
        stmt = stmt.where(
            or_(
                Incident.reference.ilike(pattern, escape="\\"),
                Incident.what_happened.ilike(pattern, escape="\\"),
                Incident.immediate_actions.ilike(pattern, escape="\\"),
                Incident.location.ilike(pattern, escape="\\"),
            )
        )
    if filters.branch:
        stmt = stmt.where(Incident.branch.has(code=filters.branch))
    if filters.person:
        stmt = stmt.where(Incident.person.has(PersonSupported.ref == filters.person))
    if filters.team is not None:
        stmt = stmt.where(Incident.team_id == filters.team)
    for name in ("category", "harm", "status", "kind"):
        value = getattr(filters, name)
        if value:
            stmt = stmt.where(getattr(Incident, name) == value)
    if filters.date_from:
        stmt = stmt.where(Incident.occurred_at >= uk_midnight(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(Incident.occurred_at < uk_midnight(filters.date_to + timedelta(days=1)))
    if filters.overdue:
        stmt = stmt.where(duties.has_overdue_duty(now))
    return stmt


def team_errors(filters: IncidentFilters, teams: Iterable[Team]) -> dict[str, list[str]]:
    """A team filter must name one of `teams` (the caller's, scoping.teams_for).
    Another branch's team gets the same answer as one that does not exist, so
    the filter never reveals what is outside the caller's scope."""
    if filters.team is None or filters.team in {t.id for t in teams}:
        return {}
    return {"team": [TEAM_CHOICE]}


def _ordered(stmt: Select[Any], sort: str) -> Select[Any]:
    if sort == "oldest":
        return stmt.order_by(Incident.received_at.asc(), Incident.id.asc())
    if sort == "harm":
        rank = case({h.value: n for n, h in enumerate(HARM_ORDER)}, value=Incident.harm, else_=9)
        return stmt.order_by(rank, Incident.received_at.desc(), Incident.id.desc())
    return stmt.order_by(Incident.received_at.desc(), Incident.id.desc())


def search(
    user: User, filters: IncidentFilters, page_size: int, now: datetime | None = None
) -> IncidentPage:
    now = now or utcnow()
    stmt = filtered(user, filters, now)
    total = (
        db.session.scalar(stmt.with_only_columns(db.func.count(Incident.id)).order_by(None)) or 0
    )
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, filters.page), pages)
    items = list(
        db.session.scalars(
            _ordered(stmt, filters.sort).limit(page_size).offset((page - 1) * page_size)
        )
    )
    ids = [i.id for i in items]
    return IncidentPage(
        items=items,
        total=int(total),
        page=page,
        page_size=page_size,
        overdue_ids=duties.overdue_incident_ids(ids, now),
        chases=notes_for(ids, NoteKind.CHASE),
    )


def notes_for(incident_ids: Iterable[str], kind: NoteKind) -> dict[str, list[IncidentNote]]:
    ids = list(incident_ids)
    if not ids:
        return {}
    found: dict[str, list[IncidentNote]] = {}
    stmt = (
        select(IncidentNote)
        .where(IncidentNote.incident_id.in_(ids), IncidentNote.kind == kind.value)
        .order_by(IncidentNote.created_at, IncidentNote.id)
    )
    for note in db.session.scalars(stmt):
        found.setdefault(note.incident_id, []).append(note)
    return found


# --- one record ---------------------------------------------------------------------


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
    """Who opened a safeguarding record (each view is in the audit trail)."""
    return [e for e in trail.events("incident", incident.id) if e.action == "view"]


# --- the timeline -------------------------------------------------------------------


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
        if isinstance(value, list):
            return ", ".join(rule_label(str(v)) for v in value)
        return rule_label(str(value))
    if isinstance(value, list):
        return ", ".join(_format_value(key, v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{_field_label(k)}: {_format_value(k, v)}" for k, v in value.items())
    if isinstance(value, str):
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
    return str(value)


def _field_label(key: str) -> str:
    return FIELD_LABELS.get(key, key.replace("_", " ").capitalize())


def describe_event(event: TrailEvent) -> TimelineEntry:
    """Any audit event on an incident, in words: known actions get their own
    title, others a readable one, and every detail is listed (escaped on the page)."""
    detail = dict(event.detail or {})
    title = EVENT_TITLES.get(event.action, event.action.replace("_", " ").capitalize())
    if event.action == "decision" and "rule" in detail:
        title = f"Decision recorded: {rule_label(str(detail.pop('rule')))}"
    elif event.action == "duty_due_changed" and "rule" in detail:
        title = f"Due sooner: {rule_label(str(detail.pop('rule')))}"
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


# --- triage -------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosingRule:
    """What closing an incident needs beyond triage's own rules. The learning
    package sets it (a review or a reason why none is needed, actions done or
    carried into a review, feedback for the reporter); incidents alone close
    freely."""

    # Why it cannot close yet, by field ("actions" for the whole form).
    problems: Callable[[Incident, str | None, str | None], dict[str, list[str]]]
    # Keep what closing records (the reason no review is needed): changes for the trail.
    record: Callable[[User, Incident, str | None], dict[str, list[Any]]]


NO_CLOSING_RULE = ClosingRule(problems=lambda *_: {}, record=lambda *_: {})


def set_closing_rule(app: Flask, rule: ClosingRule) -> None:
    app.extensions["candour_closing_rule"] = rule


def closing_rule() -> ClosingRule:
    rule: ClosingRule = current_app.extensions.get("candour_closing_rule", NO_CLOSING_RULE)
    return rule


class StaleIncident(Stale):
    """The record changed since the form was opened (409): nothing was saved."""

    def __init__(self, incident: Incident):
        super().__init__(incident.id)
        self.incident = incident


class ReviewError(Invalid):
    """What was sent breaks a rule (422); messages per field."""


def reviewers_for(incident: Incident) -> list[User]:
    """Managers and supervisors of the incident's branch (only managers for a
    safeguarding record, which supervisors may not see)."""
    roles = [Role.MANAGER.value]
    if not incident.is_safeguarding:
        roles.append(Role.SUPERVISOR.value)
    stmt = (
        select(User)
        .where(User.active.is_(True), User.role.in_(roles))
        .where(User.branches.any(id=incident.branch_id))
        .order_by(User.name)
    )
    return list(db.session.scalars(stmt))


def _stale(incident: Incident) -> Callable[[], StaleIncident]:
    """The 409 for a triage or office change that lost a race: it carries the
    record as it is now, for the page to show beside what was sent."""

    def stale() -> StaleIncident:
        db.session.refresh(incident)
        return StaleIncident(incident)

    return stale


def triage(
    actor: User,
    incident: Incident,
    *,
    version: int,
    kind: str,
    category: str,
    medication_error: str | None,
    harm: str,
    reason: str,
    status: str,
    reviewer_id: int | None,
    feedback: str,
    no_review_reason: str = "",
) -> Incident:
    """A manager confirms or changes the classification, sets the status, assigns a
    reviewer and (when closing) writes what was learned back to the reporter.

    Changing a clinical field needs a reason; the values before and after go to the
    audit trail, so the original report stays in the history. Changing what
    triggers duties opens any new ones (never removing one already there).
    """
    if not can_triage(actor):
        raise NotAllowed()
    check_version(incident, version, _stale(incident))
    errors: dict[str, list[str]] = {}
    reason = reason.strip()
    feedback = feedback.strip()
    if category != Category.MEDICATION.value:
        medication_error = None
    elif not medication_error:
        errors["medication_error"] = ["Choose what went wrong with the medicine."]
    if kind == Kind.NEAR_MISS.value and harm != Harm.NONE.value:
        errors["harm"] = ["A near miss caused no harm. If the person was harmed, choose incident."]
    if status not in TRIAGE_STATUSES:
        errors["status"] = ["Choose a status."]
    reviewer: User | None = None
    if reviewer_id is not None:
        reviewer = next((u for u in reviewers_for(incident) if u.id == reviewer_id), None)
        if reviewer is None:
            errors["reviewer_id"] = ["Choose a manager or supervisor of this branch."]
    if status == Status.CLOSED.value and incident.status != Status.CLOSED.value:
        # One closing rule, the learning package's (see ClosingRule).
        for key, messages in closing_rule().problems(incident, no_review_reason, feedback).items():
            errors["status" if key == "actions" else key] = messages
    new_values: dict[str, Any] = {
        "kind": kind,
        "category": category,
        "medication_error": medication_error,
        "harm": harm,
    }
    clinical_changes = {
        name: [getattr(incident, name), value]
        for name, value in new_values.items()
        if getattr(incident, name) != value
    }
    if clinical_changes and not reason:
        errors["reason"] = ["Say why you are changing what the reporter recorded."]
    if errors:
        raise ReviewError(errors)

    changes: dict[str, list[Any]] = dict(clinical_changes)
    now = utcnow()
    with saving(_stale(incident)):
        if incident.reviewer_id != reviewer_id:
            before = incident.reviewer.name if incident.reviewer else None
            changes["reviewer"] = [before, reviewer.name if reviewer else None]
            incident.reviewer_id = reviewer_id
        for name, value in new_values.items():
            setattr(incident, name, value)
        if incident.status != status:
            changes["status"] = [incident.status, status]
            incident.status = status
            if status == Status.CLOSED.value:
                changes.update(closing_rule().record(actor, incident, no_review_reason))
                incident.closed_at = now
            elif incident.closed_at is not None:
                incident.closed_at = None
        if feedback and feedback != incident.feedback:
            changes["feedback"] = [incident.feedback or None, feedback]
            incident.feedback = feedback
            incident.feedback_at = now
        if incident.triaged_at is None:
            incident.triaged_at = now
        detail: dict[str, Any] = {"changes": changes}
        if reason:
            detail["reason"] = reason
        trail.record(actor, "triage", "incident", incident.id, **detail)
        if clinical_changes:
            duties.open_decisions(incident)
    return incident


def may_write_feedback(user: User, incident: Incident) -> bool:
    """Managers, and the reviewer assigned to the incident."""
    return can_triage(user) or (
        incident.reviewer_id is not None and incident.reviewer_id == user.id
    )


def stage_feedback(actor: User, incident: Incident, feedback: str) -> None:
    """Check and set "what we learned and what will change" for the reporter,
    audited with the text before and after, for the caller to commit with the
    rest of its change (a learning review completes with every reporter's
    feedback, or not at all)."""
    if not may_write_feedback(actor, incident):
        raise NotAllowed()
    feedback = feedback.strip()
    if not feedback:
        raise ReviewError({"feedback": ["Write what was learned and what will change."]})
    if len(feedback) > 5000:
        raise ReviewError({"feedback": ["Write up to 5,000 characters."]})
    if feedback == incident.feedback:
        return
    trail.record(
        actor,
        "feedback",
        "incident",
        incident.id,
        changes={"feedback": [incident.feedback or None, feedback]},
    )
    incident.feedback = feedback
    incident.feedback_at = utcnow()


# --- office: missing details and chasing the reporter ---------------------------------


def add_details(
    actor: User,
    incident: Incident,
    *,
    version: int,
    location: str,
    person_ref: str | None,
    note: str,
) -> Incident:
    """Fill in what is missing (location, the person supported) and add an
    administrative note. Never touches what happened, harm or the thresholds."""
    if not can_add_details(actor):
        raise NotAllowed()
    location, note = location.strip(), note.strip()
    errors: dict[str, list[str]] = {}
    changes: dict[str, list[Any]] = {}
    if location:
        if incident.location:
            errors["location"] = ["The location is already recorded."]
        else:
            changes["location"] = [None, location]
    person: PersonSupported | None = None
    if person_ref:
        if incident.person_id is not None:
            errors["person_ref"] = ["The person supported is already recorded."]
        else:
            person = scoping.person_by_ref(actor, person_ref)
            if person is None or person.branch_id != incident.branch_id:
                errors["person_ref"] = ["Choose someone supported by this branch."]
            else:
                changes["person"] = [None, person.ref]
    if not changes and not note and not errors:
        errors["note"] = ["Add a missing detail or a note."]
    if errors:
        raise ReviewError(errors)
    if changes:
        check_version(incident, version, _stale(incident))
    with saving(_stale(incident)):
        if "location" in changes:
            incident.location = location
        if person is not None:
            incident.person_id = person.id
        if changes:
            trail.record(actor, "details_added", "incident", incident.id, changes=changes)
        if note:
            incident.notes.append(
                IncidentNote(kind=NoteKind.ADMIN.value, body=note, author_id=actor.id)
            )
            trail.record(actor, "note", "incident", incident.id, note=note)
    return incident


def chase_reporter(actor: User, incident: Incident, *, message: str) -> IncidentNote:
    """Ask the reporter for something missing; they see it on their list."""
    if not can_chase(actor):
        raise NotAllowed()
    message = message.strip()
    if not message:
        raise ReviewError({"message": ["Say what you need from the reporter."]})
    chase = IncidentNote(kind=NoteKind.CHASE.value, body=message, author_id=actor.id)
    incident.notes.append(chase)
    trail.record(actor, "chase", "incident", incident.id, message=message)
    db.session.commit()
    return chase


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
