"""Command-line tasks: `flask --app app seed-demo --password PW`."""

from __future__ import annotations

import click
from flask import Flask
from flask_migrate import upgrade

from core import demo


def init_app(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--password", required=True, help="Password for every demo account.")
    def seed_demo(password: str) -> None:
        """Create or upgrade the schema, then the demo data. Safe to run twice."""
        upgrade()
        summary = demo.seed(password=password)
        for line in summary:
            click.echo(line)
