"""Results: the list of spot checks and one check's detail, the carer's
acknowledgement, raising an action on an answer, and failure rates."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from audits import failure_rates as failure_rate_rules
from audits import raised_actions, recording, results, template_versions
from audits.models import Outcome
from audits.permissions import may_edit_templates
from audits.routes._common import CONDUCTING, READING, optional_date, small_int
from audits.routes.blueprint import bp
from core import scoping
from core.dates import uk_today
from core.errors import Invalid
from core.models import Role
from core.permissions import role_required

PAGE_SIZE = 25


def _filters() -> results.AuditFilters:
    """The list's filters from the query string; anything unreadable is ignored."""
    args = request.args
    outcome = args.get("outcome")
    return results.AuditFilters(
        template=args.get("template") or None,
        branch=args.get("branch") or None,
        observed=small_int(args.get("observed")) or None,
        outcome=outcome if outcome in {o.value for o in Outcome} else None,
        date_from=optional_date(args.get("from")),
        date_to=optional_date(args.get("to")),
    )


@bp.get("")
@login_required
def index() -> Any:
    filters = _filters()
    page = max(small_int(request.args.get("page")) or 1, 1)
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
    due = optional_date(request.form.get("due"))
    try:
        action = raised_actions.raise_action_for_item(
            current_user,
            audit,
            request.form.get("item", ""),
            owner_id=small_int(request.form.get("owner_id")) or None,
            due=due,
        )
    except Invalid as err:
        flash(" ".join(m for ms in err.errors.values() for m in ms), "error")
        return redirect(url_for("audits.detail", audit_id=audit.id), code=303)
    flash(f"Action raised: {action.title}. Due {action.due:%d %b %Y}.", "success")
    return redirect(url_for("audits.detail", audit_id=audit.id), code=303)


@bp.get("/failure-rates")
@role_required(*READING)
def failure_rates() -> Any:
    templates = template_versions.published_templates()
    slug = request.args.get("template") or (templates[0].slug if templates else "")
    months = small_int(request.args.get("months")) or 6
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
