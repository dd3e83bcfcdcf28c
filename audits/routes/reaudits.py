"""Re-audits: a spot check that checks whether an action worked, its form filled
in from the check that raised the action (or on a template the supervisor
chooses)."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template
from flask_login import current_user

from audits import raised_actions, template_versions
from audits.routes._common import CONDUCTING
from audits.routes.blueprint import bp
from audits.routes.spot_checks import blank_values, form_page
from core.permissions import role_required


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
    values = blank_values(template)
    values["reaudit_of_action"] = str(action.id)
    assert source is not None
    values["observed_user_id"] = str(source.observed_user_id)
    if source.person is not None:
        values["person_ref"] = source.person.ref
    return form_page(template, values, {}, fresh=True)


@bp.get("/reaudit/<int:action_id>/<slug>")
@role_required(*CONDUCTING)
def reaudit_with(action_id: int, slug: str) -> Any:
    """A re-audit of an action that did not come from a spot check (an incident's
    or a review's), with the template the supervisor chose."""
    action = raised_actions.action_in_scope(current_user, action_id)
    template = template_versions.current_template(slug)
    if template is None:
        abort(404)
    values = blank_values(template)
    values["reaudit_of_action"] = str(action.id)
    return form_page(template, values, {}, fresh=True)
