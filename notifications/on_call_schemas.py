"""The on-call rota's form (the rules, including times in UK time, are
notifications.on_call)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.forms import StoredInt
from core.schemas import required_messages

TIME_MESSAGE = "Enter a date and time, for example 2026-12-24T18:00."


class OnCallShiftSchema(Schema):
    branch = StoredInt(required=True, error_messages=required_messages("Choose a branch."))
    user = StoredInt(required=True, error_messages=required_messages("Choose a manager."))
    starts = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40, error=TIME_MESSAGE),
        error_messages=required_messages("Enter when the shift starts."),
    )
    ends = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40, error=TIME_MESSAGE),
        error_messages=required_messages("Enter when the shift ends."),
    )
