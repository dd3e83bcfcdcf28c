"""The preferences form: one answer per kind of message the user may change."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from core.models import User
from notifications import preferences


def preferences_schema(user: User) -> Schema:
    """A schema for `user`'s form: the kinds they may change, each one of the choices."""
    allowed = [value for value, _ in preferences.choices()]
    message = "Choose how you want these messages, or that you do not want them."
    fields_for: dict[str, fields.Field[Any]] = {
        row.kind.value: fields.String(
            required=True,
            validate=validate.OneOf(allowed, error=message),
            error_messages={"required": message},
        )
        for row in preferences.rows(user)
        if not row.fixed
    }
    schema_class = Schema.from_dict(fields_for, name="MessagePreferencesSchema")
    return schema_class()
