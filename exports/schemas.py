"""What an export asks for, from a GET address or the exports page's GET form
(unknown parameters ignored): the period as two UK calendar days, both included,
an optional branch code and whether to anonymise."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from core.forms import Day, check_dates_in_order

# The longest period one export covers: more is a slip (a year typed wrongly).
MAX_DAYS = 3660
FORMATS = ("csv", "xlsx")
# The records one may export (exports.datasets has one of each).
WHAT = ("incidents", "actions", "audits", "duties", "denominators")


class ExportQuerySchema(Schema):
    """`?from=YYYY-MM-DD&to=YYYY-MM-DD[&branch=CODE][&anonymised=1]`."""

    class Meta:
        unknown = EXCLUDE

    date_from = Day(
        data_key="from",
        required=True,
        error_messages={
            "required": "Enter the first day of the period, like 2026-11-01.",
            "invalid": "Enter the first day of the period as a date, like 2026-11-01.",
        },
    )
    date_to = Day(
        data_key="to",
        required=True,
        error_messages={
            "required": "Enter the last day of the period, like 2026-11-30.",
            "invalid": "Enter the last day of the period as a date, like 2026-11-30.",
        },
    )
    branch = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=20, error="Choose one of your branches."),
    )
    anonymised = fields.Boolean(
        load_default=False,
        error_messages={"invalid": "Say whether to anonymise with 1 (yes) or 0 (no)."},
    )

    @validates_schema
    def _a_sensible_period(self, data: dict[str, Any], **_kwargs: Any) -> None:
        first, last = data.get("date_from"), data.get("date_to")
        if first is None or last is None:
            return
        check_dates_in_order(first, last, "to")
        if (last - first).days + 1 > MAX_DAYS:
            raise ValidationError("Choose a period of at most 10 years.", "to")


class ExportFormSchema(ExportQuerySchema):
    """The exports page's form: the above, and which records in which format."""

    what = fields.String(
        required=True,
        validate=validate.OneOf(WHAT, error="Choose which records to export."),
        error_messages={"required": "Choose which records to export."},
    )
    format = fields.String(
        required=True,
        validate=validate.OneOf(FORMATS, error="Choose CSV or Excel."),
        error_messages={"required": "Choose CSV or Excel."},
    )


# The longest period a PDF pack covers (as a governance meeting looks back).
MAX_PACK_DAYS = 731


class PackQuerySchema(ExportQuerySchema):
    """A PDF pack's `?from=YYYY-MM-DD&to=YYYY-MM-DD[&branch=CODE]`: two years at most."""

    @validates_schema
    def _a_pack_period(self, data: dict[str, Any], **_kwargs: Any) -> None:
        first, last = data.get("date_from"), data.get("date_to")
        if first is not None and last is not None and (last - first).days + 1 > MAX_PACK_DAYS:
            raise ValidationError("Choose a period of at most two years for a pack.", "to")
