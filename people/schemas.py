"""What the people-supported pages accept. The rules that need the database
(a reference used already, a branch of the user's) are people.people_supported's."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.forms import StoredInt
from core.schemas import required_messages
from people.people_supported import (
    ARCHIVE_REASONS,
    BRANCH_RULE,
    INITIALS_RULE,
    NOTE_MAX,
    NOTE_NEEDED,
    REF_RULE,
)

SEARCH_MAX = 40


def _initials() -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Length(min=1, max=20, error=INITIALS_RULE),
        error_messages=required_messages(INITIALS_RULE),
    )


def _branch() -> StoredInt:
    return StoredInt(
        required=True,
        error_messages={**required_messages(BRANCH_RULE), "invalid": BRANCH_RULE},
    )


class NewPersonSchema(Schema):
    ref = fields.String(
        required=True,
        validate=validate.Length(min=1, max=60, error=REF_RULE),
        error_messages=required_messages(REF_RULE),
    )
    initials = _initials()
    branch_id = _branch()


class InitialsSchema(Schema):
    initials = _initials()


class MoveSchema(Schema):
    branch_id = _branch()


class ArchiveSchema(Schema):
    reason = fields.String(
        required=True,
        validate=validate.OneOf(
            list(ARCHIVE_REASONS), error="Choose why their care with you ended."
        ),
        error_messages=required_messages("Choose why their care with you ended."),
    )
    note = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=NOTE_MAX, error=f"Keep the note to {NOTE_MAX} characters."),
    )

    @validates_schema
    def _note_for_other(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("reason") == "other" and not (data.get("note") or "").strip():
            raise ValidationError(NOTE_NEEDED, "note")


class SearchSchema(Schema):
    """The list's query string: what to look for, archived or not, which page."""

    q = fields.String(
        load_default="",
        validate=validate.Length(
            max=SEARCH_MAX, error=f"Search for up to {SEARCH_MAX} characters."
        ),
    )
    archived = fields.Boolean(load_default=False)
    after = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(
            max=200, error="This page link is not valid. Start from the first page."
        ),
    )
