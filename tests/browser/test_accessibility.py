"""Every page, for every role that uses it, checked with axe-core (from npm) against
WCAG 2.1 A and AA as far as a machine can tell: no violations. The pages' own
Content-Security-Policy forbids injected scripts, so these contexts bypass it;
test_learning_pages.py and the others check the policy itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page

from audits.demo import seed_templates
from extensions import db
from tests.browser.conftest import sign_in
from tests.browser.test_learning_pages import _manager_pages

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CHECK = """async (tags) => (await axe.run(document, {runOnly: tags})).violations.map(
  v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`)"""

CARER_PAGES = [
    "/",
    "/incidents/new",
    "/incidents",
    "/outbox",
    "/bulletins",
    "/actions",
    "/account/password",
    "/account/two-factor",
    "/account/messages",
]
SUPERVISOR_PAGES = ["/", "/audits/new", "/audits/new/medication-spot-check", "/incidents"]
MANAGER_EXTRA = [
    "/incidents",
    "/governance",
    "/governance/meetings",
    "/governance/meetings/new",
    "/users",
    "/imports",
    "/audits/templates",
    "/audits",
    "/people?archived=true",
]


@pytest.fixture
def checked(
    browser: Browser, browser_context_args: dict[str, Any], app: Flask, world: dict[str, Any]
) -> Iterator[Any]:
    """check(email, paths) -> {path: [violations]} for pages opened signed in as email."""
    assert AXE.exists(), "run make setup: axe-core comes from npm"
    with app.app_context():
        seed_templates()
        db.session.commit()
        db.session.remove()
    source = AXE.read_text()
    contexts = []

    def check(email: str | None, paths: list[str]) -> dict[str, list[str]]:
        context = browser.new_context(
            **browser_context_args, bypass_csp=True, service_workers="block"
        )
        contexts.append(context)
        page: Page = context.new_page()
        if email:
            sign_in(page, email)
        found = {}
        for path in paths:
            response = page.goto(path)
            assert response is not None, path
            assert response.status == 200, path
            page.evaluate(source)
            violations = page.evaluate(CHECK, RULES)
            if violations:
                found[path] = violations
        return found

    yield check
    for context in contexts:
        context.close()


def test_signed_out_pages(checked):
    assert checked(None, ["/login"]) == {}


def test_the_carers_pages(checked, world):
    pages = [*CARER_PAGES, f"/bulletins/{world['bulletin']}", f"/actions/{world['action']}"]
    assert checked("carer1@example.com", pages) == {}


def test_the_supervisors_pages(checked):
    assert checked("supervisor@example.com", SUPERVISOR_PAGES) == {}


def test_the_managers_pages(checked, world):
    pages = [
        *_manager_pages(world),
        *MANAGER_EXTRA,
        f"/incidents/{world['incident']}",
        f"/incidents/{world['incident']}/triage",
    ]
    assert checked("manager@example.com", pages) == {}


def test_the_office_pages(checked, world):
    pages = [
        "/",
        "/incidents",
        "/incidents?work=new",
        "/bulletins",
        "/people",
        f"/people/{world['person']}",
        "/imports",
        "/exports",
    ]
    assert checked("office@example.com", pages) == {}
