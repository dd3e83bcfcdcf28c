"""Learning pages: reviews, actions, patterns, bulletins, case studies, and an
incident's learning (with closing it). Thin: parse, authorise, call a service,
render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from actions import due, permissions, queries, records, sources
from actions import strength as strength_rules
from actions.models import ActionStatus
from audits import results, template_versions
from core import scoping
from core.dates import uk_today
from core.errors import Invalid, OutOfScope, Stale
from core.forms import load_form, record_id
from core.htmx import wants_partial
from core.models import Role
from core.permissions import role_required
from incidents import services
from incidents import services as incidents
from incidents.models import Category, label
from learning import briefing_notes, closing, incident_links, verification
from learning import bulletins as bulletin_rules
from learning import case_studies as case_study_rules
from learning import incident_learning as incident_learning_rules
from learning import patterns as pattern_rules
from learning import permissions as learning_permissions
from learning import reviews as review_rules
from learning.models import BriefingNoteKind, Condition, ReviewMethod, ReviewStatus
from learning.schemas import (
    ActionCarrySchema,
    ActionDoneSchema,
    ActionInSchema,
    ActionVerifySchema,
    BriefingNoteSchema,
    BulletinInSchema,
    CaseStudySchema,
    CaseStudyStartSchema,
    CloseIncidentSchema,
    ReviewAnswersSchema,
    ReviewStartSchema,
)

bp = Blueprint("learning", __name__)


STALE = (
    "Someone else changed this while you had it open. Your answers are below: check "
    "them against the latest version and save again."
)


def _today() -> Any:
    return uk_today()


def _soon() -> int:
    return int(current_app.config["ACTION_DUE_SOON_DAYS"])


def _int_arg(name: str) -> int | None:
    return record_id(request.args.get(name))


# --- reviews ---------------------------------------------------------------------------------


@bp.get("/reviews")
@role_required(Role.SUPERVISOR, Role.MANAGER, Role.OFFICE)
def reviews() -> Any:
    status = request.args.get("status")
    if status not in {s.value for s in ReviewStatus}:
        status = None
    return render_template(
        "learning/reviews.html",
        reviews=review_rules.list_reviews(current_user, status),
        status=status,
        ReviewStatus=ReviewStatus,
    )


def _review_new_form(
    values: dict[str, Any], errors: dict[str, list[str]], status: int = 200
) -> Any:
    candidates = incident_links.reviewable_incidents(current_user)
    chosen = set(values.get("incident_ids") or [])
    # Incidents passed in (from a pattern or a record) stay listed even if closed.
    known = {i.id for i in candidates}
    candidates += [
        i
        for i in incident_links.visible_among(current_user, sorted(chosen - known))
        if i.id not in known
    ]
    return render_template(
        "learning/review_new.html",
        values=values,
        errors=errors,
        candidates=candidates,
        methods=list(ReviewMethod),
        label=label,
    ), status


@bp.get("/reviews/new")
@role_required(Role.SUPERVISOR, Role.MANAGER)
def review_new() -> Any:
    method = request.args.get("method", "")
    values = {
        "method": method if method in {m.value for m in ReviewMethod} else "",
        "incident_ids": request.args.getlist("incident"),
        "title": request.args.get("title", "")[:200],
    }
    return _review_new_form(values, {})


@bp.post("/reviews")
@role_required(Role.SUPERVISOR, Role.MANAGER)
def review_start() -> Any:
    data, errors = load_form(ReviewStartSchema(), request.form)
    if not errors:
        try:
            review = review_rules.start_review(
                current_user, data["method"], data["incident_ids"], data.get("title", "")
            )
        except Invalid as err:
            errors = err.errors
        else:
            flash(f"{review.method_enum.label} started.", "success")
            return redirect(url_for("learning.review", review_id=review.id))
    return _review_new_form(data, errors, 422)


def _review_page(
    review: Any, values: dict[str, Any], errors: dict[str, list[str]], status: int = 200
) -> Any:
    actions = queries.actions_from("review", str(review.id))
    carried = review_rules.carried_into(current_user, review)
    return render_template(
        "learning/review.html",
        review=review,
        values=values,
        errors=errors,
        actions=actions,
        carried=carried,
        weak_only=strength_rules.only_weak(actions),
        required=review_rules.REQUIRED_ANSWERS[review.method],
        conditions=list(Condition),
        can_edit=current_user.role in learning_permissions.REVIEW_ROLES and not review.is_completed,
        label=label,
    ), status


def _review_values(review: Any) -> dict[str, Any]:
    values = {name: getattr(review, name) for name in review_rules.ANSWER_FIELDS}
    values["conditions"] = list(review.conditions)
    values["version"] = review.version
    return values


@bp.get("/reviews/<int:review_id>")
@role_required(Role.SUPERVISOR, Role.MANAGER, Role.OFFICE)
def review(review_id: int) -> Any:
    found = review_rules.get_review(current_user, review_id)
    return _review_page(found, _review_values(found), {})


@bp.post("/reviews/<int:review_id>")
@role_required(Role.SUPERVISOR, Role.MANAGER)
def review_save(review_id: int) -> Any:
    found = review_rules.get_review(current_user, review_id)
    data, errors = load_form(ReviewAnswersSchema(), request.form)
    if errors:
        return _review_page(found, {**data, "version": found.version}, errors, 422)
    complete = data.pop("intent") == "complete"
    version = data.pop("version")
    try:
        review_rules.save_review(current_user, found, data, complete=complete, version=version)
    except Invalid as err:
        found = review_rules.get_review(current_user, review_id)
        return _review_page(found, {**data, "version": found.version}, err.errors, 422)
    except Stale:
        found = review_rules.get_review(current_user, review_id)
        return _review_page(found, {**data, "version": found.version}, {"_schema": [STALE]}, 409)
    if complete:
        flash(
            "Review completed. The people who reported it can now see what was learned.", "success"
        )
    else:
        flash("Saved.", "success")
    return redirect(url_for("learning.review", review_id=review_id))


# --- actions ---------------------------------------------------------------------------------


@bp.get("/actions")
@login_required
def actions() -> Any:
    default = "mine" if current_user.role in (Role.CARER.value, Role.OFFICE.value) else "open"
    view = request.args.get("view", default)
    if view not in due.ACTION_VIEWS:
        view = default
    return render_template(
        "learning/actions.html",
        actions=due.list_actions(current_user, view, _today(), _soon()),
        view=view,
        views=due.ACTION_VIEWS,
        today=_today(),
        soon=_soon(),
        due_state=due.due_state,
        strength=strength_rules.action_strength,
        can_raise=current_user.role in permissions.ACTION_ROLES,
    )


def _action_new_form(
    values: dict[str, Any], errors: dict[str, list[str]], status: int = 200
) -> Any:
    source = None
    branch_id = None
    try:
        source = sources.resolve_source(
            current_user, values.get("source_type") or "", values.get("source_id") or ""
        )
        branch_id = source.branch_id
    except OutOfScope:
        source = None
    branches = scoping.branches_for(current_user)
    if source is not None and source.branch_ids:
        branches = [b for b in branches if b.id in source.branch_ids]
    if branch_id is None:
        chosen = str(values.get("branch_id") or "")
        branch_id = record_id(chosen)
        if branch_id is None and len(branches) == 1:
            branch_id = branches[0].id
    owners = (
        records.owners_for(current_user, branch_id)
        if branch_id is not None
        else scoping.staff_for(current_user)
    )
    return render_template(
        "learning/action_new.html",
        values=values,
        errors=errors,
        source=source,
        branches=branches,
        owners=owners,
        categories=[(c.value, label(c.value)) for c in Category],
        strength=strength_rules.action_strength(
            values.get("title") or "", values.get("detail") or ""
        ),
    ), status


@bp.get("/actions/new")
@role_required(Role.SUPERVISOR, Role.MANAGER)
def action_new() -> Any:
    source_type = request.args.get("source_type", "meeting")
    if source_type not in ("incident", "review", "meeting"):
        abort(404)
    values: dict[str, Any] = {
        "source_type": source_type,
        "source_id": request.args.get("source_id", ""),
        "owner_id": current_user.id,
        "verification": "none",
        "sample_size": 1,
    }
    if source_type != "meeting" or values["source_id"].strip().isdigit():
        sources.resolve_source(current_user, source_type, values["source_id"])
    return _action_new_form(values, {})


@bp.post("/actions")
@role_required(Role.SUPERVISOR, Role.MANAGER)
def action_create() -> Any:
    data, errors = load_form(ActionInSchema(), request.form)
    if not errors:
        try:
            action = records.new_action(current_user, data)
        except Invalid as err:
            errors = err.errors
        else:
            flash(f"Action agreed: {action.title}", "success")
            if action.source_type == "review":
                return redirect(url_for("learning.review", review_id=int(action.source_id)))
            if action.source_type == "incident":
                return redirect(url_for("learning.incident_learning", incident_id=action.source_id))
            if action.source_type == "meeting" and action.source_id.isdigit():
                return redirect(url_for("governance.meeting", meeting_id=int(action.source_id)))
            return redirect(url_for("learning.action", action_id=action.id))
    return _action_new_form(data, errors, 422)


@bp.get("/actions/strength")
@login_required
def action_strength() -> Any:
    """The weak-action hint for what is being typed (htmx); a plain page without
    JavaScript."""
    strength = strength_rules.action_strength(
        request.args.get("title", "")[:200], request.args.get("detail", "")[:5000]
    )
    return render_template("learning/_strength.html", strength=strength)


def _action_page(
    action: Any,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    today = _today()
    evidence = verification.verification_evidence(action, today)
    can_manage = current_user.role in permissions.ACTION_ROLES
    reviews = (
        review_rules.list_reviews(current_user)
        if can_manage and action.status == ActionStatus.OPEN.value
        else []
    )
    return render_template(
        "learning/action.html",
        action=action,
        source=sources.describe_source(current_user, action),
        evidence=evidence,
        blockers=verification.verification_blockers(action, evidence),
        strength=strength_rules.action_strength(action.title, action.detail),
        state=due.due_state(action, today, _soon()),
        can_mark_done=action.status == ActionStatus.OPEN.value
        and (action.owner_id == current_user.id or can_manage),
        can_verify=current_user.role == Role.MANAGER.value
        and verification.can_judge(action, evidence),
        can_reaudit=current_user.role in permissions.ACTION_ROLES
        and action.requires_verification
        and evidence.kind != "trend"
        and action.status in (ActionStatus.OPEN.value, ActionStatus.DONE.value),
        reviews=reviews,
        sample_template=template_versions.current_template(action.sample_template)
        if action.sample_template
        else None,
        errors=errors or {},
        values=values or {},
        label=label,
    ), status


@bp.get("/actions/<int:action_id>")
@login_required
def action(action_id: int) -> Any:
    return _action_page(queries.get_action(current_user, action_id))


def _action_post(
    action_id: int, schema: Any, apply: Callable[[Any, dict[str, Any]], Any], message: str
) -> Any:
    found = queries.get_action(current_user, action_id)
    data, errors = load_form(schema, request.form)
    if errors:
        return _action_page(found, errors, data, 422)
    try:
        apply(found, data)
    except Invalid as err:
        return _action_page(queries.get_action(current_user, action_id), err.errors, data, 422)
    except Stale:
        return _action_page(
            queries.get_action(current_user, action_id), {"_schema": [STALE]}, data, 409
        )
    flash(message, "success")
    return redirect(url_for("learning.action", action_id=action_id))


@bp.post("/actions/<int:action_id>/done")
@login_required
def action_done(action_id: int) -> Any:
    return _action_post(
        action_id,
        ActionDoneSchema(),
        lambda a, d: records.mark_done(current_user, a, d["evidence"], d["version"]),
        "Marked done. Thank you.",
    )


@bp.post("/actions/<int:action_id>/verify")
@role_required(Role.MANAGER)
def action_verify(action_id: int) -> Any:
    return _action_post(
        action_id,
        ActionVerifySchema(),
        lambda a, d: verification.verify_action(
            current_user, a, d["outcome"], d["note"], version=d["version"]
        ),
        "Verification recorded.",
    )


@bp.post("/actions/<int:action_id>/carry")
@role_required(Role.SUPERVISOR, Role.MANAGER)
def action_carry(action_id: int) -> Any:
    return _action_post(
        action_id,
        ActionCarrySchema(),
        lambda a, d: review_rules.carry_into_review(current_user, a, d["review_id"], d["version"]),
        "The review now follows this action.",
    )


# --- patterns ---------------------------------------------------------------------------------


@bp.get("/patterns")
@role_required(Role.MANAGER)
def patterns() -> Any:
    settings = pattern_rules.PatternSettings.from_config(current_app.config)
    return render_template(
        "learning/patterns.html",
        report=pattern_rules.find_patterns(current_user, settings),
        settings=settings,
        label=label,
    )


# --- an incident's learning, and closing it ----------------------------------------------------


def _incident_page(
    incident_id: str,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    incident = incidents.get_incident(current_user, incident_id)
    return render_template(
        "learning/incident.html",
        learning=incident_learning_rules.incident_learning(current_user, incident),
        incident=incident,
        methods=list(ReviewMethod),
        errors=errors or {},
        values=values or {"version": incident.version},
        label=label,
        today=_today(),
        soon=_soon(),
        due_state=due.due_state,
    ), status


@bp.get("/incidents/<incident_id>/learning")
@role_required(Role.SUPERVISOR, Role.MANAGER, Role.OFFICE)
def incident_learning(incident_id: str) -> Any:
    return _incident_page(incident_id)


@bp.post("/incidents/<incident_id>/close")
@role_required(Role.MANAGER)
def incident_close(incident_id: str) -> Any:
    incident = services.incident_in_scope(current_user, incident_id)
    data, errors = load_form(CloseIncidentSchema(), request.form)
    if not errors:
        try:
            closing.close_incident(
                current_user,
                incident,
                data.get("no_review_reason"),
                data.get("feedback"),
                data.get("version"),
            )
        except Invalid as err:
            errors = err.errors
        except Stale:
            errors = {"_schema": [STALE]}
        else:
            flash(f"{incident.reference} is closed.", "success")
            return redirect(url_for("learning.incident_learning", incident_id=incident.id))
    return _incident_page(incident_id, errors, {**data, "version": incident.version}, 422)


# --- bulletins ---------------------------------------------------------------------------------


@bp.get("/bulletins")
@login_required
def bulletins() -> Any:
    return render_template(
        "learning/bulletins.html", rows=bulletin_rules.list_bulletins(current_user)
    )


def _bulletin_form(values: dict[str, Any], errors: dict[str, list[str]], status: int = 200) -> Any:
    return render_template(
        "learning/bulletin_new.html",
        values=values,
        errors=errors,
        branches=scoping.branches_for(current_user),
        roles=list(Role),
        reviews=review_rules.list_reviews(current_user, ReviewStatus.COMPLETED.value),
    ), status


@bp.get("/bulletins/new")
@role_required(Role.MANAGER)
def bulletin_new() -> Any:
    review_ids = [i for i in map(record_id, request.args.getlist("review")) if i is not None]
    if review_ids:
        values = bulletin_rules.bulletin_draft(current_user, review_ids)
    else:
        values = {"branch_ids": [b.id for b in scoping.branches_for(current_user)], "roles": []}
    return _bulletin_form(values, {})


@bp.post("/bulletins")
@role_required(Role.MANAGER)
def bulletin_create() -> Any:
    data, errors = load_form(BulletinInSchema(), request.form)
    if not errors:
        try:
            bulletin = bulletin_rules.new_bulletin(current_user, data)
        except Invalid as err:
            errors = err.errors
        else:
            flash("Bulletin sent. Staff will see it on their home page.", "success")
            return redirect(url_for("learning.bulletin", bulletin_id=bulletin.id))
    return _bulletin_form(data, errors, 422)


def _bulletin_page(
    bulletin: Any,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    staff_view = current_user.role in (Role.MANAGER.value, Role.SUPERVISOR.value, Role.OFFICE.value)
    can_note = current_user.role in permissions.ACTION_ROLES
    note_branches = [b for b in scoping.branches_for(current_user) if b in bulletin.branches]
    note_values = values or {
        "kind": BriefingNoteKind.TEAM_DEBRIEF.value,
        "held_on": _today().isoformat(),
        "branch_id": note_branches[0].id if note_branches else None,
    }
    return render_template(
        "learning/bulletin.html",
        bulletin=bulletin,
        for_me=bulletin_rules.is_for(current_user, bulletin),
        read_at=bulletin_rules.acknowledged_at(current_user, bulletin),
        readers=bulletin_rules.readership(bulletin) if staff_view else [],
        notes=briefing_notes.notes_about(current_user, bulletin),
        can_note=can_note,
        note_branches=note_branches,
        note_staff=[
            u
            for u in scoping.staff_for(current_user)
            if set(u.branch_ids) & {b.id for b in bulletin.branches}
        ]
        if can_note
        else [],
        kinds=list(BriefingNoteKind),
        errors=errors or {},
        values=note_values,
    ), status


@bp.get("/bulletins/<int:bulletin_id>")
@login_required
def bulletin(bulletin_id: int) -> Any:
    return _bulletin_page(bulletin_rules.get_bulletin(current_user, bulletin_id))


@bp.post("/bulletins/<int:bulletin_id>/acknowledge")
@login_required
def bulletin_acknowledge(bulletin_id: int) -> Any:
    found = bulletin_rules.get_bulletin(current_user, bulletin_id)
    ack = bulletin_rules.acknowledge(current_user, found)
    if wants_partial():
        return render_template(
            "learning/_acknowledge.html", bulletin=found, for_me=True, read_at=ack.at
        )
    flash("Thank you: your manager can see you have read this.", "success")
    return redirect(url_for("learning.bulletin", bulletin_id=bulletin_id))


@bp.post("/bulletins/<int:bulletin_id>/notes")
@role_required(Role.SUPERVISOR, Role.MANAGER)
def bulletin_note(bulletin_id: int) -> Any:
    found = bulletin_rules.get_bulletin(current_user, bulletin_id)
    data, errors = load_form(BriefingNoteSchema(), request.form)
    if not errors:
        try:
            briefing_notes.add_briefing_note(current_user, data, bulletin=found)
        except Invalid as err:
            errors = err.errors
        else:
            flash("Note saved.", "success")
            return redirect(url_for("learning.bulletin", bulletin_id=bulletin_id) + "#notes")
    return _bulletin_page(found, errors, data, 422)


# --- case studies ------------------------------------------------------------------------------


@bp.get("/case-studies")
@role_required(Role.MANAGER)
def case_studies() -> Any:
    return render_template(
        "learning/case_studies.html",
        case_studies=case_study_rules.list_case_studies(current_user),
        reviews=review_rules.list_reviews(current_user, ReviewStatus.COMPLETED.value),
        errors={},
    )


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
    return render_template(
        "learning/case_studies.html",
        case_studies=case_study_rules.list_case_studies(current_user),
        reviews=review_rules.list_reviews(current_user, ReviewStatus.COMPLETED.value),
        errors=errors,
    ), 422


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


def _download(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/case-studies/<int:case_study_id>/case-study.md")
@role_required(Role.MANAGER)
def case_study_markdown(case_study_id: int) -> Any:
    found = case_study_rules.get_case_study(current_user, case_study_id)
    case_study_rules.record_export(current_user, found, "markdown")
    return _download(
        case_study_rules.case_study_markdown(found),
        "text/markdown",
        f"case-study-{found.id}.md",
    )


@bp.get("/case-studies/<int:case_study_id>/case-study.html")
@role_required(Role.MANAGER)
def case_study_word(case_study_id: int) -> Any:
    found = case_study_rules.get_case_study(current_user, case_study_id)
    case_study_rules.record_export(current_user, found, "html")
    html = render_template(
        "learning/case_study_export.html",
        case_study=found,
        sections=case_study_rules.CASE_STUDY_SECTIONS,
    )
    response = _download(html, "text/html", f"case-study-{found.id}.html")
    # A document for Word: its own small stylesheet, and nothing that runs.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@bp.post("/audits/<audit_id>/verification")
@role_required(Role.MANAGER)
def verify_by_reaudit(audit_id: str) -> Any:
    """A manager's judgement of an action on a re-audit's result page."""
    audit = results.get_audit(current_user, audit_id)
    choice = request.form.get("effective")
    if choice not in {"yes", "no"}:
        flash("Choose whether the change worked.", "error")
        return redirect(url_for("audits.detail", audit_id=audit.id, _anchor="verify"), code=303)
    try:
        action = verification.verify_by_reaudit(
            current_user, audit, choice == "yes", request.form.get("note", "")[:2000]
        )
    except Invalid as err:
        flash(" ".join(m for ms in err.errors.values() for m in ms), "error")
        return redirect(url_for("audits.detail", audit_id=audit.id), code=303)
    except Stale:
        flash("Someone else changed this action at the same time. Check it and try again.", "error")
        return redirect(url_for("audits.detail", audit_id=audit.id), code=303)
    flash(f"Action marked {action.status_enum.label.lower()}.", "success")
    return redirect(url_for("audits.detail", audit_id=audit.id), code=303)
