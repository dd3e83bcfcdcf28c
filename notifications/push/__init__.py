"""Web push: alerts on staff's phones through the browsers' push services.

The "push" channel (sending.py) for notifications.dispatch; each device's
subscription (models.py, subscriptions.py), switched on and off by the control
on the account's messages page (routes.py, static/js/push.js); the VAPID key
pair (keys.py, `flask --app app push-keys`). The phone's side is the service
worker's `push` and `notificationclick` handlers (service-worker.js)."""

from __future__ import annotations

from flask import Flask

from notifications.channels import register_channel
from notifications.push import cli, keys, routes, sending

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
    cli.init_app(app)
    register_channel(app, sending.CHANNEL, sending.send, sending.available, label="Push")
    for problem in keys.problems(app.config):
        app.logger.warning("Web push: %s", problem)
