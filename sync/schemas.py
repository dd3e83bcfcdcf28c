"""The sync API's own answers (the records themselves are the packages' schemas).

Used to dump the answers and, with the packages' schemas, to describe the API in
GET /api/v1/openapi.json, so the document and the answers cannot drift apart."""

from __future__ import annotations

from marshmallow import Schema, fields

from audits.schemas import AuditOutSchema, TemplateRefSchema
from incidents.schemas import PersonRefSchema


class SessionUserSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String()


class SessionSchema(Schema):
    """Who is signed in, and the CSRF token every API write carries as X-CSRFToken."""

    user = fields.Nested(SessionUserSchema)
    csrf_token = fields.String()


class ChoiceSchema(Schema):
    value = fields.String()
    label = fields.String()


class ReferencePersonSchema(PersonRefSchema):
    """A person supported as the offline forms list them: with their branch."""

    branch = fields.String()


class StaffRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()
    branches = fields.List(fields.String())


class BodyRegionSchema(Schema):
    code = fields.String()
    label = fields.String()
    side = fields.String()


class ReferenceSchema(Schema):
    """What the offline forms need, within the caller's scope."""

    categories = fields.List(fields.Nested(ChoiceSchema))
    medication_errors = fields.List(fields.Nested(ChoiceSchema))
    people = fields.List(fields.Nested(ReferencePersonSchema))
    staff = fields.List(fields.Nested(StaffRefSchema))
    audit_templates = fields.List(fields.Nested(TemplateRefSchema))
    body_regions = fields.List(fields.Nested(BodyRegionSchema))


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditOutSchema))
    next = fields.String(allow_none=True)


class AcknowledgementOutSchema(Schema):
    """The answer to a bulletin's confirmation: the entry's own id, so the phone's
    outbox knows the server has it."""

    id = fields.String()
    bulletin = fields.Integer()
    read_at = fields.AwareDateTime()


class ErrorsSchema(Schema):
    """422: messages per field."""

    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True)


class MessageSchema(Schema):
    """Any other 4xx: a plain message (a 409 also carries `existing`, the stored
    version, when the caller is its author)."""

    error = fields.String(required=True)
    reason = fields.String()
    existing = fields.Dict()


class AttachmentOutSchema(Schema):
    """A photo as stored (POST /api/v1/incidents/<id>/attachments answers with it)."""

    id = fields.String()
    content_type = fields.String()
    bytes = fields.Integer()
    width = fields.Integer()
    height = fields.Integer()
