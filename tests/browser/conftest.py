"""Real Chromium (Debian's binary) driven by Playwright against a live server.

The server is werkzeug's, in a thread, on the same app and database file as the
test, so a test can arrange data, act in the browser, and check the database.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import ViewportSize
from werkzeug.serving import BaseWSGIServer, make_server

from core.dates import utcnow
from extensions import db
from learning import bulletins, case_studies, reviews
from notifications.on_call_models import OnCallShift
from tests.conftest import IN_CI, PASSWORD

# Debian's headless shell (package chromium-headless-shell) when it is installed:
# the same engine without the browser's window machinery, it ran the browser
# tests in two thirds of the time of the full browser on the 2-core CI machine,
# with the same results. The full browser (package chromium) otherwise.
HEADLESS_SHELL = "/usr/lib/chromium/chromium-headless-shell"
CHROMIUM = (
    os.environ.get("CHROMIUM_PATH")
    or (HEADLESS_SHELL if os.path.exists(HEADLESS_SHELL) else None)
    or shutil.which("chromium")
    or "/usr/bin/chromium"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

PHONE: ViewportSize = {"width": 360, "height": 740}


# A browser test that fails is run once more (pytest-rerunfailures), as
# Playwright's own runner does on CI: a real browser on a loaded machine can lose
# a race of the test's making. Every first failure is printed in full at the end
# of the run (see pytest_terminal_summary in tests/conftest.py, which the
# parallel run's controller loads), so a flaky test is seen and fixed,
# not hidden; a test that fails twice fails the run.
BROWSER_RERUNS = 1


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.flaky(reruns=BROWSER_RERUNS))
    # In CI a missing Chromium fails the browser tests when they start (see
    # browser_type_launch_args), not the collection: .ci/run installs it while
    # the steps before the browser step run, which collect these tests too.
    if not os.path.exists(CHROMIUM) and not IN_CI:
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium-headless-shell)"
        for item in items:
            if "tests/browser/" in str(item.fspath):
                item.add_marker(pytest.mark.skip(reason=message))


class LiveServer:
    """A real HTTP server for the app that can be stopped and started again on the
    same port (same origin, so the service worker and its storage survive)."""

    def __init__(self, app: Flask):
        self.app = app
        self.server: BaseWSGIServer | None = None
        self.thread: threading.Thread | None = None
        self.port = 0
        self.in_flight = 0
        self._lock = threading.Lock()
        # Paths the server answers 503 for (a server in trouble), set by a test.
        self.refused: set[str] = set()

    def _counted(self, environ: Any, start_response: Any) -> Any:
        """The app, counting requests being answered (a browser's service worker
        keeps talking after a test ends)."""
        if environ.get("PATH_INFO") in self.refused:
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"error": "The server is busy (a test made it so)."}']
        with self._lock:
            self.in_flight += 1
        try:
            return list(self.app(environ, start_response))
        finally:
            with self._lock:
                self.in_flight -= 1

    def wait_idle(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.02)

    @contextmanager
    def refusing(self, path: str) -> Iterator[None]:
        """The server answers 503 to `path` inside the block: trouble on the
        server's side, made without intercepting the browser's requests (which
        would also stop a service worker's own requests on their way)."""
        self.refused.add(path)
        try:
            yield
        finally:
            self.refused.discard(path)

    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self._counted, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM} (CI installs it: .ci/run)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(
    browser_context_args: dict[str, Any], live_server: LiveServer
) -> dict[str, Any]:
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "viewport": PHONE,
        "is_mobile": True,
        "has_touch": True,
        "locale": "en-GB",
        "timezone_id": "Europe/London",
    }


@pytest.fixture
def idle_server(live_server: LiveServer) -> LiveServer:
    """The live server once the last test's requests are answered, so the
    database is never reset under a request."""
    live_server.wait_idle()
    return live_server


@pytest.fixture
def live(idle_server: LiveServer, seeded: Any) -> LiveServer:
    """The live server over a freshly seeded database."""
    return idle_server


def sign_in(page: Any, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def open_menu(page: Any) -> None:
    """On a narrow screen the header's links are behind its "Menu" button: open it
    (on a wide screen, or without JavaScript, they are already there)."""
    toggle = page.locator("[data-menu-toggle]")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()


# The two screens every page must work on: a cheap phone and an office monitor.
SCREENS = {"phone": {"width": 360, "height": 740}, "office": {"width": 1280, "height": 800}}


@pytest.fixture
def screen(
    request: pytest.FixtureRequest, browser: Any, browser_context_args: dict[str, Any]
) -> Iterator[tuple[str, Any, list[str]]]:
    """(name, page, Content-Security-Policy violations) on the screen named by
    indirect parametrisation: @pytest.mark.parametrize("screen", [...], indirect=True)."""
    name = request.param
    args = {**browser_context_args, "viewport": SCREENS[name]}
    if name == "office":
        args.update(is_mobile=False, has_touch=False)
    context = browser.new_context(**args)
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    yield name, page, violations
    context.close()


@pytest.fixture
def world(app: Flask, live: Any) -> dict[str, Any]:
    """One of everything the learning pages show (a live server over the demo
    staff, with an incident, a completed and a thematic review, an action, a
    bulletin and a case study)."""
    from tests.learning.conftest import add_action, complete_review, make_incident

    def _user(key: str) -> Any:
        from core.models import User

        return db.session.scalar(db.select(User).where(User.email == f"{key}@example.com"))

    with app.app_context():
        manager, carer = _user("manager"), _user("carer1")
        incident = make_incident(carer, category="fall", person_ref="P-0003")
        others = [make_incident(carer, category="fall", person_ref="P-0003") for _ in range(2)]
        review = complete_review(manager, [incident], "root_cause")
        thematic = reviews.start_review(manager, "thematic", [incident.id] + [o.id for o in others])
        action = add_action(
            manager, "review", str(review.id), title="Remind staff about night checks", owner=carer
        )
        bulletin = bulletins.new_bulletin(
            manager,
            {
                "title": "Small falls are a warning",
                "what_happened": "Three small falls in ten days.",
                "what_learned": "Footwear and the bathroom mat mattered most.",
                "what_changes": "New slippers and a non-slip mat; spot checks at night.",
                "branch_ids": [incident.branch_id],
                "roles": [],
                "review_ids": [review.id],
            },
        )
        case_study = case_studies.draft_case_study(manager, incident.id)
        # The manager on call for NORTH now (the rota page and the home pages show it).
        now = utcnow()
        db.session.add(
            OnCallShift(
                branch_id=incident.branch_id,
                user_id=manager.id,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=12),
                created_by_id=manager.id,
            )
        )
        db.session.commit()
        ids = {
            "incident": incident.id,
            "review": review.id,
            "thematic": thematic.id,
            "action": action.id,
            "bulletin": bulletin.id,
            "case_study": case_study.id,
            "branch": incident.branch_id,
            "person": incident.person_id,
        }
        db.session.remove()
        return ids
