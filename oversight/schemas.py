"""The audit trail page's filters, from a GET form (unknown parameters ignored)."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from core.forms import Day, StoredInt

PERSON_CHOICE = "Choose a person from the list."


class TrailFilterSchema(Schema):
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
    date_from = Day(
        load_default=None,
        allow_none=True,
        error_messages={"invalid": "Enter the first date like 2026-11-20."},
    )
    date_to = Day(
        load_default=None,
        allow_none=True,
        error_messages={"invalid": "Enter the last date like 2026-11-30."},
    )
    cursor = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200, error="This page link is not valid."),
    )

    @validates_schema
    def _dates_in_order(self, data: dict[str, Any], **_kwargs: Any) -> None:
        first, last = data.get("date_from"), data.get("date_to")
        if first and last and last < first:
            raise ValidationError(
                "The last date must be the same as or after the first date.", "date_to"
            )
