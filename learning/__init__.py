"""The learning loop: reviews, actions proved to work, patterns, bulletins and
case studies."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g
from flask_login import current_user

from core import navigation
from core.models import Role, uk_today

ALL_ROLES = set(Role)
STAFF_WHO_REVIEW = {Role.SUPERVISOR, Role.MANAGER, Role.OFFICE}


def _home_learning() -> dict[str, Any]:
    """What the home page sections of this package show the signed-in user."""
    from learning import patterns, services

    cached: dict[str, Any] | None = g.get("learning_home")
    if cached is not None:
        return cached
    user = current_user
    config = current_app.config
    data: dict[str, Any] = {
        "actions": services.home_actions(user, uk_today(), config["ACTION_DUE_SOON_DAYS"]),
        "unread": services.unread_bulletins(user),
        "patterns": None,
    }
    if user.role == Role.MANAGER.value:
        data["patterns"] = patterns.find_patterns(
            user, patterns.PatternSettings.from_config(config)
        )
    g.learning_home = data
    return data


def init_app(app: Flask) -> None:
    from learning.routes import bp

    app.register_blueprint(bp)
    app.jinja_env.globals["learning_home"] = _home_learning
    app.jinja_env.filters["user_pair"] = lambda u: (u.id, f"{u.name} ({u.role_enum.label})")

    navigation.add_menu_link(app, "Reviews", "learning.reviews", STAFF_WHO_REVIEW, order=30)
    navigation.add_menu_link(app, "Actions", "learning.actions", ALL_ROLES, order=40)
    navigation.add_menu_link(app, "Patterns", "learning.patterns", {Role.MANAGER}, order=45)
    navigation.add_menu_link(app, "Bulletins", "learning.bulletins", ALL_ROLES, order=60)
    # Carers see unread bulletins first: "staff can explain the revised approach".
    navigation.add_home_section(app, "learning/_home_bulletins.html", ALL_ROLES, order=5)
    navigation.add_home_section(app, "learning/_home_actions.html", ALL_ROLES, order=20)
    navigation.add_home_section(app, "learning/_home_patterns.html", {Role.MANAGER}, order=30)
