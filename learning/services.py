"""The rules of the learning loop: reviews, actions and their verification,
closing an incident, bulletins, team notes and case studies. Pages, the sync API
and the CLI call these; no request objects here."""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from audits.models import Audit, Outcome
from core import audit, scoping
from core.errors import Invalid, NotAllowed, OutOfScope, Stale
from core.forms import record_id
from core.models import UK, Branch, Role, User, uk_today, user_branches, utcnow
from extensions import db
from incidents import review as incident_review
from incidents.models import Incident, Status, label
from incidents.services import visible_incidents
from learning import anonymise
from learning.models import (
    Acknowledgement,
    Action,
    ActionSource,
    ActionStatus,
    BriefingNote,
    Bulletin,
    BulletinRole,
    CaseStudy,
    Condition,
    LearningReview,
    NoteKind,
    ReviewMethod,
    ReviewStatus,
    VerificationKind,
    bulletin_branches,
)

# What the reporter can be told at once (Incident.feedback's limit).
FEEDBACK_LIMIT = 5000

REVIEW_ROLES = {Role.SUPERVISOR.value, Role.MANAGER.value}
ACTION_ROLES = {Role.SUPERVISOR.value, Role.MANAGER.value}
MANAGERS = {Role.MANAGER.value}
# Statuses an incident moves on from when its review starts (never backwards).
BEFORE_REVIEW = {Status.SUBMITTED.value, Status.TRIAGED.value}


def _check_version(record: Any, version: int | None) -> None:
    if version is not None and version != record.version:
        raise Stale(record)


def _commit() -> None:
    """Commit the whole change, or nothing of it when a record it touches was
    changed by someone else meanwhile (its version moved): that is a 409."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Stale() from None


def _require(user: User, roles: set[str]) -> None:
    if user.role not in roles:
        raise NotAllowed()


# --- incidents the learning pages work with -------------------------------------------


def incident_in_scope(user: User, incident_id: str) -> Incident:
    return scoping.one_by_uuid_in_scope(visible_incidents(user), Incident, incident_id)


def incidents_in_scope(user: User, incident_ids: Sequence[object]) -> list[Incident]:
    """The incidents with these ids, each once and in the order given, in one
    query; OutOfScope for the first id that is not a UUID, unknown or outside
    the caller's scope (as incident_in_scope for each)."""
    keys = [_incident_key(raw) for raw in incident_ids]
    found = visible_among(user, keys)
    if None in keys or len(found) != len(set(keys)):
        raise OutOfScope(incident_ids)
    return found


def _incident_key(raw: object) -> str | None:
    """An incident id as stored (a UUID in its usual form), or None."""
    try:
        return str(uuid.UUID(str(raw)))
    except ValueError:
        return None


def visible_among(user: User, incident_ids: Sequence[object]) -> list[Incident]:
    """Those of these ids the caller may see, each once and in the order given, in
    one query; anything else (not a UUID, unknown, out of scope) is left out."""
    keys = list(dict.fromkeys(k for k in map(_incident_key, incident_ids) if k is not None))
    if not keys:
        return []
    found = {
        incident.id: incident
        for incident in db.session.scalars(visible_incidents(user).where(Incident.id.in_(keys)))
    }
    return [found[key] for key in keys if key in found]


