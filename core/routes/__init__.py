"""Core pages: health, signing in and out, one's own password, the home page,
staff accounts and teams, one module each, all on the one blueprint in
`blueprint`. Thin: parse, authorise, call a service, render."""

from __future__ import annotations

from flask import Flask

# Importing each module adds its pages to the blueprint.
from core.routes import (
    branches,
    health,
    home,
    invitations,
    password,
    sign_in,
    staff,
    teams,
    two_factor,
)
from core.routes.blueprint import bp

__all__ = [
    "bp",
    "branches",
    "health",
    "home",
    "init_app",
    "invitations",
    "password",
    "sign_in",
    "staff",
    "teams",
    "two_factor",
]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # The whole address of a one-time link, for pages of other packages (imports).
    app.jinja_env.globals["invitation_address"] = invitations.full_link
