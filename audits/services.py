"""The rules for spot checks: scoring, versioned templates, saving an audit
exactly once and raising actions for failed critical items, re-audits that verify
an action, schedules, and failure rates. Pages, the sync API and the seed all call
these; no request objects here."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func
from sqlalchemy.exc import IntegrityError

from actions import reading
from actions.models import Action, ActionSource, ActionStatus
from audits.models import (
    Answer,
    Audit,
    AuditAnswer,
    AuditSchedule,
    AuditTemplate,
    AuditTemplateItem,
    Outcome,
)
from core import pagination, scoping, trail
from core.dates import UK, last_months, month_key, uk_midnight, utcnow
from core.errors import IdConflict, Invalid, NotAllowed, OutOfScope
from core.models import Branch, PersonSupported, Role, User
from core.permissions import require_role
from extensions import db
from incidents.services import content_hash

CONDUCTING_ROLES = frozenset({Role.SUPERVISOR, Role.MANAGER})
MANAGERS = frozenset({Role.MANAGER})
OBSERVABLE_ROLES = frozenset({Role.CARER, Role.SUPERVISOR, Role.MANAGER})
ACTION_DUE_DAYS = 7
DUE_SOON_DAYS = 3


# --- scoring -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    score: float | None
    outcome: Outcome
    failed: int
    critical_failed: int


def score_answers(answers: Iterable[tuple[int, bool, str]], pass_mark: int) -> Scored:
    """(weight, critical, answer) per item -> the score and outcome.

    The score is the weight answered yes as a percentage of the weight answered
    yes or no: n/a is left out altogether, so it neither helps nor hurts. When
    nothing applied there is no score. Any failed critical item means the
    standard was not met, whatever the score.
    """
    applicable = [(w, c, a) for w, c, a in answers if a != Answer.NA]
    possible = sum(w for w, _, _ in applicable)
    achieved = sum(w for w, _, a in applicable if a == Answer.YES)
    failed = sum(1 for _, _, a in applicable if a == Answer.NO)
    critical_failed = sum(1 for _, c, a in applicable if c and a == Answer.NO)
    score = round(100 * achieved / possible, 1) if possible else None
    if critical_failed:
        outcome = Outcome.NOT_MET
    elif score is None:
        outcome = Outcome.NOT_SCORED
    elif score >= pass_mark:
        outcome = Outcome.MET
    else:
        outcome = Outcome.PARTLY_MET
    return Scored(score, outcome, failed, critical_failed)


# --- templates -----------------------------------------------------------------------


def slugify(text: str, limit: int = 60) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "item"


def published_templates() -> list[AuditTemplate]:
    """The current (latest published) version of every template, by title."""
    latest = (
        db.select(AuditTemplate.slug, func.max(AuditTemplate.version).label("version"))
        .where(AuditTemplate.published_at.is_not(None))
        .group_by(AuditTemplate.slug)
        .subquery()
    )
    stmt = (
        db.select(AuditTemplate)
        .join(
            latest,
            and_(AuditTemplate.slug == latest.c.slug, AuditTemplate.version == latest.c.version),
        )
        .order_by(AuditTemplate.title)
    )
    return list(db.session.scalars(stmt))


def current_template(slug: str) -> AuditTemplate | None:
    template: AuditTemplate | None = db.session.scalar(
        db.select(AuditTemplate)
        .where(AuditTemplate.slug == slug, AuditTemplate.published_at.is_not(None))
        .order_by(AuditTemplate.version.desc())
        .limit(1)
    )
    return template


def template_version(slug: str, version: int) -> AuditTemplate | None:
    template: AuditTemplate | None = db.session.scalar(
        db.select(AuditTemplate).where(AuditTemplate.slug == slug, AuditTemplate.version == version)
    )
    return template


def draft_of(slug: str) -> AuditTemplate | None:
    template: AuditTemplate | None = db.session.scalar(
        db.select(AuditTemplate).where(
            AuditTemplate.slug == slug, AuditTemplate.published_at.is_(None)
        )
    )
    return template


def template_slugs() -> list[str]:
    return list(
        db.session.scalars(db.select(AuditTemplate.slug).distinct().order_by(AuditTemplate.slug))
    )


def versions_of(slug: str) -> list[AuditTemplate]:
    return list(
        db.session.scalars(
            db.select(AuditTemplate)
            .where(AuditTemplate.slug == slug)
            .order_by(AuditTemplate.version.desc())
        )
    )


def audits_per_version(slug: str) -> dict[int, int]:
    rows = db.session.execute(
        db.select(AuditTemplate.version, func.count(Audit.id))
        .join(Audit, Audit.template_id == AuditTemplate.id)
        .where(AuditTemplate.slug == slug)
        .group_by(AuditTemplate.version)
    )
    return {int(row[0]): int(row[1]) for row in rows}


def _editable(draft: AuditTemplate) -> None:
    # A published version is what audits were answered against: never changed.
    if not draft.is_draft:
        raise Invalid({"_schema": ["A published version cannot be changed; start a new draft."]})


def create_template(manager: User, data: dict[str, Any]) -> AuditTemplate:
    """A new template, as a draft of version 1."""
    require_role(manager, MANAGERS)
    slug = data.get("slug") or slugify(data["title"])
    if db.session.scalar(db.select(AuditTemplate.id).where(AuditTemplate.slug == slug).limit(1)):
        raise Invalid(
            {"slug": [f"There is already a template called {slug}; choose another name."]}
        )
    template = AuditTemplate(
        slug=slug,
        version=1,
        title=data["title"].strip(),
        description=(data.get("description") or "").strip(),
        pass_mark=data.get("pass_mark", 80),
        created_by_id=manager.id,
    )
    db.session.add(template)
    db.session.flush()
    trail.record(manager, "create", "audit_template", f"{slug}@1", title=template.title)
    db.session.commit()
    return template


def start_draft(manager: User, slug: str) -> AuditTemplate:
    """The draft of the next version: a copy of the current one to edit."""
    require_role(manager, MANAGERS)
    existing = draft_of(slug)
    if existing is not None:
        return existing
    current = current_template(slug)
    if current is None:
        raise OutOfScope(slug)
    draft = AuditTemplate(
        slug=slug,
        version=current.version + 1,
        title=current.title,
        description=current.description,
        pass_mark=current.pass_mark,
        created_by_id=manager.id,
        items=[_copy_item(item) for item in current.items],
    )
    db.session.add(draft)
    trail.record(
        manager, "create", "audit_template", f"{slug}@{draft.version}", draft_of=current.version
    )
    try:
        db.session.commit()
    except IntegrityError:
        # Another manager started the same draft a moment ago: edit theirs.
        db.session.rollback()
        concurrent = draft_of(slug)
        if concurrent is None:
            raise
        return concurrent
    return draft


def _copy_item(item: AuditTemplateItem) -> AuditTemplateItem:
    return AuditTemplateItem(
        key=item.key,
        position=item.position,
        section=item.section,
        text=item.text,
        guidance=item.guidance,
        answer_set=item.answer_set,
        weight=item.weight,
        critical=item.critical,
        note_required_when_failed=item.note_required_when_failed,
    )


def update_details(manager: User, draft: AuditTemplate, data: dict[str, Any]) -> None:
    require_role(manager, MANAGERS)
    _editable(draft)
    draft.title = data["title"].strip()
    draft.description = (data.get("description") or "").strip()
    draft.pass_mark = data.get("pass_mark", draft.pass_mark)
    trail.record(manager, "change", "audit_template", f"{draft.slug}@{draft.version}", details=True)
    db.session.commit()


def _all_keys(slug: str) -> set[str]:
    return set(
        db.session.scalars(
            db.select(AuditTemplateItem.key).join(AuditTemplate).where(AuditTemplate.slug == slug)
        )
    )


def _renumber(draft: AuditTemplate) -> None:
    for n, item in enumerate(sorted(draft.items, key=lambda i: i.position)):
        item.position = n


def add_item(manager: User, draft: AuditTemplate, data: dict[str, Any]) -> AuditTemplateItem:
    """A new question at the end. Its key is new for this template: a retired
    item's key is never reused, so old failure rates keep their meaning."""
    require_role(manager, MANAGERS)
    _editable(draft)
    used = _all_keys(draft.slug)
    base = slugify(data["text"], 60)
    key, n = base, 2
    while key in used:
        key = f"{base}-{n}"
        n += 1
    item = AuditTemplateItem(
        key=key,
        position=max((i.position for i in draft.items), default=-1) + 1,
        **_item_fields(data),
    )
    draft.items.append(item)
    trail.record(manager, "change", "audit_template", f"{draft.slug}@{draft.version}", added=key)
    db.session.commit()
    return item


