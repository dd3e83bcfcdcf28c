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


def rows_errors(schema: Schema, rows: list[dict[str, Any]]) -> list[list[str]]:
    """Each row's problems as plain sentences (an empty list for a valid row),
    all rows checked in one call."""
    found: list[list[str]] = [[] for _ in rows]
    try:
        schema.load(rows, many=True)
    except ValidationError as err:
        messages: Any = err.messages
        for index, fields_messages in messages.items():
            found[index] = [
                str(m) for key in fields_messages for m in _listed(fields_messages[key])
            ]
    return found


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def staff_rows_errors(rows: list[dict[str, str]]) -> list[list[str]]:
    """Email, name and role checked as the staff page checks them (the role
    given as the role or its label, in any case)."""
    accounts = [
        {
            "email": values["email"],
            "name": values["name"],
            "role": ROLE_NAMES.get(values["role"].lower(), values["role"]),
        }
        for values in rows
    ]
    return rows_errors(_account_fields, accounts)
