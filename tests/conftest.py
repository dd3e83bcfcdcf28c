"""Fixtures shared by every test: the app on a real database, a clean database
per test, the demo staff, and signed-in clients for each role.

The database is SQLite (a file, as in production's default) unless
CANDOUR_TEST_DB holds a PostgreSQL URL; scripts/run-tests.sh runs the suite both
ways. Either way the schema comes from the Alembic migrations, not create_all,
so the migrations are tested by every test.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import Engine, Table, create_engine, event, make_url, text

from app import create_app
from audits.demo import seed_templates
from core import demo
from core.models import Branch, Role, TrailEvent, User
from core.passwords import hash_password
from extensions import db

PASSWORD = "correct-horse-battery"
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_DB = os.environ.get("CANDOUR_TEST_DB", "sqlite")


def pytest_report_header(config: Any) -> str:
    return f"candour database: {'postgresql' if TEST_DB.startswith('postgresql') else 'sqlite'}"


# A test run again after failing (pytest-rerunfailures: the browser tests, see
# tests/browser/conftest.py) has its first failure printed in full at the end.
# Here, not in tests/browser/, because under pytest-xdist the controller that
# prints the summary loads only this conftest.
_first_failures: list[tuple[str, str]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    outcome: str = report.outcome  # pytest-rerunfailures adds "rerun"
    if outcome == "rerun":
        _first_failures.append((report.nodeid, report.longreprtext))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _first_failures:
        return
    terminalreporter.write_sep(
        "=", "browser tests that failed and were run again (flaky: fix them)"
    )
    for nodeid, failure in _first_failures:
        terminalreporter.write_sep("-", nodeid)
        terminalreporter.write_line(failure)


# The longest tests (measured with `--durations=40`, 2026-12-07), longest first, started before
# the rest: pytest-xdist's workers each take a run of the tests in order and steal
# from one another at the end, so a long test near the end of a run left the other
# core idle while it finished. Prefixes of node ids; a stale entry only reorders.
STARTED_FIRST = (
    "tests/sync/test_unreliable_network.py",
    "tests/incidents/test_demo.py",
    "tests/incidents/test_query_budget.py",
    "tests/governance/test_query_budget.py",
    "tests/learning/test_query_budget.py",
    "tests/core/test_pages_fuzz.py",
    "tests/core/test_access_matrix.py",
    "tests/notifications/test_worker.py",
    "tests/notifications/test_make_run.py",
    "tests/core/test_hardening.py::test_gunicorn",
    "tests/browser/test_learning_examples.py",
    "tests/browser/test_offline_scenarios.py::test_2_",
    "tests/browser/test_accessibility.py",
    "tests/browser/test_audits.py::test_spot_check_",
    "tests/browser/test_offline_expiry.py",
    "tests/browser/test_learning_pages.py::test_every_manager_page",
    "tests/browser/test_offline_outbox.py::test_a_full_phone",
    "tests/browser/test_two_factor.py",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests that use the database under test (the `database_url` "
        "fixture); scripts/run-tests.sh's PostgreSQL step, the rest having run on SQLite",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--database-tests-only"):
        # A test that never opens the database under test (pure rules, parity
        # cases, subprocesses on their own SQLite file) gives the same answer on
        # either database: it ran in the SQLite step, so the PostgreSQL step
        # leaves it out rather than run it twice.
        other = [i for i in items if "database_url" not in getattr(i, "fixturenames", ())]
        if other:
            config.hook.pytest_deselected(items=other)
            left_out = set(other)
            items[:] = [i for i in items if i not in left_out]
    items.sort(key=_start_order)


def _start_order(item: pytest.Item) -> int:
    """Where a test starts: the longest first, in STARTED_FIRST's order, then the rest."""
    for position, prefix in enumerate(STARTED_FIRST):
        if item.nodeid.startswith(prefix):
            return position
    return len(STARTED_FIRST)


