"""Incident pages: the carer's report form, the review list, a record, triage."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("incidents", __name__, url_prefix="/incidents")
