"""From a pattern on /patterns to the incident list filtered to it, in one tap."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from core import demo
from core.dates import UK
from core.models import PersonSupported, Team, User
from extensions import db
from incidents.models import Incident
from tests.learning.conftest import NOW, make_incident


def _user(key: str) -> User:
    return db.session.scalar(db.select(User).where(User.email == f"{key}@example.com"))


@pytest.fixture
def hotspot(app: Flask, seeded: dict[str, Any]) -> dict[str, Any]:
    """Moorside round (carer2, one person): 4 falls, a hotspot against Town centre
    (carer1 and the supervisor: one fall). Moorside's skin report is not a fall."""
    with app.app_context():
        demo.seed_teams()
        falls = [
            make_incident(_user("carer2"), NOW - timedelta(days=d), category="fall")
            for d in (2, 5, 9, 14)
        ]
        make_incident(_user("carer1"), NOW - timedelta(days=3), category="fall")
        make_incident(_user("carer2"), NOW - timedelta(days=4), category="skin")
        team = db.session.scalar(db.select(Team).where(Team.name == "Moorside round"))
        found = {"team_id": team.id, "references": {i.reference for i in falls}}
        db.session.remove()
    return found


def _card(html: str, team_id: int) -> str:
    """The team hotspot's card on /patterns (up to the next card)."""
    start = html.index(f'data-pattern="team:fall:{team_id}"')
    return html[start:].split('class="app-card-list__item"', 1)[0]


def _link(html: str, team_id: int) -> str:
    """The list link on the team hotspot's card."""
    card = _card(html, team_id)
    link = re.search(r'<a [^>]*href="([^"]+)"[^>]*data-testid="pattern-list-link"', card)
    assert link is not None
    return link.group(1).replace("&amp;", "&")


def test_a_team_hotspot_links_to_the_list_filtered_to_its_team_category_and_period(
    sign_in, hotspot
):
    html = sign_in("manager").get("/patterns").get_data(as_text=True)
    url = urlsplit(_link(html, hotspot["team_id"]))
    assert url.path == "/incidents"
    query = parse_qs(url.query)
    assert query["team"] == [str(hotspot["team_id"])]
    assert query["category"] == ["fall"]
    assert query["date_from"][0] <= (NOW - timedelta(days=14)).date().isoformat()


def test_the_hotspot_link_opens_exactly_the_hotspots_incidents(sign_in, hotspot):
    manager = sign_in("manager")
    url = _link(manager.get("/patterns").get_data(as_text=True), hotspot["team_id"])
    response = manager.get(url)
    assert response.status_code == 200
    shown = set(re.findall(r'data-reference="([^"]+)"', response.get_data(as_text=True)))
    assert shown == hotspot["references"]


def test_team_branch_and_repeat_patterns_link_to_the_list_and_time_hotspots_do_not(
    sign_in, hotspot
):
    html = sign_in("manager").get("/patterns").get_data(as_text=True)
    cards = html.split('class="app-card-list__item"')[1:]
    linked = {
        re.search(r'data-pattern="([a-z_]+):', card).group(1): (
            'data-testid="pattern-list-link"' in card
        )
        for card in cards
    }
    assert linked.get("team") is True
    for kind, has_link in linked.items():
        assert has_link == (kind in {"team", "branch", "repeat"}), kind


def test_the_hotspots_incidents_are_the_teams_own(app: Flask, hotspot):
    # The pattern and the list agree because both use the team kept on the incident.
    with app.app_context():
        kept = set(
            db.session.scalars(
                db.select(Incident.team_id).where(Incident.reference.in_(hotspot["references"]))
            )
        )
        db.session.remove()
    assert kept == {hotspot["team_id"]}


def test_a_repeat_patterns_link_opens_that_persons_incidents_of_its_kind(
    app: Flask, sign_in, hotspot
):
    manager = sign_in("manager")
    html = manager.get("/patterns").get_data(as_text=True)
    start = html.index('data-pattern="repeat:')
    card = html[start:].split('class="app-card-list__item"', 1)[0]
    link = re.search(r'<a [^>]*href="([^"]+)"[^>]*data-testid="pattern-list-link"', card)
    assert link is not None
    query = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)
    with app.app_context():
        expected = set(
            db.session.scalars(
                db.select(Incident.reference)
                .join(Incident.person)
                .where(PersonSupported.ref == query["person"][0], Incident.category == "fall")
            )
        )
        db.session.remove()
    response = manager.get(link.group(1).replace("&amp;", "&"))
    shown = set(re.findall(r'data-reference="([^"]+)"', response.get_data(as_text=True)))
    assert len(expected) >= 3
    assert shown == expected


def test_a_hotspot_link_lists_a_fall_early_on_the_look_backs_first_day_and_counts_it(
    app: Flask, sign_in, hotspot
):
    from learning.patterns import PatternSettings, look_back_start

    start = look_back_start(NOW, PatternSettings().lookback_days)
    with app.app_context():
        early = make_incident(_user("carer2"), start + timedelta(minutes=10), category="fall")
        make_incident(_user("carer2"), start - timedelta(minutes=10), category="fall")
        references = hotspot["references"] | {early.reference}
        db.session.remove()
    manager = sign_in("manager")
    html = manager.get("/patterns").get_data(as_text=True)
    assert f"incidents since {start.astimezone(UK):%-d %B %Y} (the last 90 days)" in html
    assert f"{len(references)} falls in the Moorside round team" in _card(html, hotspot["team_id"])
    shown = manager.get(_link(html, hotspot["team_id"])).get_data(as_text=True)
    assert set(re.findall(r'data-reference="([^"]+)"', shown)) == references
