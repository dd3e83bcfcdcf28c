"""The one blueprint every learning page is on, so its endpoints are all
`learning.*` whichever module of this package holds them."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("learning", __name__)
