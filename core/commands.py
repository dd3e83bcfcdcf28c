"""Commands for going live from an empty database (docs/api.md, "Going live"):

    flask --app app create-branch CODE "Name"
    flask --app app create-manager EMAIL "Full name" --branch CODE [--branch CODE ...]

Each refuses with one line and a non-zero exit, writing nothing, when it cannot
do what was asked. The rules are in core/first_run.py."""

from __future__ import annotations

import os

import click
from flask import Flask
from sqlalchemy.exc import OperationalError, ProgrammingError

from core import first_run
from extensions import db

ENVIRONMENT_PASSWORD = "CANDOUR_PASSWORD"  # noqa: S105 (a variable name, not a password)
NOT_READY = (
    "The database has no Candour tables yet (or is out of date): run "
    "flask --app app db upgrade first. Nothing was created."
)


def _password() -> str:
    """From CANDOUR_PASSWORD when set (for scripts), else typed twice unseen."""
    from_environment = os.environ.get(ENVIRONMENT_PASSWORD)
    if from_environment is not None:
        return from_environment
    typed: str = click.prompt(
        "Password for the new manager",
        hide_input=True,
        confirmation_prompt="The same password again",
    )
    return typed


def init_app(app: Flask) -> None:
    @app.cli.command("create-branch")
    @click.argument("code")
    @click.argument("name")
    def create_branch(code: str, name: str) -> None:
        """Create the branch CODE called NAME. The same code again changes nothing."""
        try:
            result = first_run.create_branch(code, name)
        except first_run.SetupError as err:
            db.session.rollback()
            raise click.ClickException(str(err)) from None
        except (OperationalError, ProgrammingError):
            raise click.ClickException(NOT_READY) from None
        branch = result.branch
        if result.created:
            click.echo(f"Created branch {branch.code} ({branch.name}).")
        elif result.other_name is None:
            click.echo(f"Branch {branch.code} ({branch.name}) already exists; nothing changed.")
        else:
            click.echo(
                f"Branch {branch.code} already exists, called {result.other_name!r}; "
                "nothing changed. Rename it on the branches page if you need to.",
                err=True,
            )

    @app.cli.command("create-manager")
    @click.argument("email")
    @click.argument("name")
    @click.option(
        "--branch",
        "branches",
        multiple=True,
        required=True,
        help="A branch code the manager manages (give --branch once per branch).",
    )
    def create_manager(email: str, name: str, branches: tuple[str, ...]) -> None:
        """Create a registered manager of the given branches. The password comes
        from CANDOUR_PASSWORD, else it is asked for twice without showing it."""
        try:
            first_run.check_manager(email, name, branches)  # before asking for a password
            user = first_run.create_manager(email, name, branches, _password())
        except first_run.SetupError as err:
            db.session.rollback()
            raise click.ClickException(str(err)) from None
        except (OperationalError, ProgrammingError):
            raise click.ClickException(NOT_READY) from None
        codes = ", ".join(b.code for b in user.branches)
        click.echo(f"Created {user.name} ({user.email}), registered manager of {codes}.")
