"""The template editor (managers of every branch): the templates, starting one,
and a draft's details, questions, publishing, discarding and previews."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from audits import template_editor, template_versions
from audits.models import Answer, AuditTemplate
from audits.permissions import may_edit_templates
from audits.routes._common import small_int
from audits.routes.blueprint import bp
from audits.schemas import ItemSchema, NewTemplateSchema, TemplateDetailsSchema
from core.errors import Invalid
from core.forms import load_form
from core.models import Role
from core.permissions import role_required

F = TypeVar("F", bound=Callable[..., Any])


def template_editor_required(view: F) -> F:
    """The template pages: a manager (else 403), of every branch (else 403:
    templates are organisation-wide, audits.permissions.may_edit_templates)."""

    @wraps(view)
    @role_required(Role.MANAGER)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not may_edit_templates(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@bp.get("/templates")
@template_editor_required
def templates() -> Any:
    return _templates_page({"pass_mark": "80"}, {})


def _templates_page(values: dict[str, Any], errors: dict[str, list[str]], status: int = 200) -> Any:
    slugs = template_versions.template_slugs()
    rows = []
    for slug in slugs:
        current = template_versions.current_template(slug)
        draft = template_versions.draft_of(slug)
        rows.append({"slug": slug, "current": current, "draft": draft})
    return render_template("audits/templates.html", rows=rows, values=values, errors=errors), status


@bp.post("/templates")
@template_editor_required
def create_template() -> Any:
    data, errors = load_form(NewTemplateSchema(), request.form)
    if not errors:
        try:
            template = template_editor.create_template(current_user, data)
        except Invalid as err:
            errors = err.errors
        else:
            flash("Template started. Add its questions, then publish it.", "success")
            return redirect(url_for("audits.edit_template", slug=template.slug), code=303)
    return _templates_page(dict(request.form), errors, 422)


def _editor(
    slug: str,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
    values: dict[str, Any] | None = None,
) -> Any:
    draft = template_versions.draft_of(slug)
    current = template_versions.current_template(slug)
    if draft is None and current is None:
        abort(404)
    return render_template(
        "audits/template_edit.html",
        slug=slug,
        draft=draft,
        current=current,
        retired=template_editor.retired_items(draft) if draft is not None else [],
        versions=template_versions.versions_of(slug),
        counts=template_versions.audits_per_version(slug),
        errors=errors or {},
        values=values or {},
    ), status


@bp.get("/templates/<slug>")
@template_editor_required
def edit_template(slug: str) -> Any:
    return _editor(slug)


def _draft_or_404(slug: str) -> AuditTemplate:
    draft = template_versions.draft_of(slug)
    if draft is None:
        abort(404)
    return draft


def _back(slug: str, anchor: str | None = None) -> Any:
    return redirect(url_for("audits.edit_template", slug=slug, _anchor=anchor), code=303)


@bp.post("/templates/<slug>/draft")
@template_editor_required
def start_draft(slug: str) -> Any:
    draft = template_editor.start_draft(current_user, slug)
    flash(
        f"Editing version {draft.version}. Spot checks keep using version {draft.version - 1} until you publish.",
        "info",
    )
    return _back(slug)


@bp.post("/templates/<slug>/draft/details")
@template_editor_required
def update_details(slug: str) -> Any:
    draft = _draft_or_404(slug)
    data, errors = load_form(TemplateDetailsSchema(), request.form)
    if errors:
        return _editor(slug, errors, 422, values=dict(request.form))
    template_editor.update_details(current_user, draft, data)
    flash("Details saved in the draft.", "success")
    return _back(slug)


@bp.post("/templates/<slug>/draft/items")
@template_editor_required
def add_item(slug: str) -> Any:
    draft = _draft_or_404(slug)
    data, errors = load_form(ItemSchema(), request.form)
    if errors:
        return _editor(
            slug,
            {f"new.{k}": v for k, v in errors.items()},
            422,
            values={f"new.{k}": v for k, v in request.form.items()},
        )
    item = template_editor.add_item(current_user, draft, data)
    flash(f"Question added: {item.text}", "success")
    return _back(slug, f"item-{item.key}")


@bp.post("/templates/<slug>/draft/items/<key>")
@template_editor_required
def update_item(slug: str, key: str) -> Any:
    draft = _draft_or_404(slug)
    data, errors = load_form(ItemSchema(), request.form)
    if errors:
        prefix = f"{key}."
        return _editor(slug, {prefix + k: v for k, v in errors.items()}, 422)
    template_editor.update_item(current_user, draft, key, data)
    flash("Question saved in the draft.", "success")
    return _back(slug, f"item-{key}")


@bp.post("/templates/<slug>/draft/items/<key>/move")
@template_editor_required
def move_item(slug: str, key: str) -> Any:
    draft = _draft_or_404(slug)
    direction = request.form.get("direction")
    if direction not in {"up", "down"}:
        abort(400)
    template_editor.move_item(current_user, draft, key, direction)
    return _back(slug, f"item-{key}")


@bp.post("/templates/<slug>/draft/items/<key>/retire")
@template_editor_required
def retire_item(slug: str, key: str) -> Any:
    draft = _draft_or_404(slug)
    try:
        template_editor.retire_item(current_user, draft, key)
    except Invalid as err:
        return _editor(slug, err.errors, 422)
    flash("Question retired from the draft. Earlier versions keep it.", "success")
    return _back(slug)


@bp.post("/templates/<slug>/draft/items/<key>/restore")
@template_editor_required
def restore_item(slug: str, key: str) -> Any:
    draft = _draft_or_404(slug)
    template_editor.restore_item(current_user, draft, key)
    flash("Question brought back into the draft.", "success")
    return _back(slug, f"item-{key}")


@bp.post("/templates/<slug>/draft/publish")
@template_editor_required
def publish(slug: str) -> Any:
    draft = _draft_or_404(slug)
    try:
        template_editor.publish(current_user, draft)
    except Invalid as err:
        return _editor(slug, err.errors, 422)
    flash(f"Version {draft.version} published: new spot checks use it from now on.", "success")
    return _back(slug)


@bp.post("/templates/<slug>/draft/discard")
@template_editor_required
def discard(slug: str) -> Any:
    draft = _draft_or_404(slug)
    template_editor.discard_draft(current_user, draft)
    flash("Draft discarded.", "success")
    if template_versions.current_template(slug) is None:
        return redirect(url_for("audits.templates"), code=303)
    return _back(slug)


@bp.get("/templates/<slug>/preview")
@template_editor_required
def preview(slug: str) -> Any:
    wanted = request.args.get("version", "")
    template = (
        template_versions.template_version(slug, small_int(wanted))
        if small_int(wanted)
        else template_versions.draft_of(slug) or template_versions.current_template(slug)
    )
    if template is None:
        abort(404)
    return render_template(
        "audits/preview.html", template=template, answer_values=[a.value for a in Answer]
    )
