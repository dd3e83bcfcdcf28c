"""The incident list: a reviewer's, with its filters, or a reporter's own
reports."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request
from flask_login import current_user, login_required
from marshmallow import ValidationError

from core import scoping
from core.choices import person_choice
from core.forms import flatten_errors
from core.htmx import wants_partial
from core.models import PersonSupported, Team, User
from incidents import office_work, permissions, search
from incidents.routes._common import (
    CATEGORY_CHOICES,
    HARM_CHOICES,
    KIND_CHOICES,
    STATUS_CHOICES,
)
from incidents.routes.blueprint import bp
from incidents.schemas import IncidentFilterSchema


def _filter_data(raw: dict[str, str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The list's filters as the schema reads them, or none and why."""
    try:
        return IncidentFilterSchema().load(raw), {}
    except ValidationError as err:
        return {}, flatten_errors(err.messages)


def _list_context(raw: dict[str, str], found: search.IncidentList) -> dict[str, Any]:
    return {
        "page": found.page,
        "filters": found.filters,
        "values": raw if found.errors else _filter_values(found.filters),
        "errors": found.errors,
        "query": _query_without_page(found.filters),
        "partial": wants_partial(),
    }


def _person_option(person: PersonSupported) -> tuple[str, str]:
    value, text = person_choice(person)
    return value, text if person.active else f"{text} (archived)"


def _filter_choices(user: User, teams: list[Team]) -> dict[str, Any]:
    """What the review list's filters offer to choose from."""
    return {
        "branches": [(b.code, b.name) for b in scoping.branches_for(user)],
        "people": [_person_option(p) for p in scoping.people_on_record(user)],
        "teams": [(t.id, t.label if t.active else f"{t.label} (switched off)") for t in teams],
        "category_choices": CATEGORY_CHOICES,
        "harm_choices": HARM_CHOICES,
        "kind_choices": KIND_CHOICES,
        "status_choices": STATUS_CHOICES,
        "sort_choices": list(search.SORTS.items()),
        "work_choices": [(w.value, label) for w, label in office_work.LABELS.items()],
    }


@bp.get("")
@login_required
def index() -> Any:
    user: User = current_user
    # Empty fields of a GET form mean "any".
    raw = {k: v for k, v in request.args.items() if v.strip() != ""}
    data, errors = _filter_data(raw)
    found = search.incident_list(user, data, errors, current_app.config["INCIDENTS_PAGE_SIZE"])
    context = _list_context(raw, found)
    if permissions.can_filter(user):
        template = "incidents/_results.html" if wants_partial() else "incidents/index.html"
        context.update(_filter_choices(user, found.teams))
    else:
        template = "incidents/_my_reports.html" if wants_partial() else "incidents/mine.html"
    return render_template(template, **context), 422 if found.errors else 200


def _filter_values(filters: search.IncidentFilters) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in (
        "q",
        "branch",
        "category",
        "harm",
        "status",
        "kind",
        "person",
        "team",
        "work",
        "sort",
    ):
        value = getattr(filters, name)
        if value:
            values[name] = value
    for name in ("date_from", "date_to"):
        value = getattr(filters, name)
        if value:
            values[name] = value.isoformat()
    if filters.overdue:
        values["overdue"] = ["true"]
    return values


def _query_without_page(filters: search.IncidentFilters) -> dict[str, Any]:
    query = _filter_values(filters)
    if filters.overdue:
        query["overdue"] = "true"
    if query.get("sort") == "newest":
        query.pop("sort")
    return query
