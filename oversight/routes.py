"""The audit trail page (managers) and its CSV export. Thin: parse, authorise,
call oversight's rules, render."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    stream_with_context,
)
from flask_login import current_user
from marshmallow import ValidationError

from core.choices import staff_choice
from core.errors import Invalid
from core.forms import flatten_errors
from core.models import User
from core.permissions import role_required
from oversight import trail_export, trail_search
from oversight.permissions import TRAIL_READERS
from oversight.schemas import TrailFilterSchema
from oversight.trail_search import TrailFilters

bp = Blueprint("oversight", __name__, url_prefix="/trail")


def _filters(user: User) -> tuple[dict[str, str], TrailFilters, dict[str, list[str]]]:
    """The form as sent, the filters read from it, and what is wrong with them."""
    raw = {k: v.strip() for k, v in request.args.items() if v.strip() != ""}
    try:
        filters = TrailFilters.from_data(TrailFilterSchema().load(raw))
    except ValidationError as err:
        return raw, TrailFilters(), flatten_errors(err.messages)
    return raw, filters, trail_search.filter_errors(user, filters)


def _page(raw: dict[str, str], errors: dict[str, list[str]], found: Any, status: int) -> Any:
    user: User = current_user
    return render_template(
        "oversight/trail.html",
        values=raw,
        errors=errors,
        found=found,
        query={k: v for k, v in raw.items() if k != "cursor"},
        people=[staff_choice(p) for p in trail_search.people_for(user)],
        actions=[(a, a.replace("_", " ")) for a in trail_search.actions()],
    ), status


@bp.get("")
@role_required(*TRAIL_READERS)
def trail() -> Any:
    raw, filters, errors = _filters(current_user)
    if not errors:
        try:
            size = current_app.config.get("TRAIL_PAGE_SIZE", trail_search.PAGE_SIZE)
            return _page(raw, {}, trail_search.search(current_user, filters, size), 200)
        except Invalid as err:
            errors = err.errors
    return _page(raw, errors, trail_search.no_events(), 422)


@bp.get("/export.csv")
@role_required(*TRAIL_READERS)
def export() -> Any:
    raw, filters, errors = _filters(current_user)
    if errors:
        return _page(raw, errors, trail_search.no_events(), 422)
    events = trail_search.export_statement(current_user, filters)
    trail_export.record_export(current_user, filters)
    chunks = stream_with_context(trail_export.csv_chunks(events))
    disposition = f'attachment; filename="{trail_export.filename(filters)}"'
    return Response(
        chunks,
        mimetype="text/csv",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )
