"""Spot checks ("audits"): versioned templates, checks done in people's homes
(offline too), scoring, results, failure rates and schedules."""

from __future__ import annotations

from flask import Flask

from actions.models import ActionSource
from actions.sources import SourceInfo, SourceKind, add_source
from audits import demo as audits_demo
from audits import models, routes
from core.demo import add_seeder
from core.models import User
from oversight.trail_search import add_record_kind

__all__ = ["init_app", "models"]


def _spot_check_source(user: User, audit_id: str) -> SourceInfo:
    """A spot check as the source of an action (actions.sources)."""
    return SourceInfo(ActionSource.AUDIT.value, audit_id, f"Spot check {audit_id[:8]}", None)


def init_app(app: Flask) -> None:
    routes.init_app(app)
    add_record_kind(app, "audit", "Spot check", models.Audit)
    add_record_kind(app, "audit_schedule", "Spot-check schedule", models.AuditSchedule)
    add_seeder(app, 20, lambda _options: audits_demo.seed())
    add_source(app, ActionSource.AUDIT, SourceKind(_spot_check_source))
