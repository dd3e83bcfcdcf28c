"""Exports: incidents, actions, spot checks and duty decisions of a period as CSV
or Excel files, for managers and office staff within their branches, streamed a
batch at a time, optionally anonymised, each one on the audit trail; and the PDF
packs (exports.packs, drawn by exports.pdf): the governance pack, a meeting's
pack, an incident's record, the CQC evidence pack and the commissioner's report."""

from __future__ import annotations

from flask import Flask

from core import navigation
from exports import routes
from exports.permissions import EXPORTERS

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    app.register_blueprint(routes.bp)
    app.register_blueprint(routes.packs)
    navigation.add_menu_link(app, "Exports", "exports.index", set(EXPORTERS), order=88)
