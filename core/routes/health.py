"""The health check a load balancer or monitor calls."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import text

from core.routes.blueprint import bp
from extensions import db


@bp.get("/healthz")
def healthz() -> Any:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # the database is the one thing this checks
        current_app.logger.exception("health check failed")
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
