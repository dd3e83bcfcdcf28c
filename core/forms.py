"""Turning submitted HTML forms into marshmallow input, shared by every blueprint.

A page and the JSON API load the same schema; HTML forms only differ in that
every value arrives as a string and lists arrive as repeated keys.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validates_schema
from werkzeug.datastructures import MultiDict

from core.dates import RANGE_MESSAGE, within_range

# Fields a browser adds that are not part of any record.
_FORM_ONLY = {"csrf_token"}


def form_to_input(schema: Schema, form: MultiDict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, field in schema.fields.items():
        key = field.data_key or name
        if isinstance(field, fields.List):
            values = [v for v in form.getlist(key) if v != ""]
            if key in form or values:
                data[key] = values
        elif key in form:
            value = form.get(key, "")
            if isinstance(field, fields.Boolean):
                data[key] = value
            elif value == "" and field.allow_none:
                data[key] = None
            else:
                data[key] = value
    return data


def load_form(
    schema: Schema, form: MultiDict[str, str]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Validate a submitted form. Returns (data, {}) or (raw values, errors)."""
    raw = form_to_input(schema, form)
    try:
        return schema.load(raw), {}
    except ValidationError as err:
        return raw, flatten_errors(err.messages)


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as {"field" or "field.0.sub": [messages]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                flat[name] = list(value)
            else:
                flat.update(flatten_errors(value, name))
    elif isinstance(messages, list):
        flat[prefix or "_schema"] = [str(m) for m in messages]
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat


# The largest id the databases store (PostgreSQL's integer).
MAX_ID = 2**31 - 1


def record_id(raw: object) -> int | None:
    """A record id typed into a URL or form: ASCII digits only ("²".isdigit() is
    true but int("²") fails) and within what the databases hold, else None, so
    that a wrong id is "not found", never an overflow."""
    text = str(raw or "")
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


class StoredInt(fields.Integer):
    """A whole number sent for a database column (a record's id, a version): one
    outside what the column can hold is the field's own "invalid" message, never
    an overflow in the database driver."""

    def __init__(self, *, minimum: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.minimum = minimum

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        number: int = super()._deserialize(value, attr, data, **kwargs)
        if not self.minimum <= number <= MAX_ID:
            raise self.make_error("invalid")
        return number


class Day(fields.Date):
    """A calendar date a client sends: one outside core.dates' range (1900 to
    2100) is the field's own "out_of_range" message, never an overflow later."""

    default_error_messages = {"out_of_range": RANGE_MESSAGE}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day: date = super()._deserialize(value, attr, data, **kwargs)
        if not within_range(day):
            raise self.make_error("out_of_range")
        return day


LAST_BEFORE_FIRST = "The last date must be the same as or after the first date."


def check_dates_in_order(first: date | None, last: date | None, field: str) -> None:
    """The one rule for a period a person chooses: it may be one day, never backwards."""
    if first is not None and last is not None and last < first:
        raise ValidationError(LAST_BEFORE_FIRST, field)


class OptionalDateRange(Schema):
    """`date_from` and `date_to` for a filter, either or both left out, in order."""

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

    @validates_schema(skip_on_field_errors=True)
    def _dates_in_order(self, data: dict[str, Any], **_kwargs: Any) -> None:
        check_dates_in_order(data.get("date_from"), data.get("date_to"), "date_to")


class Moment(fields.AwareDateTime):
    """A moment with its UTC offset a client sends, in the same range as `Day`."""

    default_error_messages = {"out_of_range": RANGE_MESSAGE}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment: datetime = super()._deserialize(value, attr, data, **kwargs)
        if not within_range(moment.date()):
            raise self.make_error("out_of_range")
        return moment
