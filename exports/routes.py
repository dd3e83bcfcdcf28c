"""The exports page (a GET form) and the files: /exports/<what>.csv and .xlsx;
and the PDF packs (`packs`, exports.packs): the governance pack and a meeting's
(managers), one incident's record, the CQC evidence pack and the commissioner's
report (managers and office staff, within their branches). Thin: parse,
authorise, call exports.service or exports.packs, render or stream."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from marshmallow import Schema, ValidationError

from core import scoping
from core.dates import Period, uk_today
from core.errors import OutOfScope
from core.forms import flatten_errors
from core.models import Branch, Role, User
from core.permissions import role_required
from exports import packs as pack_service
from exports import service
from exports.datasets import DATASETS
from exports.pdf import pdf_response
from exports.permissions import EXPORTERS
from exports.schemas import ExportFormSchema, ExportQuerySchema, PackQuerySchema

bp = Blueprint("exports", __name__, url_prefix="/exports")
# The PDF packs, each at home beside the page it comes from.
packs = Blueprint("packs", __name__)

Values = dict[str, Any]
# What the anonymise box (or an address typed by hand) sends for yes.
TICKED = ("1", "true", "on", "yes")
Errors = dict[str, list[str]]


def _read(schema: Schema) -> tuple[Values, dict[str, Any], Errors]:
    """The query as sent, what the schema read from it, and what is wrong."""
    values = {k: v.strip() for k, v in request.args.items() if v.strip()}
    try:
        return values, schema.load(values), {}
    except ValidationError as err:
        return values, {}, flatten_errors(err.messages)


def _defaults() -> Values:
    """Last calendar month, every branch, incidents as CSV."""
    first_of_this = uk_today().replace(day=1)
    last = first_of_this - timedelta(days=1)
    return {"what": "incidents", "format": "csv", "from": last.replace(day=1), "to": last}


def _page(values: Values, errors: Errors, status: int = 200) -> Any:
    return render_template(
        "exports/index.html",
        values={**values, "anonymised": ["1"] if values.get("anonymised") in TICKED else []},
        errors=errors,
        kinds=[(d.name, d.label) for d in DATASETS.values()],
        branches=[
            (b.code, b.name + (" (archived)" if b.archived else ""))
            for b in scoping.branches_for(current_user)
        ],
    ), status


def _refused(values: Values, errors: Errors) -> Any:
    """422: the exports page with the problem for a browser, else plain text."""
    if request.accept_mimetypes.best_match(["text/html", "text/plain"]) == "text/plain":
        lines = [m for messages in errors.values() for m in messages]
        return Response("\n".join(lines) + "\n", 422, mimetype="text/plain")
    return _page(values, errors, 422)


@bp.get("")
@role_required(*EXPORTERS)
def index() -> Any:
    """The form; sent (it names what to export), the file's address or the problem."""
    if "what" not in request.args:
        return _page(_defaults(), {})
    values, data, errors = _read(ExportFormSchema())
    if not errors:
        try:
            service.branch_for(current_user, data["branch"])
        except OutOfScope:
            errors = {"branch": ["Choose one of your branches."]}
    if errors:
        return _page(values, errors, 422)
    query: dict[str, Any] = {k: values[k] for k in ("from", "to", "branch") if k in values}
    if data["anonymised"]:
        query["anonymised"] = "1"
    return redirect(url_for(f"exports.{data['format']}_file", what=data["what"], **query), 303)


def _export(what: str, file_format: str) -> Any:
    dataset = DATASETS.get(what) or abort(404)
    values, data, errors = _read(ExportQuerySchema())
    if errors:
        return _refused({**values, "what": what, "format": file_format}, errors)
    branch = service.branch_for(current_user, data["branch"])
    export = service.Export(
        dataset,
        file_format,
        service.Period(data["date_from"], data["date_to"]),
        branch,
        data["anonymised"],
    )
    return Response(
        stream_with_context(service.start(current_user, export)),
        mimetype=export.mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/<what>.csv")
@role_required(*EXPORTERS)
def csv_file(what: str) -> Any:
    return _export(what, "csv")


@bp.get("/<what>.xlsx")
@role_required(*EXPORTERS)
def xlsx_file(what: str) -> Any:
    return _export(what, "xlsx")


# --- PDF packs ---------------------------------------------------------------------------------

# A pack for a period: exports.packs.governance_pack, cqc_pack or commissioner_report.
PackMaker = Callable[[User, Branch | None, Period], pack_service.Pack]


def _period_pack(make: PackMaker) -> Any:
    """A pack for `?from&to[&branch]`: 422 with the problem (never 500) for bad
    dates, 404 for a branch that is not the caller's."""
    values, data, errors = _read(PackQuerySchema())
    if errors:
        return _refused(values, errors)
    branch = service.branch_for(current_user, data["branch"])
    found = make(current_user, branch, Period(data["date_from"], data["date_to"]))
    return pdf_response(found.pdf, found.filename)


@packs.get("/governance/pack.pdf")
@role_required(Role.MANAGER)
def governance_pack() -> Any:
    return _period_pack(pack_service.governance_pack)


@packs.get("/governance/meetings/<int:meeting_id>/pack.pdf")
@role_required(Role.MANAGER)
def meeting_pack(meeting_id: int) -> Any:
    found = pack_service.meeting_pack(current_user, meeting_id)
    return pdf_response(found.pdf, found.filename)


@packs.get("/incidents/<incident_id>/record.pdf")
@role_required(*EXPORTERS)
def incident_record(incident_id: str) -> Any:
    found = pack_service.incident_record(current_user, incident_id)
    return pdf_response(found.pdf, found.filename)


@packs.get("/exports/cqc.pdf")
@role_required(*EXPORTERS)
def cqc_pack() -> Any:
    return _period_pack(pack_service.cqc_pack)


@packs.get("/exports/commissioner.pdf")
@role_required(*EXPORTERS)
def commissioner_report() -> Any:
    return _period_pack(pack_service.commissioner_report)
