"""Each role's home page (its parts come from the packages above, through
core.navigation)."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user, login_required

from core.models import Role
from core.routes.blueprint import bp


@bp.get("/")
@login_required
def home() -> Any:
    return render_template("core/home.html", role=Role(current_user.role))
