"""Governance pages (managers): the dashboard, meetings and meeting packs. Thin:
parse, authorise, call a service, render."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from marshmallow import ValidationError

from actions import strength
from core import dates
from core.choices import branch_code_choice
from core.dates import uk_today
from core.errors import Invalid, Stale
from core.forms import flatten_errors, load_form
from core.htmx import wants_partial
from core.models import Role
from core.permissions import role_required
from governance import chart, denominators, recalculation
from governance.figures import DEFAULT_MONTHS, PERIOD_CHOICES, choose_branches, dashboard_figures
from governance.meetings import (
    get_meeting,
    list_meetings,
    meeting_actions,
    record_meeting,
    record_pack_export,
)
from governance.recalculation import recalculation_form, recalculation_months
from governance.schemas import DashboardFilterSchema, DenominatorInSchema, MeetingInSchema
from learning import patterns as pattern_rules

bp = Blueprint("governance", __name__, url_prefix="/governance")


def _settings() -> dict[str, Any]:
    config = current_app.config
    return {
        "pattern_settings": pattern_rules.PatternSettings.from_config(config),
    }


def _filters() -> tuple[dict[str, Any], dict[str, list[str]]]:
    raw = {k: v for k, v in request.args.items() if v.strip() != ""}
    try:
        return DashboardFilterSchema().load(raw), {}
    except ValidationError as err:
        return {"branch": None, "months": DEFAULT_MONTHS}, flatten_errors(err.messages)


def _dashboard_page(
    data: dict[str, Any], errors: dict[str, list[str]], recalc: dict[str, Any] | None = None
) -> Any:
    try:
        branches = choose_branches(current_user, data["branch"])
    except Invalid as err:
        errors.update(err.errors)
        data["branch"] = None
        branches = choose_branches(current_user, None)
    period = dates.last_months(uk_today(), data["months"])
    figures = dashboard_figures(current_user, branches, period, **_settings())
    recalc = recalc or {}
    context = {
        "figures": figures,
        "chart": chart.spc_chart(figures),
        "values": {"branch": data["branch"] or "", "months": data["months"]},
        "errors": {**errors, **recalc.get("errors", {})},
        "branches": [branch_code_choice(b) for b in choose_branches(current_user, None)],
        "months_choices": [(n, f"Last {n} months") for n in PERIOD_CHOICES],
        "period": period,
        "recalculation": recalculation_form(
            branches, figures, data, recalc.get("values", {}), recalc.get("errors", {})
        ),
    }
    template = "governance/_dashboard.html" if wants_partial() else "governance/dashboard.html"
    return render_template(template, **context), 422 if context["errors"] else 200


@bp.get("")
@role_required(Role.MANAGER)
def dashboard() -> Any:
    data, errors = _filters()
    return _dashboard_page(data, errors)


def _form_filters() -> dict[str, Any]:
    raw = {k: request.form.get(k, "").strip() for k in ("branch", "months")}
    try:
        return dict(DashboardFilterSchema().load({k: v for k, v in raw.items() if v}))
    except ValidationError:
        return {"branch": None, "months": DEFAULT_MONTHS}


def _back_to_dashboard(data: dict[str, Any]) -> Any:
    args = {"months": data["months"], **({"branch": data["branch"]} if data["branch"] else {})}
    return redirect(url_for("governance.dashboard", **args) + "#gov-recalc", 303)


@bp.post("/recalculations")
@role_required(Role.MANAGER)
def recalculation_add() -> Any:
    data = _form_filters()
    values = {k: request.form.get(k, "") for k in ("from_month", "reason")}
    try:
        branches = choose_branches(current_user, data["branch"])
        allowed = recalculation_months(data["months"])
        recalculation.add(current_user, branches, values["from_month"], values["reason"], allowed)
    except Invalid as err:
        return _dashboard_page(data, {}, {"values": values, "errors": err.errors})
    flash("Limits recalculated from that month. The chart shows the step.", "success")
    return _back_to_dashboard(data)


@bp.post("/recalculations/<int:recalculation_id>/delete")
@role_required(Role.MANAGER)
def recalculation_remove(recalculation_id: int) -> Any:
    data = _form_filters()
    try:
        recalculation.remove(current_user, recalculation_id)
    except Invalid as err:
        return _dashboard_page(data, {}, {"values": {}, "errors": err.errors})
    flash("Step removed: the limits come from all the months again.", "success")
    return _back_to_dashboard(data)


# --- denominators (visits and people supported per branch per month) ---------------------------

STALE_FIGURES = (
    "Someone else saved this month's figures while you were editing. "
    "The form now shows what they saved: check it and save again if yours are right."
)


def _denominators_page(
    code: str | None, errors: dict[str, list[str]], form: dict[str, Any], status: int = 200
) -> Any:
    try:
        branch = denominators.branch_of(current_user, code)
    except Invalid as err:
        errors = {**err.errors, **errors}
        branch = denominators.branch_of(current_user, None)
        status = 422
    return render_template(
        "governance/denominators.html",
        branch=branch,
        branches=[branch_code_choice(b) for b in choose_branches(current_user, None)],
        months=denominators.months_for_page(branch, uk_today()),
        errors=errors,
        form=form,  # the month whose form is shown again, with what was sent
    ), status


@bp.get("/denominators")
@role_required(Role.MANAGER)
def denominators_page() -> Any:
    code = request.args.get("branch", "").strip()[:20] or None
    return _denominators_page(code, {}, {})


@bp.post("/denominators")
@role_required(Role.MANAGER)
def denominators_save() -> Any:
    data, errors = load_form(DenominatorInSchema(), request.form)
    status = 422
    if not errors:
        try:
            row = denominators.save(current_user, data, uk_today())
        except Invalid as err:
            errors = err.errors
        except Stale:
            errors, status, data = {"_schema": [STALE_FIGURES]}, 409, {"month": data["month"]}
        else:
            flash(f"Saved the figures for {dates.month_label(row.month)}.", "success")
            anchor = f"#month-{row.month}"
            return redirect(
                url_for("governance.denominators_page", branch=row.branch.code) + anchor, 303
            )
    code = str(request.form.get("branch", "")).strip()[:20] or None
    return _denominators_page(
        code, errors, {k: str(v) for k, v in data.items() if v is not None}, status
    )


# --- meetings ----------------------------------------------------------------------------------


@bp.get("/meetings")
@role_required(Role.MANAGER)
def meetings() -> Any:
    return render_template("governance/meetings.html", meetings=list_meetings(current_user))


def _meeting_form(values: dict[str, Any], errors: dict[str, list[str]], status: int = 200) -> Any:
    branches = choose_branches(current_user, None)
    return render_template(
        "governance/meeting_new.html",
        values=values,
        errors=errors,
        branches=[("", "All my branches")] + [branch_code_choice(b) for b in branches],
    ), status


@bp.get("/meetings/new")
@role_required(Role.MANAGER)
def meeting_new() -> Any:
    data, _ = _filters()
    period = dates.last_months(uk_today(), data["months"])
    mine = {b.code for b in choose_branches(current_user, None)}
    values = {
        "branch": data["branch"] if data["branch"] in mine else "",
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "held_on": uk_today().isoformat(),
    }
    return _meeting_form(values, {})


@bp.post("/meetings")
@role_required(Role.MANAGER)
def meeting_create() -> Any:
    data, errors = load_form(MeetingInSchema(), request.form)
    if not errors:
        try:
            meeting = record_meeting(current_user, data, **_settings())
        except Invalid as err:
            errors = err.errors
        else:
            flash("Meeting recorded, with the figures as they stand today.", "success")
            return redirect(url_for("governance.meeting", meeting_id=meeting.id), 303)
    values = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in data.items()}
    return _meeting_form(values, errors, 422)


def _meeting_context(meeting: Any) -> dict[str, Any]:
    return {
        "meeting": meeting,
        "figures": meeting.snapshot,
        "chart": chart.spc_chart(meeting.snapshot),
        "actions": meeting_actions(current_user, meeting),
        "strength": strength.action_strength,
    }


@bp.get("/meetings/<int:meeting_id>")
@role_required(Role.MANAGER)
def meeting(meeting_id: int) -> Any:
    return render_template(
        "governance/meeting.html",
        **_meeting_context(get_meeting(current_user, meeting_id)),
    )


@bp.get("/meetings/<int:meeting_id>/pack")
@role_required(Role.MANAGER)
def meeting_pack(meeting_id: int) -> Any:
    found = get_meeting(current_user, meeting_id)
    record_pack_export(current_user, found, "print")
    return render_template("governance/pack.html", **_meeting_context(found))


@bp.get("/meetings/<int:meeting_id>/pack.html")
@role_required(Role.MANAGER)
def meeting_pack_word(meeting_id: int) -> Any:
    found = get_meeting(current_user, meeting_id)
    record_pack_export(current_user, found, "html")
    html = render_template("governance/pack_export.html", **_meeting_context(found))
    response = Response(html, mimetype="text/html")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="governance-meeting-{found.id}.html"'
    )
    # A document for Word: its own small stylesheet, and nothing that runs.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
