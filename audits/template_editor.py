"""A manager's editor for spot-check templates: a draft of the next version (add,
change, reorder, retire and bring back questions), then publish it. Published
versions never change."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.exc import IntegrityError

from audits.models import AuditTemplate, AuditTemplateItem
from audits.permissions import may_edit_templates
from audits.template_versions import current_template, draft_of, versions_of
from core import trail
from core.dates import utcnow
from core.errors import Invalid, OutOfScope
from core.models import User
from core.permissions import require
from extensions import db


def slugify(text: str, limit: int = 60) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "item"


def _editable(draft: AuditTemplate) -> None:
    # A published version is what audits were answered against: never changed.
    if not draft.is_draft:
        raise Invalid({"_schema": ["A published version cannot be changed; start a new draft."]})


def create_template(manager: User, data: dict[str, Any]) -> AuditTemplate:
    """A new template, as a draft of version 1."""
    require(may_edit_templates(manager))
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
    require(may_edit_templates(manager))
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
    require(may_edit_templates(manager))
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
    require(may_edit_templates(manager))
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
    require(may_edit_templates(manager))
    _editable(draft)
    item = _draft_item(draft, key)
    for name, value in _item_fields(data).items():
        setattr(item, name, value)
    trail.record(manager, "change", "audit_template", f"{draft.slug}@{draft.version}", changed=key)
    db.session.commit()


def move_item(manager: User, draft: AuditTemplate, key: str, direction: str) -> None:
    require(may_edit_templates(manager))
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
    require(may_edit_templates(manager))
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
    require(may_edit_templates(manager))
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
    require(may_edit_templates(manager))
    _editable(draft)
    if not draft.items:
        raise Invalid({"_schema": ["Add at least one question before publishing."]})
    draft.published_at = utcnow()
    draft.published_by_id = manager.id
    trail.record(manager, "publish", "audit_template", f"{draft.slug}@{draft.version}")
    db.session.commit()
    return draft


def discard_draft(manager: User, draft: AuditTemplate) -> None:
    require(may_edit_templates(manager))
    _editable(draft)
    trail.record(manager, "discard", "audit_template", f"{draft.slug}@{draft.version}")
    db.session.delete(draft)
    db.session.commit()
