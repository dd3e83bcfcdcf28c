"""Spot-check pages: start and complete a check, results and their detail, the
carer's acknowledgement, re-audit verification, schedules, failure rates and the
manager's template editor. Thin: parse, authorise, call a service, render."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from audits import failure_rates as failure_rate_rules
from audits import raised_actions, recording, results, template_editor, template_versions
from audits import schedules as schedule_rules
from audits.models import Answer, Audit, AuditTemplate, Outcome
from audits.permissions import may_edit_templates
from audits.schemas import (
    AuditInSchema,
    ItemSchema,
    NewTemplateSchema,
    ScheduleSchema,
    TemplateDetailsSchema,
    audit_form_to_json,
)
from core import dates, navigation, scoping
from core.dates import UK, uk_today, utcnow
from core.errors import IdConflict, Invalid, OutOfScope
from core.forms import flatten_errors, load_form
from core.models import Role
from core.permissions import role_required

bp = Blueprint("audits", __name__, url_prefix="/audits")

CONDUCTING = (Role.SUPERVISOR, Role.MANAGER)
READING = (Role.SUPERVISOR, Role.MANAGER, Role.OFFICE)

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


PAGE_SIZE = 25


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    everyone = set(Role)
    navigation.add_menu_link(app, "Spot checks", "audits.index", everyone, order=30)
    navigation.add_home_button(app, "Start a spot check", "audits.new", set(CONDUCTING), order=20)
    navigation.add_section(
        app, "home", "audits/_home_schedules.html", {Role.SUPERVISOR, Role.MANAGER}, order=30
    )
    navigation.add_section(
        app, "home", "audits/_home_feedback.html", {Role.CARER, Role.SUPERVISOR}, order=31
    )
    app.jinja_env.globals.update(
        audit_schedules_due=_home_schedules,
        audit_feedback_waiting=_home_feedback,
        answer_label=_answer_label,
        action_reaudits=_action_reaudits,
    )
    app.jinja_env.filters["template_option"] = lambda t: (t.slug, t.title)


def _home_schedules() -> list[schedule_rules.ScheduleStatus]:
    return schedule_rules.schedules_for(current_user, uk_today(), outstanding_only=True)


def _home_feedback() -> list[Any]:
    return results.unacknowledged_for(current_user)


def _action_reaudits(action: Any) -> list[Any]:
    """For any page that shows an action (the actions pages include
    audits/_action_reaudits.html): the re-audits that checked it."""
    return raised_actions.reaudits_of(current_user, action)


def _answer_label(item: Any, answer: str) -> str:
    return str(item.answers.answer_label(answer))


# --- completing a spot check ---------------------------------------------------------


def _now_local() -> str:
    return utcnow().astimezone(UK).strftime("%Y-%m-%dT%H:%M")


def _form_page(
    template: AuditTemplate,
    values: MultiDict[str, str],
    errors: dict[str, list[str]],
    status: int = 200,
    conflict: Any = None,
    fresh: bool = False,
) -> Any:
    action = None
    raw_action = _int(values.get("reaudit_of_action"))
    if raw_action:
        try:
            action = raised_actions.action_in_scope(current_user, raw_action)
        except OutOfScope:
            action = None
    return render_template(
        "audits/new.html",
        template=template,
        values=values,
        errors=errors,
        staff=recording.observable_staff(current_user),
        people=scoping.people_for(current_user),
        reaudit_action=action,
        answer_values=[a.value for a in Answer],
        conflict=conflict,
        fresh=fresh,
    ), status


@bp.get("/new")
@role_required(*CONDUCTING)
def new() -> Any:
    """Step one: choose a template. Each template's blank form is its own page
    (`/audits/new/<slug>`), so the phone can keep every one for use with no signal."""
    slug = request.args.get("template")
    if slug:
        # Links that name the template in the query still work.
        return redirect(url_for("audits.new_for_template", slug=slug))
    return render_template("audits/choose.html", templates=template_versions.published_templates())


def _blank_values(template: AuditTemplate) -> MultiDict[str, str]:
    return MultiDict(
        {
            # A fresh device id on every load; the offline script makes its own
            # when it serves the form from the phone's cache.
            "entry_id": str(uuid.uuid4()),
            "conducted_at": _now_local(),
            "template": template.slug,
            "template_version": str(template.version),
        }
    )


@bp.get("/new/<slug>")
@role_required(*CONDUCTING)
def new_for_template(slug: str) -> Any:
    """A blank form. Nothing on it depends on the query string: the phone keeps
    this page by its path and shows it again offline."""
    template = template_versions.current_template(slug)
    if template is None:
        abort(404)
    return _form_page(template, _blank_values(template), {}, fresh=True)


@bp.get("/reaudit/<int:action_id>")
@role_required(*CONDUCTING)
def reaudit(action_id: int) -> Any:
    """A spot check that re-audits an action: the template, colleague and person
    of the check that raised it, filled in."""
    action = raised_actions.action_in_scope(current_user, action_id)
    source = raised_actions.source_audit(current_user, action)
    template = template_versions.current_template(source.template.slug) if source else None
    if template is None:
        return render_template(
            "audits/choose.html",
            templates=template_versions.published_templates(),
            reaudit_action=action,
        )
    values = _blank_values(template)
    values["reaudit_of_action"] = str(action.id)
    assert source is not None
    values["observed_user_id"] = str(source.observed_user_id)
    if source.person is not None:
        values["person_ref"] = source.person.ref
    return _form_page(template, values, {}, fresh=True)


@bp.get("/reaudit/<int:action_id>/<slug>")
@role_required(*CONDUCTING)
def reaudit_with(action_id: int, slug: str) -> Any:
    """A re-audit of an action that did not come from a spot check (an incident's
    or a review's), with the template the supervisor chose."""
    action = raised_actions.action_in_scope(current_user, action_id)
    template = template_versions.current_template(slug)
    if template is None:
        abort(404)
    values = _blank_values(template)
    values["reaudit_of_action"] = str(action.id)
    return _form_page(template, values, {}, fresh=True)


def _posted_template(form: MultiDict[str, str]) -> AuditTemplate:
    """The template version the form was filled in on; its current version when
    that one is unknown or a draft; 404 when there is no such template."""
    template = template_versions.template_version(
        form.get("template", ""), _int(form.get("template_version"))
    )
    if template is None or template.is_draft:
        template = template_versions.current_template(form.get("template", ""))
    if template is None:
        abort(404)
    return template


def _spot_check_data(body: dict[str, Any]) -> dict[str, Any]:
    """The API's schema over the form's JSON; what it refuses is `Invalid`, as the
    service's own refusals are, so the page shows both the same way."""
    try:
        data: dict[str, Any] = AuditInSchema().load(body)
    except ValidationError as err:
        raise Invalid(flatten_errors(err.messages)) from None
    return data


def _flash_saved(audit: Audit) -> None:
    score = "not scored" if audit.score is None else f"{audit.score:g}%"
    raised = len(audit.critical_actions)
    flash(
        f"Spot check saved: {score}."
        + (f" {raised} action{'s' if raised != 1 else ''} raised." if raised else ""),
        "success",
    )


@bp.post("")
@role_required(*CONDUCTING)
def create() -> Any:
    form = request.form
    body = audit_form_to_json(form)
    template = _posted_template(form)
    try:
        receipt = recording.create_audit(current_user, _spot_check_data(body))
    except Invalid as err:
        return _form_page(template, form, _form_errors(err.errors), 422)
    except OutOfScope:
        errors = {"person_ref": ["Choose one of the people you support."]}
        return _form_page(template, form, errors, 422)
    except IdConflict as err:
        return _form_page(template, form, {}, 409, conflict=err.existing)
    if receipt.created:
        _flash_saved(receipt.audit)
    return redirect(url_for("audits.detail", audit_id=receipt.audit.id), code=303)


def _int(value: str | None) -> int:
    """A small whole number from a query or form value, or 0 (ignored)."""
    return int(value) if value and re.fullmatch(r"[0-9]{1,9}", value) else 0


def _form_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """API field names as the form's (the device id is `entry_id` on the page),
    and each question's messages numbered so the summary says which one."""
    named: dict[str, list[str]] = {}
    for key, messages in errors.items():
        match = re.match(r"answers\.([0-9]+)\.", key)
        if match:
            messages = [f"Question {int(match.group(1)) + 1}: {m}" for m in messages]
        named["entry_id" if key == "id" else key] = messages
    return named


# --- results ---------------------------------------------------------------------------


def _filters() -> results.AuditFilters:
    """The list's filters from the query string; anything unreadable is ignored."""
    args = request.args
    outcome = args.get("outcome")
    return results.AuditFilters(
        template=args.get("template") or None,
        branch=args.get("branch") or None,
        observed=_int(args.get("observed")) or None,
        outcome=outcome if outcome in {o.value for o in Outcome} else None,
        date_from=_date(args.get("from")),
        date_to=_date(args.get("to")),
    )


@bp.get("")
@login_required
def index() -> Any:
    filters = _filters()
    page = max(_int(request.args.get("page")) or 1, 1)
    audits, total = results.filtered_audits(
        current_user, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    return render_template(
        "audits/index.html",
        audits=audits,
        total=total,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        filters=filters,
        templates=template_versions.published_templates(),
        branches=scoping.branches_for(current_user),
        edits_templates=may_edit_templates(current_user),
        staff=recording.observable_staff(current_user) if current_user.role != Role.CARER else [],
        outcomes=list(Outcome),
        query={k: v for k, v in request.args.items() if k != "page" and v},
    )


@bp.get("/<audit_id>")
@login_required
def detail(audit_id: str) -> Any:
    audit = results.get_audit(current_user, audit_id)
    current = template_versions.current_template(audit.template.slug)
    actioned = {a.source_item for a in audit.raised_actions}
    reaudit_answer = None
    if audit.reaudit_of_action is not None and audit.reaudit_of_action.source_item:
        reaudit_answer = audit.answer_for(audit.reaudit_of_action.source_item)
    return render_template(
        "audits/detail.html",
        audit=audit,
        current=current,
        actioned=actioned,
        reaudit_answer=reaudit_answer,
        staff=scoping.staff_for(current_user),
        values={},
        errors={},
    )


@bp.post("/<audit_id>/acknowledge")
@login_required
def acknowledge(audit_id: str) -> Any:
    audit = results.get_audit(current_user, audit_id)
    results.acknowledge_feedback(current_user, audit)
    flash("Thank you: your supervisor can see you have read this feedback.", "success")
    return redirect(url_for("audits.detail", audit_id=audit.id), code=303)


@bp.post("/<audit_id>/actions")
@role_required(*CONDUCTING)
def raise_action(audit_id: str) -> Any:
    audit = results.get_audit(current_user, audit_id)
    due = _date(request.form.get("due"))
    try:
        action = raised_actions.raise_action_for_item(
            current_user,
            audit,
            request.form.get("item", ""),
            owner_id=_int(request.form.get("owner_id")) or None,
            due=due,
        )
    except Invalid as err:
        flash(" ".join(m for ms in err.errors.values() for m in ms), "error")
        return redirect(url_for("audits.detail", audit_id=audit.id), code=303)
    flash(f"Action raised: {action.title}. Due {action.due:%d %b %Y}.", "success")
    return redirect(url_for("audits.detail", audit_id=audit.id), code=303)


def _date(value: str | None) -> date | None:
    return dates.parse_day(value)  # out of range or unreadable: ignored


@bp.get("/failure-rates")
@role_required(*READING)
def failure_rates() -> Any:
    templates = template_versions.published_templates()
    slug = request.args.get("template") or (templates[0].slug if templates else "")
    months = _int(request.args.get("months")) or 6
    months = min(max(months, 1), 24)
    keys, rates = failure_rate_rules.failure_rates(current_user, slug, months, uk_today())
    return render_template(
        "audits/failure_rates.html",
        templates=templates,
        slug=slug,
        months=months,
        month_keys=keys,
        rates=rates,
    )


# --- schedules ---------------------------------------------------------------------------


def _schedules_page(values: dict[str, Any], errors: dict[str, list[str]], status: int = 200) -> Any:
    return render_template(
        "audits/schedules.html",
        statuses=schedule_rules.schedules_for(current_user, uk_today()),
        templates=template_versions.published_templates(),
        branches=scoping.branches_for(current_user),
        staff=recording.observable_staff(current_user),
        values=values,
        errors=errors,
    ), status


@bp.get("/schedules")
@role_required(*READING)
def schedules() -> Any:
    return _schedules_page({"target": "10"}, {})


@bp.post("/schedules")
@role_required(Role.MANAGER)
def create_schedule() -> Any:
    data, errors = load_form(ScheduleSchema(), request.form)
    if not errors:
        try:
            schedule_rules.create_schedule(current_user, data, uk_today())
        except Invalid as err:
            errors = err.errors
        else:
            flash("Schedule set: supervisors will see it on their home page.", "success")
            return redirect(url_for("audits.schedules"), code=303)
    return _schedules_page(dict(request.form), errors, 422)


@bp.post("/schedules/<int:schedule_id>/cancel")
@role_required(Role.MANAGER)
def cancel_schedule(schedule_id: int) -> Any:
    schedule_rules.cancel_schedule(current_user, schedule_id)
    flash("Schedule cancelled.", "success")
    return redirect(url_for("audits.schedules"), code=303)


# --- the template editor (managers) ------------------------------------------------------


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
        template_versions.template_version(slug, _int(wanted))
        if _int(wanted)
        else template_versions.draft_of(slug) or template_versions.current_template(slug)
    )
    if template is None:
        abort(404)
    return render_template(
        "audits/preview.html", template=template, answer_values=[a.value for a in Answer]
    )
