"""Command-line tasks: `flask --app app seed-demo --password PW`, and those for
going live (core/commands.py)."""

from __future__ import annotations

import click
from flask import Flask
from flask_migrate import upgrade

from core import commands, demo


def init_app(app: Flask) -> None:
    commands.init_app(app)  # create-branch, create-manager (going live)

    @app.cli.command("seed-demo")
    @click.option("--password", required=True, help="Password for every demo account.")
    @click.option(
        "--incidents",
        type=click.IntRange(min=0, max=200_000),
        default=0,
        show_default=True,
        help="Also generate this many incidents (for demos and benchmarks).",
    )
    @click.option(
        "--seed",
        type=int,
        default=1,
        show_default=True,
        help="Seed for the generated incidents: the same seed gives the same incidents.",
    )
    def seed_demo(password: str, incidents: int, seed: int) -> None:
        """Create or upgrade the schema, then the demo data. Safe to run twice."""
        upgrade()
        summary = demo.seed(password=password, incidents=incidents, incident_seed=seed)
        for line in summary:
            click.echo(line)
