"""Messages to people: escalation of serious reports, reminders, the on-call rota."""

from __future__ import annotations

from flask import Flask

from notifications import on_call_app


def init_app(app: Flask) -> None:
    on_call_app.init_app(app)
