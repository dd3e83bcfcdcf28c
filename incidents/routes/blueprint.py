"""The one blueprint every incident page is on, so its endpoints are all
`incidents.*` whichever module of this package holds them."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("incidents", __name__, url_prefix="/incidents")
