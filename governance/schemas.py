"""What the governance pages accept: the dashboard's filter (a GET form) and a
meeting's record."""

from __future__ import annotations

from marshmallow import fields, validate

from core.forms import Day
from core.schemas import StrictSchema
from core.schemas import required_messages as _required
from governance.figures import DEFAULT_MONTHS, PERIOD_CHOICES

MAX_TEXT = 20000


def _date(message: str) -> Day:
    return Day(
        required=True,
        error_messages={**_required(message), "invalid": f"{message} Use a date like 2026-11-30."},
    )


def _branch() -> fields.String:
    """One of the manager's branches by code, or none for all of them."""
    return fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=20, error="Choose one of your branches."),
    )


class DashboardFilterSchema(StrictSchema):
    branch = _branch()
    months = fields.Integer(
        load_default=DEFAULT_MONTHS,
        validate=validate.OneOf(PERIOD_CHOICES, error="Choose 3, 6 or 12 months."),
        error_messages={"invalid": "Choose 3, 6 or 12 months."},
    )


class MeetingInSchema(StrictSchema):
    branch = _branch()
    period_start = _date("Enter the first day of the period the meeting looked at.")
    period_end = _date("Enter the last day of the period the meeting looked at.")
    held_on = _date("Enter the date the meeting was held.")
    attendees = fields.String(
        required=True,
        validate=validate.Length(
            min=1, max=2000, error="Say who attended (up to 2,000 characters)."
        ),
        error_messages=_required("Say who attended."),
    )
    minutes = fields.String(
        required=True,
        validate=validate.Length(
            min=1, max=MAX_TEXT, error="Write the minutes (up to 20,000 characters)."
        ),
        error_messages=_required("Write the minutes."),
    )
    decisions = fields.String(
        load_default="",
        validate=validate.Length(max=MAX_TEXT, error="Keep this to 20,000 characters."),
    )
