"""GET /api/v1/openapi.json: the sync API described from the same marshmallow
schemas the routes load and dump with (apispec), so it says what the code does."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from audits.schemas import AuditInSchema, AuditOutSchema, AuditReceiptSchema
from core.forms import MAX_ID
from incidents.schemas import (
    IncidentInSchema,
    IncidentOutSchema,
    IncidentPageSchema,
    IncidentReceiptSchema,
)
from learning.schemas import AcknowledgementInSchema, ActionPageSchema
from sync.schemas import (
    AcknowledgementOutSchema,
    AttachmentOutSchema,
    AuditPageSchema,
    ErrorsSchema,
    MessageSchema,
    ReferenceSchema,
    SessionSchema,
)

SCHEMAS: dict[str, Any] = {
    "Session": SessionSchema,
    "Reference": ReferenceSchema,
    "IncidentIn": IncidentInSchema,
    "Incident": IncidentOutSchema,
    "IncidentPage": IncidentPageSchema,
    "IncidentReceipt": IncidentReceiptSchema,
    "AuditIn": AuditInSchema,
    "Audit": AuditOutSchema,
    "AuditPage": AuditPageSchema,
    "AuditReceipt": AuditReceiptSchema,
    "ActionPage": ActionPageSchema,
    "AcknowledgementIn": AcknowledgementInSchema,
    "Acknowledgement": AcknowledgementOutSchema,
    "Attachment": AttachmentOutSchema,
    "Errors": ErrorsSchema,
    "Message": MessageSchema,
}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _problem(description: str) -> dict[str, Any]:
    return _json("Message", description)


SIGNED_OUT = _problem("Not signed in.")
NOT_FOUND = _problem("Not there, or outside the caller's scope.")
INVALID = _json("Errors", "The body breaks a rule; messages per field. Nothing was saved.")
# Any request (core.web's guard): `reason` is "nul", "surrogate" or "nesting".
MALFORMED = _problem(
    "Something no person types: a null character or a lone surrogate in the address, "
    "query or body, or JSON nested more than 32 levels deep; `reason` says which. "
    "Nothing was saved."
)
BAD_BODY = _problem(
    "Not JSON or not UTF-8; no valid CSRF token (`reason` csrf); or, as for any "
    "request, a null character, a lone surrogate or JSON nested more than 32 levels "
    "deep (`reason` nul, surrogate or nesting). Nothing was saved."
)
TOO_LARGE = _problem("The body is over 256 KB.")
NOT_JSON = _problem("The body is not JSON.")
BAD_BODY = _problem("Not JSON, not UTF-8, or no valid CSRF token. Nothing was saved.")
# Until the caller has changed a password a manager typed ("reason": "password_change").
CHANGE_PASSWORD_FIRST = _problem("The caller must first change the password a manager set.")

PAGING = [
    {
        "name": "limit",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
    },
    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
]


def _create(body: str, receipt: str, what: str) -> dict[str, Any]:
    """A write a phone may send more than once: the device's id makes it safe."""
    return {
        "summary": f"Create {what} (idempotent by the id made on the device)",
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}},
        },
        "responses": {
            "201": _json(receipt, "Created."),
            "200": _json(receipt, "That id was already received with the same content."),
            "400": BAD_BODY,
            "401": SIGNED_OUT,
            "403": _problem(
                "The caller's role may not do this, or they must first change the "
                "password a manager set."
            ),
            "404": _problem("The person is outside the caller's scope."),
            "409": _problem("That id was already received with other content."),
            "413": TOO_LARGE,
            "415": NOT_JSON,
            "422": INVALID,
        },
    }


def _list(page: str, what: str) -> dict[str, Any]:
    return {
        "summary": f"{what} within the caller's scope, newest first",
        "parameters": PAGING,
        "responses": {
            "200": _json(page, "A page; `next` is the cursor of the next."),
            "400": MALFORMED,
            "401": SIGNED_OUT,
            "403": CHANGE_PASSWORD_FIRST,
            "422": _json("Errors", "A limit out of range or a cursor the server did not make."),
        },
    }


def _one(schema: str, what: str) -> dict[str, Any]:
    return {
        "summary": f"One {what}",
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {
            "200": _json(schema, "The record."),
            "400": MALFORMED,
            "401": SIGNED_OUT,
            "403": CHANGE_PASSWORD_FIRST,
            "404": NOT_FOUND,
        },
    }


