"""/api/v1: thin JSON routes over the same services the pages use."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

bp = Blueprint("sync", __name__, url_prefix="/api/v1")


@bp.get("/session")
@login_required
def session_info() -> Any:
    """Who is signed in, and the CSRF token every API write must carry."""
    user = current_user
    return {
        "user": {"id": user.id, "email": user.email, "name": user.name, "role": user.role},
        "csrf_token": generate_csrf(),
    }
