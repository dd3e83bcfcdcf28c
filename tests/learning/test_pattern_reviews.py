"""A pattern counted and listed by the database, and a thematic review started
from its identity (key and window), its incidents found again within scope."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from core import demo
from core.errors import Invalid
from core.models import User
from extensions import db
from learning import reviews
from learning.models import LearningReview
from learning.patterns import LISTED, PatternSettings, find_patterns
from tests.learning.conftest import NOW, complete_review, make_incident

DEFAULTS = PatternSettings()


def _repeat(report, n: int, ref: str = "P-0002", key: str = "carer1"):
    """n falls for one person, an hour apart, within the last days."""
    return [
        report(key, occurred_at=NOW - timedelta(days=2, hours=h), category="fall", person_ref=ref)
        for h in range(n)
    ]


def test_a_pattern_counts_all_its_incidents_and_lists_the_first(staff, report):
    made = _repeat(report, LISTED + 5)
    (found,) = [p for p in find_patterns(staff["manager"], DEFAULTS).all if p.kind == "repeat"]
    first = sorted(made, key=lambda i: (i.occurred_at, i.id))[:LISTED]
    assert (found.count, found.incident_ids) == (LISTED + 5, [i.id for i in first])


def test_a_review_from_a_patterns_identity_covers_all_its_incidents(staff, report):
    made = _repeat(report, LISTED + 5)
    (found,) = [p for p in find_patterns(staff["manager"], DEFAULTS).all if p.kind == "repeat"]
    assert found.start is not None
    assert found.end is not None
    review = reviews.start_from_pattern(
        staff["manager"], found.key, found.start, found.end, found.theme
    )
    assert {i.id for i in review.incidents} == {i.id for i in made}
    (again,) = [p for p in find_patterns(staff["manager"], DEFAULTS).all if p.kind == "repeat"]
    assert (again.review.id, again.covered, again.fully_reviewed) == (review.id, LISTED + 5, True)


def test_a_patterns_incidents_are_found_again_within_the_callers_scope(staff, report):
    # SOUTH's falls (carer3) are a repeat for the manager, outside the supervisor's scope.
    _repeat(report, 3, ref="P-0012", key="carer3")
    (found,) = [p for p in find_patterns(staff["manager"], DEFAULTS).all if p.kind == "repeat"]
    assert found.start is not None
    assert found.end is not None
    with pytest.raises(Invalid):
        reviews.start_from_pattern(staff["supervisor"], found.key, found.start, found.end)
    assert db.session.scalar(db.select(db.func.count(LearningReview.id))) == 0


def _form(html: str, prefix: str) -> dict[str, str]:
    start = html.index(f'data-pattern="{prefix}')
    card = html[start:].split('class="app-card-list__item"', 1)[0]
    form = card[card.index("<form") : card.index("</form>")]
    return {
        name: value
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
        if name != "csrf_token"
    }


@pytest.fixture
def falls(app: Flask, seeded: dict[str, Any]) -> list[str]:
    with app.app_context():
        carer = db.session.scalar(db.select(User).where(User.email == "carer1@example.com"))
        ids = [
            make_incident(carer, NOW - timedelta(days=d), category="fall", person_ref="P-0002").id
            for d in (9, 6, 3)
        ]
        db.session.remove()
    return ids


def test_the_patterns_form_posts_the_pattern_not_its_incidents(sign_in, falls):
    html = sign_in("manager").get("/patterns").get_data(as_text=True)
    fields = _form(html, "repeat:P-0002:fall")
    # No incident_ids: a pattern of thousands posts the same four fields.
    assert set(fields) == {"title", "pattern", "window_from", "window_to"}


def test_posting_a_patterns_identity_starts_its_thematic_review(app: Flask, sign_in, falls):
    client = sign_in("manager")
    fields = _form(client.get("/patterns").get_data(as_text=True), "repeat:P-0002:fall")
    response = client.post_form("/reviews", fields)
    assert response.status_code == 302
    with app.app_context():
        review = db.session.scalar(db.select(LearningReview))
        assert (review.method, sorted(i.id for i in review.incidents)) == (
            "thematic",
            sorted(falls),
        )


@pytest.mark.parametrize(
    "change",
    [
        {"pattern": "repeat:P-9999:fall:x"},
        {"pattern": "nonsense"},
        {"pattern": "time:fall:zz"},
        {"window_from": "yesterday"},
    ],
)
def test_a_pattern_that_finds_nothing_is_refused_and_nothing_starts(
    app: Flask, sign_in, falls, change
):
    client = sign_in("manager")
    fields = _form(client.get("/patterns").get_data(as_text=True), "repeat:P-0002:fall")
    response = client.post_form("/reviews", {**fields, **change})
    assert response.status_code == 422
    assert "nhsuk-error-summary" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(LearningReview.id))) == 0


def test_every_kind_of_pattern_is_found_again_from_its_identity(staff, report):
    """Night falls on one weekday for two people, reviewed with a shared condition:
    repeats, a condition, branch, time-of-day and weekday hotspots; each review
    started from a pattern's identity holds exactly its incidents."""
    made = [
        report(
            occurred_at=(NOW - timedelta(weeks=w)).replace(hour=23, minute=0),
            category="medication",
            person_ref=ref,
        )
        for w in range(1, 5)
        for ref in ("P-0002", "P-0003")
    ]
    for incident in made[:3]:
        complete_review(staff["manager"], [incident], conditions=["handover"])
    found = find_patterns(staff["manager"], DEFAULTS).all
    assert {"repeat", "condition", "branch", "time_of_day", "weekday"} <= {p.kind for p in found}
    for pattern in found:
        assert pattern.start is not None
        assert pattern.end is not None
        review = reviews.start_from_pattern(
            staff["manager"], pattern.key, pattern.start, pattern.end
        )
        assert len(review.incidents) == pattern.count, pattern.key
        assert set(pattern.incident_ids) <= {i.id for i in review.incidents}, pattern.key


def test_a_team_hotspot_is_found_again_from_its_identity(staff, report):
    demo.seed_teams()
    for day, key in enumerate(("carer2",) * 4 + ("carer1", "supervisor"), start=1):
        report(key, occurred_at=NOW - timedelta(days=day, hours=day % 5 * 3), category="fall")
    (team,) = [p for p in find_patterns(staff["manager"], DEFAULTS).all if p.kind == "team"]
    assert team.start is not None
    assert team.end is not None
    review = reviews.start_from_pattern(staff["manager"], team.key, team.start, team.end)
    assert sorted(i.id for i in review.incidents) == sorted(team.incident_ids)
    assert len(review.incidents) == team.count == 4
