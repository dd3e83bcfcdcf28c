"""Validation for sign-in and staff accounts (pages and API share these)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.models import Role

ROLE_CHOICES = [r.value for r in Role]


class SignInSchema(Schema):
    email = fields.String(
        required=True,
        validate=validate.Length(min=1, max=254, error="Enter your email address."),
        error_messages={"required": "Enter your email address."},
    )
    password = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1024, error="Enter your password."),
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
        fields.Integer(error_messages={"invalid": "Choose a branch from the list."}),
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
    password = fields.String(
        required=True,
        validate=validate.Length(
            min=12, max=1024, error="Choose a password of at least 12 characters."
        ),
        error_messages={"required": "Choose a first password for them."},
    )


class EditUserSchema(_UserFields):
    active = fields.Boolean(load_default=False)
    password = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(
            min=12, max=1024, error="A new password needs at least 12 characters."
        ),
    )
