"""Learning reviews: the list, starting one, answering and completing it."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from actions import queries
from actions import strength as strength_rules
from core.errors import Invalid, Stale
from core.forms import load_form
from core.models import Role
from core.permissions import role_required
from incidents.models import label
from learning import incident_links
from learning import permissions as learning_permissions
from learning import reviews as review_rules
from learning.models import Condition, ReviewMethod, ReviewStatus
from learning.routes._common import STALE
from learning.routes.blueprint import bp
from learning.schemas import PatternReviewSchema, ReviewAnswersSchema, ReviewStartSchema

COMPLETED = "Review completed. The people who reported it can now see what was learned."


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


def _from_pattern() -> Any:
    """The patterns page's form: a pattern's identity, its incidents found again."""
    data, errors = load_form(PatternReviewSchema(), request.form)
    if not errors:
        try:
            review = review_rules.start_from_pattern(
                current_user,
                data["pattern"],
                data["window_from"],
                data["window_to"],
                data.get("title", ""),
            )
        except Invalid as err:
            errors = err.errors
        else:
            flash(f"{review.method_enum.label} started.", "success")
            return redirect(url_for("learning.review", review_id=review.id))
    values = {"method": ReviewMethod.THEMATIC.value, "title": data.get("title", "")}
    return _review_new_form(values, {"incident_ids": [], **errors} if errors else errors, 422)


@bp.post("/reviews")
@role_required(Role.SUPERVISOR, Role.MANAGER)
def review_start() -> Any:
    if "pattern" in request.form:
        return _from_pattern()
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
        can_edit=learning_permissions.can_edit_review(current_user, review),
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


def _review_again(
    review_id: int, data: dict[str, Any], errors: dict[str, list[str]], status: int
) -> Any:
    """The review page again after a refused save: the latest version of the review,
    with the answers as they were sent."""
    found = review_rules.get_review(current_user, review_id)
    return _review_page(found, {**data, "version": found.version}, errors, status)


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
        return _review_again(review_id, data, err.errors, 422)
    except Stale:
        return _review_again(review_id, data, {"_schema": [STALE]}, 409)
    flash(COMPLETED if complete else "Saved.", "success")
    return redirect(url_for("learning.review", review_id=review_id))
