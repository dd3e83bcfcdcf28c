"""People, roles, branches, sign-in, scoping, the trail and the web plumbing every
other package builds on. It imports no other package of Candour."""

from __future__ import annotations

from flask import Flask

from core import branches, choices, cli, database, models, routes, templating, web

__all__ = ["init_app", "models"]


def init_app(app: Flask) -> None:
    web.init_app(app)  # first: the id converter must exist before any route
    database.init_app(app)
    templating.init_app(app)
    choices.init_app(app)
    routes.init_app(app)
    branches.init_app(app)  # what each branch holds (packages above add theirs)
    cli.init_app(app)
