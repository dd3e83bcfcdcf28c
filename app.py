"""Candour's application factory. It only wires things together; the rules live
in each package's services module."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import settings
from extensions import csrf, db, htmx, login_manager, migrate


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(settings.load(overrides))
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    register_extensions(app)
    register_blueprints(app)
    register_web(app)
    register_commands(app)
    return app


def register_models() -> None:
    """Import every models module so the metadata (and Alembic) sees all tables."""
    import audits.models  # noqa: F401
    import core.models  # noqa: F401
    import governance.models  # noqa: F401
    import incidents.models  # noqa: F401
    import learning.models  # noqa: F401


def register_extensions(app: Flask) -> None:
    from core import database

    register_models()
    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(settings.ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)


def register_blueprints(app: Flask) -> None:
    from core.web import DatabaseIdConverter

    # Before any route is added, so that every `<int:…>` uses it.
    app.url_map.converters["int"] = DatabaseIdConverter

    import incidents
    from audits import routes as audits_routes
    from core.routes import bp as core_bp
    from incidents.routes import bp as incidents_bp
    from pwa.routes import bp as pwa_bp
    from sync.routes import bp as sync_bp

    for bp in (core_bp, incidents_bp, pwa_bp, sync_bp):
        app.register_blueprint(bp)
    incidents.init_app(app)
    audits_routes.init_app(app)

    import learning

    learning.init_app(app)

    import governance

    governance.init_app(app)


def register_web(app: Flask) -> None:
    from core import templating, web

    web.init_app(app)
    templating.init_app(app)


def register_commands(app: Flask) -> None:
    from core import cli

    cli.init_app(app)