def _item_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "section": data.get("section", ""),
        "text": data["text"],
        "guidance": data.get("guidance", ""),
        "answer_set": data.get("answer_set", "yes_no"),
        "weight": data.get("weight", 1),
        "critical": bool(data.get("critical")),
        "note_required_when_failed": bool(data.get("note_required_when_failed")),
    }


def _draft_item(draft: AuditTemplate, key: str) -> AuditTemplateItem:
    item = draft.item(key)
    if item is None:
        raise OutOfScope(key)
    return item


def update_item(manager: User, draft: AuditTemplate, key: str, data: dict[str, Any]) -> None:
    require_role(manager, MANAGERS)
    _editable(draft)
    item = _draft_item(draft, key)
    for name, value in _item_fields(data).items():
        setattr(item, name, value)
    trail.record(manager, "change", "audit_template", f"{draft.slug}@{draft.version}", changed=key)
    db.session.commit()


def move_item(manager: User, draft: AuditTemplate, key: str, direction: str) -> None:
    require_role(manager, MANAGERS)
    _editable(draft)
    items = sorted(draft.items, key=lambda i: i.position)
    item = _draft_item(draft, key)
    n = items.index(item)
    other = n - 1 if direction == "up" else n + 1
    if 0 <= other < len(items):
        items[n], items[other] = items[other], items[n]
        for position, each in enumerate(items):
            each.position = position
        trail.record(
            manager, "change", "audit_template", f"{draft.slug}@{draft.version}", moved=key
        )
        db.session.commit()


