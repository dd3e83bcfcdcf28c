"""A spot check as the API and the form both send it (docs/api.md), what the API
returns, and the manager's template and schedule forms. One schema validates the
page and the API alike."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema
from werkzeug.datastructures import MultiDict

from audits.models import Answer, AnswerSet, AuditTemplate
from core.dates import utcnow
from core.forms import MAX_ID, Day, Moment
from core.schemas import StrictSchema as _Strict
from core.schemas import required_messages as _required
from incidents.forms import device_zone, local_to_iso

CLOCK_SKEW = timedelta(minutes=5)
MAX_ANSWERS = 200
MAX_NOTE = 2000
MAX_FEEDBACK = 5000


class AnswerInSchema(_Strict):
    item = fields.String(
        required=True,
        validate=validate.Length(min=1, max=80, error="Give the item's key."),
        error_messages=_required("Give the item's key."),
    )
    answer = fields.String(
        required=True,
        validate=validate.OneOf([a.value for a in Answer], error="Choose yes, no or n/a."),
        error_messages=_required("Choose yes, no or n/a."),
    )
    note = fields.String(
        load_default="",
        allow_none=True,
        validate=validate.Length(
            max=MAX_NOTE, error=f"Keep the note to {MAX_NOTE:,} characters or fewer."
        ),
    )

    @post_load
    def _tidy(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        # null and "" mean the same (no note), so a replay hashes the same either way.
        data["note"] = (data.get("note") or "").strip()
        return data


class AuditInSchema(_Strict):
    """What a phone (or any client) sends to record a spot check."""

    id = fields.UUID(
        required=True,
        error_messages={
            **_required("The spot check has no id."),
            "invalid_uuid": "The id must be a UUID.",
        },
    )
    template = fields.String(
        required=True,
        validate=validate.Length(min=1, max=60, error="Choose a spot-check template."),
        error_messages=_required("Choose a spot-check template."),
    )
    template_version = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(
            min=1, max=MAX_ID, error="The template version must be a whole number from 1."
        ),
        error_messages={
            **_required("Say which version of the template was used."),
            "invalid": "The template version must be a whole number.",
        },
    )
    conducted_at = Moment(
        required=True,
        error_messages={
            **_required("Enter when the spot check was done."),
            "invalid": "Enter when the spot check was done as a date and time.",
            "invalid_awareness": "Give the time with its time zone offset.",
        },
    )
    observed_user_id = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(
            min=1, max=MAX_ID, error="Choose the colleague you observed from your team."
        ),
        error_messages={
            **_required("Choose who you observed."),
            "invalid": "Choose who you observed from the list.",
        },
    )
    person_ref = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    # Added to the contract: which branch, when neither the person nor the member
    # of staff settles it.
    branch = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    answers = fields.List(
        fields.Nested(AnswerInSchema),
        required=True,
        validate=validate.Length(
            min=1, max=MAX_ANSWERS, error=f"Send between 1 and {MAX_ANSWERS} answers."
        ),
        error_messages=_required("Answer the questions."),
    )
    reaudit_of_action = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(
            min=1, max=MAX_ID, error="There is no action with this number in your branches."
        ),
        error_messages={"invalid": "The action must be given by its number."},
    )
    # Added to the contract: what the supervisor said to the carer afterwards.
    feedback = fields.String(
        load_default="",
        allow_none=True,
        validate=validate.Length(
            max=MAX_FEEDBACK, error=f"Keep the feedback to {MAX_FEEDBACK:,} characters or fewer."
        ),
    )

    @validates_schema(skip_on_field_errors=True)
    def _rules(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        if data["conducted_at"] > utcnow() + CLOCK_SKEW:
            errors["conducted_at"] = ["This is in the future; check the phone's clock."]
        seen: set[str] = set()
        for n, row in enumerate(data["answers"]):
            if row["item"] in seen:
                errors[f"answers.{n}.item"] = ["This question is answered twice."]
            seen.add(row["item"])
        if errors:
            raise ValidationError(errors)

    @post_load
    def _tidy(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["feedback"] = (data.get("feedback") or "").strip()
        for key in ("person_ref", "branch"):
            data[key] = data.get(key) or None
        return data


# --- the HTML form -> the API's JSON ---------------------------------------------

_ANSWER_KEY = re.compile(r"^answers\.([0-9]{1,3})\.(item|answer|note)$")


def _int_or_raw(value: str | None) -> Any:
    """A number typed or chosen in the form as the JSON number; anything else as
    typed, for the schema to name. (ASCII digits only: "²".isdigit() is true.)"""
    if value is None or value.strip() == "":
        return None
    text = value.strip()
    return int(text) if re.fullmatch(r"[0-9]+", text) else text


def audit_form_to_json(form: MultiDict[str, str]) -> dict[str, Any]:
    """The audit form's fields as exactly the JSON the API takes, so the page and
    the outbox send the same thing and the same service saves both."""
    body: dict[str, Any] = {
        "id": form.get("entry_id") or None,
        "template": form.get("template") or None,
        "template_version": _int_or_raw(form.get("template_version")),
        # datetime-local carries no offset: the phone's (tz_offset) or UK time.
        "conducted_at": (
            local_to_iso(form["conducted_at"], device_zone(form))
            if form.get("conducted_at")
            else None
        ),
        "observed_user_id": _int_or_raw(form.get("observed_user_id")),
        "person_ref": form.get("person_ref") or None,
        "reaudit_of_action": _int_or_raw(form.get("reaudit_of_action")),
    }
    if "feedback" in form:
        body["feedback"] = form.get("feedback", "")
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.items(multi=False):
        match = _ANSWER_KEY.match(key)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = value
    body["answers"] = [
        {
            "item": row.get("item", ""),
            **({"answer": row["answer"]} if row.get("answer") else {}),
            "note": row.get("note", ""),
        }
        for _, row in sorted(rows.items())
    ]
    return body


# --- what the API returns ----------------------------------------------------------


class AuditReceiptSchema(Schema):
    """The answer to a create (201) or a replay (200)."""

    id = fields.String()
    score = fields.Float(allow_none=True)
    outcome = fields.String()
    actions = fields.Function(lambda a: [action.id for action in a.critical_actions])


class AnswerOutSchema(Schema):
    item = fields.String(attribute="item_key")
    text = fields.Function(lambda a: a.item.text)
    answer = fields.String()
    note = fields.String()
    critical = fields.Function(lambda a: a.item.critical)
    weight = fields.Function(lambda a: a.item.weight)


class AuditOutSchema(Schema):
    id = fields.String()
    template = fields.Function(lambda a: a.template.slug)
    template_version = fields.Function(lambda a: a.template.version)
    template_title = fields.Function(lambda a: a.template.title)
    conducted_at = fields.Function(lambda a: a.conducted_local.isoformat())
    received_at = fields.AwareDateTime()
    branch = fields.Function(lambda a: a.branch.code)
    observed_user_id = fields.Integer()
    person_ref = fields.Function(lambda a: a.person.ref if a.person else None)
    author_id = fields.Integer()
    score = fields.Float(allow_none=True)
    outcome = fields.String()
    feedback = fields.String()
    answers = fields.List(fields.Nested(AnswerOutSchema))
    actions = fields.Function(lambda a: [action.id for action in a.critical_actions])
    # Added to the contract: actions a supervisor raised later for items that
    # were not critical.
    other_actions = fields.Function(
        lambda a: [action.id for action in a.raised_actions if action not in a.critical_actions]
    )
    reaudit_of_action = fields.Integer(attribute="reaudit_of_action_id", allow_none=True)
    acknowledged_at = fields.AwareDateTime(allow_none=True)


# --- reference data for the offline form -----------------------------------------


class TemplateItemRefSchema(Schema):
    key = fields.String()
    text = fields.String()
    critical = fields.Boolean()
    section = fields.String()
    guidance = fields.String()
    weight = fields.Integer()
    answer_set = fields.String()
    note_required_when_failed = fields.Boolean()
    answer_labels = fields.Function(
        lambda i: {a.value: i.answers.answer_label(a.value) for a in Answer}
    )


class TemplateRefSchema(Schema):
    slug = fields.String()
    version = fields.Integer()
    title = fields.String()
    description = fields.String()
    pass_mark = fields.Integer()
    items = fields.List(fields.Nested(TemplateItemRefSchema))


def template_reference(templates: list[AuditTemplate]) -> list[dict[str, Any]]:
    return TemplateRefSchema(many=True).dump(templates)  # type: ignore[no-any-return]


# --- the manager's forms -----------------------------------------------------------


class TemplateDetailsSchema(Schema):
    title = fields.String(
        required=True,
        validate=validate.Length(
            min=1, max=120, error="Give the template a title (up to 120 characters)."
        ),
        error_messages=_required("Give the template a title."),
    )
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    pass_mark = fields.Integer(
        load_default=80,
        validate=validate.Range(
            min=0, max=100, error="The pass mark is a percentage from 0 to 100."
        ),
        error_messages={"invalid": "The pass mark is a percentage from 0 to 100."},
    )


class NewTemplateSchema(TemplateDetailsSchema):
    slug = fields.String(
        load_default="",
        validate=validate.Regexp(
            r"^([a-z0-9]+(-[a-z0-9]+)*)?$",
            error="Use lower-case letters, numbers and single hyphens, like falls-environment.",
        ),
    )


class ItemSchema(Schema):
    section = fields.String(load_default="", validate=validate.Length(max=80))
    text = fields.String(
        required=True,
        validate=validate.Length(
            min=1, max=300, error="Write the question (up to 300 characters)."
        ),
        error_messages=_required("Write the question."),
    )
    guidance = fields.String(load_default="", validate=validate.Length(max=2000))
    answer_set = fields.String(
        load_default=AnswerSet.YES_NO.value,
        validate=validate.OneOf([a.value for a in AnswerSet], error="Choose how it is answered."),
    )
    weight = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=10, error="The weight is a whole number from 1 to 10."),
        error_messages={"invalid": "The weight is a whole number from 1 to 10."},
    )
    critical = fields.Boolean(load_default=False)
    note_required_when_failed = fields.Boolean(load_default=False)

    @post_load
    def _tidy(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        for key in ("section", "text", "guidance"):
            data[key] = data[key].strip()
        if not data["text"]:
            raise ValidationError({"text": ["Write the question."]})
        return data


class ScheduleSchema(Schema):
    template = fields.String(
        required=True,
        validate=validate.Length(min=1, max=60, error="Choose a template."),
        error_messages=_required("Choose a template."),
    )
    branch_id = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=MAX_ID, error="Choose a branch."),
        error_messages={**_required("Choose a branch."), "invalid": "Choose a branch."},
    )
    observed_user_id = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_ID, error="Choose someone from the list."),
        error_messages={"invalid": "Choose someone from the list."},
    )
    target = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=500, error="Say how many checks, from 1 to 500."),
        error_messages={
            **_required("Say how many checks are needed."),
            "invalid": "Say how many checks, as a whole number.",
        },
    )
    starts_on = Day(
        load_default=None,
        allow_none=True,
        error_messages={"invalid": "Enter the start date like 2026-12-01."},
    )
    due_on = Day(
        required=True,
        error_messages={
            **_required("Enter the date they are due by."),
            "invalid": "Enter the date like 2026-12-14.",
        },
    )
    reason = fields.String(load_default="", validate=validate.Length(max=300))

    @validates_schema(skip_on_field_errors=True)
    def _dates(self, data: dict[str, Any], **_: Any) -> None:
        starts: date | None = data.get("starts_on")
        if starts is not None and data["due_on"] < starts:
            raise ValidationError({"due_on": ["The due date must be on or after the start date."]})
