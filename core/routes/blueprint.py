"""The one blueprint every core page is on, so their endpoints are all `core.*`
whichever module of this package holds them."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("core", __name__)