def retire_item(manager: User, draft: AuditTemplate, key: str) -> None:
    """Leave a question out of the next version (older versions keep it)."""
    require_role(manager, MANAGERS)
    _editable(draft)
    item = _draft_item(draft, key)
    if len(draft.items) == 1:
        raise Invalid({"_schema": ["A template needs at least one question."]})
    draft.items.remove(item)
    _renumber(draft)
    trail.record(manager, "change", "audit_template", f"{draft.slug}@{draft.version}", retired=key)
    db.session.commit()


def retired_items(draft: AuditTemplate) -> list[AuditTemplateItem]:
    """Questions of earlier versions that the draft leaves out (latest wording)."""
    in_draft = {i.key for i in draft.items}
    seen: dict[str, AuditTemplateItem] = {}
    for version in versions_of(draft.slug):
        if version.is_draft:
            continue
        for item in version.items:
            if item.key not in in_draft and item.key not in seen:
                seen[item.key] = item
    return list(seen.values())


def restore_item(manager: User, draft: AuditTemplate, key: str) -> None:
    require_role(manager, MANAGERS)
    _editable(draft)
    retired = {i.key: i for i in retired_items(draft)}
    if key not in retired:
        raise OutOfScope(key)
    copy = _copy_item(retired[key])
    copy.position = max((i.position for i in draft.items), default=-1) + 1
    draft.items.append(copy)
    trail.record(manager, "change", "audit_template", f"{draft.slug}@{draft.version}", restored=key)
    db.session.commit()


def publish(manager: User, draft: AuditTemplate) -> AuditTemplate:
    """The draft becomes the version new spot checks use."""
    require_role(manager, MANAGERS)
    _editable(draft)
    if not draft.items:
        raise Invalid({"_schema": ["Add at least one question before publishing."]})
    draft.published_at = utcnow()
    draft.published_by_id = manager.id
    trail.record(manager, "publish", "audit_template", f"{draft.slug}@{draft.version}")
    db.session.commit()
    return draft


