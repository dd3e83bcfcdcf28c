"""Oversight for managers: the audit trail page, filtered and exported as CSV,
within their branches. Other packages say which branch their records belong to
(`oversight.trail_search.add_record_kind`) from their own `init_app`."""

from __future__ import annotations

from flask import Flask

from core import navigation
from core.models import Role
from oversight import routes, trail_search

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
    trail_search.init_app(app)
    navigation.add_menu_link(app, "Audit trail", "oversight.trail", {Role.MANAGER}, order=90)
