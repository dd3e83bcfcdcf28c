"""What the learning pages (and the sync API) accept and return. One schema per
form; the page and the API load the same ones."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from core.forms import Day, Moment, StoredInt
from core.models import Role
from core.schemas import required_messages as _required
from incidents.models import Category
from learning.models import BriefingNoteKind, Condition, ReviewMethod

MAX_TEXT = 5000
LONG_TEXT = 10000


def _text(max_length: int = MAX_TEXT, message: str | None = None) -> fields.String:
    return fields.String(
        load_default="",
        validate=validate.Length(
            max=max_length, error=message or f"Keep this to {max_length:,} characters."
        ),
    )


def _required_text(message: str, max_length: int = MAX_TEXT) -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Length(min=1, max=max_length, error=message),
        error_messages=_required(message),
    )


class _Form(Schema):
    """A form's fields (core.forms passes only these; the CSRF token stays out)."""


def _not_blank(data: dict[str, Any], names: list[str], schema: Schema) -> None:
    errors = {}
    for name in names:
        value = data.get(name)
        if isinstance(value, str) and not value.strip():
            field = schema.fields[name]
            errors[name] = [field.validate.error]  # type: ignore[union-attr]
    if errors:
        raise ValidationError(errors)


# --- reviews -----------------------------------------------------------------------------


class ReviewStartSchema(_Form):
    method = fields.String(
        required=True,
        validate=validate.OneOf(
            [m.value for m in ReviewMethod], error="Choose how to review this."
        ),
        error_messages=_required("Choose how to review this."),
    )
    incident_ids = fields.List(
        fields.String(validate=validate.Length(max=36)),
        required=True,
        validate=validate.Length(min=1, max=200, error="Choose at least one incident."),
        error_messages=_required("Choose at least one incident."),
    )
    title = _text(200, "Keep the title to 200 characters.")


class PatternReviewSchema(_Form):
    """A thematic review started from a pattern: its identity (key and window);
    the server finds its incidents again, within the caller's scope."""

    pattern = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200, error="Choose a pattern from the list."),
        error_messages=_required("Choose a pattern from the list."),
    )
    window_from = Moment(
        required=True,
        error_messages={
            **_required("Choose a pattern from the list."),
            "invalid": "Choose a pattern from the list.",
        },
    )
    window_to = Moment(
        required=True,
        error_messages={
            **_required("Choose a pattern from the list."),
            "invalid": "Choose a pattern from the list.",
        },
    )
    title = _text(200, "Keep the title to 200 characters.")


class ReviewAnswersSchema(_Form):
    what_happened = _text()
    expected = _text()
    why_difference = _text()
    keep_doing = _text()
    why = _text()
    findings = _text()
    conditions = fields.List(
        fields.String(
            validate=validate.OneOf(
                [c.value for c in Condition], error="Choose conditions from the list."
            )
        ),
        load_default=list,
    )
    conditions_detail = _text()
    lessons = _text()
    changes = _text()
    intent = fields.String(load_default="save", validate=validate.OneOf(["save", "complete"]))
    version = StoredInt(minimum=0, load_default=None, allow_none=True)


# --- actions -----------------------------------------------------------------------------


class ActionInSchema(_Form):
    title = fields.String(
        required=True,
        validate=validate.Length(
            min=1, max=200, error="Say what will be done, in up to 200 characters."
        ),
        error_messages=_required("Say what will be done."),
    )
    detail = _text()
    owner_id = StoredInt(
        required=True,
        error_messages={
            **_required("Choose who owns this action."),
            "invalid": "Choose who owns this action.",
        },
    )
    due = Day(
        required=True,
        error_messages={
            **_required("Enter the date it is due."),
            "invalid": "Enter the date it is due, like 2026-12-31.",
        },
    )
    source_type = fields.String(
        required=True,
        validate=validate.OneOf(
            ["incident", "review", "meeting"], error="Say where this action came from."
        ),
        error_messages=_required("Say where this action came from."),
    )
    source_id = fields.String(
        required=True,
        validate=validate.Length(
            min=1, max=64, error="Say which meeting or record it came from (up to 64 characters)."
        ),
        error_messages=_required("Say which meeting or record it came from."),
    )
    branch_id = StoredInt(
        load_default=None, allow_none=True, error_messages={"invalid": "Choose a branch."}
    )
    verification = fields.String(
        load_default="none",
        validate=validate.OneOf(
            ["none", "sample", "trend"], error="Choose how it will be checked."
        ),
    )
    sample_size = fields.Integer(
        load_default=1,
        allow_none=True,
        validate=validate.Range(min=1, max=50, error="A sample is 1 to 50 checks."),
        error_messages={"invalid": "A sample is 1 to 50 checks."},
    )
    sample_template = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=80)
    )
    trend_category = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(
            [c.value for c in Category], error="Choose which kind of incident to count."
        ),
    )
    trend_days = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=7, max=365, error="Compare 7 to 365 days before and after."),
        error_messages={"invalid": "Compare 7 to 365 days before and after."},
    )
    trend_person_ref = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=20)
    )

    @validates_schema(skip_on_field_errors=True)
    def _rules(self, data: dict[str, Any], **_: Any) -> None:
        _not_blank(data, ["title", "source_id"], self)
        if data["verification"] == "trend":
            errors = {}
            if not data.get("trend_category"):
                errors["trend_category"] = ["Choose which kind of incident to count."]
            if not data.get("trend_days"):
                errors["trend_days"] = ["Say how many days to compare before and after."]
            if errors:
                raise ValidationError(errors)