def _photo_upload() -> dict[str, Any]:
    """POST /incidents/{id}/attachments: a photo, sent after its incident."""
    form = {
        "type": "object",
        "required": ["id", "file", "consent_by"],
        "properties": {
            "id": {"type": "string", "format": "uuid", "description": "Made on the device."},
            "file": {"type": "string", "format": "binary", "description": "JPEG, PNG or WebP."},
            "consent_by": {"type": "string", "maxLength": 200, "description": "Who agreed."},
        },
    }
    return {
        "summary": "Add a photo to an incident (idempotent by the id made on the device)",
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": form}}},
        "responses": {
            "201": _json("Attachment", "Stored: re-encoded, with no metadata."),
            "200": _json("Attachment", "That id was already received with the same file."),
            "400": BAD_BODY,
            "401": SIGNED_OUT,
            "403": _problem("The caller may see the incident but not add photos to it."),
            "404": _problem("The incident is not there, or outside the caller's scope."),
            "409": _problem("That id was already received with another file."),
            "413": _problem(
                "The file (or the body) is over the size limit, or has too many pixels."
            ),
            "415": _problem("The content is not a JPEG, PNG or WebP image, whatever its name."),
            "422": _json("Errors", "No id, file or consent, or a broken image. Nothing was saved."),
        },
    }


def build_spec() -> dict[str, Any]:
    spec = APISpec(
        title="Candour sync API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": (
                "JSON in and out, signed in by the session cookie of the pages. Every "
                "write carries the CSRF token from GET /api/v1/session in X-CSRFToken."
            )
        },
        servers=[{"url": "/api/v1"}],
    )
    spec.components.security_scheme(
        "session", {"type": "apiKey", "in": "cookie", "name": "session"}
    )
    spec.components.security_scheme(
        "csrf", {"type": "apiKey", "in": "header", "name": "X-CSRFToken"}
    )
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema=schema)

    read: list[dict[str, list[str]]] = [{"session": []}]
    write: list[dict[str, list[str]]] = [{"session": [], "csrf": []}]
    paths: dict[str, dict[str, Any]] = {
        "/session": {
            "get": {
                "summary": "Who is signed in, and the CSRF token",
                "security": read,
                "responses": {
                    "200": _json("Session", "Signed in."),
                    "400": MALFORMED,
                    "401": SIGNED_OUT,
                },
            }
        },
        "/reference": {
            "get": {
                "summary": "Reference data for the offline forms (ETag; 304 when unchanged)",
                "security": read,
                "responses": {
                    "200": _json("Reference", "Within the caller's scope."),
                    "304": {"description": "Not changed since the ETag sent."},
                    "400": MALFORMED,
                    "401": SIGNED_OUT,
                    "403": CHANGE_PASSWORD_FIRST,
                },
            }
        },
        "/incidents": {
            "post": {
                **_create("IncidentIn", "IncidentReceipt", "an incident or near miss"),
                "security": write,
            },
            "get": {**_list("IncidentPage", "Incidents"), "security": read},
        },
        "/incidents/{id}": {"get": {**_one("Incident", "incident"), "security": read}},
        "/incidents/{id}/attachments": {"post": {**_photo_upload(), "security": write}},
        "/audits": {
            "post": {**_create("AuditIn", "AuditReceipt", "a spot check"), "security": write},
            "get": {**_list("AuditPage", "Spot checks"), "security": read},
        },
        "/audits/{id}": {"get": {**_one("Audit", "spot check"), "security": read}},
        "/actions": {"get": {**_list("ActionPage", "Actions"), "security": read}},
        "/bulletins/{id}/acknowledgements": {
            "post": {
                "summary": "Confirm a learning bulletin was read (safe to send again)",
                "security": write,
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/AcknowledgementIn"}
                        }
                    },
                },
                "responses": {
                    "201": _json("Acknowledgement", "Recorded."),
                    "200": _json("Acknowledgement", "Already recorded; read_at is the first time."),
                    "400": BAD_BODY,
                    "401": SIGNED_OUT,
                    "403": _problem("The bulletin was not written for the caller."),
                    "404": NOT_FOUND,
                    "413": TOO_LARGE,
                    "415": NOT_JSON,
                    "422": INVALID,
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.0 document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "400": MALFORMED,
                },
            }
        },
    }
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document: dict[str, Any] = spec.to_dict()
    return document
