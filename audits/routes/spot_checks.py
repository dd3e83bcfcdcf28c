"""Completing a spot check: choosing a template, its blank form (kept by the
phone for use offline) and saving it, once however often it is sent."""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from audits import raised_actions, recording, template_versions
from audits.models import Answer, Audit, AuditTemplate
from audits.routes._common import CONDUCTING, small_int
from audits.routes.blueprint import bp
from audits.schemas import AuditInSchema, audit_form_to_json
from core import scoping
from core.dates import UK, utcnow
from core.errors import IdConflict, Invalid, OutOfScope
from core.forms import flatten_errors
from core.permissions import role_required


def _now_local() -> str:
    return utcnow().astimezone(UK).strftime("%Y-%m-%dT%H:%M")


def form_page(
    template: AuditTemplate,
    values: MultiDict[str, str],
    errors: dict[str, list[str]],
    status: int = 200,
    conflict: Any = None,
    fresh: bool = False,
) -> Any:
    """The spot-check form on `template`, filled in with `values`."""
    action = None
    raw_action = small_int(values.get("reaudit_of_action"))
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


def blank_values(template: AuditTemplate) -> MultiDict[str, str]:
    """A blank form's values on `template`."""
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
    return form_page(template, blank_values(template), {}, fresh=True)


def _posted_template(form: MultiDict[str, str]) -> AuditTemplate:
    """The template version the form was filled in on; its current version when
    that one is unknown or a draft; 404 when there is no such template."""
    template = template_versions.template_version(
        form.get("template", ""), small_int(form.get("template_version"))
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
        return form_page(template, form, _form_errors(err.errors), 422)
    except OutOfScope:
        errors = {"person_ref": ["Choose one of the people you support."]}
        return form_page(template, form, errors, 422)
    except IdConflict as err:
        return form_page(template, form, {}, 409, conflict=err.existing)
    if receipt.created:
        _flash_saved(receipt.audit)
    return redirect(url_for("audits.detail", audit_id=receipt.audit.id), code=303)


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
