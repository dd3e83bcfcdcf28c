"""Fixtures shared by every test: the app on a real database, a clean database
per test, the demo staff, and signed-in clients for each role.

The database is SQLite (a file, as in production's default) unless
CANDOUR_TEST_DB holds a PostgreSQL URL; scripts/run-tests.sh runs the suite both
ways. Either way the schema comes from the Alembic migrations, not create_all,
so the migrations are tested by every test.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from core import demo
from core.models import Role, User
from extensions import db

PASSWORD = "correct-horse-battery"
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_DB = os.environ.get("CANDOUR_TEST_DB", "sqlite")


def pytest_report_header(config: Any) -> str:
    return f"candour database: {'postgresql' if TEST_DB.startswith('postgresql') else 'sqlite'}"


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except Exception as exc:
        message = f"PostgreSQL at {url} is not reachable: {exc}"
        if IN_CI:
            pytest.exit(message, returncode=1)
        raise
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_DB.startswith("postgresql"):
        _reset_postgres(TEST_DB)
        return TEST_DB
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'candour-test.db'}"


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SECRET_KEY": "test-secret-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PASSWORD_HASH_FAST": True,
            "SESSION_COOKIE_SECURE": False,
        }
    )
    # Test-only pages (tests/browser/pages.py), never part of the product.
    from tests.browser import pages

    pages.register(app)
    with app.app_context():
        upgrade()
        template = None
        if database_url.startswith("sqlite"):
            # A migrated, empty copy: each test starts from it in milliseconds.
            db.engine.dispose()
            live = Path(database_url.removeprefix("sqlite:///"))
            template = tmp_path_factory.mktemp("template") / "empty.db"
            shutil.copy(live, template)
        app.extensions["candour_test_template"] = template
    return app


def _give_up_after(seconds: float) -> Callable[[int, int, int], None]:
    """A backup progress callback that ends the copy with a clear error when the
    live database stays locked: SQLite's backup otherwise retries for ever."""
    deadline = time.monotonic() + seconds

    def progress(status: int, remaining: int, total: int) -> None:
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) and time.monotonic() > deadline:
            raise TimeoutError(
                f"the test database stayed locked for {seconds:.0f} s (a request still open?)"
            )

    return progress


def _empty_database(app: Flask) -> None:
    template = app.extensions["candour_test_template"]
    with app.app_context():
        if template is not None:
            db.session.remove()
            db.engine.dispose()
            live = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
            # Through SQLite's backup API, not by replacing the files: a connection
            # the live server still holds then sees a whole database, never a file
            # deleted under it ("disk I/O error").
            source, target = sqlite3.connect(template), sqlite3.connect(live)
            try:
                source.backup(target, sleep=0.05, progress=_give_up_after(30))
            finally:
                source.close()
                target.close()
        else:
            tables = [t.name for t in db.metadata.sorted_tables]
            # TRUNCATE fires no row triggers, so the append-only trail can be emptied
            # between tests while UPDATE and DELETE on it stay refused.
            db.session.execute(
                text(
                    "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
                )
            )
            db.session.commit()
            db.session.remove()


@pytest.fixture
def clean_db(app: Flask) -> Iterator[None]:
    _empty_database(app)
    yield
    with app.app_context():
        db.session.remove()


@dataclass(frozen=True)
class StaffRef:
    """A demo account as plain data, usable outside any app context."""

    id: int
    email: str
    role: str
    key: str


@pytest.fixture
def seeded(app: Flask, clean_db: None) -> dict[str, StaffRef]:
    """The demo world: branches, people P-0001..P-0020 and the six demo accounts."""
    with app.app_context():
        demo.seed_core(PASSWORD)
        refs = {
            u.email.split("@")[0]: StaffRef(u.id, u.email, u.role, u.email.split("@")[0])
            for u in db.session.scalars(db.select(User))
        }
        db.session.remove()
    return refs


@pytest.fixture
def app_ctx(app: Flask, clean_db: None) -> Iterator[Flask]:
    """For service-level tests. HTTP requests made inside it would share its
    database session, so tests that use a client open their own short contexts."""
    with app.app_context():
        yield app
        db.session.rollback()


@pytest.fixture
def staff(app_ctx: Flask, seeded: dict[str, StaffRef]) -> dict[str, User]:
    """The demo accounts as ORM objects, inside the test's app context."""
    return {key: db.session.get_one(User, ref.id) for key, ref in seeded.items()}


class Client:
    """A test client that carries its CSRF token like a browser would."""

    def __init__(self, flask_client: FlaskClient):
        self.http = flask_client
        self.csrf: str | None = None

    def refresh_csrf(self) -> str:
        page = self.http.get("/login")
        html = page.get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        if match is None:  # signed in: /login redirects; the API hands out the token
            self.csrf = self.http.get("/api/v1/session").get_json()["csrf_token"]
        else:
            self.csrf = match.group(1)
        return self.csrf

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.http.get(url, **kwargs)

    def post_form(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf or self.refresh_csrf())
        return self.http.post(url, data=data, **kwargs)

    def post_json(self, url: str, body: Any, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        headers.setdefault("X-CSRFToken", self.csrf or self.refresh_csrf())
        return self.http.post(url, json=body, headers=headers, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD) -> Any:
        self.refresh_csrf()
        response = self.post_form("/login", {"email": email, "password": password})
        # A new session at sign-in means a new token.
        self.csrf = None
        return response


@pytest.fixture
def client(app: Flask, clean_db: None) -> Client:
    return Client(app.test_client())


@pytest.fixture
def sign_in(app: Flask, seeded: dict[str, StaffRef]) -> Any:
    """sign_in("manager") -> a Client signed in as that demo account."""

    def _sign_in(key: str) -> Client:
        c = Client(app.test_client())
        response = c.sign_in(f"{key}@example.com")
        assert response.status_code == 302, response.get_data(as_text=True)
        return c

    return _sign_in


ROLES = {
    Role.CARER: "carer1",
    Role.SUPERVISOR: "supervisor",
    Role.MANAGER: "manager",
    Role.OFFICE: "office",
}


@pytest.fixture
def templates(app: Flask, seeded: dict[str, StaffRef]) -> dict[str, StaffRef]:
    """The demo world (as `seeded`) with the four demo spot-check templates."""
    from audits.demo import seed_templates

    with app.app_context():
        seed_templates()
        db.session.remove()
    return seeded
