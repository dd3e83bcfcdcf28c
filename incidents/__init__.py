"""Incidents and near misses: the carer's report, the incident list and record,
triage, office details, threshold decisions and duty timers."""

from __future__ import annotations

import click
from flask import Flask

from core.demo import DemoOptions, add_seeder
from incidents import body_map_views, branch_counts, models, month_counts, offline_checks, routes
from incidents.demo import seed_incidents
from oversight.trail_search import add_record_kind

__all__ = ["init_app", "models"]


def _demo_incidents(options: DemoOptions) -> list[str]:
    if not options.incidents or options.bulk:  # in bulk: learning/bulk_demo.py
        return []
    return seed_incidents(options.incidents, seed=options.incident_seed)


def _offline_rules() -> None:
    """Write static/offline/incident-rules.json again from the schema (after changing it)."""
    click.echo(f"Wrote {offline_checks.write_rules_file()}")


def init_app(app: Flask) -> None:
    routes.init_app(app)
    body_map_views.init_app(app)  # the body map's outline and labels in templates
    app.cli.command("offline-rules")(_offline_rules)
    branch_counts.init_app(app)  # open incidents stop a branch being archived
    month_counts.init_app(app)  # flask rebuild-incident-counts (the dashboard's summary)
    add_seeder(app, 30, _demo_incidents)
    # Its events on the audit trail show to the managers of its branch.
    add_record_kind(
        app, "incident", "Incident", models.Incident, reference=models.Incident.reference
    )
