"""/api/v1: thin JSON routes over the same services the pages use."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from marshmallow import Schema, ValidationError

from actions import queries
from audits import recording, results
from audits.schemas import AuditInSchema, AuditOutSchema, AuditReceiptSchema
from core.errors import IdConflict, Invalid, NotAllowed, OutOfScope
from core.forms import flatten_errors
from incidents import services as incidents
from incidents.schemas import IncidentInSchema, IncidentOutSchema, IncidentReceiptSchema
from learning import bulletins
from learning.schemas import AcknowledgementInSchema, ActionOutSchema
from sync.http import BadBody, errors_response, message_response, object_body
from sync.openapi import build_spec
from sync.schemas import AcknowledgementOutSchema, SessionSchema
from sync.services import reference_for

bp = Blueprint("sync", __name__, url_prefix="/api/v1")

MAX_PAGE = 100
# page_of_incidents and its kind: (user, limit, cursor) -> (records, next cursor).
PageOf = Callable[[Any, int, str | None], tuple[Sequence[Any], str | None]]


@bp.errorhandler(BadBody)
def _bad_body(err: BadBody) -> ResponseReturnValue:
    if err.status == 422:
        return errors_response({"_schema": [err.message]})
    return message_response(err.status, err.message)


def _own_version(record: Any, schema: Any) -> dict[str, Any]:
    if record.author_id != current_user.id:
        return {}
    return {"existing": schema.dump(record)}


@bp.get("/session")
@login_required
def session_info() -> Any:
    """Who is signed in, and the CSRF token every API write must carry."""
    answer: dict[str, Any] = SessionSchema().dump(
        {"user": current_user, "csrf_token": generate_csrf()}
    )
    return answer


def _limit() -> int | ResponseReturnValue:
    raw = request.args.get("limit", "50")
    # ASCII digits only: "²".isdigit() is true but int("²") fails.
    if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= MAX_PAGE:
        return errors_response({"limit": [f"limit must be a whole number from 1 to {MAX_PAGE}."]})
    return int(raw)


def _page(page_of: PageOf, schema: Schema) -> ResponseReturnValue:
    """`?limit=N&cursor=C`: one page of `page_of`'s records within the caller's
    scope, and the cursor of the next page (null on the last)."""
    limit = _limit()
    if not isinstance(limit, int):
        return limit
    try:
        items, next_cursor = page_of(current_user, limit, request.args.get("cursor") or None)
    except Invalid as err:
        return errors_response(err.errors)
    return {"items": schema.dump(items, many=True), "next": next_cursor}


@dataclass(frozen=True)
class _Entry:
    """One kind of entry a device sends exactly once (an incident, a spot check):
    what differs between them. Receiving one is the same for all (`_receive`)."""

    schema: type[Schema]
    save: Callable[[Any, dict[str, Any]], Any]
    saved: Callable[[Any], Any]  # the record in the service's receipt
    receipt: type[Schema]
    stored: type[Schema]
    not_allowed: str
    conflict: str


INCIDENT_ENTRY = _Entry(
    schema=IncidentInSchema,
    save=incidents.create_incident,
    saved=lambda receipt: receipt.incident,
    receipt=IncidentReceiptSchema,
    stored=IncidentOutSchema,
    not_allowed="Your role cannot report incidents.",
    conflict="An entry with this id was already received with different content.",
)
SPOT_CHECK_ENTRY = _Entry(
    schema=AuditInSchema,
    save=recording.create_audit,
    saved=lambda receipt: receipt.audit,
    receipt=AuditReceiptSchema,
    stored=AuditOutSchema,
    not_allowed="Your role cannot record spot checks.",
    conflict="A spot check with this id was already received with different content.",
)


def _receive(entry: _Entry) -> ResponseReturnValue:
    """Parse the JSON body, validate it with the entry's schema, save it exactly
    once and answer with its receipt: 201 when new, 200 for a replay."""
    body = object_body(request)
    try:
        data = entry.schema().load(body)
    except ValidationError as err:
        return errors_response(flatten_errors(err.messages))
    try:
        receipt = entry.save(current_user, data)
    except NotAllowed:
        return message_response(403, entry.not_allowed)
    except OutOfScope:
        return message_response(404, "That person is not one of the people you support.")
    except Invalid as err:
        return errors_response(err.errors)
    except IdConflict as err:
        # Only the author may see the stored version; anyone else learns nothing.
        return message_response(409, entry.conflict, **_own_version(err.existing, entry.stored()))
    answer = entry.receipt().dump(entry.saved(receipt))
    return answer, 201 if receipt.created else 200


@bp.post("/incidents")
@login_required
def create_incident() -> ResponseReturnValue:
    return _receive(INCIDENT_ENTRY)


@bp.get("/incidents")
@login_required
def list_incidents() -> ResponseReturnValue:
    return _page(incidents.page_of_incidents, IncidentOutSchema())


@bp.get("/incidents/<incident_id>")
@login_required
def get_incident(incident_id: str) -> ResponseReturnValue:
    try:
        incident = incidents.get_incident(current_user, incident_id)
    except OutOfScope:
        return message_response(404, "No such incident.")
    record: dict[str, Any] = IncidentOutSchema().dump(incident)
    return record


# --- spot checks ------------------------------------------------------------------


@bp.post("/audits")
@login_required
def create_audit() -> ResponseReturnValue:
    return _receive(SPOT_CHECK_ENTRY)


@bp.get("/audits")
@login_required
def list_audits() -> ResponseReturnValue:
    return _page(results.page_of_audits, AuditOutSchema())


@bp.get("/audits/<audit_id>")
@login_required
def get_audit(audit_id: str) -> ResponseReturnValue:
    try:
        audit = results.get_audit(current_user, audit_id)
    except OutOfScope:
        return message_response(404, "No such spot check.")
    record: dict[str, Any] = AuditOutSchema().dump(audit)
    return record


# --- actions ---------------------------------------------------------------------


@bp.get("/actions")
@login_required
def list_actions() -> ResponseReturnValue:
    """Actions within scope, newest first (docs/api.md)."""
    return _page(queries.page_of_actions, ActionOutSchema())


# --- learning bulletins ---------------------------------------------------------------


@bp.post("/bulletins/<int:bulletin_id>/acknowledgements")
@login_required
def acknowledge_bulletin(bulletin_id: int) -> ResponseReturnValue:
    """A reader confirms a bulletin, perhaps from a phone's outbox long after: the
    answer names the entry's id, and confirming again is 200 with the first time."""
    body = object_body(request)
    try:
        data = AcknowledgementInSchema().load(body)
    except ValidationError as err:
        return errors_response(flatten_errors(err.messages))
    try:
        bulletin = bulletins.get_bulletin(current_user, bulletin_id)
        ack, created = bulletins.record_acknowledgement(current_user, bulletin, data["read_at"])
    except OutOfScope:
        return message_response(404, "No such bulletin.")
    except NotAllowed:
        return message_response(403, "This bulletin was not written for you.")
    answer = AcknowledgementOutSchema().dump(
        {"id": str(data["id"]), "bulletin": bulletin.id, "read_at": ack.at}
    )
    return answer, 201 if created else 200


# --- reference data ---------------------------------------------------------------


@bp.get("/reference")
@login_required
def reference() -> ResponseReturnValue:
    """Cached by the phone for offline forms; the ETag lets it ask "has anything
    changed?" and get a 304 with no body when nothing has."""
    payload = json.dumps(reference_for(current_user), sort_keys=True, separators=(",", ":"))
    response = Response(payload, mimetype="application/json")
    response.set_etag(hashlib.sha256(payload.encode()).hexdigest()[:32])
    return response.make_conditional(request)


# --- the description of all of the above ----------------------------------------------


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The OpenAPI document (public: it describes the API, holds no data)."""
    return _openapi_document()


@functools.cache
def _openapi_document() -> dict[str, Any]:
    return build_spec()