def discard_draft(manager: User, draft: AuditTemplate) -> None:
    require_role(manager, MANAGERS)
    _editable(draft)
    trail.record(manager, "discard", "audit_template", f"{draft.slug}@{draft.version}")
    db.session.delete(draft)
    db.session.commit()


# --- audits: saving --------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    audit: Audit
    created: bool


def observable_staff(author: User) -> list[User]:
    """Colleagues a supervisor or manager may spot-check (not themselves)."""
    return [
        u for u in scoping.staff_for(author) if u.id != author.id and u.role in OBSERVABLE_ROLES
    ]


def default_action_owner(branch: Branch, fallback: User) -> User:
    """A registered manager of the branch (the supervisor's manager)."""
    manager: User | None = db.session.scalar(
        db.select(User)
        .where(User.role == Role.MANAGER.value, User.active.is_(True))
        .where(User.branches.any(Branch.id == branch.id))
        .order_by(User.name, User.id)
        .limit(1)
    )
    return manager or fallback


def create_audit(author: User, data: dict[str, Any]) -> Receipt:
    """Save a validated spot check exactly once, with its score, outcome and an
    action for every failed critical item.

    Same id and content: the first record (created=False). Same id and other
    content: IdConflict. The primary key is the device's UUID, so concurrent
    duplicates end as one row.
    """
    require_role(author, CONDUCTING_ROLES)
    audit_id = str(data["id"])
    digest = content_hash(author, data)
    existing = db.session.get(Audit, audit_id)
    if existing is not None:
        return _replay(existing, digest)

    template, observed, action, errors = _check(author, data)
    if errors:
        raise Invalid(errors)
    assert template is not None
    assert observed is not None
    branch, person = _resolve_branch(author, observed, data)

    items = {i.key: i for i in template.items}
    answers = data["answers"]
    scored = score_answers(
        ((items[a["item"]].weight, items[a["item"]].critical, a["answer"]) for a in answers),
        template.pass_mark,
    )
    received = utcnow()
    audit = Audit(
        id=audit_id,
        content_hash=digest,
        template_id=template.id,
        conducted_at=data["conducted_at"],
        conducted_offset=_offset_minutes(data["conducted_at"]),
        received_at=received,
        branch_id=branch.id,
        author_id=author.id,
        observed_user_id=observed.id,
        person_id=person.id if person is not None else None,
        reaudit_of_action_id=action.id if action is not None else None,
        score=scored.score,
        outcome=scored.outcome.value,
        feedback=data.get("feedback") or "",
        answers=[
            AuditAnswer(
                item_id=items[a["item"]].id,
                item_key=a["item"],
                position=items[a["item"]].position,
                answer=a["answer"],
                note=a.get("note") or "",
            )
            for a in answers
        ],
    )
    owner = default_action_owner(branch, author)
    try:
        db.session.add(audit)
        raised = [
            _new_action(
                author,
                audit,
                template,
                observed,
                branch,
                person,
                items[a["item"]],
                a.get("note") or "",
                owner=owner,
            )
            for a in answers
            if items[a["item"]].critical and a["answer"] == Answer.NO
        ]
        # The insert happens here: a concurrent duplicate fails now, not later.
        db.session.flush()
        trail.record(
            author,
            "create",
            "audit",
            audit_id,
            template=template.slug,
            version=template.version,
            score=scored.score,
            outcome=scored.outcome.value,
            actions=[a.id for a in raised],
        )
        for new in raised:
            trail.record(author, "create", "action", new.id, source="audit", audit=audit_id)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        winner = db.session.get(Audit, audit_id)
        if winner is None:
            raise
        return _replay(winner, digest)
    return Receipt(audit, created=True)


def _replay(existing: Audit, digest: str) -> Receipt:
    if existing.content_hash != digest:
        raise IdConflict(existing)
    return Receipt(existing, created=False)


