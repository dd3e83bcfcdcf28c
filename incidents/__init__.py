"""Incidents and near misses: capture, review, triage, threshold decisions, duty timers."""

from __future__ import annotations

from flask import Flask

from core import navigation
from core.models import Role

REPORTING = {Role.CARER, Role.SUPERVISOR, Role.MANAGER}


def init_app(app: Flask) -> None:
    """What the incidents pages add to menus and home pages."""
    # The first thing a carer sees: reporting is the job this app exists for.
    navigation.add_home_action(
        app, "Report an incident or near miss", "incidents.new", REPORTING, order=0
    )
    navigation.add_menu_link(app, "Report", "incidents.new", REPORTING, order=10)

    from incidents.routes import register_review

    register_review(app)
