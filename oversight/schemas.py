"""The audit trail page's filters, from a GET form (unknown parameters ignored)."""

from __future__ import annotations

from marshmallow import EXCLUDE, fields, validate

from core.forms import OptionalDateRange, StoredInt

PERSON_CHOICE = "Choose a person from the list."


class TrailFilterSchema(OptionalDateRange):
    class Meta:
        unknown = EXCLUDE

    person = StoredInt(
        load_default=None,
        allow_none=True,
        error_messages={"invalid": PERSON_CHOICE, "too_large": PERSON_CHOICE},
    )
    record = fields.String(
        load_default="",
        validate=validate.Length(max=64, error="Enter a reference or id of at most 64 characters."),
    )
    action = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=40, error="Choose an action from the list."),
    )
    cursor = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200, error="This page link is not valid."),
    )
