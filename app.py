"""Candour's application factory: it only wires things together. Each package
registers its own pages, menus, template helpers and commands in its `init_app`,
lowest layer first (see the README's layout and the import-linter contract in
pyproject.toml)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import actions
import audits
import core
import exports
import extensions
import governance
import imports
import incidents
import learning
import notifications
import oversight
import people
import pwa
import settings
import sync


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(settings.load(overrides))
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    extensions.init_app(app)  # the database, migrations, sign-in, CSRF, htmx
    core.init_app(app)  # staff, branches, sign-in pages, scoping, trail, errors, CLI
    oversight.init_app(app)  # the audit trail page and its export (managers)
    people.init_app(app)  # the people supported: list, add, move, archive
    incidents.init_app(app)  # reporting, the incident list and record, triage, duties
    imports.init_app(app)  # people supported and staff from CSV files: page and commands
    actions.init_app(app)  # actions from any source, due and overdue, done
    audits.init_app(app)  # spot checks: templates, checks, scoring, schedules
    learning.init_app(app)  # reviews, actions, patterns, bulletins, case studies
    governance.init_app(app)  # the dashboard, meetings and their packs
    exports.init_app(app)  # incidents, actions, spot checks, duties as CSV or Excel files
    # messages by e-mail and push, the job queue, the worker; escalation, reminders, on call
    notifications.init_app(app)
    sync.init_app(app)  # the JSON API under /api/v1
    pwa.init_app(app)  # the service worker, manifest and offline pages
    return app