def _offset_minutes(moment: datetime) -> int:
    offset = moment.utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def _check(
    author: User, data: dict[str, Any]
) -> tuple[AuditTemplate | None, User | None, Action | None, dict[str, list[str]]]:
    """Every rule that needs the database, reported together by field."""
    errors: dict[str, list[str]] = {}
    template = template_version(data["template"], data["template_version"])
    if template is None or template.is_draft:
        if current_template(data["template"]) is None:
            errors["template"] = ["There is no spot-check template with this name."]
        else:
            errors["template_version"] = [
                f"Version {data['template_version']} of this template has not been published."
            ]
        template = None
    else:
        items = {i.key: i for i in template.items}
        answered: set[str] = set()
        for n, row in enumerate(data["answers"]):
            item = items.get(row["item"])
            if item is None:
                errors[f"answers.{n}.item"] = [
                    f"This question is not in version {template.version} of “{template.title}”."
                ]
                continue
            answered.add(item.key)
            if row["answer"] == Answer.NO and item.note_required_when_failed and not row["note"]:
                errors[f"answers.{n}.note"] = [
                    f"Say what you saw: “{item.text}” needs a note when it is not met."
                ]
        missing = [i for i in template.items if i.key not in answered]
        if missing:
            errors["answers"] = [
                f"Answer every question ({len(missing)} not answered: "
                + "; ".join(i.text for i in missing[:3])
                + ("…" if len(missing) > 3 else "")
                + ")."
            ]

    observed: User | None = db.session.get(User, data["observed_user_id"])
    colleagues = {u.id for u in observable_staff(author)}
    if data["observed_user_id"] == author.id:
        errors["observed_user_id"] = ["Choose the colleague you observed, not yourself."]
        observed = None
    elif observed is None or observed.id not in colleagues:
        errors["observed_user_id"] = ["Choose the colleague you observed from your team."]
        observed = None

    action: Action | None = None
    if data.get("reaudit_of_action") is not None:
        action = db.session.scalar(
            db.select(Action)
            .where(Action.id == data["reaudit_of_action"])
            .where(scoping.record_scope(author, Action))
        )
        if action is None:
            errors["reaudit_of_action"] = ["There is no action with this number in your branches."]
    return template, observed, action, errors


def _resolve_branch(
    author: User, observed: User, data: dict[str, Any]
) -> tuple[Branch, PersonSupported | None]:
    person_ref = data.get("person_ref")
    if person_ref:
        person = scoping.person_by_ref(author, person_ref)
        if person is None:
            raise OutOfScope(person_ref)
        return person.branch, person
    mine = scoping.branches_for(author)
    code = data.get("branch")
    if code:
        chosen = [b for b in mine if b.code == code]
        if not chosen:
            raise Invalid({"branch": ["Choose one of your branches."]})
        return chosen[0], None
    shared = [b for b in mine if b.id in observed.branch_ids]
    if len(shared) == 1:
        return shared[0], None
    raise Invalid(
        {"person_ref": ["Choose the person supported, so the check is filed in the right branch."]}
    )


def _new_action(
    author: User,
    audit: Audit,
    template: AuditTemplate,
    observed: User,
    branch: Branch,
    person: PersonSupported | None,
    item: AuditTemplateItem,
    note: str,
    owner: User | None = None,
    due: date | None = None,
) -> Action:
    today = utcnow().astimezone(UK).date()
    where = f" with {person.ref}" if person is not None else ""
    detail = (
        f"Found at a {template.title.lower()} observing {observed.name}{where} on "
        f"{audit.conducted_at.astimezone(UK):%d %b %Y}."
    )
    if note:
        detail += f" What was seen: {note}"
    action = Action(
        title=f"Not met: {item.text}"[:200],
        detail=detail,
        status=ActionStatus.OPEN.value,
        due=due or today + timedelta(days=ACTION_DUE_DAYS),
        branch_id=branch.id,
        owner_id=(owner or default_action_owner(branch, author)).id,
        author_id=author.id,
        source_type=ActionSource.AUDIT.value,
        source_id=audit.id,
        source_item=item.key,
        # A failed standard is only closed when a later check shows it is fixed.
        requires_verification=True,
    )
    db.session.add(action)
    return action


