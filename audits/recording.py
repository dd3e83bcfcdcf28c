"""Saving a spot check exactly once, from the form or the sync API, with its score,
outcome and an action for every failed critical item."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actions.models import Action
from audits.models import Answer, Audit, AuditAnswer, AuditTemplate
from audits.permissions import CONDUCTING_ROLES, OBSERVABLE_ROLES
from audits.raised_actions import _new_action, default_action_owner
from audits.scoring import score_answers
from audits.template_versions import current_template, template_version
from core import scoping, trail
from core.dates import utcnow
from core.errors import Invalid
from core.exactly_once import already_sent, content_hash, first_send, offset_minutes
from core.models import Branch, PersonSupported, User
from core.permissions import require_role
from extensions import db


@dataclass(frozen=True)
class SpotCheckReceipt:
    audit: Audit
    created: bool


def observable_staff(author: User) -> list[User]:
    """Colleagues a supervisor or manager may spot-check (not themselves)."""
    return [
        u for u in scoping.staff_for(author) if u.id != author.id and u.role in OBSERVABLE_ROLES
    ]


def create_audit(author: User, data: dict[str, Any]) -> SpotCheckReceipt:
    """Save a validated spot check exactly once, with its score, outcome and an
    action for every failed critical item.

    Same id and content: the first record (created=False). Same id and other
    content: IdConflict. The primary key is the device's UUID, so concurrent
    duplicates end as one row.
    """
    require_role(author, CONDUCTING_ROLES)
    audit_id = str(data["id"])
    digest = content_hash(author, data)
    existing = already_sent(Audit, audit_id, digest)
    if existing is not None:
        return SpotCheckReceipt(existing, created=False)

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
        conducted_offset=offset_minutes(data["conducted_at"]),
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
    with first_send(Audit, audit_id, digest) as sent:
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
    return SpotCheckReceipt(sent.winner or audit, created=sent.winner is None)


def _check(
    author: User, data: dict[str, Any]
) -> tuple[AuditTemplate | None, User | None, Action | None, dict[str, list[str]]]:
    """Every rule that needs the database, reported together by field."""
    template, template_errors = _checked_template(data)
    observed, observed_errors = _checked_observed(author, data)
    action, action_errors = _checked_reaudit(author, data)
    return template, observed, action, {**template_errors, **observed_errors, **action_errors}


def _checked_template(data: dict[str, Any]) -> tuple[AuditTemplate | None, dict[str, list[str]]]:
    """The published template version the check was made on, and its answers."""
    template = template_version(data["template"], data["template_version"])
    if template is not None and not template.is_draft:
        return template, _answer_errors(template, data["answers"])
    if current_template(data["template"]) is None:
        return None, {"template": ["There is no spot-check template with this name."]}
    return None, {
        "template_version": [
            f"Version {data['template_version']} of this template has not been published."
        ]
    }


def _answer_errors(template: AuditTemplate, answers: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Every question of this version answered once, and a note where a failed
    question needs one."""
    errors: dict[str, list[str]] = {}
    items = {i.key: i for i in template.items}
    answered: set[str] = set()
    for n, row in enumerate(answers):
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
    return errors


def _checked_observed(
    author: User, data: dict[str, Any]
) -> tuple[User | None, dict[str, list[str]]]:
    """The colleague observed: one the author may spot-check, never themselves."""
    observed: User | None = db.session.get(User, data["observed_user_id"])
    colleagues = {u.id for u in observable_staff(author)}
    if data["observed_user_id"] == author.id:
        return None, {"observed_user_id": ["Choose the colleague you observed, not yourself."]}
    if observed is None or observed.id not in colleagues:
        return None, {"observed_user_id": ["Choose the colleague you observed from your team."]}
    return observed, {}


def _checked_reaudit(
    author: User, data: dict[str, Any]
) -> tuple[Action | None, dict[str, list[str]]]:
    """The action this check re-audits, if any: one within the author's branches."""
    if data.get("reaudit_of_action") is None:
        return None, {}
    action = db.session.scalar(
        db.select(Action)
        .where(Action.id == data["reaudit_of_action"])
        .where(scoping.record_scope(author, Action))
    )
    if action is None:
        return None, {
            "reaudit_of_action": ["There is no action with this number in your branches."]
        }
    return action, {}


def _resolve_branch(
    author: User, observed: User, data: dict[str, Any]
) -> tuple[Branch, PersonSupported | None]:
    branch, person = scoping.where_entry_belongs(author, data.get("person_ref"), data.get("branch"))
    if branch is not None:
        return branch, person
    shared = [b for b in scoping.branches_for(author) if b.id in observed.branch_ids]
    if len(shared) == 1:
        return shared[0], None
    raise Invalid(
        {"person_ref": ["Choose the person supported, so the check is filed in the right branch."]}
    )
