"""The JSON sync API (/api/v1) that the service worker and other clients use."""

from __future__ import annotations

from flask import Flask

from sync import attachments, routes

__all__ = ["attachments", "init_app"]


def init_app(app: Flask) -> None:
    # Importing `attachments` adds the photo upload to the blueprint.
    app.register_blueprint(routes.bp)
