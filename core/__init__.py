"""People, roles, branches, sign-in, scoping, the trail and the web plumbing every
other package builds on. It imports no other package of Candour."""

from __future__ import annotations

from flask import Flask

from core import (
    branches,
    choices,
    cli,
    compression,
    database,
    models,
    routes,
    static_files,
    templating,
    web,
)

__all__ = ["init_app", "models"]


def init_app(app: Flask) -> None:
    compression.init_app(app)  # first: it must see every answer complete, so runs last
    web.init_app(app)  # the id converter must exist before any route
    static_files.init_app(app)  # /static/: compressed, cached for good by revision
    database.init_app(app)
    templating.init_app(app)
    choices.init_app(app)
    routes.init_app(app)
    branches.init_app(app)  # what each branch holds (packages above add theirs)
    cli.init_app(app)
