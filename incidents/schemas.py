"""The incident as the API and the form both send it (docs/api.md), and as the API
returns it. One schema validates both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from core.dates import UK, utcnow, within_range
from core.forms import Moment, OptionalDateRange, StoredInt
from core.schemas import StrictSchema as _Strict
from core.schemas import required_messages as _required
from incidents import body_map as marks
from incidents.models import (
    FAMILY_CONTACT,
    INFORMED_METHOD,
    INFORMED_WHO,
    PLACES,
    YES_NO_UNSURE,
    Category,
    DecisionStatus,
    Harm,
    Kind,
    MedicationError,
    Status,
)
from incidents.office_work import Work
from incidents.riddor import REPORTABLE

CLOCK_SKEW = timedelta(minutes=5)
LATE_AFTER = timedelta(days=30)
# Nothing Candour records happened before this; it also keeps a mistyped year
# (0001) from reaching the database, which cannot hold it in UTC.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_TEXT = 5000
STAFF_CHOICE = "Choose staff from the list."
# Other staff involved, or witnesses: at most this many each.
MAX_NAMED = 30


def _version() -> StoredInt:
    """The version a review form was opened at (a different one: 409)."""
    reload = "Reload the page and try again."
    return StoredInt(
        minimum=0, required=True, error_messages={**_required(reload), "invalid": reload}
    )


def _choice(values: list[str], message: str) -> validate.OneOf:
    return validate.OneOf(values, error=message)


class InformedSchema(_Strict):
    who = fields.String(
        required=True,
        validate=_choice(INFORMED_WHO, "Choose who was told."),
        error_messages=_required("Choose who was told."),
    )
    at = Moment(
        required=True,
        error_messages={
            **_required("Enter when they were told."),
            "invalid": "Enter when they were told as a date and time.",
            "out_of_range": "Check the year of when they were told.",
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


class _Classification(_Strict):
    """What kind of event and how much harm: reported by the carer, confirmed or
    changed at triage. One definition for both."""

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
    harm = fields.String(
        required=True,
        validate=_choice([h.value for h in Harm], "Choose how much harm there was."),
        error_messages=_required("Choose how much harm there was."),
    )


# The messages of the report's rules across fields: here once, for the server's
# checks below and the phone's (incidents/offline_checks.py serves them).
RULE_MESSAGES: dict[str, str] = {
    "medication_error_missing": "Choose what went wrong with the medicine.",
    "medication_error_not_medication": "Only medication events have a medication error type.",
    "near_miss_harm": "A near miss caused no harm. If the person was harmed, choose incident.",
    "reported_future": "The time it was made is in the future; check the phone's clock.",
    "reported_early": "The time it was made is before 2000; check the phone's clock.",
    "occurred_early": "Check the year of when it happened.",
    "occurred_after_reported": "When it happened cannot be after it was reported.",
    "late_reason": "This happened more than 30 days before it was reported: say why it is being reported now.",
    "informed_early": "Check the year of when they were told.",
    "informed_future": "When they were told is in the future.",
    "informed_before": "When they were told is before it happened; check the time.",
    # The service's (incidents/services.py): a reporter in several branches names
    # the person or the branch. The phone knows by the form offering the choice.
    "branch_needed": "Choose which branch this happened in.",
    # The body map's rules across a mark's fields (incidents/body_map.py).
    **marks.RULE_MESSAGES,
}
_M = RULE_MESSAGES


# The report's rules across fields, each by field. Times are judged by the device's
# own clock: an entry may reach us weeks after it was made, and must never be
# refused for arriving late.


def _medication_errors(data: dict[str, Any], now: datetime) -> dict[str, list[str]]:
    """Only a medication event says what went wrong with the medicine, and it must."""
    is_medication = data["category"] == Category.MEDICATION
    if is_medication and not data.get("medication_error"):
        return {"medication_error": [_M["medication_error_missing"]]}
    if not is_medication and data.get("medication_error"):
        return {"medication_error": [_M["medication_error_not_medication"]]}
    return {}


def _harm_errors(data: dict[str, Any], now: datetime) -> dict[str, list[str]]:
    if data["kind"] == Kind.NEAR_MISS and data["harm"] != Harm.NONE:
        return {"harm": [_M["near_miss_harm"]]}
    return {}


def _time_errors(data: dict[str, Any], now: datetime) -> dict[str, list[str]]:
    """When it was made and when it happened, against each other and the clock."""
    errors: dict[str, list[str]] = {}
    occurred, reported = data["occurred_at"], data["reported_at"]
    if reported > now + CLOCK_SKEW:
        errors["reported_at"] = [_M["reported_future"]]
    if reported < EARLIEST:
        errors["reported_at"] = [_M["reported_early"]]
    if occurred < EARLIEST:
        errors["occurred_at"] = [_M["occurred_early"]]
    elif occurred > reported:
        errors["occurred_at"] = [_M["occurred_after_reported"]]
    elif reported - occurred > LATE_AFTER and not (data.get("late_reason") or "").strip():
        errors["late_reason"] = [_M["late_reason"]]
    return errors


def _informed_errors(data: dict[str, Any], now: datetime) -> dict[str, list[str]]:
    """Each "who was told" time: a real year, not in the future, not before it happened."""
    errors: dict[str, list[str]] = {}
    occurred = data["occurred_at"]
    for n, row in enumerate(data.get("people_informed") or []):
        if row["at"] < EARLIEST:
            errors[f"people_informed.{n}.at"] = [_M["informed_early"]]
        elif row["at"] > now + CLOCK_SKEW:
            errors[f"people_informed.{n}.at"] = [_M["informed_future"]]
        elif occurred >= EARLIEST and row["at"] < occurred - timedelta(hours=1):
            errors[f"people_informed.{n}.at"] = [_M["informed_before"]]
    return errors


class IncidentInSchema(_Classification):
    """What a phone (or any client) sends to create an incident."""

    id = fields.UUID(
        required=True,
        error_messages={
            **_required("The entry has no id."),
            "invalid_uuid": "The id must be a UUID.",
        },
    )
    time_critical = fields.Boolean(load_default=False)
    occurred_at = Moment(
        required=True,
        error_messages={
            **_required("Enter when it happened."),
            "invalid": "Enter when it happened as a date and time.",
            "out_of_range": "Check the year of when it happened.",
            "invalid_awareness": "Give the time with its time zone offset.",
        },
    )
    reported_at = Moment(
        required=True,
        error_messages={
            **_required("The entry has no time it was made."),
            "invalid": "The time it was made must be a date and time.",
            "out_of_range": "Check the year on the phone's clock.",
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
    # Added to the contract (issue 15): where, as a choice; optional for older clients.
    place = fields.String(
        load_default=None,
        allow_none=True,
        validate=_choice(PLACES, "Choose a place from the list, or leave it."),
    )
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
    staff_injured = fields.Boolean(load_default=False)
    # Added to the contract (issue 15), all optional: the staff injury (RIDDOR),
    # other staff involved and witnesses, by their ids in /api/v1/reference `staff`.
    injured_staff_id = StoredInt(
        strict=True,
        load_default=None,
        allow_none=True,
        error_messages={"invalid": STAFF_CHOICE},
    )
    staff_injury = fields.String(
        load_default="",
        validate=validate.Length(max=1000, error="Describe the injury in up to 1,000 characters."),
    )
    specified_injury = fields.String(
        load_default=None,
        allow_none=True,
        validate=_choice(list(REPORTABLE), "Choose from the list, or leave it."),
    )
    non_worker_hospital = fields.Boolean(load_default=False)
    other_staff_ids = fields.List(
        StoredInt(strict=True, error_messages={"invalid": STAFF_CHOICE}),
        load_default=list,
        validate=validate.Length(max=MAX_NAMED, error=f"Choose at most {MAX_NAMED} people."),
    )
    witness_ids = fields.List(
        StoredInt(strict=True, error_messages={"invalid": STAFF_CHOICE}),
        load_default=list,
        validate=validate.Length(max=MAX_NAMED, error=f"Choose at most {MAX_NAMED} people."),
    )
    people_informed = fields.List(
        fields.Nested(InformedSchema),
        load_default=list,
        validate=validate.Length(max=20, error="List at most 20 people."),
    )
    thresholds = fields.Nested(
        ThresholdsSchema, required=True, error_messages=_required("Answer the three questions.")
    )
    # Added to the contract (issue 15): marks on the body; absent means none.
    body_map = marks.body_map_field()

    @validates_schema(skip_on_field_errors=True)
    def _rules(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        for key in ("what_happened", "immediate_actions"):
            if not data[key].strip():
                errors[key] = [self.fields[key].validate.error]  # type: ignore[union-attr]

        now = utcnow()
        for check in (_medication_errors, _harm_errors, _time_errors, _informed_errors):
            errors.update(check(data, now))
        errors.update(marks.mark_errors(data.get("body_map") or []))
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
    place = fields.String(allow_none=True)
    what_happened = fields.String()
    immediate_actions = fields.String()
    harm = fields.String()
    staff_injured = fields.Boolean()
    # Added in issue 15: the staff injury, staff involved and witnesses; days off
    # work and police involvement as a manager recorded them later.
    injured_staff_id = fields.Integer(allow_none=True)
    staff_injury = fields.String()
    specified_injury = fields.String(allow_none=True)
    non_worker_hospital = fields.Boolean()
    days_off_work = fields.Integer(allow_none=True)
    other_staff_ids = fields.Function(lambda i: list(i.other_staff_ids or []))
    witness_ids = fields.Function(lambda i: list(i.witness_ids or []))
    police_involved = fields.Boolean()
    people_informed = fields.List(fields.Dict())
    thresholds = fields.Function(
        lambda i: {
            "safeguarding": i.safeguarding,
            "clinical_escalation": i.clinical_escalation,
            "family_contact": i.family_contact,
        }
    )
    body_map = fields.Function(lambda i: [mark.as_json() for mark in i.body_marks])
    reporter_id = fields.Integer(attribute="author_id")
    # Added to the contract: so the reporter hears back (incident review).
    seen_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    feedback = fields.String()


class IncidentPageSchema(Schema):
    items = fields.List(fields.Nested(IncidentOutSchema))
    next = fields.String(allow_none=True)


# --- reviewing: the list's filters and the review forms (pages) ----------------------


class UKLocalDateTime(fields.DateTime):
    """A date and time as a browser's datetime-local input sends it (no offset),
    read as UK local time (GMT or BST); an offset, if given, is kept."""

    default_error_messages = {"invalid": "Enter a date and time, for example 20/11/2026 14:30."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise self.make_error("invalid") from None
        if not within_range(moment.date()):
            raise self.make_error("invalid")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UK)
        return moment


SORT_CHOICES = ["newest", "oldest", "harm"]
TEAM_CHOICE = "Choose a team from the list."


class IncidentFilterSchema(OptionalDateRange):
    """The review list's filters, from a GET form (unknown parameters ignored)."""

    class Meta:
        unknown = EXCLUDE

    q = fields.String(
        load_default="",
        validate=validate.Length(max=200, error="Search for at most 200 characters."),
    )
    branch = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    category = fields.String(
        load_default=None,
        allow_none=True,
        validate=_choice([c.value for c in Category], "Choose a category from the list."),
    )
    harm = fields.String(
        load_default=None,
        allow_none=True,
        validate=_choice([h.value for h in Harm], "Choose a harm level from the list."),
    )
    status = fields.String(
        load_default=None,
        allow_none=True,
        validate=_choice([s.value for s in Status], "Choose a status from the list."),
    )
    kind = fields.String(
        load_default=None,
        allow_none=True,
        validate=_choice([k.value for k in Kind], "Choose incident or near miss."),
    )
    person = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    # A team's id; whether it is one of the caller's teams is checked against their
    # scope by the page (incidents.review.team_errors), with the same message.
    team = StoredInt(
        load_default=None,
        allow_none=True,
        error_messages={"invalid": TEAM_CHOICE, "too_large": TEAM_CHOICE},
    )
    work = fields.String(
        load_default=None,
        allow_none=True,
        validate=_choice([w.value for w in Work], "Choose a list of work from the list."),
    )
    overdue = fields.Boolean(
        load_default=False, error_messages={"invalid": "Tick the box or leave it."}
    )
    sort = fields.String(
        load_default="newest", validate=_choice(SORT_CHOICES, "Choose how to sort.")
    )
    page = fields.Integer(
        load_default=1,
        strict=False,
        validate=validate.Range(min=1, max=1_000_000, error="Choose a page number from 1."),
        error_messages={"invalid": "Choose a page number from 1."},
    )


