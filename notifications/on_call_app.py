"""Escalation's part of notifications: the on-call rota page and the home page's
"on call now", escalation started when a serious report is saved, and
acknowledged when a manager of its branch opens the record."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Flask
from flask_login import current_user

from core import navigation
from core.dates import utcnow
from core.models import Role, User
from extensions import db
from incidents import hooks
from incidents.models import Incident
from incidents.timeline import add_timeline_source
from notifications import escalation, escalation_timeline, on_call, on_call_routes, queue, reminders

log = logging.getLogger(__name__)


def _start_escalation(incident: Incident) -> None:
    """In the report's own transaction, so the alerts commit with the report or not
    at all. The flush comes first, so that a concurrent duplicate's insert fails
    where the exactly-once logic (core.exactly_once) expects it, not in here. A
    bug in escalation is logged and the report is saved all the same (no 500 to
    the phone); whatever escalation state was made goes on at the next check.
    (No savepoint: pysqlite's SAVEPOINTs nested in this one kept the write lock
    past the commit, and the delivery job waited on it.)"""
    if not escalation.escalates(incident):
        return
    db.session.flush()
    try:
        escalation.start(incident, utcnow())
    except Exception:
        log.exception("escalation of incident %s could not start", incident.id)


def _acknowledge(user: User, incident: Incident, now: datetime) -> None:
    escalation.acknowledge(user, incident, now)


def _escalated(incident: Incident) -> bool:
    return escalation.escalation_of(incident.id) is not None


def _on_call_home() -> list[on_call.BranchOnCall]:
    return on_call.on_call_for(current_user, utcnow())


def _check_escalations() -> int:
    return escalation.run_escalations(utcnow())


def _send_reminders() -> int:
    return reminders.run_reminders(utcnow())


def init_app(app: Flask) -> None:
    app.register_blueprint(on_call_routes.bp)
    hooks.add_created_hook(app, _start_escalation)
    hooks.add_opened_hook(app, _acknowledge)
    add_timeline_source(app, escalation_timeline.escalation_timeline)
    navigation.add_menu_link(app, "On call", "on_call.rota", {Role.MANAGER}, order=70)
    navigation.add_section(app, "home", "notifications/_home_on_call.html", set(Role), order=1)
    app.jinja_env.globals["on_call_home"] = _on_call_home
    # The reporter's "Report sent" page says a serious report has gone to the manager on call.
    app.jinja_env.globals["incident_escalated"] = _escalated
    # Every minute (the rules decide what is due: UK 08:00, the escalation window).
    queue.add_periodic(app, "notifications.escalations-every-minute", _check_escalations)
    queue.add_periodic(app, "notifications.reminders-every-minute", _send_reminders)
