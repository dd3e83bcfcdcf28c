"""Governance: the dashboard of trends (with SPC), themes, duties, actions, spot
checks and learning shared; governance meetings with a frozen copy of the
figures; and printable meeting packs."""

from __future__ import annotations

from flask import Flask

from actions.models import ActionSource
from actions.sources import SourceKind, add_source
from core import navigation
from core.demo import add_seeder
from core.models import Role
from governance import meetings, models, routes
from governance.demo import seed_denominators
from oversight.trail_search import add_record_kind

__all__ = ["init_app", "models"]


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
    add_record_kind(app, "governance_meeting", "Governance meeting", models.GovernanceMeeting)
    add_source(
        app,
        ActionSource.MEETING,
        SourceKind(meetings.meeting_source, public_title=meetings.meeting_public_title),
    )
    navigation.add_menu_link(app, "Governance", "governance.dashboard", {Role.MANAGER}, order=47)
    add_seeder(app, 45, lambda _options: seed_denominators())