def reviewable_incidents(user: User, limit: int = 200) -> list[Incident]:
    """Recent incidents still open, newest first: what a review can start from."""
    stmt = (
        visible_incidents(user)
        .where(Incident.status != Status.CLOSED.value)
        .order_by(Incident.occurred_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def _timeline(actor: User, incident: Incident, action: str, **detail: Any) -> None:
    """An event on the incident's timeline (the incidents package shows every
    audit event recorded against the incident)."""
    audit.record(actor, action, "incident", incident.id, **detail)


def _move_status(incident: Incident, status: Status, allowed: set[str]) -> dict[str, list[Any]]:
    """Move the incident on (never backwards); the change, for the timeline."""
    if incident.status in allowed and incident.status != status.value:
        old = incident.status
        incident.status = status.value
        return {"status": [old, status.value]}
    return {}


def give_feedback(actor: User, incident: Incident, text: str) -> None:
    """Tell the reporter what was learned and what will change (they see it on
    their report), through the incidents package's feedback service. Learning
    from a later review is added to what they were told before, when it fits."""
    text = text.strip()
    old = incident.feedback or ""
    if not text or text in old:
        return
    combined = f"{old}\n\n{text}" if old else text
    incident_review.stage_feedback(
        actor, incident, combined if len(combined) <= FEEDBACK_LIMIT else text
    )


# --- learning reviews --------------------------------------------------------------------

# What each method must answer before it is complete.
REQUIRED_ANSWERS: dict[str, dict[str, str]] = {
    ReviewMethod.HUDDLE.value: {
        "what_happened": "Say briefly what happened.",
        "lessons": "Say what the team learned.",
        "changes": "Say what will change (or why nothing needs to).",
    },
    ReviewMethod.AFTER_ACTION.value: {
        "expected": "Say what was expected to happen.",
        "what_happened": "Say what actually happened.",
        "why_difference": "Say why there was a difference.",
        "keep_doing": "Say what to keep doing.",
        "changes": "Say what to change.",
        "lessons": "Say what we learned.",
    },
    ReviewMethod.ROOT_CAUSE.value: {
        "what_happened": "Say what happened.",
        "why": "Say why it happened.",
        "conditions": "Choose the conditions that made it more likely, or describe them.",
        "changes": "Say what changes are needed to stop it happening again.",
        "lessons": "Say what we learned.",
    },
    ReviewMethod.THEMATIC.value: {
        "what_happened": "Say what the incidents have in common.",
        "findings": "Say what the review found.",
        "conditions": "Choose the conditions they share, or describe them.",
        "changes": "Say what changes are needed.",
        "lessons": "Say what we learned.",
    },
}

ANSWER_FIELDS = [
    "what_happened",
    "expected",
    "why_difference",
    "keep_doing",
    "why",
    "findings",
    "conditions_detail",
    "lessons",
    "changes",
]


def visible_reviews(user: User) -> Select[Any]:
    return scoping.scoped(db.select(LearningReview), user, LearningReview)


def get_review(user: User, review_id: int) -> LearningReview:
    return scoping.one_in_scope(visible_reviews(user), LearningReview, review_id)


def list_reviews(user: User, status: str | None = None) -> list[LearningReview]:
    stmt = visible_reviews(user).order_by(
        LearningReview.started_at.desc(), LearningReview.id.desc()
    )
    if status:
        stmt = stmt.where(LearningReview.status == status)
    return list(db.session.scalars(stmt))


def reviews_of(user: User, incident: Incident) -> list[LearningReview]:
    stmt = (
        visible_reviews(user)
        .where(LearningReview.incidents.any(Incident.id == incident.id))
        .order_by(LearningReview.started_at)
    )
    return list(db.session.scalars(stmt))


def start_review(
    user: User, method: str, incident_ids: Sequence[str], title: str = ""
) -> LearningReview:
    """Open a review of one incident or (thematic) several. Each incident's
    timeline records it, and incidents not yet under review move on."""
    _require(user, REVIEW_ROLES)
    try:
        incidents = incidents_in_scope(user, incident_ids)
    except OutOfScope:
        raise Invalid({"incident_ids": ["Choose incidents from the list."]}) from None
    if not incidents:
        raise Invalid({"incident_ids": ["Choose at least one incident."]})
    if method == ReviewMethod.THEMATIC.value and len(incidents) < 2:
        raise Invalid({"incident_ids": ["A thematic review looks at two or more incidents."]})
    incidents.sort(key=lambda i: i.occurred_at)
    method_label = ReviewMethod(method).label
    if not title.strip():
        refs = ", ".join(i.reference for i in incidents[:3])
        more = f" and {len(incidents) - 3} more" if len(incidents) > 3 else ""
        title = f"{method_label}: {refs}{more}"
    review = LearningReview(
        method=method,
        title=title.strip()[:200],
        branch_id=incidents[0].branch_id,
        author_id=user.id,
        incidents=incidents,
        conditions=[],
    )
    db.session.add(review)
    db.session.flush()
    audit.record(
        user,
        "create",
        "learning_review",
        review.id,
        method=method,
        incidents=[i.reference for i in incidents],
    )
    for incident in incidents:
        changes: dict[str, list[Any]] = dict(
            _move_status(incident, Status.UNDER_REVIEW, BEFORE_REVIEW)
        )
        if incident.reviewer_id is None:
            # Whoever starts the review leads it, unless a reviewer was assigned.
            incident.reviewer_id = user.id
            changes["reviewer"] = [None, user.name]
        _timeline(
            user,
            incident,
            "review_started",
            review=review.title,
            method=method_label,
            review_id=review.id,
            **({"changes": changes} if changes else {}),
        )
    db.session.commit()
    return review


def missing_answers(review: LearningReview) -> dict[str, list[str]]:
    """What the review's method still needs before it can be completed."""
    errors: dict[str, list[str]] = {}
    for name, message in REQUIRED_ANSWERS[review.method].items():
        if name == "conditions":
            if not review.conditions and not review.conditions_detail.strip():
                errors["conditions"] = [message]
        elif not str(getattr(review, name) or "").strip():
            errors[name] = [message]
    return errors


def completion_problems(user: User, review: LearningReview) -> dict[str, list[str]]:
    """Completing a review tells each reporter what was learned: only someone who
    may write that feedback (a manager, or the incident's reviewer) completes it,
    and it must fit in what the reporter can be told."""
    others = [
        i.reference for i in review.incidents if not incident_review.may_write_feedback(user, i)
    ]
    if others:
        return {
            "_schema": [
                "A manager, or the reviewer assigned to "
                + ", ".join(others)
                + ", completes this review: completing it tells the reporter what was learned."
            ]
        }
    if len(feedback_text(review)) > FEEDBACK_LIMIT:
        return {
            "lessons": [
                f"What we learned and what will change go to the reporter together: keep them "
                f"to {FEEDBACK_LIMIT:,} characters between them."
            ]
        }
    return {}


def feedback_text(review: LearningReview) -> str:
    """What the reporter is told: what we learned and what will change."""
    return (
        f"What we learned: {review.lessons.strip()}\n\nWhat will change: {review.changes.strip()}"
    )


def save_review(
    user: User,
    review: LearningReview,
    answers: dict[str, Any],
    *,
    complete: bool = False,
    version: int | None = None,
) -> LearningReview:
    """Save the answers; with `complete`, check the method's questions are all
    answered, then complete it: each incident's timeline records it, incidents
    move to "changes agreed" and their reporters get the feedback."""
    _require(user, REVIEW_ROLES)
    if review.is_completed:
        raise Invalid({"_schema": ["This review is complete; start a new review to add to it."]})
    _check_version(review, version)
    changed = []
    for name in ANSWER_FIELDS:
        if name in answers:
            value = (answers[name] or "").strip()
            if value != getattr(review, name):
                setattr(review, name, value)
                changed.append(name)
    if "conditions" in answers:
        chosen = [c.value for c in Condition if c.value in set(answers["conditions"] or [])]
        if chosen != list(review.conditions or []):
            review.conditions = chosen
            changed.append("conditions")
    if complete:
        errors = missing_answers(review) or completion_problems(user, review)
        if errors:
            db.session.rollback()
            raise Invalid(errors)
    if changed:
        audit.record(user, "update", "learning_review", review.id, fields=changed)
    if complete:
        review.status = ReviewStatus.COMPLETED.value
        review.completed_at = utcnow()
        review.completed_by_id = user.id
        audit.record(user, "complete", "learning_review", review.id)
        for incident in review.incidents:
            changes = _move_status(
                incident, Status.ACTIONS_AGREED, BEFORE_REVIEW | {Status.UNDER_REVIEW.value}
            )
            _timeline(
                user,
                incident,
                "review_completed",
                review=review.title,
                method=review.method_enum.label,
                review_id=review.id,
                conditions=review.condition_labels,
                **({"changes": changes} if changes else {}),
            )
            give_feedback(user, incident, feedback_text(review))
    _commit()
    return review


# --- action strength ------------------------------------------------------------------------

_WEAK = re.compile(
    r"\b(remind\w*|re-?train\w*|train(?:ing)?|refresher|coach\w*|memo|e-?mail(?:ed)? (?:all )?staff|"
    r"tell staff|told staff|be (?:more )?careful|awareness|warn\w*|read (?:the )?policy|"
    r"sign (?:the )?policy|toolbox talk|double[- ]check\w*|discuss\w* (?:at|in) (?:the )?team)\b",
    re.IGNORECASE,
)
_SYSTEM = re.compile(
    r"\b(checklist|check-list|prompt\w*|template|(?:new|revised|redesigned) form|redesign\w*|"
    r"rota\w*|staffing|equipment|sensor|alarm|handover (?:sheet|tool|record|checklist|book)|"
    r"(?:updat|revis|chang|rewrit|amend|review)\w* (?:the |their |his |her )?"
    r"(?:care plan|support plan|risk assessment|falls risk assessment)\w*|"
    r"standardis\w*|automat\w*|electronic|e-?mar|blister|pharmacy|lock\w*|remov\w*|"
    r"replac\w*|install\w*|schedul\w*|call times?|footwear|hoist|grab rails?|monitor\w* pad|"
    r"spot[- ]check\w*|sampl\w*|re-?audit\w*)\b",
    re.IGNORECASE,
)

WEAK_HINT = (
    "Reminders and training on their own are weaker actions: they fade when people are "
    "busy. Pair this with a change to the system, such as a checklist or prompt, a change "
    "to the care plan, rota or equipment, or spot checks that show the change is used."
)


@dataclass(frozen=True)
class Strength:
    level: str  # "weak", "system" or "unknown"

    @property
    def is_weak(self) -> bool:
        return self.level == "weak"

    @property
    def hint(self) -> str:
        return WEAK_HINT if self.is_weak else ""


def action_strength(title: str, detail: str = "") -> Strength:
    """The hierarchy of action strength, roughly: changes to the system (forcing
    functions, checklists, rotas, equipment) are stronger than reminders and
    training, which depend on people remembering."""
    text = f"{title} {detail}"
    if _SYSTEM.search(text):
        return Strength("system")
    if _WEAK.search(text):
        return Strength("weak")
    return Strength("unknown")


def only_weak(actions: Iterable[Action]) -> bool:
    """Every action agreed is a reminder or training: nothing changes the system."""
    items = list(actions)
    return bool(items) and all(action_strength(a.title, a.detail).is_weak for a in items)


# --- actions -----------------------------------------------------------------------------------


def visible_actions(user: User) -> Select[Any]:
    return scoping.scoped(db.select(Action), user, Action)


def get_action(user: User, action_id: int) -> Action:
    return scoping.one_in_scope(visible_actions(user), Action, action_id)


def is_overdue(action: Action, today: date) -> bool:
    """Open and past its due date (an action due today is not yet overdue)."""
    return action.status == ActionStatus.OPEN.value and action.due < today


def due_state(action: Action, today: date, soon_days: int) -> str | None:
    """ "overdue" or "due_soon" for open actions; None otherwise."""
    if action.status != ActionStatus.OPEN.value:
        return None
    if is_overdue(action, today):
        return "overdue"
    if action.due <= today + timedelta(days=soon_days):
        return "due_soon"
    return None


def _due_filter(
    stmt: Select[Any], view: str, user: User, today: date, soon_days: int
) -> Select[Any]:
    open_ = Action.status == ActionStatus.OPEN.value
    if view == "mine":
        return stmt.where(Action.owner_id == user.id, open_)
    if view == "overdue":
        return stmt.where(open_, Action.due < today)
    if view == "due_soon":
        return stmt.where(
            open_, Action.due >= today, Action.due <= today + timedelta(days=soon_days)
        )
    if view == "to_verify":
        return stmt.where(Action.status == ActionStatus.DONE.value)
    if view == "open":
        return stmt.where(open_)
    return stmt


ACTION_VIEWS = {
    "mine": "Mine",
    "overdue": "Overdue",
    "due_soon": "Due soon",
    "to_verify": "Done, to verify",
    "open": "All open",
    "all": "All",
}


def list_actions(user: User, view: str, today: date, soon_days: int) -> list[Action]:
    stmt = _due_filter(visible_actions(user), view, user, today, soon_days)
    return list(db.session.scalars(stmt.order_by(Action.due, Action.id)))


def carried_into(user: User, review: LearningReview) -> list[Action]:
    """The open actions (within scope) carried into this review."""
    stmt = visible_actions(user).where(
        Action.status == ActionStatus.OPEN.value, Action.carried_to_review_id == review.id
    )
    return list(db.session.scalars(stmt.order_by(Action.due, Action.id)))


@dataclass
class HomeActions:
    overdue: list[Action] = field(default_factory=list)
    due_soon: list[Action] = field(default_factory=list)
    to_verify: list[Action] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.due_soon or self.to_verify)


def home_actions(user: User, today: date, soon_days: int) -> HomeActions:
    """What the home page shows: the owner's own due and overdue actions; a
    manager also sees every overdue action in scope and those waiting for
    verification."""
    home = HomeActions()
    stmt = visible_actions(user).order_by(Action.due, Action.id)
    if user.role != Role.MANAGER.value:
        stmt = stmt.where(Action.owner_id == user.id)
    for action in db.session.scalars(
        stmt.where(Action.status == ActionStatus.OPEN.value).where(
            Action.due <= today + timedelta(days=soon_days)
        )
    ):
        state = due_state(action, today, soon_days)
        if state == "overdue":
            home.overdue.append(action)
        elif state == "due_soon":
            home.due_soon.append(action)
    if user.role == Role.MANAGER.value:
        home.to_verify = list(
            db.session.scalars(
                visible_actions(user)
                .where(Action.status == ActionStatus.DONE.value)
                .order_by(Action.done_at)
            )
        )
    return home


@dataclass(frozen=True)
class SourceInfo:
    type: str
    id: str
    title: str
    branch_id: int | None
    incidents: tuple[Incident, ...] = ()
    # The branches an action from it may be for (a meeting of several branches).
    branch_ids: tuple[int, ...] = ()


def resolve_source(user: User, source_type: str, source_id: str) -> SourceInfo:
    """The record an action comes from, within the caller's scope."""
    if source_type == ActionSource.INCIDENT.value:
        incident = incident_in_scope(user, source_id)
        return SourceInfo(
            "incident",
            incident.id,
            f"{incident.reference} ({label(incident.category)})",
            incident.branch_id,
            (incident,),
        )
    if source_type == ActionSource.REVIEW.value:
        review_id = record_id(source_id)
        if review_id is None:
            raise OutOfScope(source_id)
        review = get_review(user, review_id)
        return SourceInfo(
            "review", str(review.id), review.title, review.branch_id, tuple(review.incidents)
        )
    if source_type == ActionSource.MEETING.value:
        text = source_id.strip()
        if text.isdigit():
            # A governance meeting recorded in Candour, by its id.
            from governance.services import get_meeting

            meeting = get_meeting(user, int(text))
            branch_ids = tuple(b.id for b in meeting.branches)
            return SourceInfo(
                "meeting",
                str(meeting.id),
                meeting.title,
                branch_ids[0] if len(branch_ids) == 1 else None,
                branch_ids=branch_ids,
            )
        # A meeting held outside Candour (and every action raised before
        # meetings were recorded): its name, as typed.
        return SourceInfo("meeting", text, text, None)
    if source_type == ActionSource.AUDIT.value:
        return SourceInfo("audit", source_id, f"Spot check {source_id[:8]}", None)
    raise OutOfScope(source_type)


def describe_source(user: User, action: Action) -> SourceInfo:
    """An action's source for display; a source the viewer cannot see shows as
    its type alone."""
    try:
        return resolve_source(user, action.source_type, action.source_id)
    except OutOfScope:
        title = ActionSource(action.source_type).value
        if action.source_type == ActionSource.MEETING.value:
            from governance.services import meeting_title

            # Whoever may see the action may know which meeting agreed it (its
            # title and date, never its minutes): the carer who owns it, say.
            title = meeting_title(action.source_id) or f"Meeting {action.source_id}"
        return SourceInfo(action.source_type, action.source_id, title, None)


def owners_for(user: User, branch_id: int) -> list[User]:
    """Who can own an action of a branch: active staff of that branch the caller
    works with."""
    return [u for u in scoping.staff_for(user) if branch_id in u.branch_ids]


def new_action(user: User, data: dict[str, Any], today: date | None = None) -> Action:
    _require(user, ACTION_ROLES)
    today = today or uk_today()
    errors: dict[str, list[str]] = {}
    try:
        source = resolve_source(user, data["source_type"], data["source_id"])
    except OutOfScope:
        raise Invalid({"source_id": ["That record is not one you can raise actions on."]}) from None

    branch_id = source.branch_id
    if branch_id is None:
        mine = {b.id for b in scoping.branches_for(user)}
        if source.branch_ids:
            mine &= set(source.branch_ids)
        chosen = data.get("branch_id")
        if chosen in mine:
            branch_id = chosen
        elif len(mine) == 1:
            branch_id = next(iter(mine))
        else:
            errors["branch_id"] = ["Choose which branch this action is for."]
    owner = None
    if branch_id is not None:
        owner = next((u for u in owners_for(user, branch_id) if u.id == data["owner_id"]), None)
        if owner is None:
            errors["owner_id"] = ["Choose an owner who works in this branch."]
    if data["due"] < today:
        errors["due"] = ["The due date cannot be in the past."]

    trend_person_id = None
    if data.get("verification") == "trend" and data.get("trend_person_ref"):
        person = scoping.person_by_ref(user, data["trend_person_ref"])
        if person is None:
            errors["trend_person_ref"] = ["Choose a person you support, or leave this blank."]
        else:
            trend_person_id = person.id
    if errors:
        raise Invalid(errors)
    assert branch_id is not None
    assert owner is not None

    verification = data.get("verification", "none")
    action = Action(
        title=data["title"].strip(),
        detail=(data.get("detail") or "").strip(),
        status=ActionStatus.OPEN.value,
        due=data["due"],
        branch_id=branch_id,
        owner_id=owner.id,
        author_id=user.id,
        source_type=source.type,
        source_id=source.id,
        requires_verification=verification != "none",
        verification_kind=verification if verification != "none" else None,
        sample_size=(data.get("sample_size") or 1) if verification == "sample" else 1,
        sample_template=(data.get("sample_template") or None) if verification == "sample" else None,
        trend_category=data.get("trend_category") if verification == "trend" else None,
        trend_days=data.get("trend_days") if verification == "trend" else None,
        trend_person_id=trend_person_id,
    )
    db.session.add(action)
    db.session.flush()
    audit.record(
        user,
        "create",
        "action",
        action.id,
        title=action.title,
        source_type=action.source_type,
        source_id=action.source_id,
        owner_id=owner.id,
        due=action.due.isoformat(),
    )
    db.session.commit()
    return action


def actions_from(source_type: str, source_id: str) -> list[Action]:
    return list(
        db.session.scalars(
            db.select(Action)
            .where(Action.source_type == source_type, Action.source_id == str(source_id))
            .order_by(Action.due, Action.id)
        )
    )


def actions_for_incident(incident: Incident) -> list[Action]:
    """Actions raised on the incident itself or on any review of it."""
    review_ids = [
        str(r)
        for r in db.session.scalars(
            db.select(LearningReview.id).where(
                LearningReview.incidents.any(Incident.id == incident.id)
            )
        )
    ]
    stmt = db.select(Action).where(
        or_(
            and_(
                Action.source_type == ActionSource.INCIDENT.value, Action.source_id == incident.id
            ),
            and_(Action.source_type == ActionSource.REVIEW.value, Action.source_id.in_(review_ids)),
        )
    )
    return list(db.session.scalars(stmt.order_by(Action.due, Action.id)))


def mark_done(user: User, action: Action, evidence: str, version: int | None = None) -> Action:
    """The owner (or a supervisor or manager) says it is done, with evidence."""
    if action.owner_id != user.id and user.role not in ACTION_ROLES:
        raise NotAllowed()
    _check_version(action, version)
    if action.status != ActionStatus.OPEN.value:
        raise Invalid({"_schema": ["This action is already marked done."]})
    action.status = ActionStatus.DONE.value
    action.done_at = utcnow()
    action.evidence = evidence.strip()
    audit.record(user, "done", "action", action.id, evidence=action.evidence[:200])
    db.session.commit()
    return action


# --- verification -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleResult:
    """One re-audit or spot check linked to an action."""

    at: datetime
    passed: bool
    score: float | None = None
    label: str = ""
    audit_id: str | None = None


@dataclass(frozen=True)
class TrendResult:
    category: str
    days: int
    before: int
    after: int
    before_from: date
    after_to: date
    complete: bool  # the "after" period has ended

    @property
    def improved(self) -> bool:
        return self.after < self.before or (self.before == 0 and self.after == 0)


@dataclass(frozen=True)
class Evidence:
    kind: str | None
    sample_required: int = 0
    samples: tuple[SampleResult, ...] = ()
    trend: TrendResult | None = None

    @property
    def samples_passed(self) -> int:
        return sum(1 for s in self.samples if s.passed)


def sample_blockers(required: int, samples: Sequence[SampleResult]) -> list[str]:
    """A re-audit or spot-check sample proves the change when the latest
    `required` checks linked to it all passed (an earlier failure followed by
    more support and passing checks does not count against it for ever)."""
    latest = sorted(samples, key=lambda s: s.at)[-required:] if required else []
    problems = []
    if len(latest) < required:
        problems.append(
            f"It needs {required} re-audit{'s' if required != 1 else ''} or spot check"
            f"{'s' if required != 1 else ''} linked to this action; {len(latest)} so far."
        )
    failed = [s for s in latest if not s.passed]
    if failed:
        problems.append(
            f"{len(failed)} of the latest {len(latest)} check{'s' if len(latest) != 1 else ''} "
            "did not pass: the change is not shown to work yet (mark it not effective, or "
            "re-audit after more support)."
        )
    return problems


def trend_blockers(trend: TrendResult) -> list[str]:
    """A trend proves the change when the "after" period is over and there were
    fewer incidents than before (or none either side)."""
    if not trend.complete:
        return [
            f"The trend can be judged after {trend.after_to:%d %b %Y}, when the "
            f"{trend.days} days after the change are over."
        ]
    if not trend.improved:
        return [
            f"Incidents did not fall: {trend.before} in the {trend.days} days before, "
            f"{trend.after} after."
        ]
    return []


def can_judge(action: Action, evidence: Evidence) -> bool:
    """Whether a manager may record an outcome now: a done action; or an open one
    checked by a re-audit sample, since the re-audit shows whether it is in place."""
    if action.status == ActionStatus.DONE.value:
        return True
    return (
        action.status == ActionStatus.OPEN.value
        and action.requires_verification
        and evidence.kind != VerificationKind.TREND.value
    )


def verification_blockers(action: Action, evidence: Evidence) -> list[str]:
    """Why `action` cannot be marked verified effective yet (empty: it can).

    A passing re-audit sample shows the change is in place, so an action checked
    by a sample may be verified straight from open; any other action is marked
    done first."""
    if not can_judge(action, evidence):
        if action.status == ActionStatus.OPEN.value:
            return ["Only an action marked done can be verified."]
        return [f"This action is already {action.status_enum.label.lower()}."]
    if not action.requires_verification:
        return []
    if evidence.kind == VerificationKind.TREND.value:
        if evidence.trend is None:
            return ["The trend has no start yet: mark the action done first."]
        return trend_blockers(evidence.trend)
    return sample_blockers(evidence.sample_required, evidence.samples)


def trend_for(action: Action, today: date) -> TrendResult | None:
    """Incidents of the chosen kind in the branch (or for the person) in the
    days before the action was done against the same number of days after."""
    if action.done_at is None or not action.trend_category or not action.trend_days:
        return None
    return count_trend(
        branch_id=action.branch_id,
        category=action.trend_category,
        person_id=action.trend_person_id,
        pivot=action.done_at,
        days=action.trend_days,
        today=today,
    )


def count_trend(
    *,
    branch_id: int,
    category: str,
    person_id: int | None,
    pivot: datetime,
    days: int,
    today: date,
) -> TrendResult:
    window = timedelta(days=days)
    stmt = db.select(func.count(Incident.id)).where(Incident.category == category)
    stmt = stmt.where(
        Incident.person_id == person_id
        if person_id is not None
        else Incident.branch_id == branch_id
    )
    before = db.session.scalar(
        stmt.where(Incident.occurred_at >= pivot - window, Incident.occurred_at < pivot)
    )
    after = db.session.scalar(
        stmt.where(Incident.occurred_at >= pivot, Incident.occurred_at < pivot + window)
    )
    after_to = (pivot + window).astimezone(UK).date()
    return TrendResult(
        category=category,
        days=days,
        before=int(before or 0),
        after=int(after or 0),
        before_from=(pivot - window).astimezone(UK).date(),
        after_to=after_to,
        complete=today >= after_to,
    )


def sample_passed(action: Action, check: Audit) -> bool:
    """A re-audit of an action raised by a failed item passes when that item is
    met this time; any other check passes when every standard was met."""
    if action.source_item:
        answer = check.answer_for(action.source_item)
        if answer is not None and answer.answer != "na":
            return not answer.failed
    return check.outcome == Outcome.MET.value


def linked_samples(action: Action) -> list[SampleResult]:
    """The re-audits and spot checks linked to the action (Audit.reaudit_of_action),
    oldest first. They are evidence about the action, so they count whoever may
    see them."""
    checks = db.session.scalars(
        db.select(Audit)
        .where(Audit.reaudit_of_action_id == action.id)
        .order_by(Audit.conducted_at, Audit.id)
    )
    return [
        SampleResult(
            at=c.conducted_at,
            passed=sample_passed(action, c),
            score=c.score,
            label=c.template.title,
            audit_id=c.id,
        )
        for c in checks
    ]


def verification_evidence(action: Action, today: date) -> Evidence:
    if not action.requires_verification:
        return Evidence(kind=None)
    kind = action.verification_kind or VerificationKind.SAMPLE.value
    if kind == VerificationKind.TREND.value:
        return Evidence(kind=kind, trend=trend_for(action, today))
    return Evidence(
        kind=kind,
        sample_required=action.sample_size or 1,
        samples=tuple(linked_samples(action)),
    )


def verify_action(
    user: User,
    action: Action,
    outcome: str,
    note: str,
    *,
    version: int | None = None,
    today: date | None = None,
) -> Action:
    """A manager judges an action: verified effective (only when its
    verification rule is met) or not effective (with a reason)."""
    _require(user, MANAGERS)
    _check_version(action, version)
    today = today or uk_today()
    note = note.strip()
    evidence = verification_evidence(action, today)
    if outcome == "effective":
        blockers = verification_blockers(action, evidence)
        if blockers:
            raise Invalid({"outcome": blockers})
        action.status = ActionStatus.VERIFIED_EFFECTIVE.value
    elif outcome == "not_effective":
        if not can_judge(action, evidence):
            raise Invalid({"outcome": verification_blockers(action, evidence)})
        if not note:
            raise Invalid({"note": ["Say what showed it did not work, and what happens next."]})
        action.status = ActionStatus.NOT_EFFECTIVE.value
    else:
        raise Invalid({"outcome": ["Choose whether it worked."]})
    now = utcnow()
    if action.done_at is None:
        action.done_at = now
    action.verified_at = now
    action.verified_by_id = user.id
    action.verification_note = note
    audit.record(user, "verify", "action", action.id, outcome=action.status, note=note[:200])
    db.session.commit()
    return action


def carry_into_review(
    user: User, action: Action, review_id: int, version: int | None = None
) -> Action:
    """An open action taken over by another review (often thematic): that review
    now follows it, so it no longer holds up closing the incident."""
    _require(user, ACTION_ROLES)
    _check_version(action, version)
    if action.status != ActionStatus.OPEN.value:
        raise Invalid({"review_id": ["Only an open action can be carried into a review."]})
    try:
        review = get_review(user, review_id)
    except OutOfScope:
        raise Invalid({"review_id": ["Choose a review from the list."]}) from None
    if action.source_type == ActionSource.REVIEW.value and action.source_id == str(review.id):
        raise Invalid({"review_id": ["Choose a different review from the one it came from."]})
    action.carried_to_review_id = review.id
    audit.record(user, "carry", "action", action.id, review_id=review.id)
    db.session.commit()
    return action


# --- the actions API -------------------------------------------------------------------------


def _encode_cursor(action_id: int) -> str:
    return base64.urlsafe_b64encode(f"a{action_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raw = ""
    action_id = record_id(raw[1:]) if raw.startswith("a") else None
    if action_id is None:
        raise Invalid({"cursor": ["This cursor is not valid."]})
    return action_id


def page_of_actions(user: User, limit: int, cursor: str | None) -> tuple[list[Action], str | None]:
    """Newest first (by id, the order they were raised), keyset-paginated."""
    stmt = visible_actions(user).order_by(Action.id.desc())
    if cursor:
        stmt = stmt.where(Action.id < _decode_cursor(cursor))
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    items = rows[:limit]
    return items, (_encode_cursor(items[-1].id) if len(rows) > limit else None)


# --- closing an incident ---------------------------------------------------------------------


def open_actions_for(incident: Incident) -> list[Action]:
    """Actions that still hold up closing: open, and not carried into a review."""
    return [
        a
        for a in actions_for_incident(incident)
        if a.status == ActionStatus.OPEN.value and a.carried_to_review_id is None
    ]


def completed_reviews_of(incident: Incident) -> list[LearningReview]:
    return list(
        db.session.scalars(
            db.select(LearningReview)
            .where(LearningReview.incidents.any(Incident.id == incident.id))
            .where(LearningReview.status == ReviewStatus.COMPLETED.value)
        )
    )


NO_REVIEW = "Complete a learning review first, or record why no review is needed."
NO_FEEDBACK = (
    "Before closing, write what was learned and what will change: the reporter reads this."
)


def close_problems(
    incident: Incident, no_review_reason: str | None = None, feedback: str | None = None
) -> dict[str, list[str]]:
    """Why the incident cannot be closed yet, by what would put it right (empty:
    it can). Closing needs a completed learning review, or a recorded reason why
    none is needed; its actions done, or carried into a review; and feedback for
    the reporter. Every way of closing an incident checks this."""
    problems: dict[str, list[str]] = {}
    reason = (no_review_reason or incident.no_review_reason or "").strip()
    if not completed_reviews_of(incident) and not reason:
        problems["no_review_reason"] = [NO_REVIEW]
    still_open = open_actions_for(incident)
    if still_open:
        n = len(still_open)
        problems["actions"] = [
            f"{n} action{' is' if n == 1 else 's are'} still open: mark "
            f"{'it' if n == 1 else 'them'} done, or carry {'it' if n == 1 else 'them'} "
            "into a review."
        ]
    if not (feedback or incident.feedback or "").strip():
        problems["feedback"] = [NO_FEEDBACK]
    return problems


def close_blockers(incident: Incident) -> list[str]:
    """What must happen before closing, apart from writing the feedback."""
    problems = close_problems(incident)
    return [m for key in ("no_review_reason", "actions") for m in problems.get(key, [])]


def record_no_review_reason(
    actor: User, incident: Incident, no_review_reason: str | None
) -> dict[str, list[Any]]:
    """Keep the reason no review is needed (only when there is no review)."""
    reason = (no_review_reason or "").strip()
    if not reason or reason == incident.no_review_reason:
        return {}
    # Callers may be part-way through changing the incident: one flush, one version.
    with db.session.no_autoflush:
        if completed_reviews_of(incident):
            return {}
    old = incident.no_review_reason
    incident.no_review_reason = reason
    return {"no_review_reason": [old, reason]}


def close_incident(
    user: User,
    incident: Incident,
    no_review_reason: str | None = None,
    feedback: str | None = None,
    version: int | None = None,
) -> Incident:
    """A manager closes the incident (the same rule holds at triage)."""
    _require(user, MANAGERS)
    _check_version(incident, version)
    if incident.status == Status.CLOSED.value:
        raise Invalid({"_schema": ["This incident is already closed."]})
    problems = close_problems(incident, no_review_reason, feedback)
    if problems:
        raise Invalid({("_schema" if k == "actions" else k): v for k, v in problems.items()})
    changes: dict[str, list[Any]] = record_no_review_reason(user, incident, no_review_reason)
    changes["status"] = [incident.status, Status.CLOSED.value]
    incident.status = Status.CLOSED.value
    incident.closed_at = utcnow()
    _timeline(user, incident, "close", changes=changes)
    give_feedback(user, incident, feedback or "")
    _commit()
    return incident


# --- bulletins ---------------------------------------------------------------------------------


def visible_bulletins(user: User) -> Select[Any]:
    return scoping.scoped(db.select(Bulletin), user, Bulletin)


def get_bulletin(user: User, bulletin_id: int) -> Bulletin:
    return scoping.one_in_scope(visible_bulletins(user), Bulletin, bulletin_id)


def is_for(user: User, bulletin: Bulletin) -> bool:
    """Written for this member of staff (their branch and role)."""
    return bool(
        db.session.scalar(
            db.select(func.count(Bulletin.id)).where(
                Bulletin.id == bulletin.id, Bulletin.audience(user)
            )
        )
    )


def acknowledged_at(user: User, bulletin: Bulletin) -> datetime | None:
    at: datetime | None = db.session.scalar(
        db.select(Acknowledgement.at).where(
            Acknowledgement.bulletin_id == bulletin.id, Acknowledgement.user_id == user.id
        )
    )
    return at


@dataclass
class BulletinRow:
    bulletin: Bulletin
    read_at: datetime | None
    for_me: bool
    read_count: int = 0
    audience_count: int = 0


def list_bulletins(user: User) -> list[BulletinRow]:
    """Newest first; unread ones for the user first of all."""
    bulletins = list(
        db.session.scalars(visible_bulletins(user).order_by(Bulletin.published_at.desc()))
    )
    read = dict(
        db.session.execute(
            db.select(Acknowledgement.bulletin_id, Acknowledgement.at).where(
                Acknowledgement.user_id == user.id
            )
        ).all()
    )
    mine = set(db.session.scalars(db.select(Bulletin.id).where(Bulletin.audience(user))))
    rows = [BulletinRow(b, read.get(b.id), b.id in mine) for b in bulletins]
    if user.role in (Role.MANAGER.value, Role.SUPERVISOR.value, Role.OFFICE.value):
        counts = read_counts(bulletins)
        for row in rows:
            row.read_count, row.audience_count = counts[row.bulletin.id]
    rows.sort(key=lambda r: (not (r.for_me and r.read_at is None),))
    return rows


def read_counts(
    bulletins: Sequence[Bulletin], branch_ids: Iterable[int] | None = None
) -> dict[int, tuple[int, int]]:
    """(read, sent to) for each bulletin, in one query however many there are;
    with `branch_ids`, only staff of those branches count (a manager of one
    branch sees their own staff's reading of a bulletin sent more widely).
    The audience is active staff of a bulletin's branches with one of its roles
    (any role when it names none), each counted once."""
    if not bulletins:
        return {}
    sent_to = bulletin_branches.c
    member = user_branches.c
    role_rows = db.select(BulletinRole.bulletin_id).where(
        BulletinRole.bulletin_id == sent_to.bulletin_id
    )
    audience = (
        db.select(sent_to.bulletin_id, User.id.label("user_id"))
        .distinct()
        .join(user_branches, member.branch_id == sent_to.branch_id)
        .join(User, User.id == member.user_id)
        .where(sent_to.bulletin_id.in_([b.id for b in bulletins]))
        .where(User.active.is_(True))
        .where(
            or_(
                ~role_rows.exists(),
                role_rows.where(BulletinRole.role == User.role).exists(),
            )
        )
    )
    if branch_ids is not None:
        audience = audience.where(sent_to.branch_id.in_(list(branch_ids)))
    who = audience.subquery()
    counts = dict.fromkeys((b.id for b in bulletins), (0, 0))
    for bulletin_id, read, total in db.session.execute(
        db.select(who.c.bulletin_id, func.count(Acknowledgement.id), func.count())
        .select_from(who)
        .outerjoin(
            Acknowledgement,
            and_(
                Acknowledgement.bulletin_id == who.c.bulletin_id,
                Acknowledgement.user_id == who.c.user_id,
            ),
        )
        .group_by(who.c.bulletin_id)
    ):
        counts[bulletin_id] = (read, total)
    return counts


def unread_bulletins(user: User) -> list[Bulletin]:
    acknowledged = db.select(Acknowledgement.bulletin_id).where(Acknowledgement.user_id == user.id)
    return list(
        db.session.scalars(
            db.select(Bulletin)
            .where(Bulletin.audience(user))
            .where(Bulletin.id.not_in(acknowledged))
            .order_by(Bulletin.published_at.desc())
        )
    )


@dataclass(frozen=True)
class Reader:
    user: User
    read_at: datetime | None


def audience_members(bulletin: Bulletin) -> list[User]:
    branch_ids = [b.id for b in bulletin.branches]
    stmt = (
        db.select(User)
        .where(User.active.is_(True))
        .where(User.branches.any(Branch.id.in_(branch_ids)))
        .order_by(User.name)
    )
    if bulletin.roles:
        stmt = stmt.where(User.role.in_(bulletin.roles))
    return list(db.session.scalars(stmt))


def readership(bulletin: Bulletin) -> list[Reader]:
    """Everyone the bulletin was sent to, and when each confirmed reading it."""
    read = dict(
        db.session.execute(
            db.select(Acknowledgement.user_id, Acknowledgement.at).where(
                Acknowledgement.bulletin_id == bulletin.id
            )
        ).all()
    )
    return [Reader(u, read.get(u.id)) for u in audience_members(bulletin)]


def bulletin_draft(user: User, review_ids: Sequence[int]) -> dict[str, Any]:
    """A bulletin prefilled from reviews, with names and references taken out."""
    reviews = [get_review(user, r) for r in review_ids]
    ids = anonymise.known_identifiers()

    def join(parts: Iterable[str]) -> str:
        return "\n\n".join(anonymise.scrub(p.strip(), ids) for p in parts if p and p.strip())

    branch_ids = sorted({i.branch_id for r in reviews for i in r.incidents})
    return {
        "title": anonymise.scrub(reviews[0].title, ids) if len(reviews) == 1 else "",
        "what_happened": join(r.what_happened for r in reviews),
        "what_learned": join(r.lessons for r in reviews),
        "what_changes": join(r.changes for r in reviews),
        "branch_ids": branch_ids,
        "roles": [],
        "review_ids": [r.id for r in reviews],
    }


def new_bulletin(user: User, data: dict[str, Any]) -> Bulletin:
    """Publish a bulletin to staff of the chosen branches (and roles). Text that
    still names someone or carries a reference is refused: bulletins go to
    every carer."""
    _require(user, MANAGERS)
    errors: dict[str, list[str]] = {}
    mine = {b.id: b for b in scoping.branches_for(user)}
    chosen = [mine[i] for i in dict.fromkeys(data["branch_ids"]) if i in mine]
    if len(chosen) != len(set(data["branch_ids"])) or not chosen:
        errors["branch_ids"] = ["Choose branches from the list."]
    reviews = []
    for review_id in dict.fromkeys(data.get("review_ids") or []):
        try:
            reviews.append(get_review(user, review_id))
        except OutOfScope:
            errors["review_ids"] = ["Choose reviews from the list."]
    ids = anonymise.known_identifiers()
    for name in ("title", "what_happened", "what_learned", "what_changes"):
        found = anonymise.identifiers_in(data[name], ids)
        if found:
            errors[name] = [
                "Take out names and references before sending: "
                + ", ".join(f"“{f}”" for f in found)
                + "."
            ]
    if errors:
        raise Invalid(errors)
    bulletin = Bulletin(
        title=data["title"].strip(),
        what_happened=data["what_happened"].strip(),
        what_learned=data["what_learned"].strip(),
        what_changes=data["what_changes"].strip(),
        author_id=user.id,
        branches=chosen,
        role_rows=[BulletinRole(role=r) for r in dict.fromkeys(data.get("roles") or [])],
        reviews=reviews,
    )
    db.session.add(bulletin)
    db.session.flush()
    audit.record(
        user,
        "create",
        "bulletin",
        bulletin.id,
        branches=[b.code for b in chosen],
        roles=bulletin.roles,
        reviews=[r.id for r in reviews],
    )
    db.session.commit()
    return bulletin


def acknowledge(user: User, bulletin: Bulletin) -> Acknowledgement:
    """The reader confirms they have read and understood it. Saying so twice is
    the same as once."""
    return record_acknowledgement(user, bulletin)[0]


def record_acknowledgement(
    user: User, bulletin: Bulletin, read_at: datetime | None = None
) -> tuple[Acknowledgement, bool]:
    """As `acknowledge`, also for a confirmation made on a phone with no signal and
    sent later: `read_at` is when it was tapped, on the phone's clock, kept within
    [published, now] so a wrong clock cannot put it outside what is possible.
    Returns the acknowledgement and whether it is new."""
    if not is_for(user, bulletin):
        raise NotAllowed()
    existing = _acknowledgement(user, bulletin)
    if existing is not None:
        return existing, False
    now = utcnow()
    at = min(max(read_at or now, bulletin.published_at), now)
    ack = Acknowledgement(bulletin_id=bulletin.id, user_id=user.id, at=at)
    db.session.add(ack)
    audit.record(user, "acknowledge", "bulletin", bulletin.id, read_at=at.isoformat())
    try:
        db.session.commit()
    except IntegrityError:
        # The same confirmation arrived twice at once (the page and the outbox):
        # the other one was kept, which is the same thing.
        db.session.rollback()
        kept = _acknowledgement(user, bulletin)
        if kept is None:
            raise
        return kept, False
    return ack, True


def _acknowledgement(user: User, bulletin: Bulletin) -> Acknowledgement | None:
    found: Acknowledgement | None = db.session.scalar(
        db.select(Acknowledgement).where(
            Acknowledgement.bulletin_id == bulletin.id, Acknowledgement.user_id == user.id
        )
    )
    return found


# --- team debrief and supervision notes -----------------------------------------------------


def notes_about(user: User, bulletin: Bulletin) -> list[BriefingNote]:
    return list(
        db.session.scalars(
            scoping.scoped(db.select(BriefingNote), user, BriefingNote)
            .where(BriefingNote.bulletin_id == bulletin.id)
            .order_by(BriefingNote.held_on.desc(), BriefingNote.id.desc())
        )
    )


def add_briefing_note(
    user: User, data: dict[str, Any], bulletin: Bulletin | None = None, today: date | None = None
) -> BriefingNote:
    _require(user, ACTION_ROLES)
    today = today or uk_today()
    errors: dict[str, list[str]] = {}
    mine = {b.id for b in scoping.branches_for(user)}
    if data["branch_id"] not in mine:
        errors["branch_id"] = ["Choose one of your branches."]
    elif bulletin is not None and data["branch_id"] not in {b.id for b in bulletin.branches}:
        errors["branch_id"] = ["Choose a branch the bulletin was sent to."]
    if data["held_on"] > today:
        errors["held_on"] = ["The date cannot be in the future."]
    staff = {u.id: u for u in scoping.staff_for(user) if data["branch_id"] in u.branch_ids}
    attendees = [staff[i] for i in dict.fromkeys(data["attendee_ids"]) if i in staff]
    if len(attendees) != len(set(data["attendee_ids"])):
        errors["attendee_ids"] = ["Choose staff of that branch from the list."]
    if errors:
        raise Invalid(errors)
    note = BriefingNote(
        kind=NoteKind(data["kind"]).value,
        held_on=data["held_on"],
        branch_id=data["branch_id"],
        author_id=user.id,
        bulletin_id=bulletin.id if bulletin is not None else None,
        note=data["note"].strip(),
        attendees=attendees,
    )
    db.session.add(note)
    db.session.flush()
    audit.record(
        user,
        "create",
        "briefing_note",
        note.id,
        kind=note.kind,
        bulletin_id=note.bulletin_id,
        attendees=[u.id for u in attendees],
    )
    db.session.commit()
    return note


# --- case studies ---------------------------------------------------------------------------


def visible_case_studies(user: User) -> Select[Any]:
    return scoping.scoped(db.select(CaseStudy), user, CaseStudy)


def get_case_study(user: User, case_study_id: int) -> CaseStudy:
    _require(user, MANAGERS)
    return scoping.one_in_scope(visible_case_studies(user), CaseStudy, case_study_id)


def list_case_studies(user: User) -> list[CaseStudy]:
    _require(user, MANAGERS)
    return list(
        db.session.scalars(visible_case_studies(user).order_by(CaseStudy.updated_at.desc()))
    )


def _month(moment: datetime) -> str:
    return moment.astimezone(UK).strftime("%B %Y")


def _a(phrase: str) -> str:
    return f"an {phrase}" if phrase[:1].lower() in "aeiou" else f"a {phrase}"


def case_study_evidence(
    incident: Incident, reviews: Sequence[LearningReview], actions: Sequence[Action], today: date
) -> list[str]:
    """The measured evidence, sentence by sentence: re-audits, trends before and
    after, verification, and staff reading the learning."""
    lines: list[str] = []
    for action in actions:
        evidence = verification_evidence(action, today)
        if evidence.kind == VerificationKind.SAMPLE.value and evidence.samples:
            scores = [s.score for s in evidence.samples if s.score is not None]
            average = f", average score {sum(scores) / len(scores):.0f}%" if scores else ""
            lines.append(
                f"Re-audit after “{action.title}”: {evidence.samples_passed} of "
                f"{len(evidence.samples)} spot checks passed{average}."
            )
        if evidence.kind == VerificationKind.TREND.value and evidence.trend is not None:
            t = evidence.trend
            period = "" if t.complete else " so far"
            lines.append(
                f"{label(t.category)} incidents: {t.before} in the {t.days} days before "
                f"“{action.title}”, {t.after} in the {t.days} days after{period}."
            )
    # The incident's own kind of event in its branch, around the first change.
    done = [a.done_at for a in actions if a.done_at is not None]
    pivot = min(done) if done else None
    if pivot is None:
        completed = [r.completed_at for r in reviews if r.completed_at is not None]
        pivot = min(completed) if completed else None
    if pivot is not None and not any(
        a.verification_kind == VerificationKind.TREND.value
        and a.trend_category == incident.category
        for a in actions
    ):
        t = count_trend(
            branch_id=incident.branch_id,
            category=incident.category,
            person_id=None,
            pivot=pivot,
            days=30,
            today=today,
        )
        period = "" if t.complete else " so far"
        lines.append(
            f"{label(t.category)} incidents in the branch: {t.before} in the 30 days before "
            f"the changes, {t.after} in the 30 days after{period}."
        )
    judged = [
        a
        for a in actions
        if a.status in (ActionStatus.VERIFIED_EFFECTIVE.value, ActionStatus.NOT_EFFECTIVE.value)
    ]
    if actions:
        effective = sum(1 for a in judged if a.status == ActionStatus.VERIFIED_EFFECTIVE.value)
        lines.append(
            f"{effective} of {len(actions)} action{'s' if len(actions) != 1 else ''} verified "
            "effective by the registered manager."
        )
    review_ids = [r.id for r in reviews]
    if review_ids:
        bulletins = list(
            db.session.scalars(
                db.select(Bulletin).where(Bulletin.reviews.any(LearningReview.id.in_(review_ids)))
            )
        )
        counts = read_counts(bulletins)
        notes_per_bulletin = dict(
            db.session.execute(
                db.select(BriefingNote.bulletin_id, func.count(BriefingNote.id))
                .where(BriefingNote.bulletin_id.in_([b.id for b in bulletins]))
                .group_by(BriefingNote.bulletin_id)
            ).all()
        )
        for bulletin in bulletins:
            read, sent_to = counts[bulletin.id]
            lines.append(
                f"{read} of {sent_to} staff confirmed they had read the learning bulletin about it."
            )
            notes = notes_per_bulletin.get(bulletin.id, 0)
            if notes:
                lines.append(
                    f"Discussed in {notes} team debrief or supervision session"
                    f"{'s' if notes != 1 else ''}."
                )
    return lines


def compose_case_study(
    incident: Incident,
    reviews: Sequence[LearningReview],
    actions: Sequence[Action],
    today: date,
    ids: anonymise.Identifiers,
) -> dict[str, str]:
    """The five sections the tender tip asks for, anonymised."""

    def clean(text: str) -> str:
        return anonymise.scrub(text.strip(), ids)

    kind = "near miss" if incident.kind == "near_miss" else "incident"
    category = label(incident.category).lower()
    if incident.medication_error:
        category = f"medication ({label(incident.medication_error).lower()})"
    time_critical = ", involving a time-critical medicine" if incident.time_critical else ""
    event = (
        f"In {_month(incident.occurred_at)}, {_a(category)} {kind}{time_critical} "
        f"({label(incident.harm).lower()}). {clean(incident.what_happened)}\n\n"
        f"Straight away: {clean(incident.immediate_actions)}"
    )
    process_parts = []
    for review in reviews:
        part = f"We used {_a(review.method_enum.label.lower())}: {review.method_enum.hint.lower()}"
        if review.method == ReviewMethod.THEMATIC.value:
            part += f" It looked at {len(review.incidents)} incidents together."
        if review.condition_labels:
            part += (
                " Contributing conditions: "
                + ", ".join(c.lower() for c in review.condition_labels)
                + "."
            )
        for text in (review.why_difference, review.why, review.findings, review.conditions_detail):
            if text.strip():
                part += f" {clean(text)}"
        process_parts.append(part)
    action_lines = []
    for action in actions:
        status = action.status_enum.label.lower()
        when = f", done {action.done_at.astimezone(UK):%B %Y}" if action.done_at else ""
        action_lines.append(f"- {clean(action.title)} ({status}{when})")
    changed = "\n\n".join(clean(t) for r in reviews for t in (r.changes, r.lessons) if t.strip())
    evidence = "\n".join(
        f"- {clean(line)}" for line in case_study_evidence(incident, reviews, actions, today)
    )
    title = f"Learning from {_a(category)} {kind}"
    return {
        "title": title[:200],
        "event": event,
        "review_process": "\n\n".join(process_parts),
        "action_taken": "\n".join(action_lines),
        "what_changed": changed,
        "evidence": evidence,
    }


CASE_STUDY_SECTIONS = [
    ("event", "The event"),
    ("review_process", "How we reviewed it"),
    ("action_taken", "What we did"),
    ("what_changed", "What changed"),
    ("evidence", "How we know it worked"),
]


def draft_case_study(user: User, incident_id: str, today: date | None = None) -> CaseStudy:
    """A draft from the incident, its completed reviews, actions and evidence,
    with names and references taken out, for the manager to edit."""
    _require(user, MANAGERS)
    try:
        incident = incident_in_scope(user, incident_id)
    except OutOfScope:
        raise Invalid({"incident_id": ["Choose an incident from the list."]}) from None
    reviews = [r for r in reviews_of(user, incident) if r.is_completed]
    if not reviews:
        raise Invalid(
            {
                "incident_id": [
                    "Complete a learning review of this incident first: a case study shows "
                    "what was learned."
                ]
            }
        )
    sections = compose_case_study(
        incident,
        reviews,
        actions_for_incident(incident),
        today or uk_today(),
        anonymise.known_identifiers(),
    )
    case_study = CaseStudy(
        incident_id=incident.id, branch_id=incident.branch_id, author_id=user.id, **sections
    )
    db.session.add(case_study)
    db.session.flush()
    audit.record(user, "create", "case_study", case_study.id, incident=incident.reference)
    db.session.commit()
    return case_study


def save_case_study(
    user: User, case_study: CaseStudy, data: dict[str, Any], version: int | None = None
) -> CaseStudy:
    _require(user, MANAGERS)
    _check_version(case_study, version)
    changed = []
    for name in ("title", *(key for key, _ in CASE_STUDY_SECTIONS)):
        value = (data.get(name) or "").strip()
        if value != getattr(case_study, name):
            setattr(case_study, name, value)
            changed.append(name)
    if changed:
        case_study.updated_at = utcnow()
        audit.record(user, "update", "case_study", case_study.id, fields=changed)
    db.session.commit()
    return case_study


def case_study_warnings(case_study: CaseStudy) -> list[str]:
    """Anything left that looks like a name or reference."""
    ids = anonymise.known_identifiers()
    text = "\n".join(
        [case_study.title, *(getattr(case_study, key) for key, _ in CASE_STUDY_SECTIONS)]
    )
    return anonymise.identifiers_in(text, ids)


def case_study_markdown(case_study: CaseStudy) -> str:
    parts = [f"# {case_study.title}"]
    for key, heading in CASE_STUDY_SECTIONS:
        text = getattr(case_study, key).strip()
        if text:
            parts.append(f"## {heading}\n\n{text}")
    return "\n\n".join(parts) + "\n"


def record_export(user: User, case_study: CaseStudy, fmt: str) -> None:
    audit.record(user, "export", "case_study", case_study.id, format=fmt)
    db.session.commit()


# --- an incident's learning, in one place ----------------------------------------------------


@dataclass
class IncidentLearning:
    incident: Incident
    reviews: list[LearningReview]
    actions: list[Action]
    close_blockers: list[str]
    case_studies: list[CaseStudy]


def incident_learning(user: User, incident: Incident) -> IncidentLearning:
    case_studies: list[CaseStudy] = []
    if user.role in MANAGERS:
        case_studies = list(
            db.session.scalars(
                visible_case_studies(user).where(CaseStudy.incident_id == incident.id)
            )
        )
    actions = actions_for_incident(incident)
    # Of the incident's actions, those this user may see (one query on their ids,
    # not every action in scope).
    visible = set(
        db.session.scalars(
            visible_actions(user)
            .with_only_columns(Action.id)
            .where(Action.id.in_([a.id for a in actions]))
        )
    )
    return IncidentLearning(
        incident=incident,
        reviews=reviews_of(user, incident),
        actions=[a for a in actions if a.id in visible],
        close_blockers=close_blockers(incident) if incident.status != Status.CLOSED.value else [],
        case_studies=case_studies,
    )
