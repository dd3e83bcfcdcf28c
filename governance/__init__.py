"""Governance: the dashboard of trends (with SPC), themes, duties, actions, spot
checks and learning shared; governance meetings with a frozen copy of the
figures; and printable meeting packs."""

from __future__ import annotations

from flask import Flask

from core import navigation
from core.models import Role


def init_app(app: Flask) -> None:
    from governance.routes import bp

    app.register_blueprint(bp)
    navigation.add_menu_link(app, "Governance", "governance.dashboard", {Role.MANAGER}, order=47)
