"""Validation for sign-in and staff accounts (pages and API share these), and the
pieces every package's schemas build on."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from core import password_policy
from core.forms import StoredInt
from core.models import Role
from core.passwords import LONGEST_ACCEPTED

ROLE_CHOICES = [r.value for r in Role]


def required_messages(message: str) -> dict[str, Any]:
    """A required field's error messages: missing and null both say `message`."""
    return {"required": message, "null": message}


def chosen_password(value: str) -> None:
    """A password someone chooses: its length is checked on the form; the rest of
    the policy (common, guessable, their own name) needs the account, so the
    service checks it (core.password_policy)."""
    problem = password_policy.length_problem(value)
    if problem is not None:
        raise ValidationError(problem)


class StrictSchema(Schema):
    """A field the schema does not know is an error, never silently dropped."""

    class Meta:
        unknown = RAISE


class SignInSchema(Schema):
    email = fields.String(
        required=True,
        validate=validate.Length(min=1, max=254, error="Enter your email address."),
        error_messages={"required": "Enter your email address."},
    )
    password = fields.String(
        required=True,
        validate=validate.Length(min=1, max=LONGEST_ACCEPTED, error="Enter your password."),
        error_messages={"required": "Enter your password."},
    )


class _UserFields(Schema):
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=120, error="Enter a name of up to 120 characters."),
        error_messages={"required": "Enter their name."},
    )
    role = fields.String(
        required=True,
        validate=validate.OneOf(ROLE_CHOICES, error="Choose a role."),
        error_messages={"required": "Choose a role."},
    )
    branch_ids = fields.List(
        StoredInt(error_messages={"invalid": "Choose a branch from the list."}),
        required=True,
        validate=validate.Length(min=1, error="Choose at least one branch."),
        error_messages={"required": "Choose at least one branch."},
    )


class NewUserSchema(_UserFields):
    email = fields.Email(
        required=True,
        validate=validate.Length(max=254),
        error_messages={
            "required": "Enter their email address.",
            "invalid": "Enter an email address like name@example.com.",
        },
    )


class EditUserSchema(_UserFields):
    active = fields.Boolean(load_default=False)


class ChoosePasswordSchema(Schema):
    """Choosing one's password with an invitation or reset link: twice."""

    new_password = fields.String(
        required=True,
        validate=chosen_password,
        error_messages={"required": password_policy.TOO_SHORT},
    )
    confirm_password = fields.String(
        required=True,
        validate=validate.Length(
            min=1, max=LONGEST_ACCEPTED, error="Enter the new password again."
        ),
        error_messages={"required": "Enter the new password again."},
    )

    mismatch = "The two passwords are not the same. Type it again in both boxes."

    @validates_schema
    def _same_twice(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("new_password") != data.get("confirm_password"):
            raise ValidationError(self.mismatch, "confirm_password")


class NewTeamSchema(Schema):
    """A team (a patch or round) in one of the manager's branches. The form's
    fields are prefixed so they sit beside the new-account form on one page."""

    name = fields.String(
        required=True,
        data_key="team_name",
        validate=validate.Length(min=1, max=80, error="Enter a team name of up to 80 characters."),
        error_messages={"required": "Enter a team name of up to 80 characters."},
    )
    branch_id = StoredInt(
        required=True,
        data_key="team_branch_id",
        error_messages={
            "required": "Choose which branch the team belongs to.",
            "invalid": "Choose which branch the team belongs to.",
        },
    )


class SetTeamSchema(Schema):
    """A user's team; empty means no team."""

    team_id = StoredInt(
        load_default=None,
        allow_none=True,
        error_messages={"invalid": "Choose one of the teams of their branches, or no team."},
    )


class _CurrentPassword(Schema):
    current_password = fields.String(
        required=True,
        validate=validate.Length(min=1, max=LONGEST_ACCEPTED, error="Enter your current password."),
        error_messages={"required": "Enter your current password."},
    )


class ChangePasswordSchema(ChoosePasswordSchema, _CurrentPassword):
    """Your own password: the current one (first, as on the page), and the new one
    twice as with a link."""

    mismatch = "The two new passwords are not the same. Type it again in both boxes."


class TwoFactorCodeSchema(Schema):
    """A code from an authenticator app or a recovery code (core/two_factor.py
    tells them apart); long enough for a recovery code typed with spaces."""

    code = fields.String(
        required=True,
        validate=validate.Length(
            min=1,
            max=40,
            error="Enter the 6-digit code from your authenticator app, or a recovery code.",
        ),
        error_messages=required_messages(
            "Enter the 6-digit code from your authenticator app, or a recovery code."
        ),
    )


class NewBranchSchema(Schema):
    """A branch: its short code (made capitals by core.branches) and its name."""

    code = fields.String(
        required=True,
        validate=validate.Length(
            min=1, max=40, error="Enter a code of up to 20 capital letters, digits and hyphens."
        ),
        error_messages=required_messages(
            "Enter a code of up to 20 capital letters, digits and hyphens."
        ),
    )
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200, error="Enter a name of up to 120 characters."),
        error_messages=required_messages("Enter a name for the branch."),
    )


class RenameBranchSchema(Schema):
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200, error="Enter a name of up to 120 characters."),
        error_messages=required_messages("Enter a name for the branch."),
    )
