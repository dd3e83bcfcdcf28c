"""The one blueprint every spot-check page is on, so its endpoints are all
`audits.*` whichever module of this package holds them."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("audits", __name__, url_prefix="/audits")