# Under pytest-xdist each worker ("gw0", "gw1", …) has a database of its own.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _admin_engine(url: str) -> Engine:
    """A connection to the server's maintenance database, for CREATE and DROP DATABASE."""
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _reachable(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.connect():
            pass
    except Exception as exc:
        message = f"PostgreSQL at {url} is not reachable: {exc}"
        if IN_CI:
            pytest.exit(message, returncode=1)
        raise
    finally:
        engine.dispose()


def _migrate(url: str) -> None:
    """The schema from the Alembic migrations, on an emptied database at `url`."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    app = create_app(_test_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    """One worker at a time (the workers of a run share the base temp directory)."""
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _postgres_database(base_url: str, shared_dir: Path) -> str:
    """The database this process tests on. Alone: the configured one, migrated.
    As an xdist worker: its own copy of that one, made with CREATE DATABASE …
    TEMPLATE once the first worker has migrated it (migrating is the slow part)."""
    _reachable(base_url)
    if not WORKER:
        _migrate(base_url)
        return base_url
    base = make_url(base_url)
    url = base.set(database=f"{base.database}_{WORKER}")
    marker = shared_dir / "postgres-template-migrated"
    with _lock(shared_dir / "postgres-template.lock"):
        if not marker.exists():
            _migrate(base_url)
            marker.touch()
        admin = _admin_engine(base_url)
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{url.database}" TEMPLATE "{base.database}"'))
        finally:
            admin.dispose()
    return url.render_as_string(hide_password=False)


def _test_config(database_url: str) -> dict[str, Any]:
    config: dict[str, Any] = {
        "ENV_NAME": "testing",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_HASH_FAST": True,
        "SESSION_COOKIE_SECURE": False,
        # Accounts the tests make beyond the demo's sign in with a password alone,
        # as before two-factor sign-in; tests/core/test_two_factor*.py set the roles.
        "TWO_FACTOR_ROLES": [],
    }
    if database_url.startswith("postgresql"):
        # A test database need not survive a power cut: commits return without
        # waiting for the disk (every request commits, so this is most of the
        # time PostgreSQL spends). Transactions and constraints are unchanged.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True,
            "connect_args": {"options": "-c synchronous_commit=off"},
        }
    return config


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_DB.startswith("postgresql"):
        # getbasetemp() is per worker; its parent is shared by the run's workers.
        shared = tmp_path_factory.getbasetemp().parent if WORKER else tmp_path_factory.getbasetemp()
        return _postgres_database(TEST_DB, shared)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'candour-test.db'}"


def _commit_without_waiting_for_the_disk(dbapi_connection: Any, _record: Any) -> None:
    """SQLite's side of synchronous_commit=off (see _test_config): a test database
    need not survive a power cut, so a commit does not wait for fsync (it waited
    about 6 ms, a dozen times a test). WAL, foreign keys, locking and transactions
    stay as the app sets them (core/database.py); only the test database's
    durability changes."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    app = create_app(_test_config(database_url))
    if database_url.startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _commit_without_waiting_for_the_disk)
    # Test-only pages (tests/browser/pages.py), never part of the product.
    from tests.browser import pages

    pages.register(app)
    with app.app_context():
        upgrade()
    app.extensions["candour_snapshots"] = Snapshots(app, tmp_path_factory.mktemp("snapshots"))
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


def _sqlite_copy(source_path: Path, target_path: Path) -> None:
    # Through SQLite's backup API, not by replacing the files: a connection the
    # live server still holds then sees a whole database, never a file deleted
    # under it ("disk I/O error").
    source, target = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        target.execute("PRAGMA synchronous=OFF")  # a test copy: no fsync (see above)
        source.backup(target, sleep=0.05, progress=_give_up_after(30))
    finally:
        source.close()
        target.close()


def _seed_demo_world() -> None:
    demo.seed_core(PASSWORD)


def _seed_demo_templates() -> None:
    demo.seed_core(PASSWORD)
    seed_templates()


