"""`flask create-branch` and `flask create-manager` on an empty database (no
demo data): docs/api.md, "Going live"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app import create_app
from core.models import Branch, TrailEvent, User
from extensions import db
from tests.conftest import Client

GOOD = "kettle orbit marmalade"


@pytest.fixture
def cli(app: Flask, clean_db: None) -> Any:
    runner = app.test_cli_runner()

    def invoke(*args: str, password: str | None = GOOD, typed: str | None = None) -> Any:
        env = {"CANDOUR_PASSWORD": password} if password is not None else {}
        return runner.invoke(args=list(args), env=env, input=typed)

    return invoke


def _counts(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        counts = (
            db.session.scalar(db.select(db.func.count(Branch.id))),
            db.session.scalar(db.select(db.func.count(User.id))),
            db.session.scalar(db.select(db.func.count(TrailEvent.id))),
        )
        db.session.remove()
    return counts


def _manager(cli: Any, *branches: str, **kwargs: Any) -> Any:
    args = ["create-manager", "ann.boss@example.org", "Ann Boss"]
    for code in branches:
        args += ["--branch", code]
    return cli(*args, **kwargs)


def test_create_branch_on_an_empty_database(app: Flask, cli):
    result = cli("create-branch", "leeds", "Leeds branch")
    assert result.exit_code == 0, result.output
    assert "Created branch LEEDS (Leeds branch)." in result.output
    with app.app_context():
        branch = db.session.scalars(db.select(Branch)).one()
        assert (branch.code, branch.name) == ("LEEDS", "Leeds branch")
        event = db.session.scalars(db.select(TrailEvent)).one()
        assert (event.action, event.record_type, event.actor_id) == ("create", "branch", None)
        assert event.detail["via"] == "command"


def test_the_same_branch_again_changes_nothing_and_exits_0(app: Flask, cli):
    cli("create-branch", "LEEDS", "Leeds branch")
    before = _counts(app)
    again = cli("create-branch", "LEEDS", "Leeds branch")
    assert again.exit_code == 0
    assert "already exists; nothing changed" in again.output
    assert _counts(app) == before


def test_the_same_code_with_another_name_says_so_and_changes_nothing(app: Flask, cli):
    cli("create-branch", "LEEDS", "Leeds branch")
    before = _counts(app)
    again = cli("create-branch", "LEEDS", "Leeds and Wakefield")
    assert again.exit_code == 0  # the contract: the same code again exits 0
    assert "already exists, called 'Leeds branch'; nothing changed" in again.output
    assert _counts(app) == before


@pytest.mark.parametrize(
    ("code", "name"),
    [("", "Leeds"), ("LEEDS BRANCH", "Leeds"), ("L" * 21, "Leeds"), ("LEEDS", " ")],
)
def test_a_bad_branch_is_refused_with_one_line(app: Flask, cli, code, name):
    result = cli("create-branch", code, name)
    assert result.exit_code != 0
    assert len(result.output.strip().splitlines()) == 1
    assert _counts(app) == (0, 0, 0)


def test_create_manager_with_the_password_from_the_environment(app: Flask, cli):
    cli("create-branch", "LEEDS", "Leeds")
    cli("create-branch", "YORK", "York")
    result = _manager(cli, "LEEDS", "york")
    assert result.exit_code == 0, result.output
    assert "registered manager of LEEDS, YORK" in result.output
    with app.app_context():
        user = db.session.scalars(db.select(User)).one()
        assert (user.email, user.role, user.must_change_password) == (
            "ann.boss@example.org",
            "manager",
            False,
        )
        assert [b.code for b in user.branches] == ["LEEDS", "YORK"]
        assert GOOD not in user.password_hash
        event = db.session.scalars(db.select(TrailEvent).where(TrailEvent.record_type == "user"))
        assert event.one().detail["branches"] == ["LEEDS", "YORK"]
    # Signs in straight away, with no password change asked for.
    client = Client(app.test_client())
    assert client.sign_in("ann.boss@example.org", GOOD).status_code == 302
    assert client.get("/").status_code == 200


def test_create_manager_asks_for_the_password_twice_without_showing_it(app: Flask, cli):
    cli("create-branch", "LEEDS", "Leeds")
    result = _manager(cli, "LEEDS", password=None, typed=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    assert "The same password again" in result.output
    assert GOOD not in result.output
    assert Client(app.test_client()).sign_in("ann.boss@example.org", GOOD).status_code == 302


def test_two_different_typed_passwords_are_asked_for_again(app: Flask, cli):
    cli("create-branch", "LEEDS", "Leeds")
    typed = f"{GOOD}\nsomething else entirely\n{GOOD}\n{GOOD}\n"
    result = _manager(cli, "LEEDS", password=None, typed=typed)
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower()


@pytest.mark.parametrize(
    ("setup", "args", "password", "message"),
    [
        (True, ["--branch", "NOWHERE"], GOOD, "There is no branch NOWHERE"),
        (True, ["--branch", "LEEDS"], "password1234", "common and leaked passwords"),
        (True, ["--branch", "LEEDS"], "short", "at least 12 characters"),
        (True, ["--branch", "LEEDS"], "ann.boss@example.org", "your own name or email"),
        (False, ["--branch", "LEEDS"], GOOD, "There is no branch LEEDS"),
    ],
)
def test_create_manager_refuses_with_one_line_and_writes_nothing(
    app: Flask, cli, setup, args, password, message
):
    if setup:
        cli("create-branch", "LEEDS", "Leeds")
    before = _counts(app)
    result = cli("create-manager", "ann.boss@example.org", "Ann Boss", *args, password=password)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]
    assert _counts(app) == before


def test_an_email_already_in_use_is_refused(app: Flask, cli):
    cli("create-branch", "LEEDS", "Leeds")
    assert _manager(cli, "LEEDS").exit_code == 0
    before = _counts(app)
    result = cli("create-manager", "Ann.Boss@Example.org", "Another Ann", "--branch", "LEEDS")
    assert result.exit_code != 0
    assert "Someone already has the email address ann.boss@example.org" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert _counts(app) == before


def test_an_unknown_branch_is_refused_before_asking_for_a_password(app: Flask, cli):
    result = _manager(cli, "NOWHERE", password=None, typed="")
    assert result.exit_code != 0
    assert "Password" not in result.output
    assert "There is no branch NOWHERE" in result.output


def test_without_a_branch_option_it_says_what_is_missing(app: Flask, cli):
    result = cli("create-manager", "ann.boss@example.org", "Ann Boss")
    assert result.exit_code != 0
    assert "--branch" in result.output


def test_on_a_database_with_no_tables_it_says_to_upgrade(tmp_path: Path):
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.db'}",
            "PASSWORD_HASH_FAST": True,
        }
    )
    result = app.test_cli_runner().invoke(args=["create-branch", "LEEDS", "Leeds"])
    assert result.exit_code != 0
    assert "flask --app app db upgrade" in result.output
    with app.app_context():
        db.engine.dispose()
