"""What the pages show of the patterns: the patterns page lists each section's
first patterns with a link to all of it; the home page and the dashboard find the
same patterns without their incident lists."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import literal

from core.models import User, UTCDateTime
from extensions import db
from incidents.models import Incident
from learning import pattern_sql, patterns
from learning.patterns import PatternSettings, find_patterns
from tests.learning.conftest import NOW, complete_review, make_incident

DEFAULTS = PatternSettings()


def _falls(author: User, refs: list[str]) -> list[Incident]:
    """Three falls in nine days for each person: a repeat each."""
    return [
        make_incident(author, NOW - timedelta(days=days), category="fall", person_ref=ref)
        for ref in refs
        for days in (3, 6, 9)
    ]


def _repeats_for_two(app: Flask) -> None:
    with app.app_context():
        carer = db.session.scalar(db.select(User).where(User.email == "carer1@example.com"))
        _falls(carer, ["P-0002", "P-0003"])
        db.session.remove()


def test_a_section_lists_its_first_patterns_and_links_to_all_of_it(
    app: Flask, sign_in, monkeypatch
):
    monkeypatch.setattr(patterns, "SHOWN", 1)
    _repeats_for_two(app)
    manager = sign_in("manager")
    html = manager.get("/patterns").get_data(as_text=True)
    assert html.count('data-pattern="repeat:') == 1
    more = re.search(r'<p data-testid="patterns-more">([^<]*)<a href="([^"]+)">([^<]+)</a>', html)
    assert more is not None
    assert more.group(1) == "The first 1 of 2 are shown. "
    assert more.group(3) == "Show all 2 patterns repeated for one person"
    everything = manager.get(more.group(2).replace("&amp;", "&")).get_data(as_text=True)
    assert everything.count('data-pattern="repeat:') == 2
    assert "Show all 2 patterns repeated for one person" not in everything


def test_only_the_shown_patterns_list_their_incidents(staff, report):
    _falls(staff["carer1"], ["P-0002", "P-0003"])
    every = find_patterns(staff["manager"], DEFAULTS, now=NOW)
    first = find_patterns(staff["manager"], DEFAULTS, now=NOW, shown=1)
    assert [(p.key, p.count) for p in first.all] == [(p.key, p.count) for p in every.all]
    assert [len(p.incidents) for p in every.repeats] == [3, 3]
    assert [len(p.incidents) for p in first.repeats] == [3, 0]


SAME = ("kind", "key", "title", "detail", "count", "branch_ids", "start", "end", "review")
ALSO_SAME = ("covered", "fully_reviewed", "list_filters", "selector", "identity")


def _summary(found: patterns.PatternReport) -> list[tuple[Any, ...]]:
    return [tuple(getattr(p, name) for name in SAME + ALSO_SAME) for p in found.all]


def test_patterns_without_their_incidents_are_the_same_patterns(staff, report):
    falls = _falls(staff["carer1"], ["P-0002", "P-0003"])
    for incident in falls[:3]:
        complete_review(staff["manager"], [incident], conditions=["handover"])
    every = find_patterns(staff["manager"], DEFAULTS, now=NOW)
    bare = find_patterns(staff["manager"], DEFAULTS, now=NOW, listed=0)
    assert {p.kind for p in every.all} >= {"repeat", "condition", "branch"}
    assert _summary(bare) == _summary(every)
    assert all(p.incidents == [] for p in bare.all)


@pytest.mark.parametrize("hour", range(24), ids=lambda h: f"{h:02d}h")
def test_the_databases_time_band_is_the_rules(app_ctx, hour):
    moment = datetime(2026, 3, 2, hour, 30, tzinfo=UTC)
    band = db.session.scalar(
        db.select(pattern_sql.time_band_of(literal(moment, UTCDateTime()), literal(0)))
    )
    incident = patterns.PatternIncident("x", "R", "fall", "no_harm", moment, 0, None, 1, None, None)
    assert band == patterns.time_band(incident)
