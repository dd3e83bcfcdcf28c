"""`flask --app app import-people FILE.csv` and `import-staff FILE.csv`: the
provider's own lists, run as the system (no user; any branch)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app

from imports import service
from imports.reading import ImportFileError


def _import(kind: str, path: Path) -> None:
    try:
        result = service.run(kind, path.read_bytes(), None, source=path.name)
    except ImportFileError as err:
        raise click.ClickException(f"{path.name}: {err}") from None
    except service.PlanChanged:
        raise click.ClickException(
            f"{path.name}: the same records were changed while importing; nothing was "
            "written. Run the import again."
        ) from None
    plan = result.plan
    if not plan.ok:
        for row in plan.errors:
            click.echo(f"{path.name}: line {row.line}: {' '.join(row.reasons)}", err=True)
        raise click.ClickException(
            f"{len(plan.errors)} of {len(plan.rows)} rows cannot be imported; nothing was written."
        )
    click.echo(plan.summary())
    # Whole addresses to pass on when PUBLIC_URL says where Candour is served.
    base = str(current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    for email, link in result.invitations:
        click.echo(f"Invitation for {email}: {base}{link}")
    if result.invitations and not base:
        click.echo("Set PUBLIC_URL to print whole addresses; these are paths on your Candour site.")


def init_app(app: Flask) -> None:
    file_argument = click.argument(
        "file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
    )

    @app.cli.command("import-people")
    @file_argument
    def import_people(file: Path) -> None:
        """Add or update people supported from a CSV file (ref,initials,branch)."""
        _import("people", file)

    @app.cli.command("import-staff")
    @file_argument
    def import_staff(file: Path) -> None:
        """Add or update staff accounts from a CSV file (email,name,role,branches,team)."""
        _import("staff", file)
