"""Validation of one row of an import file. A staff row is checked by the same
fields as the single-account form (core.schemas.NewUserSchema); a person's row
by the sizes of the columns that store it."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from core.models import PersonSupported, Role
from core.schemas import NewUserSchema

REF_LENGTH: int = PersonSupported.__table__.c.ref.type.length
INITIALS_LENGTH: int = PersonSupported.__table__.c.initials.type.length

PEOPLE_COLUMNS = ("ref", "initials", "branch")
STAFF_COLUMNS = ("email", "name", "role", "branches", "team")


def _text(message: str, length: int) -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Length(min=1, max=length, error=message),
        error_messages={"required": message},
    )


class PersonRowSchema(Schema):
    ref = _text(f"Enter a reference of up to {REF_LENGTH} characters.", REF_LENGTH)
    initials = _text(f"Enter initials of up to {INITIALS_LENGTH} characters.", INITIALS_LENGTH)
    branch = _text("Enter the branch code.", 20)


# Roles as the file may name them: the role itself or its label, in any case.
ROLE_NAMES = {r.value: r.value for r in Role} | {r.label.lower(): r.value for r in Role}

# The single-account form's own fields and messages for email, name and role.
_account_fields = NewUserSchema(only=("email", "name", "role"))


def row_errors(schema: Schema, values: dict[str, Any]) -> list[str]:
    """The row's problems as plain sentences (empty when it is valid)."""
    try:
        schema.load(values)
    except ValidationError as err:
        messages: Any = err.messages
        if isinstance(messages, dict):
            return [str(m) for key in messages for m in _listed(messages[key])]
        return [str(m) for m in _listed(messages)]
    return []


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def staff_row_errors(values: dict[str, str]) -> list[str]:
    """Email, name and role checked as the staff page checks them (the role
    given as the role or its label, in any case)."""
    account = {
        "email": values["email"],
        "name": values["name"],
        "role": ROLE_NAMES.get(values["role"].lower(), values["role"]),
    }
    return row_errors(_account_fields, account)
