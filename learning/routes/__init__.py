"""Learning pages: reviews, actions, patterns, bulletins, case studies, and an
incident's learning (with closing it), one module each, all on the one
blueprint in `blueprint`. Thin: parse, authorise, call a service, render."""

from __future__ import annotations

# Importing each module adds its pages to the blueprint.
from learning.routes import (
    actions,
    bulletins,
    case_studies,
    incident_learning,
    patterns,
    reviews,
    verification,
)
from learning.routes.blueprint import bp

__all__ = [
    "actions",
    "bp",
    "bulletins",
    "case_studies",
    "incident_learning",
    "patterns",
    "reviews",
    "verification",
]
