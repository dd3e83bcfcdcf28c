"""Spot-check pages: start and complete a check, re-audits, results and their
detail, the carer's acknowledgement, failure rates, schedules and the manager's
template editor, one module each, all on the one blueprint in `blueprint`. Thin:
parse, authorise, call a service, render. `init_app` registers them with their
menu links, home-page parts and template helpers."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_login import current_user

from audits import raised_actions
from audits import results as result_rules
from audits import schedules as schedule_rules

# Importing each module adds its pages to the blueprint.
from audits.routes import reaudits, results, schedules, spot_checks, templates
from audits.routes._common import CONDUCTING
from audits.routes.blueprint import bp
from core import navigation
from core.dates import uk_today
from core.models import Role

__all__ = [
    "bp",
    "init_app",
    "reaudits",
    "results",
    "schedules",
    "spot_checks",
    "templates",
]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    everyone = set(Role)
    navigation.add_menu_link(
        app, "Spot checks", "audits.index", everyone, order=30, first_for={Role.SUPERVISOR}
    )
    navigation.add_home_button(app, "Start a spot check", "audits.new", set(CONDUCTING), order=20)
    navigation.add_section(
        app, "home", "audits/_home_schedules.html", {Role.SUPERVISOR, Role.MANAGER}, order=30
    )
    navigation.add_section(
        app, "home", "audits/_home_feedback.html", {Role.CARER, Role.SUPERVISOR}, order=31
    )
    app.jinja_env.globals.update(
        audit_schedules_due=_home_schedules,
        audit_feedback_waiting=_home_feedback,
        answer_label=_answer_label,
        action_reaudits=_action_reaudits,
    )
    app.jinja_env.filters["template_option"] = lambda t: (t.slug, t.title)


def _home_schedules() -> list[schedule_rules.ScheduleStatus]:
    return schedule_rules.schedules_for(current_user, uk_today(), outstanding_only=True)


def _home_feedback() -> list[Any]:
    return result_rules.unacknowledged_for(current_user)


def _action_reaudits(action: Any) -> list[Any]:
    """For any page that shows an action (the actions pages include
    audits/_action_reaudits.html): the re-audits that checked it."""
    return raised_actions.reaudits_of(current_user, action)


def _answer_label(item: Any, answer: str) -> str:
    return str(item.answers.answer_label(answer))
