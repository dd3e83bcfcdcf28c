"""The people supported (managers and office staff, within their branches):
the list with search, adding, correcting initials, moving, archiving. Thin:
parse, authorise, call people.people_supported, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from core.errors import Invalid
from core.forms import load_form
from core.models import PersonSupported
from core.permissions import role_required
from people import people_supported as rules
from people.permissions import KEEPING_THE_LIST
from people.schemas import ArchiveSchema, InitialsSchema, MoveSchema, NewPersonSchema, SearchSchema

bp = Blueprint("people", __name__, url_prefix="/people")
KEEPERS = tuple(KEEPING_THE_LIST)


def _list_page(status: int = 200, **context: Any) -> Any:
    query, errors = load_form(SearchSchema(), request.args)
    found = None
    if not errors:
        try:
            found = rules.search(
                current_user, query["q"], archived=query["archived"], cursor=query["after"]
            )
        except Invalid as err:
            errors = err.errors
    if found is None:
        found, status = rules.search(current_user), 422
    context.setdefault("values", {})
    context.setdefault("errors", errors)
    return render_template(
        "people/index.html",
        found=found,
        query=query,
        archived_count=rules.archived_count(current_user),
        reason_labels=rules.ARCHIVE_REASONS,
        branches=rules.branch_choices(current_user),
        **context,
    ), status


def _person_page(person: PersonSupported, status: int = 200, **context: Any) -> Any:
    context.setdefault("values", {"initials": person.initials, "branch_id": person.branch_id})
    context.setdefault("errors", {})
    return render_template(
        "people/person.html",
        person=person,
        branches=rules.branch_choices(current_user),
        reasons=list(rules.ARCHIVE_REASONS.items()),
        reason_labels=rules.ARCHIVE_REASONS,
        **context,
    ), status


@bp.get("")
@role_required(*KEEPERS)
def index() -> Any:
    return _list_page()


@bp.post("")
@role_required(*KEEPERS)
def add() -> Any:
    data, errors = load_form(NewPersonSchema(), request.form)
    if not errors:
        try:
            person = rules.add_person(current_user, **data)
        except rules.PersonError as err:
            errors = err.errors
        else:
            flash(f"Added {person.ref} ({person.initials}) to {person.branch.name}.", "success")
            return redirect(url_for("people.index", q=person.ref))
    return _list_page(422, values=data, errors=errors)


@bp.route("/<int:person_id>", methods=["GET", "POST"])
@role_required(*KEEPERS)
def person(person_id: int) -> Any:
    person = rules.get_person(current_user, person_id)
    if request.method == "GET":
        return _person_page(person)
    data, errors = load_form(InitialsSchema(), request.form)
    if not errors:
        try:
            rules.edit_initials(current_user, person, **data)
        except rules.PersonError as err:
            errors = err.errors
        else:
            flash(f"Saved: {person.ref} ({person.initials}).", "success")
            return redirect(url_for("people.person", person_id=person.id))
    return _person_page(person, 422, values={**data, "branch_id": person.branch_id}, errors=errors)


@bp.post("/<int:person_id>/move")
@role_required(*KEEPERS)
def move(person_id: int) -> Any:
    person = rules.get_person(current_user, person_id)
    data, errors = load_form(MoveSchema(), request.form)
    if not errors:
        try:
            rules.move_person(current_user, person, **data)
        except rules.PersonError as err:
            errors = err.errors
        else:
            flash(f"{person.ref} is now in {person.branch.name}.", "success")
            return redirect(url_for("people.person", person_id=person.id))
    return _person_page(person, 422, values={**data, "initials": person.initials}, errors=errors)


@bp.post("/<int:person_id>/archive")
@role_required(*KEEPERS)
def archive(person_id: int) -> Any:
    person = rules.get_person(current_user, person_id)
    data, errors = load_form(ArchiveSchema(), request.form)
    if not errors:
        try:
            rules.archive_person(current_user, person, **data)
        except rules.PersonError as err:
            errors = err.errors
        else:
            flash(
                f"Archived {person.ref}. Their records stay; forms no longer offer them.", "success"
            )
            return redirect(url_for("people.person", person_id=person.id))
    values = {**data, "initials": person.initials, "branch_id": person.branch_id}
    return _person_page(person, 422, values=values, errors=errors)


@bp.post("/<int:person_id>/restore")
@role_required(*KEEPERS)
def restore(person_id: int) -> Any:
    person = rules.get_person(current_user, person_id)
    rules.restore_person(current_user, person)
    flash(f"{person.ref} is in care again and offered in forms.", "success")
    return redirect(url_for("people.person", person_id=person.id))