def _optional_reason() -> fields.String:
    """Why a manager changed or added something: optional, up to 2,000 characters."""
    return fields.String(
        load_default="",
        validate=validate.Length(max=2000, error="Give the reason in up to 2,000 characters."),
    )


class TriageSchema(_Classification):
    version = _version()
    reason = _optional_reason()
    status = fields.String(
        required=True,
        validate=_choice([s.value for s in Status if s != Status.SUBMITTED], "Choose a status."),
        error_messages=_required("Choose a status."),
    )
    reviewer_id = StoredInt(
        load_default=None,
        allow_none=True,
        error_messages={"invalid": "Choose a reviewer from the list."},
    )
    feedback = fields.String(
        load_default="",
        validate=validate.Length(max=MAX_TEXT, error=f"Write up to {MAX_TEXT:,} characters."),
    )
    # The reporter's threshold answers, corrected by a manager (left out: unchanged),
    # and whether the police became involved after the report.
    safeguarding = fields.String(
        load_default=None,
        allow_none=True,
        validate=_choice(YES_NO_UNSURE, "Answer yes, no or not sure."),
    )
    clinical_escalation = fields.String(
        load_default=None,
        allow_none=True,
        validate=_choice(YES_NO_UNSURE, "Answer yes, no or not sure."),
    )
    family_contact = fields.String(
        load_default=None,
        allow_none=True,
        validate=_choice(FAMILY_CONTACT, "Answer yes, no or not needed."),
    )
    police_involved = fields.Boolean(
        load_default=False, error_messages={"invalid": "Tick the box or leave it."}
    )
    # Closing without a learning review needs this (learning's closing rule).
    no_review_reason = fields.String(
        load_default="",
        validate=validate.Length(max=2000, error="Give the reason in up to 2,000 characters."),
    )


