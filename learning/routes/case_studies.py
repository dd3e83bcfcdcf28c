"""Case studies: drafting one from an incident with names taken out, editing it,
and exporting it (Markdown, or HTML for Word)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from core.errors import Invalid, Stale
from core.forms import load_form
from core.models import Role
from core.permissions import role_required
from learning import case_studies as case_study_rules
from learning import reviews as review_rules
from learning.models import ReviewStatus
from learning.routes._common import STALE, download
from learning.routes.blueprint import bp
from learning.schemas import CaseStudySchema, CaseStudyStartSchema


def _case_studies_page(errors: dict[str, list[str]], status: int = 200) -> Any:
    return render_template(
        "learning/case_studies.html",
        case_studies=case_study_rules.list_case_studies(current_user),
        reviews=review_rules.list_reviews(current_user, ReviewStatus.COMPLETED.value),
        errors=errors,
    ), status


@bp.get("/case-studies")
@role_required(Role.MANAGER)
def case_studies() -> Any:
    return _case_studies_page({})


@bp.post("/case-studies")
@role_required(Role.MANAGER)
def case_study_create() -> Any:
    data, errors = load_form(CaseStudyStartSchema(), request.form)
    if not errors:
        try:
            case_study = case_study_rules.draft_case_study(current_user, data["incident_id"])
        except Invalid as err:
            errors = err.errors
        else:
            flash(
                "Draft written with names and references taken out. Read it through and edit before you export it.",
                "success",
            )
            return redirect(url_for("learning.case_study", case_study_id=case_study.id))
    return _case_studies_page(errors, 422)


def _case_study_page(
    case_study: Any,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Any:
    if values is None:
        values = {
            name: getattr(case_study, name)
            for name in ("title", *(k for k, _ in case_study_rules.CASE_STUDY_SECTIONS))
        }
        values["version"] = case_study.version
    return render_template(
        "learning/case_study.html",
        case_study=case_study,
        values=values,
        errors=errors or {},
        sections=case_study_rules.CASE_STUDY_SECTIONS,
        warnings=case_study_rules.case_study_warnings(case_study),
        needs_check=case_study_rules.needs_check(case_study),
    ), status


@bp.get("/case-studies/<int:case_study_id>")
@role_required(Role.MANAGER)
def case_study(case_study_id: int) -> Any:
    return _case_study_page(case_study_rules.get_case_study(current_user, case_study_id))


@bp.post("/case-studies/<int:case_study_id>")
@role_required(Role.MANAGER)
def case_study_save(case_study_id: int) -> Any:
    found = case_study_rules.get_case_study(current_user, case_study_id)
    data, errors = load_form(CaseStudySchema(), request.form)
    if not errors:
        try:
            case_study_rules.save_case_study(current_user, found, data, data.get("version"))
        except Stale:
            errors = {"_schema": [STALE]}
        else:
            flash("Saved.", "success")
            return redirect(url_for("learning.case_study", case_study_id=case_study_id))
    found = case_study_rules.get_case_study(current_user, case_study_id)
    return _case_study_page(
        found,
        {**data, "version": found.version},
        errors,
        422 if errors.get("_schema") != [STALE] else 409,
    )


EXPORTS = {"md": "learning.case_study_markdown", "html": "learning.case_study_word"}


def _check_page(found: Any, fmt: str, errors: dict[str, list[str]], status: int = 200) -> Any:
    return render_template(
        "learning/case_study_check.html",
        case_study=found,
        review=case_study_rules.case_study_review(found),
        format=fmt if fmt in EXPORTS else "md",
        errors=errors,
    ), status


@bp.get("/case-studies/<int:case_study_id>/check")
@role_required(Role.MANAGER)
def case_study_check(case_study_id: int) -> Any:
    found = case_study_rules.get_case_study(current_user, case_study_id)
    return _check_page(found, request.args.get("format", "md"), {})


@bp.post("/case-studies/<int:case_study_id>/check")
@role_required(Role.MANAGER)
def case_study_confirm(case_study_id: int) -> Any:
    found = case_study_rules.get_case_study(current_user, case_study_id)
    fmt = request.form.get("format", "md")
    try:
        case_study_rules.confirm_checked(current_user, found, request.form.get("checked"))
    except Invalid as err:
        return _check_page(found, fmt, err.errors, 422)
    flash("Checked. The export has started; come back here to export again.", "success")
    target = EXPORTS.get(fmt, EXPORTS["md"])
    return redirect(url_for(target, case_study_id=case_study_id), 303)


def _must_check(found: Any, fmt: str) -> Any:
    """A redirect to the review page when the export needs checking first."""
    if case_study_rules.needs_check(found):
        return redirect(
            url_for("learning.case_study_check", case_study_id=found.id, format=fmt), 303
        )
    return None


@bp.get("/case-studies/<int:case_study_id>/case-study.md")
@role_required(Role.MANAGER)
def case_study_markdown(case_study_id: int) -> Any:
    found = case_study_rules.get_case_study(current_user, case_study_id)
    if (check := _must_check(found, "md")) is not None:
        return check
    case_study_rules.record_export(current_user, found, "markdown")
    return download(
        case_study_rules.case_study_markdown(found),
        "text/markdown",
        f"case-study-{found.id}.md",
    )


@bp.get("/case-studies/<int:case_study_id>/case-study.html")
@role_required(Role.MANAGER)
def case_study_word(case_study_id: int) -> Any:
    found = case_study_rules.get_case_study(current_user, case_study_id)
    if (check := _must_check(found, "html")) is not None:
        return check
    case_study_rules.record_export(current_user, found, "html")
    html = render_template(
        "learning/case_study_export.html",
        case_study=found,
        sections=case_study_rules.CASE_STUDY_SECTIONS,
    )
    response = download(html, "text/html", f"case-study-{found.id}.html")
    # A document for Word: its own small stylesheet, and nothing that runs.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
