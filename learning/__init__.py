"""The learning loop: reviews, actions proved to work, patterns, bulletins and
case studies."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g
from flask_login import current_user

from actions import due
from actions.models import ActionSource
from actions.sources import SourceKind, add_source
from core import navigation
from core.dates import uk_today
from core.demo import DemoOptions, add_seeder
from core.models import Role
from incidents.timeline import add_timeline_source
from incidents.triage import ClosingRule, set_closing_rule
from learning import (
    bulk_demo,
    bulletins,
    closing,
    incident_learning,
    models,
    patterns,
    reviews,
    routes,
)
from learning.demo import seed_learning
from oversight.trail_search import add_record_kind

__all__ = ["init_app", "models"]

ALL_ROLES = set(Role)
STAFF_WHO_REVIEW = {Role.SUPERVISOR, Role.MANAGER, Role.OFFICE}


def _home_learning() -> dict[str, Any]:
    """What the home page sections of this package show the signed-in user."""
    cached: dict[str, Any] | None = g.get("learning_home")
    if cached is not None:
        return cached
    user = current_user
    config = current_app.config
    data: dict[str, Any] = {
        "actions": due.home_actions(user, uk_today(), config["ACTION_DUE_SOON_DAYS"]),
        "unread": bulletins.unread_bulletins(user),
        "patterns": None,
    }
    if user.role == Role.MANAGER.value:
        # Shown as titles and a count: without their incidents.
        data["patterns"] = patterns.find_patterns(
            user, patterns.PatternSettings.from_config(config), listed=0
        )
    g.learning_home = data
    return data


def _demo_learning(options: DemoOptions) -> list[str]:
    # Learning from incidents needs incidents to learn from.
    return seed_learning() if options.incidents and not options.bulk else []


def _demo_in_bulk(options: DemoOptions) -> list[str]:
    if not options.bulk:
        return []
    return bulk_demo.seed_bulk(options.incidents, seed=options.incident_seed)


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
    add_seeder(app, 35, _demo_in_bulk)  # after the spot-check templates (20)
    add_seeder(app, 40, _demo_learning)
    for record_type, label, model in (
        ("learning_review", "Learning review", models.LearningReview),
        ("bulletin", "Bulletin", models.Bulletin),
        ("briefing_note", "Briefing note", models.BriefingNote),
        ("case_study", "Case study", models.CaseStudy),
    ):
        add_record_kind(app, record_type, label, model)
    add_source(app, ActionSource.REVIEW, SourceKind(reviews.review_source))
    # An incident's record shows the actions agreed on it, and closes by our rule.
    set_closing_rule(
        app, ClosingRule(problems=closing.close_problems, record=closing.record_no_review_reason)
    )
    add_timeline_source(app, incident_learning.action_timeline)
    app.jinja_env.globals["incident_actions"] = incident_learning.actions_on_record
    navigation.add_section(
        app, "incident", "learning/_incident_actions.html", STAFF_WHO_REVIEW, order=10
    )
    app.jinja_env.globals["learning_home"] = _home_learning

    navigation.add_menu_link(app, "Reviews", "learning.reviews", STAFF_WHO_REVIEW, order=30)
    navigation.add_menu_link(app, "Actions", "learning.actions", ALL_ROLES, order=40)
    navigation.add_menu_link(app, "Patterns", "learning.patterns", {Role.MANAGER}, order=45)
    navigation.add_menu_link(app, "Bulletins", "learning.bulletins", ALL_ROLES, order=60)
    # Carers see unread bulletins first: "staff can explain the revised approach".
    navigation.add_section(app, "home", "learning/_home_bulletins.html", ALL_ROLES, order=5)
    navigation.add_section(app, "home", "learning/_home_actions.html", ALL_ROLES, order=20)
    navigation.add_section(app, "home", "learning/_home_patterns.html", {Role.MANAGER}, order=30)
