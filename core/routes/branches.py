"""Branches (managers): the list with what is in each, adding, renaming and
archiving. The rules are core.branches."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from core import branches
from core.forms import load_form
from core.models import Branch
from core.permissions import role_required
from core.routes.blueprint import bp
from core.schemas import NewBranchSchema, RenameBranchSchema


def _list_page(status: int = 200, **context: Any) -> Any:
    mine = branches.managed_branches(current_user)
    context.setdefault("values", {})
    context.setdefault("errors", {})
    return render_template(
        "core/branches.html",
        branches=mine,
        counts=branches.branch_counts(),
        figures=branches.figures(mine),
        **context,
    ), status


def _branch_page(branch: Branch, status: int = 200, **context: Any) -> Any:
    context.setdefault("values", {"name": branch.name})
    context.setdefault("errors", {})
    return render_template(
        "core/branch.html",
        branch=branch,
        counts=branches.branch_counts(),
        figures=branches.figures([branch])[branch.id],
        refusals=[] if branch.archived else branches.archive_refusals(branch),
        **context,
    ), status


@bp.get("/branches")
@role_required(*branches.MANAGING)
def branch_list() -> Any:
    return _list_page()


@bp.post("/branches")
@role_required(*branches.MANAGING)
def add_branch() -> Any:
    data, errors = load_form(NewBranchSchema(), request.form)
    if not errors:
        try:
            branch = branches.add_branch(current_user, **data)
        except branches.BranchError as err:
            errors = err.errors
        else:
            flash(f"Added {branch.name} ({branch.code}). You manage it.", "success")
            return redirect(url_for("core.branch_list"))
    return _list_page(422, values=data, errors=errors)


@bp.route("/branches/<int:branch_id>", methods=["GET", "POST"])
@role_required(*branches.MANAGING)
def edit_branch(branch_id: int) -> Any:
    branch = branches.get_managed_branch(current_user, branch_id)
    if request.method == "GET":
        return _branch_page(branch)
    data, errors = load_form(RenameBranchSchema(), request.form)
    if not errors:
        try:
            branches.rename_branch(current_user, branch, **data)
        except branches.BranchError as err:
            errors = err.errors
        else:
            flash(f"{branch.code} is now called {branch.name}.", "success")
            return redirect(url_for("core.branch_list"))
    return _branch_page(branch, 422, values=data, errors=errors)


@bp.post("/branches/<int:branch_id>/archive")
@role_required(*branches.MANAGING)
def archive_branch(branch_id: int) -> Any:
    branch = branches.get_managed_branch(current_user, branch_id)
    try:
        branches.archive_branch(current_user, branch)
    except branches.BranchError as err:
        return _branch_page(branch, 422, errors=err.errors)
    flash(f"Archived {branch.name} ({branch.code}). Its records stay.", "success")
    return redirect(url_for("core.branch_list"))


@bp.post("/branches/<int:branch_id>/restore")
@role_required(*branches.MANAGING)
def restore_branch(branch_id: int) -> Any:
    branch = branches.get_managed_branch(current_user, branch_id)
    branches.restore_branch(current_user, branch)
    flash(f"{branch.name} ({branch.code}) is in use again.", "success")
    return redirect(url_for("core.branch_list"))