class ActionDoneSchema(_Form):
    evidence = _required_text(
        "Say what was done and where the evidence is (for example, the new checklist in use)."
    )
    version = StoredInt(minimum=0, load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=True)
    def _rules(self, data: dict[str, Any], **_: Any) -> None:
        _not_blank(data, ["evidence"], self)


class ActionVerifySchema(_Form):
    outcome = fields.String(
        required=True,
        validate=validate.OneOf(["effective", "not_effective"], error="Choose whether it worked."),
        error_messages=_required("Choose whether it worked."),
    )
    note = _text()
    version = StoredInt(minimum=0, load_default=None, allow_none=True)


class ActionCarrySchema(_Form):
    review_id = StoredInt(
        required=True,
        error_messages={
            **_required("Choose the review that takes it over."),
            "invalid": "Choose the review that takes it over.",
        },
    )
    version = StoredInt(minimum=0, load_default=None, allow_none=True)


class ActionOutSchema(Schema):
    """An action as GET /api/v1/actions returns it (docs/api.md)."""

    id = fields.Integer()
    title = fields.String()
    status = fields.String()
    due = fields.Date()
    owner_id = fields.Integer()
    source = fields.Function(lambda a: {"type": a.source_type, "id": a.source_id})


class ActionPageSchema(Schema):
    items = fields.List(fields.Nested(ActionOutSchema))
    next = fields.String(allow_none=True)


# --- closing an incident -------------------------------------------------------------------


class CloseIncidentSchema(_Form):
    no_review_reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=2000, error="Keep the reason to 2,000 characters."),
    )
    feedback = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=MAX_TEXT, error=f"Keep this to {MAX_TEXT:,} characters."),
    )
    version = StoredInt(minimum=0, load_default=None, allow_none=True)


# --- bulletins -------------------------------------------------------------------------------


class BulletinInSchema(_Form):
    title = _required_text("Give the bulletin a short title (up to 120 characters).", 120)
    what_happened = _required_text("Say briefly what happened (up to 3,000 characters).", 3000)
    what_learned = _required_text("Say what we learned (up to 3,000 characters).", 3000)
    what_changes = _required_text("Say what changes for staff (up to 3,000 characters).", 3000)
    branch_ids = fields.List(
        StoredInt(error_messages={"invalid": "Choose branches from the list."}),
        required=True,
        validate=validate.Length(min=1, error="Choose at least one branch to send it to."),
        error_messages=_required("Choose at least one branch to send it to."),
    )
    roles = fields.List(
        fields.String(
            validate=validate.OneOf([r.value for r in Role], error="Choose roles from the list.")
        ),
        load_default=list,
    )
    review_ids = fields.List(
        StoredInt(error_messages={"invalid": "Choose reviews from the list."}),
        load_default=list,
    )
    # The fingerprint of the text the manager checked on the review page
    # (learning.anonymise.fingerprint), sent with "Send it as it is".
    checked = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))

    @validates_schema(skip_on_field_errors=True)
    def _rules(self, data: dict[str, Any], **_: Any) -> None:
        _not_blank(data, ["title", "what_happened", "what_learned", "what_changes"], self)


class BriefingNoteSchema(_Form):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(
            [k.value for k in BriefingNoteKind], error="Choose team debrief or supervision."
        ),
        error_messages=_required("Choose team debrief or supervision."),
    )
    held_on = Day(
        required=True,
        error_messages={
            **_required("Enter the date it was held."),
            "invalid": "Enter the date it was held, like 2026-12-01.",
        },
    )
    branch_id = StoredInt(
        required=True,
        error_messages={**_required("Choose the branch."), "invalid": "Choose the branch."},
    )
    attendee_ids = fields.List(
        StoredInt(error_messages={"invalid": "Choose staff from the list."}),
        required=True,
        validate=validate.Length(min=1, error="Choose who took part."),
        error_messages=_required("Choose who took part."),
    )
    note = _required_text("Say what was discussed and what staff said (up to 5,000 characters).")

    @validates_schema(skip_on_field_errors=True)
    def _rules(self, data: dict[str, Any], **_: Any) -> None:
        _not_blank(data, ["note"], self)


# --- case studies ------------------------------------------------------------------------------


class CaseStudyStartSchema(_Form):
    incident_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=36, error="Choose an incident."),
        error_messages=_required("Choose an incident."),
    )


class CaseStudySchema(_Form):
    title = _required_text("Give the case study a title (up to 200 characters).", 200)
    event = _text(LONG_TEXT)
    review_process = _text(LONG_TEXT)
    action_taken = _text(LONG_TEXT)
    what_changed = _text(LONG_TEXT)
    evidence = _text(LONG_TEXT)
    version = StoredInt(minimum=0, load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=True)
    def _rules(self, data: dict[str, Any], **_: Any) -> None:
        _not_blank(data, ["title"], self)


class AcknowledgementInSchema(Schema):
    """A confirmation that a bulletin was read, as a phone sends it (perhaps long
    after, from its outbox): the entry's own id and when it was tapped."""

    class Meta:
        unknown = RAISE

    id = fields.UUID(
        required=True,
        error_messages={
            **_required("The entry has no id."),
            "invalid_uuid": "The id must be a UUID.",
        },
    )
    read_at = Moment(
        load_default=None,
        allow_none=True,
        error_messages={
            "invalid": "When it was read must be a date and time.",
            "invalid_awareness": "Give the time with its time zone offset.",
        },
    )
