"""Actions: who will do what by when, from an incident, a learning review, a spot
check or a governance meeting; due and overdue; done with evidence. Every package
that raises actions sits above this one. Pages for actions, and verifying that one
worked, are the learning package's."""

from __future__ import annotations

from flask import Flask

from actions import models, sources
from oversight.trail_search import add_record_kind

__all__ = ["init_app", "models"]


def init_app(app: Flask) -> None:
    sources.init_app(app)
    add_record_kind(app, "action", "Action", models.Action)
