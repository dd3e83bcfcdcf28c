"""Incident pages: the carer's report, the review list, a record, triage,
decisions on duties and the office's details and chasing, one module each, all on
the one blueprint in `blueprint`. Thin: parse, authorise, call a service, render.
`init_app` registers them with their menu links, home-page parts and template
helpers."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user

from core import navigation
from core.dates import utcnow
from core.models import Role
from incidents import decisions as decision_rules
from incidents import office_work, services
from incidents import record as record_rules
from incidents.duties import rule_label
from incidents.models import IncidentDecision, informed_label, label, place_label
from incidents.riddor import reportable_label

# Importing each module adds its pages to the blueprint.
from incidents.routes import (
    attachments,
    decisions,
    details,
    looked,
    record,
    reporting,
    review_list,
    staff_injury,
    triage,
)
from incidents.routes._common import REPORTERS
from incidents.routes.blueprint import bp

__all__ = [
    "attachments",
    "bp",
    "decisions",
    "details",
    "init_app",
    "looked",
    "record",
    "reporting",
    "review_list",
    "staff_injury",
    "triage",
]


def init_app(app: Flask) -> None:
    """The pages, their menu links and home-page parts, and template helpers."""
    app.register_blueprint(bp)
    attachments.init_app(app)  # photos: served to who may see the incident
    # The first thing a carer sees: reporting is the job this app exists for.
    navigation.add_home_button(
        app, "Report an incident or near miss", "incidents.new", set(REPORTERS), order=0
    )
    navigation.add_menu_link(
        app, "Report", "incidents.new", set(REPORTERS), order=10, first_for={Role.CARER}
    )
    # The office's main task is the incidents to review; a manager's starts there too.
    navigation.add_menu_link(
        app,
        "Incidents",
        "incidents.index",
        set(Role),
        order=20,
        first_for={Role.OFFICE, Role.MANAGER},
    )
    navigation.add_section(app, "home", "incidents/_home_duties.html", {Role.MANAGER}, order=10)
    # The office's work first on their home page, above the bulletins.
    navigation.add_section(app, "home", "incidents/_home_office.html", {Role.OFFICE}, order=5)
    app.jinja_env.globals.update(
        incident_label=label,
        informed_label=informed_label,
        place_label=place_label,
        reportable_label=reportable_label,
        rule_label=rule_label,
        overdue_duties=_overdue_duties,
        office_home=_office_home,
        offset_label=record_rules.offset_label,
        describe_due=record_rules.describe_due,
        describe_clock=record_rules.describe_clock,
        now_utc=utcnow,
    )
    app.jinja_env.filters["uk_iso"] = record_rules.uk_time_from_iso


def _overdue_duties() -> tuple[list[IncidentDecision], int]:
    """For the manager's home page: overdue decisions within their scope."""
    return decision_rules.overdue_decisions(
        services.visible_incidents(current_user), utcnow(), limit=10
    )


def _office_home() -> office_work.OfficeHome:
    """For the office's home page: their work within their branches."""
    return office_work.office_home(services.visible_incidents(current_user), current_user, utcnow())
