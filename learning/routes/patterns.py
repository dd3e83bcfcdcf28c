"""Patterns across incidents, for managers."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request
from flask_login import current_user

from core.models import Role
from core.permissions import role_required
from incidents.models import label
from learning import patterns as pattern_rules
from learning.routes.blueprint import bp


@bp.get("/patterns")
@role_required(Role.MANAGER)
def patterns() -> Any:
    settings = pattern_rules.PatternSettings.from_config(current_app.config)
    # A section lists its first SHOWN patterns; ?show=<section> lists all of it.
    show = request.args.get("show", "")
    shown = None if show in pattern_rules.SECTIONS else pattern_rules.SHOWN
    return render_template(
        "learning/patterns.html",
        report=pattern_rules.find_patterns(current_user, settings, shown=shown),
        settings=settings,
        label=label,
        shown=pattern_rules.SHOWN,
        show=show,
    )
