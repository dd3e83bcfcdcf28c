"""The people supported: a reference and initials each, kept by managers and
office staff within their branches (the model is core.models.PersonSupported,
which every record about someone points to)."""

from __future__ import annotations

from flask import Flask

from core import navigation
from core.models import PersonSupported
from oversight.trail_search import add_record_kind
from people import routes
from people.permissions import KEEPING_THE_LIST

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
    # Their events on the audit trail page go to the managers of their branch.
    add_record_kind(app, "person_supported", "Person supported", PersonSupported)
    navigation.add_menu_link(app, "People", "people.index", set(KEEPING_THE_LIST), order=85)