# --- audits: reading -----------------------------------------------------------------


def visible_audits(user: User) -> Select[Any]:
    return scoping.scoped(db.select(Audit), user, Audit)


def get_audit(user: User, audit_id: str) -> Audit:
    return scoping.one_by_uuid_in_scope(visible_audits(user), Audit, audit_id)


def page_of_audits(user: User, limit: int, cursor: str | None) -> tuple[list[Audit], str | None]:
    """Newest first (by when the server received them), keyset-paginated."""
    return pagination.newest_received(
        visible_audits(user), Audit.received_at, Audit.id, limit, cursor
    )


@dataclass(frozen=True)
class AuditFilters:
    template: str | None = None
    branch: str | None = None
    observed: int | None = None
    outcome: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def filtered_audits(
    user: User, filters: AuditFilters, limit: int = 50, offset: int = 0
) -> tuple[list[Audit], int]:
    """The results list: newest check first, with the filters applied."""
    stmt = visible_audits(user)
    if filters.template:
        stmt = stmt.join(AuditTemplate, Audit.template_id == AuditTemplate.id).where(
            AuditTemplate.slug == filters.template
        )
    if filters.branch:
        stmt = stmt.where(Audit.branch.has(Branch.code == filters.branch))
    if filters.observed is not None:
        stmt = stmt.where(Audit.observed_user_id == filters.observed)
    if filters.outcome:
        stmt = stmt.where(Audit.outcome == filters.outcome)
    if filters.date_from:
        stmt = stmt.where(Audit.conducted_at >= uk_midnight(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(Audit.conducted_at < uk_midnight(filters.date_to + timedelta(days=1)))
    total = db.session.scalar(db.select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(
        stmt.order_by(Audit.conducted_at.desc(), Audit.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


def unacknowledged_for(user: User) -> list[Audit]:
    """Feedback from spot checks of this person's practice not yet read."""
    return list(
        db.session.scalars(
            db.select(Audit)
            .where(Audit.observed_user_id == user.id, Audit.acknowledged_at.is_(None))
            .order_by(Audit.conducted_at.desc())
        )
    )


def reaudits_of(user: User, action: Action) -> list[Audit]:
    """The re-audits that checked an action, newest first (for the action's page)."""
    return list(
        db.session.scalars(
            visible_audits(user)
            .where(Audit.reaudit_of_action_id == action.id)
            .order_by(Audit.conducted_at.desc())
        )
    )


def action_in_scope(user: User, action_id: int) -> Action:
    return reading.get_action(user, action_id)


def source_audit(user: User, action: Action) -> Audit | None:
    """The audit an action came from, if it came from one the user may see."""
    if action.source_type != ActionSource.AUDIT.value:
        return None
    audit: Audit | None = db.session.scalar(
        visible_audits(user).where(Audit.id == action.source_id)
    )
    return audit


# --- audits: after saving --------------------------------------------------------------


def acknowledge_feedback(user: User, audit: Audit) -> None:
    """The carer observed confirms they have read the feedback."""
    if audit.observed_user_id != user.id:
        raise NotAllowed()
    if audit.acknowledged_at is None:
        audit.acknowledged_at = utcnow()
        trail.record(user, "acknowledge", "audit", audit.id)
        db.session.commit()


def raise_action_for_item(
    user: User, audit: Audit, key: str, owner_id: int | None = None, due: date | None = None
) -> Action:
    """An action for a failed item that is not critical, when the supervisor wants one."""
    require_role(user, CONDUCTING_ROLES)
    answer = audit.answer_for(key)
    if answer is None:
        raise OutOfScope(key)
    if not answer.failed:
        raise Invalid({"item": ["Only an item that was not met can raise an action."]})
    if any(a.source_item == key for a in audit.raised_actions):
        raise Invalid({"item": ["An action has already been raised for this item."]})
    owner = None
    if owner_id is not None:
        owner = next((u for u in scoping.staff_for(user) if u.id == owner_id and u.active), None)
        if owner is None:
            raise Invalid({"owner_id": ["Choose an owner from your team."]})
    today = utcnow().astimezone(UK).date()
    if due is not None and due < today:
        raise Invalid({"due": ["The due date cannot be in the past."]})
    action = _new_action(
        user,
        audit,
        audit.template,
        audit.observed,
        audit.branch,
        audit.person,
        answer.item,
        answer.note,
        owner,
        due,
    )
    db.session.flush()
    trail.record(user, "create", "action", action.id, source="audit", audit=audit.id, item=key)
    db.session.commit()
    db.session.expire(audit, ["raised_actions"])
    return action


# --- failure rates -------------------------------------------------------------------


@dataclass
class ItemRate:
    key: str
    text: str
    critical: bool
    # month (YYYY-MM) -> (not met, answered yes or no)
    months: dict[str, tuple[int, int]] = field(default_factory=dict)

    def total(self) -> tuple[int, int]:
        failed = sum(f for f, _ in self.months.values())
        answered = sum(a for _, a in self.months.values())
        return failed, answered


def failure_rates(
    user: User, slug: str, months: int, today: date
) -> tuple[list[str], list[ItemRate]]:
    """How often each question was not met, month by month, across every
    version of the template (items are followed by their key). N/A is left out."""
    keys = last_months(today, months).months
    first = date.fromisoformat(f"{keys[0]}-01")
    rates: dict[str, ItemRate] = {}
    for version in sorted(versions_of(slug), key=lambda t: t.version, reverse=True):
        if version.is_draft:
            continue
        for item in version.items:
            rates.setdefault(item.key, ItemRate(item.key, item.text, item.critical))
    stmt = (
        db.select(AuditAnswer.item_key, AuditAnswer.answer, Audit.conducted_at)
        .join(Audit, AuditAnswer.audit_id == Audit.id)
        .join(AuditTemplate, Audit.template_id == AuditTemplate.id)
        .where(AuditTemplate.slug == slug)
        .where(Audit.conducted_at >= uk_midnight(first))
        .where(AuditAnswer.answer != Answer.NA.value)
        .where(scoping.record_scope(user, Audit))
    )
    for key, answer, conducted in db.session.execute(stmt):
        rate = rates.get(key)
        if rate is None:
            continue
        month = month_key(conducted)
        failed, answered = rate.months.get(month, (0, 0))
        rate.months[month] = (failed + (answer == Answer.NO.value), answered + 1)
    return keys, list(rates.values())


# --- schedules -----------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleStatus:
    schedule: AuditSchedule
    done: int
    state: str  # complete, completed_late, overdue, due_soon, due, cancelled
    title: str

    @property
    def label(self) -> str:
        return {
            "complete": "Complete",
            "completed_late": "Completed late",
            "overdue": "Overdue",
            "due_soon": "Due soon",
            "due": "Due",
            "cancelled": "Cancelled",
        }[self.state]

    @property
    def tag(self) -> str:
        return {
            "complete": "green",
            "completed_late": "green",
            "overdue": "red",
            "due_soon": "yellow",
            "due": "blue",
            "cancelled": "grey",
        }[self.state]

    @property
    def outstanding(self) -> bool:
        return self.state in {"overdue", "due_soon", "due"}


def schedule_state(
    target: int, due_on: date, done_dates: Sequence[date], today: date, cancelled: bool = False
) -> str:
    """Where a schedule stands: the target-th check's date decides complete or
    late; otherwise the due date decides due, due soon or overdue."""
    if cancelled:
        return "cancelled"
    ordered = sorted(done_dates)
    if len(ordered) >= target:
        return "complete" if ordered[target - 1] <= due_on else "completed_late"
    if today > due_on:
        return "overdue"
    if (due_on - today).days <= DUE_SOON_DAYS:
        return "due_soon"
    return "due"


def _schedule_dates(schedule: AuditSchedule) -> list[date]:
    stmt = (
        db.select(Audit.conducted_at)
        .join(AuditTemplate, Audit.template_id == AuditTemplate.id)
        .where(AuditTemplate.slug == schedule.template_slug)
        .where(Audit.branch_id == schedule.branch_id)
        .where(Audit.conducted_at >= uk_midnight(schedule.starts_on))
        .order_by(Audit.conducted_at)
        .limit(schedule.target)
    )
    if schedule.observed_user_id is not None:
        stmt = stmt.where(Audit.observed_user_id == schedule.observed_user_id)
    return [moment.astimezone(UK).date() for moment in db.session.scalars(stmt)]


def status_of(schedule: AuditSchedule, today: date) -> ScheduleStatus:
    dates = _schedule_dates(schedule)
    state = schedule_state(
        schedule.target, schedule.due_on, dates, today, schedule.cancelled_at is not None
    )
    template = current_template(schedule.template_slug)
    title = template.title if template is not None else schedule.template_slug
    return ScheduleStatus(schedule, len(dates), state, title)


_STATE_ORDER = {
    "overdue": 0,
    "due_soon": 1,
    "due": 2,
    "completed_late": 3,
    "complete": 4,
    "cancelled": 5,
}


def schedules_for(user: User, today: date, outstanding_only: bool = False) -> list[ScheduleStatus]:
    """Schedules in the user's branches, the most pressing first."""
    if user.role not in CONDUCTING_ROLES and user.role != Role.OFFICE:
        return []
    stmt = db.select(AuditSchedule).where(scoping.branch_scope(user, AuditSchedule.branch_id))
    if outstanding_only:
        stmt = stmt.where(AuditSchedule.cancelled_at.is_(None))
    statuses = [
        status_of(s, today) for s in db.session.scalars(stmt.order_by(AuditSchedule.due_on))
    ]
    if outstanding_only:
        statuses = [s for s in statuses if s.outstanding]
    return sorted(statuses, key=lambda s: (_STATE_ORDER[s.state], s.schedule.due_on))


def create_schedule(manager: User, data: dict[str, Any], today: date) -> AuditSchedule:
    require_role(manager, MANAGERS)
    errors: dict[str, list[str]] = {}
    if current_template(data["template"]) is None:
        errors["template"] = ["Choose a published template."]
    branch = next((b for b in scoping.branches_for(manager) if b.id == data["branch_id"]), None)
    if branch is None:
        errors["branch_id"] = ["Choose one of your branches."]
    observed_id = data.get("observed_user_id")
    if observed_id is not None:
        observed = next((u for u in observable_staff(manager) if u.id == observed_id), None)
        if observed is None or (branch is not None and branch.id not in observed.branch_ids):
            errors["observed_user_id"] = ["Choose someone who works in that branch."]
    starts = data.get("starts_on") or today
    if data["due_on"] < today:
        errors["due_on"] = ["The due date cannot be in the past."]
    if errors:
        raise Invalid(errors)
    assert branch is not None
    schedule = AuditSchedule(
        template_slug=data["template"],
        branch_id=branch.id,
        observed_user_id=observed_id,
        target=data["target"],
        starts_on=starts,
        due_on=data["due_on"],
        reason=(data.get("reason") or "").strip(),
        author_id=manager.id,
    )
    db.session.add(schedule)
    db.session.flush()
    trail.record(
        manager,
        "create",
        "audit_schedule",
        schedule.id,
        template=schedule.template_slug,
        target=schedule.target,
        due_on=schedule.due_on.isoformat(),
    )
    db.session.commit()
    return schedule


def cancel_schedule(manager: User, schedule_id: int) -> None:
    require_role(manager, MANAGERS)
    schedule: AuditSchedule | None = db.session.scalar(
        db.select(AuditSchedule)
        .where(AuditSchedule.id == schedule_id)
        .where(scoping.branch_scope(manager, AuditSchedule.branch_id))
    )
    if schedule is None:
        raise OutOfScope(schedule_id)
    if schedule.cancelled_at is None:
        schedule.cancelled_at = utcnow()
        trail.record(manager, "cancel", "audit_schedule", schedule.id)
        db.session.commit()
