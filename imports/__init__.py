"""Imports: people supported and staff accounts from a CSV file, as a page
(upload, preview, confirm) and as commands, sharing one service."""

from __future__ import annotations

from flask import Flask

from imports import cli, routes

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    routes.init_app(app)
    cli.init_app(app)
