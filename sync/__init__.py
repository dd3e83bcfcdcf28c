"""The JSON sync API (/api/v1) that the service worker and other clients use."""

from __future__ import annotations

from flask import Flask

from sync import routes


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
