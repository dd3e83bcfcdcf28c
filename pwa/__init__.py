"""The installable app: web manifest, service worker and offline page."""

from __future__ import annotations

from flask import Flask

from pwa import routes


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
