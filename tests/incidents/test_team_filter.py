"""The review list's "Reporter's team" filter (GET /incidents?team=<id>) and the
reporter's team on the record: only teams of the caller's branches, never a 500,
never a hint of another branch's teams."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from core import demo
from core.models import Team
from extensions import db
from incidents.models import Incident

# The demo teams: NORTH "Town centre" (carer1, supervisor) and "Moorside round"
# (carer2); SOUTH "Harbour and seafront" (carer3) and "Villages round" (nobody).
NORTH_TEAMS = {"Town centre", "Moorside round"}
SOUTH_TEAMS = {"Harbour and seafront", "Villages round"}
NO_SUCH_TEAM = 999_999


@pytest.fixture
def teams(app: Flask, seeded: dict[str, Any]) -> dict[str, int]:
    with app.app_context():
        demo.seed_teams()
        ids = {t.name: t.id for t in db.session.scalars(db.select(Team))}
        db.session.remove()
    return ids


@pytest.fixture
def world(app: Flask, make_incident: Any, teams: dict[str, int]) -> dict[str, str]:
    """One incident per reporter: A by carer1 (Town centre), B by carer2 (Moorside
    round), C by carer3 (Harbour and seafront, SOUTH), D by the manager (no team).
    Returns letter -> reference."""
    made = {
        "A": make_incident("carer1"),
        "B": make_incident("carer2", person_ref="P-0003"),
        "C": make_incident("carer3", person_ref="P-0011"),
        "D": make_incident("manager", person_ref="P-0004"),
    }
    with app.app_context():
        refs = {k: db.session.get_one(Incident, v).reference for k, v in made.items()}
        db.session.remove()
    return refs


def letters(world: dict[str, str], response: Any) -> set[str]:
    back = {ref: letter for letter, ref in world.items()}
    found = re.findall(r'data-reference="([^"]+)"', response.get_data(as_text=True))
    return {back[r] for r in found}


def team_options(response: Any) -> set[str]:
    html = response.get_data(as_text=True)
    select = re.search(r'<select[^>]*name="team"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None
    return {text.strip() for text in re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))}


# --- filtering ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "team", "expected"),
    [
        ("manager", "Town centre", {"A"}),
        ("manager", "Moorside round", {"B"}),
        ("manager", "Harbour and seafront", {"C"}),
        ("manager", "Villages round", set()),
        ("office", "Harbour and seafront", {"C"}),
        ("supervisor", "Moorside round", {"B"}),
    ],
)
def test_the_team_filter_shows_only_that_teams_incidents(
    sign_in, world, teams, viewer, team, expected
):
    response = sign_in(viewer).get(f"/incidents?team={teams[team]}")
    assert response.status_code == 200
    assert letters(world, response) == expected


def test_the_team_filter_combines_with_the_other_filters(sign_in, world, teams):
    query = f"team={teams['Town centre']}&branch=SOUTH"
    assert letters(world, sign_in("manager").get(f"/incidents?{query}")) == set()


def test_an_empty_team_field_means_any_team(sign_in, world):
    assert letters(world, sign_in("manager").get("/incidents?team=")) == {"A", "B", "C", "D"}


@pytest.mark.parametrize("viewer", ["carer1", "carer3"])
def test_carers_team_values_are_ignored_on_their_own_list(sign_in, world, teams, viewer):
    other = teams["Moorside round"]
    response = sign_in(viewer).get(f"/incidents?team={other}")
    assert response.status_code == 200
    assert letters(world, response) == {"carer1": {"A"}, "carer3": {"C"}}[viewer]


# --- scope: another branch's team is refused like one that does not exist -----------------


@pytest.mark.parametrize("team", sorted(SOUTH_TEAMS))
def test_a_team_of_another_branch_is_refused_without_its_incidents(sign_in, world, teams, team):
    response = sign_in("supervisor").get(f"/incidents?team={teams[team]}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose a team from the list." in html
    assert letters(world, response) == set()


def test_another_branchs_team_gets_the_same_answer_as_no_team_at_all(sign_in, world, teams):
    supervisor = sign_in("supervisor")
    htmx = {"HX-Request": "true"}
    theirs = supervisor.get(f"/incidents?team={teams['Harbour and seafront']}", headers=htmx)
    missing = supervisor.get(f"/incidents?team={NO_SUCH_TEAM}", headers=htmx)
    # The same results and errors, word for word: nothing says the first team exists.
    assert theirs.status_code == missing.status_code == 422
    assert theirs.get_data(as_text=True) == missing.get_data(as_text=True)


def test_the_refused_page_never_names_another_branchs_teams(sign_in, world, teams):
    html = (
        sign_in("supervisor")
        .get(f"/incidents?team={teams['Harbour and seafront']}")
        .get_data(as_text=True)
    )
    for name in SOUTH_TEAMS:
        assert name not in html


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("supervisor", NORTH_TEAMS),
        ("manager", NORTH_TEAMS | SOUTH_TEAMS),
        ("office", NORTH_TEAMS | SOUTH_TEAMS),
    ],
)
def test_the_team_choices_are_the_teams_of_the_viewers_branches(sign_in, world, viewer, expected):
    options = team_options(sign_in(viewer).get("/incidents"))
    assert options == {"Any team"} | {
        f"{'North' if name in NORTH_TEAMS else 'South'} branch – {name}" for name in expected
    }


def test_a_switched_off_team_can_still_be_chosen_for_its_history(app, sign_in, world, teams):
    with app.app_context():
        db.session.get_one(Team, teams["Moorside round"]).active = False
        db.session.commit()
    manager = sign_in("manager")
    assert "North branch – Moorside round (switched off)" in team_options(manager.get("/incidents"))
    assert letters(world, manager.get(f"/incidents?team={teams['Moorside round']}")) == {"B"}


def test_without_teams_in_scope_the_team_choice_is_not_shown(sign_in, seeded):
    html = sign_in("manager").get("/incidents").get_data(as_text=True)
    assert 'name="team"' not in html


# --- garbage never 500s -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "north",
        "0",
        "-1",
        "1.5",
        "1e3",
        "99999999999999999999999",
        "2147483648",
        str(NO_SUCH_TEAM),
        "%F0%9F%A7%AF",
        "x" * 5000,
    ],
)
def test_a_bad_team_value_is_a_422_on_the_form(sign_in, world, value):
    response = sign_in("manager").get(f"/incidents?team={value}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert "Choose a team from the list." in html
    assert 'href="#field-team"' in html
    assert letters(world, response) == set()


def test_a_bad_team_value_with_htmx_gets_the_partial_with_its_error(sign_in, world):
    response = sign_in("manager").get("/incidents?team=north", headers={"HX-Request": "true"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="incident-results"')
    assert "Choose a team from the list." in html


def test_a_refused_team_is_linked_from_the_summary_even_without_teams_in_scope(sign_in, seeded):
    response = sign_in("manager").get(f"/incidents?team={NO_SUCH_TEAM}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'href="#field-team"' in html
    assert 'id="field-team"' in html


# --- the form: no JavaScript, htmx, pagination ----------------------------------------------


def test_the_chosen_team_stays_selected(sign_in, world, teams):
    html = (
        sign_in("manager").get(f"/incidents?team={teams['Moorside round']}").get_data(as_text=True)
    )
    assert re.search(rf'<option value="{teams["Moorside round"]}"\s+selected>', html)
    # The filters open, so the chosen team is visible.
    assert re.search(r'<details class="nhsuk-details app-filters__more"\s+open>', html)


def test_htmx_gets_the_results_for_a_team(sign_in, world, teams):
    response = sign_in("manager").get(
        f"/incidents?team={teams['Town centre']}", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.get_data(as_text=True).lstrip().startswith('<div id="incident-results"')
    assert letters(world, response) == {"A"}


def test_pagination_keeps_the_team_and_the_sort(app, sign_in, make_incident, teams, monkeypatch):
    monkeypatch.setitem(app.config, "INCIDENTS_PAGE_SIZE", 2)
    for _ in range(3):
        make_incident("carer1")
    make_incident("carer2", person_ref="P-0003")
    manager = sign_in("manager")
    first = manager.get(f"/incidents?team={teams['Town centre']}&sort=oldest")
    html = first.get_data(as_text=True)
    assert "Showing 1 to 2 of 3 incidents" in html
    next_link = re.search(r'href="([^"]+)"[^>]*rel="next"', html)
    assert next_link is not None
    url = next_link.group(1).replace("&amp;", "&")
    assert f"team={teams['Town centre']}" in url
    assert "sort=oldest" in url
    assert "Showing 3 to 3 of 3 incidents" in manager.get(url).get_data(as_text=True)


# --- the record shows the reporter's team --------------------------------------------------


@pytest.mark.parametrize("viewer", ["manager", "office", "supervisor"])
def test_the_record_shows_the_reporters_team(sign_in, make_incident, teams, viewer):
    incident_id = make_incident("carer2", person_ref="P-0003")
    html = sign_in(viewer).get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert re.search(
        r'<dt class="nhsuk-summary-list__key">Team</dt>'
        r'<dd class="nhsuk-summary-list__value" data-testid="team">North branch – Moorside round</dd>',
        html,
    )


def test_the_record_keeps_the_team_at_the_time_after_a_move(
    app, sign_in, make_incident, teams, seeded
):
    from core.models import User

    incident_id = make_incident("carer2", person_ref="P-0003")
    with app.app_context():
        db.session.get_one(User, seeded["carer2"].id).team_id = teams["Town centre"]
        db.session.commit()
    html = sign_in("manager").get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "North branch – Moorside round" in html


def test_a_record_without_a_team_shows_no_team_row(sign_in, make_incident, teams):
    incident_id = make_incident("manager", person_ref="P-0004")
    html = sign_in("manager").get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert 'data-testid="team"' not in html
