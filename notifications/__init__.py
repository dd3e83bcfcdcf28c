"""Messages to staff: e-mail (here) and push (notifications/push*), sent by a
background worker from a job queue.

Other packages call `notifications.dispatch.notify(...)`; channels register with
`notifications.channels.register_channel`; periodic jobs with
`notifications.queue.add_periodic`. `flask --app app worker` runs the queue.
Escalation of serious reports, reminders and the on-call rota: notifications/
escalation.py, reminders.py, on_call.py, wired by on_call_app.
"""

from __future__ import annotations

from flask import Flask

from core import navigation
from core.models import Role
from notifications import (
    account_links,
    cli,
    delivery,
    email,
    on_call_app,
    push,
    queue,
    routes,
)

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    queue.init_app(app)
    delivery.init_app(app)
    email.init_app(app)
    push.init_app(app)  # the "push" channel: web push to staff's phones
    account_links.init_app(app)
    cli.init_app(app)
    app.register_blueprint(routes.bp)
    navigation.add_menu_link(app, "Messages", "notifications.account_messages", set(Role), order=95)
    on_call_app.init_app(app)  # escalation, reminders, the on-call rota