class DecisionSchema(_Strict):
    version = _version()
    status = fields.String(
        required=True,
        validate=_choice(
            [DecisionStatus.APPLIES.value, DecisionStatus.DOES_NOT_APPLY.value],
            "Choose whether this applies or does not apply.",
        ),
        error_messages=_required("Choose whether this applies or does not apply."),
    )
    rationale = fields.String(
        load_default="",
        validate=validate.Length(max=2000, error="Give the reason in up to 2,000 characters."),
    )
    done_at = UKLocalDateTime(load_default=None, allow_none=True)
    reference = fields.String(
        load_default="",
        validate=validate.Length(max=100, error="A reference has at most 100 characters."),
    )


class DetailsSchema(_Strict):
    version = _version()
    location = fields.String(
        load_default="",
        validate=validate.Length(max=200, error="A location has at most 200 characters."),
    )
    person_ref = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    note = fields.String(
        load_default="",
        validate=validate.Length(max=2000, error="Write a note of up to 2,000 characters."),
    )


class StaffInjurySchema(_Strict):
    """A manager's update of the staff injury on the record: days off work above all."""

    version = _version()
    injured_staff_id = StoredInt(
        load_default=None, allow_none=True, error_messages={"invalid": STAFF_CHOICE}
    )
    staff_injury = fields.String(
        load_default="",
        validate=validate.Length(max=1000, error="Describe the injury in up to 1,000 characters."),
    )
    specified_injury = fields.String(
        load_default=None,
        allow_none=True,
        validate=_choice(list(REPORTABLE), "Choose from the list, or leave it."),
    )
    non_worker_hospital = fields.Boolean(
        load_default=False, error_messages={"invalid": "Tick the box or leave it."}
    )
    days_off_work = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=False,
        validate=validate.Range(
            min=0, max=366, error="Enter the days off work as a number from 0 to 366."
        ),
        error_messages={"invalid": "Enter the days off work as a number from 0 to 366."},
    )
    reason = _optional_reason()


class AddDutySchema(_Strict):
    """A manager adds a duty the rules did not suggest."""

    rule = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40, error="Choose a duty from the list."),
        error_messages=_required("Choose a duty from the list."),
    )
    reason = _optional_reason()


class ChaseSchema(_Strict):
    message = fields.String(
        required=True,
        validate=validate.Length(
            min=1, max=1000, error="Say what you need, in up to 1,000 characters."
        ),
        error_messages=_required("Say what you need from the reporter."),
    )


class LookedAtSchema(_Strict):
    """The office's "I have looked at these": the newest record their page showed."""

    upto = Moment(required=True, error_messages=_required("Say which records you looked at."))
