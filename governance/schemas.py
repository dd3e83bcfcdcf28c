"""What the governance pages accept: the dashboard's filter (a GET form) and a
meeting's record."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields, validate

from core.forms import Day, StoredInt
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


# The most a branch could plausibly deliver in a month: a number above these is a
# slip (an extra digit, a year's figure), not a month's work.
MAX_VISITS = 200_000
MAX_PEOPLE = 10_000
MAX_CARE_HOURS = 200_000


class WholeNumber(fields.Field[int]):
    """A count a manager types: digits (commas allowed, as in 1,250), never
    negative, never a fraction, never above `maximum`; each said plainly."""

    def __init__(self, what: str, maximum: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.what = what
        self.maximum = maximum

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        text = str(value).strip().replace(",", "")
        if re.fullmatch(r"-\s*\d+(\.\d*)?", text):
            raise ValidationError(f"{self.what} cannot be negative.")
        if re.fullmatch(r"\d*\.\d+|\d+\.\d*", text):
            raise ValidationError(f"{self.what} must be a whole number.")
        if not re.fullmatch(r"\d{1,9}", text):
            raise ValidationError(f"Enter {self.what.lower()} as a whole number, like 1250.")
        number = int(text)
        if number > self.maximum:
            raise ValidationError(
                f"{self.what} of {number:,} is more than a branch could make in a month "
                f"(at most {self.maximum:,}): check the number."
            )
        return number


MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class DenominatorInSchema(StrictSchema):
    """One branch's figures for one month (the denominators page)."""

    branch = fields.String(
        required=True,
        validate=validate.Length(min=1, max=20, error="Choose one of your branches."),
        error_messages=_required("Choose one of your branches."),
    )
    month = fields.String(
        required=True,
        validate=validate.Regexp(MONTH_PATTERN, error="Choose a month from the list."),
        error_messages=_required("Choose a month from the list."),
    )
    visits = WholeNumber(
        "Visits",
        MAX_VISITS,
        required=True,
        error_messages=_required("Enter the number of visits made in the month."),
    )
    people_supported = WholeNumber(
        "People supported",
        MAX_PEOPLE,
        required=True,
        error_messages=_required("Enter the number of people supported in the month."),
    )
    care_hours = WholeNumber("Care hours", MAX_CARE_HOURS, load_default=None, allow_none=True)
    version = StoredInt(load_default=None, allow_none=True)
