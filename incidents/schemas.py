"""The incident as the API and the form both send it (CONTRACT.md), and as the API
returns it. One schema validates both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from core.models import utcnow
from incidents.models import (
    FAMILY_CONTACT,
    INFORMED_METHOD,
    INFORMED_WHO,
    YES_NO_UNSURE,
    Category,
    Harm,
    Kind,
    MedicationError,
)

CLOCK_SKEW = timedelta(minutes=5)
LATE_AFTER = timedelta(days=30)
# Nothing Candour records happened before this; it also keeps a mistyped year
# (0001) from reaching the database, which cannot hold it in UTC.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_TEXT = 5000


def _choice(values: list[str], message: str) -> validate.OneOf:
    return validate.OneOf(values, error=message)


def _required(message: str) -> dict[str, Any]:
    return {"required": message, "null": message}


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class InformedSchema(_Strict):
    who = fields.String(
        required=True,
        validate=_choice(INFORMED_WHO, "Choose who was told."),
        error_messages=_required("Choose who was told."),
    )
    at = fields.AwareDateTime(
        required=True,
        error_messages={
            **_required("Enter when they were told."),
            "invalid": "Enter when they were told as a date and time.",
            "invalid_awareness": "Give the time with its time zone offset.",
        },
    )
    method = fields.String(
        required=True,
        validate=_choice(INFORMED_METHOD, "Choose how they were told."),
        error_messages=_required("Choose how they were told."),
    )


class ThresholdsSchema(_Strict):
    safeguarding = fields.String(
        required=True,
        validate=_choice(YES_NO_UNSURE, "Answer yes, no or not sure."),
        error_messages=_required("Say whether this might be abuse or neglect."),
    )
    clinical_escalation = fields.String(
        required=True,
        validate=_choice(YES_NO_UNSURE, "Answer yes, no or not sure."),
        error_messages=_required("Say whether a doctor, 111 or 999 was needed."),
    )
    family_contact = fields.String(
        required=True,
        validate=_choice(FAMILY_CONTACT, "Answer yes, no or not needed."),
        error_messages=_required("Say whether the family should be told."),
    )


class IncidentInSchema(_Strict):
    """What a phone (or any client) sends to create an incident."""

    id = fields.UUID(
        required=True,
        error_messages={
            **_required("The entry has no id."),
            "invalid_uuid": "The id must be a UUID.",
        },
    )
    kind = fields.String(
        required=True,
        validate=_choice([k.value for k in Kind], "Choose incident or near miss."),
        error_messages=_required("Choose incident or near miss."),
    )
    category = fields.String(
        required=True,
        validate=_choice([c.value for c in Category], "Choose what kind of event it was."),
        error_messages=_required("Choose what kind of event it was."),
    )
    medication_error = fields.String(
        load_default=None,
        allow_none=True,
        validate=_choice(
            [m.value for m in MedicationError], "Choose what went wrong with the medicine."
        ),
    )
    time_critical = fields.Boolean(load_default=False)
    occurred_at = fields.AwareDateTime(
        required=True,
        error_messages={
            **_required("Enter when it happened."),
            "invalid": "Enter when it happened as a date and time.",
            "invalid_awareness": "Give the time with its time zone offset.",
        },
    )
    reported_at = fields.AwareDateTime(
        required=True,
        error_messages={
            **_required("The entry has no time it was made."),
            "invalid": "The time it was made must be a date and time.",
            "invalid_awareness": "Give the time with its time zone offset.",
        },
    )
    late_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=1000)
    )
    person_ref = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    # Added to the contract: which branch, when the reporter works in several and
    # no person is named.
    branch = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    location = fields.String(load_default="", validate=validate.Length(max=200))
    what_happened = fields.String(
        required=True,
        validate=validate.Length(
            min=1, max=MAX_TEXT, error=f"Say what happened, in up to {MAX_TEXT:,} characters."
        ),
        error_messages=_required("Say what happened."),
    )
    immediate_actions = fields.String(
        required=True,
        validate=validate.Length(
            min=1,
            max=MAX_TEXT,
            error=f"Say what was done straight away, in up to {MAX_TEXT:,} characters.",
        ),
        error_messages=_required("Say what was done straight away to keep the person safe."),
    )
    harm = fields.String(
        required=True,
        validate=_choice([h.value for h in Harm], "Choose how much harm there was."),
        error_messages=_required("Choose how much harm there was."),
    )
    staff_injured = fields.Boolean(load_default=False)
    people_informed = fields.List(
        fields.Nested(InformedSchema),
        load_default=list,
        validate=validate.Length(max=20, error="List at most 20 people."),
    )
    thresholds = fields.Nested(
        ThresholdsSchema, required=True, error_messages=_required("Answer the three questions.")
    )

    @validates_schema(skip_on_field_errors=True)
    def _rules(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        for key in ("what_happened", "immediate_actions"):
            if not data[key].strip():
                errors[key] = [self.fields[key].validate.error]  # type: ignore[union-attr]

        if data["category"] == Category.MEDICATION and not data.get("medication_error"):
            errors["medication_error"] = ["Choose what went wrong with the medicine."]
        if data["category"] != Category.MEDICATION and data.get("medication_error"):
            errors["medication_error"] = ["Only medication events have a medication error type."]
        if data["kind"] == Kind.NEAR_MISS and data["harm"] != Harm.NONE:
            errors["harm"] = [
                "A near miss caused no harm. If the person was harmed, choose incident."
            ]

        # Times are judged by the device's own clock: an entry may reach us weeks
        # after it was made, and must never be refused for arriving late.
        now = utcnow()
        occurred, reported = data["occurred_at"], data["reported_at"]
        if reported > now + CLOCK_SKEW:
            errors["reported_at"] = [
                "The time it was made is in the future; check the phone's clock."
            ]
        if reported < EARLIEST:
            errors["reported_at"] = [
                "The time it was made is before 2000; check the phone's clock."
            ]
        if occurred < EARLIEST:
            errors["occurred_at"] = ["Check the year of when it happened."]
        elif occurred > reported:
            errors["occurred_at"] = ["When it happened cannot be after it was reported."]
        elif reported - occurred > LATE_AFTER and not (data.get("late_reason") or "").strip():
            errors["late_reason"] = [
                "This happened more than 30 days before it was reported: say why it is being reported now."
            ]
        for n, row in enumerate(data.get("people_informed") or []):
            if row["at"] < EARLIEST:
                errors[f"people_informed.{n}.at"] = ["Check the year of when they were told."]
            elif row["at"] > now + CLOCK_SKEW:
                errors[f"people_informed.{n}.at"] = ["When they were told is in the future."]
            elif occurred >= EARLIEST and row["at"] < occurred - timedelta(hours=1):
                errors[f"people_informed.{n}.at"] = [
                    "When they were told is before it happened; check the time."
                ]
        if errors:
            raise ValidationError(errors)


class IncidentReceiptSchema(Schema):
    """The answer to a create (201) or a replay (200)."""

    id = fields.String()
    reference = fields.String()
    status = fields.String()
    received_at = fields.AwareDateTime()


class PersonRefSchema(Schema):
    ref = fields.String()
    initials = fields.String()


class IncidentOutSchema(Schema):
    """An incident as the API returns it."""

    id = fields.String()
    reference = fields.String()
    status = fields.String()
    kind = fields.String()
    category = fields.String()
    medication_error = fields.String(allow_none=True)
    time_critical = fields.Boolean()
    occurred_at = fields.Function(lambda i: i.occurred_local.isoformat())
    reported_at = fields.Function(lambda i: i.reported_local.isoformat())
    received_at = fields.AwareDateTime()
    late_reason = fields.String(allow_none=True)
    person_ref = fields.Function(lambda i: i.person.ref if i.person else None)
    branch = fields.Function(lambda i: i.branch.code)
    location = fields.String()
    what_happened = fields.String()
    immediate_actions = fields.String()
    harm = fields.String()
    staff_injured = fields.Boolean()
    people_informed = fields.List(fields.Dict())
    thresholds = fields.Function(
        lambda i: {
            "safeguarding": i.safeguarding,
            "clinical_escalation": i.clinical_escalation,
            "family_contact": i.family_contact,
        }
    )
    reporter_id = fields.Integer(attribute="author_id")


class IncidentPageSchema(Schema):
    items = fields.List(fields.Nested(IncidentOutSchema))
    next = fields.String(allow_none=True)