class Snapshots:
    """Named states of the test database, each made once per run and put back
    before every test that asks for it, instead of seeding it again each time:
    "empty" (just migrated), "seeded" (the demo world) and "templates" (the demo
    world with the demo spot-check templates). SQLite keeps each as a file copied
    back with the backup API; PostgreSQL keeps each as a schema of table copies,
    put back by one PL/pgSQL block (see _postgres_script)."""

    BUILDERS: ClassVar[dict[str, Callable[[], None]]] = {
        "seeded": _seed_demo_world,
        "templates": _seed_demo_templates,
    }

    def __init__(self, app: Flask, directory: Path):
        self.app = app
        self.directory = directory
        self.sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
        self.made: set[str] = set()
        self.filled: dict[str, list[Table]] = {}
        self._serials: list[tuple[Table, str, str]] | None = None
        self._scripts: dict[str, str] = {}
        # The snapshot the database was last put back to (before the test wrote).
        self.current = ""
        if self.sqlite:
            with app.app_context():
                db.engine.dispose()
            shutil.copy(self._live, directory / "empty.db")
            self.made.add("empty")

    @property
    def _live(self) -> Path:
        return Path(self.app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))

    def restore(self, name: str) -> None:
        if name != "empty" and name not in self.made:
            self.restore("empty")
            with self.app.app_context():
                self.BUILDERS[name]()
                db.session.remove()
            self._save(name)
            self.made.add(name)
        else:
            with self.app.app_context():
                db.session.remove()
                if self.sqlite:
                    db.engine.dispose()
                    _sqlite_copy(self.directory / f"{name}.db", self._live)
                else:
                    self._postgres_restore(name)
        self.current = name

    def _save(self, name: str) -> None:
        with self.app.app_context():
            if self.sqlite:
                db.engine.dispose()
                _sqlite_copy(self._live, self.directory / f"{name}.db")
                return
            schema = f"snapshot_{name}"
            db.session.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            db.session.execute(text(f'CREATE SCHEMA "{schema}"'))
            filled = []
            for table in db.metadata.sorted_tables:
                if db.session.scalar(db.select(table).limit(1)) is None:
                    continue
                filled.append(table)
                db.session.execute(
                    text(f'CREATE TABLE "{schema}"."{table.name}" AS TABLE "{table.name}"')
                )
            self.filled[name] = filled
            db.session.commit()
            db.session.remove()

    def _sequences(self) -> list[tuple[Table, str, str]]:
        """(table, id column, its sequence) for every table with a generated id."""
        if self._serials is None:
            self._serials = []
            for table in db.metadata.sorted_tables:
                for column in table.primary_key.columns:
                    sequence = db.session.scalar(
                        text("SELECT pg_get_serial_sequence(:t, :c)"),
                        {"t": table.name, "c": column.name},
                    )
                    if sequence is not None:
                        self._serials.append((table, column.name, sequence))
        return self._serials

    def _postgres_restore(self, name: str) -> None:
        if name not in self._scripts:
            self._scripts[name] = self._postgres_script(name)
        db.session.execute(text(self._scripts[name]))
        db.session.commit()
        db.session.remove()

    def _postgres_script(self, name: str) -> str:
        """One PL/pgSQL block, so putting a snapshot back is one round trip.

        DELETE, children first, rather than one TRUNCATE of every table: on
        these small tables it is ten times faster (TRUNCATE makes new files for
        each table). The append-only trail refuses DELETE, so it alone is
        truncated (TRUNCATE fires no row triggers), first, and only when it has
        rows. Ids then start again where the snapshot left them, as RESTART
        IDENTITY would. Names come from the models' metadata, never from input."""
        trail = TrailEvent.__tablename__
        steps = [f'IF EXISTS (SELECT 1 FROM "{trail}") THEN TRUNCATE "{trail}"; END IF;']
        steps += [
            f'DELETE FROM "{t.name}";'
            for t in reversed(db.metadata.sorted_tables)
            if t.name != trail
        ]
        steps += [
            f'INSERT INTO "{t.name}" SELECT * FROM "snapshot_{name}"."{t.name}";'
            for t in self.filled.get(name, [])
        ]
        steps += [
            f"PERFORM setval('{sequence}', "
            f'COALESCE((SELECT max("{column}") FROM "{table.name}"), 0) + 1, false);'
            for table, column, sequence in self._sequences()
        ]
        # Colons doubled: text() would read ":name" as a bound parameter.
        body = "\n".join(steps).replace(":", "\\:")
        return f"DO $$ BEGIN\n{body}\nEND $$"


def _snapshots(app: Flask) -> Snapshots:
    snapshots: Snapshots = app.extensions["candour_snapshots"]
    return snapshots


def _restore(app: Flask, name: str) -> None:
    _snapshots(app).restore(name)


def _snapshot_for(request: pytest.FixtureRequest) -> str:
    """The fullest snapshot the test asks for, put back once rather than emptying
    the database and then filling it."""
    wanted = request.fixturenames
    if "templates" in wanted:
        return "templates"
    if "seeded" in wanted:
        return "seeded"
    return "empty"


@pytest.fixture
def clean_db(app: Flask, request: pytest.FixtureRequest) -> Iterator[None]:
    _restore(app, _snapshot_for(request))
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


def _staff_refs(app: Flask) -> dict[str, StaffRef]:
    with app.app_context():
        refs = {
            u.email.split("@")[0]: StaffRef(u.id, u.email, u.role, u.email.split("@")[0])
            for u in db.session.scalars(db.select(User))
        }
        db.session.remove()
    return refs


@pytest.fixture
def seeded(app: Flask, clean_db: None) -> dict[str, StaffRef]:
    """The demo world: branches, people P-0001..P-0020 and the six demo accounts."""
    if _snapshots(app).current not in ("seeded", "templates"):
        _restore(app, "seeded")
    return _staff_refs(app)


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


def sign_in_new_account(app: Flask, email: str, name: str, role: str, codes: list[str]) -> Client:
    """An account beyond the demo's six (e.g. a manager of SOUTH only), signed in."""
    with app.app_context():
        branches = list(db.session.scalars(db.select(Branch).where(Branch.code.in_(codes))))
        db.session.add(
            User(
                email=email,
                name=name,
                role=role,
                password_hash=hash_password(PASSWORD),
                branches=branches,
            )
        )
        db.session.commit()
    client = Client(app.test_client())
    assert client.sign_in(email).status_code == 302
    return client


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
    if _snapshots(app).current != "templates":
        _restore(app, "templates")
    return seeded


def report_as(app: Flask, author_id: int, body: dict[str, Any]) -> tuple[str, str]:
    """An incident received through the real service from this author, outside
    any request: (its id, its reference)."""
    from incidents import services as incident_services
    from incidents.models import Incident
    from incidents.schemas import IncidentInSchema

    with app.app_context():
        user = db.session.get_one(User, author_id)
        incident_services.create_incident(user, IncidentInSchema().load(body))
        reference = db.session.get_one(Incident, body["id"]).reference
        db.session.remove()
    return str(body["id"]), reference
