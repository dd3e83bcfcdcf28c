"""The governance pages: who may open them, what each shows, and the dashboard's
plain GET form and htmx partial."""

from __future__ import annotations

import pytest

from extensions import db
from tests.governance.conftest import in_month, user
from tests.learning.conftest import make_incident

PAGES = [
    "/governance",
    "/governance?months=3&branch=NORTH",
    "/governance/meetings",
    "/governance/meetings/new",
]


@pytest.mark.parametrize("url", PAGES)
def test_the_manager_may_open_every_page(sign_in, url):
    assert sign_in("manager").get(url).status_code == 200


@pytest.mark.parametrize("who", ["carer1", "supervisor", "office"])
@pytest.mark.parametrize("url", PAGES)
def test_other_roles_are_refused(sign_in, who, url):
    assert sign_in(who).get(url).status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_signed_out_goes_to_sign_in(client, seeded, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_menu_links_to_governance_for_managers_only(sign_in):
    assert 'href="/governance"' in sign_in("manager").get("/").get_data(as_text=True)
    assert 'href="/governance"' not in sign_in("supervisor").get("/").get_data(as_text=True)


def test_the_dashboard_shows_every_section(sign_in):
    html = sign_in("manager").get("/governance").get_data(as_text=True)
    for heading in (
        "Incidents and near misses",
        "Themes from learning reviews",
        "Regulatory duties",
        "Actions",
        "Spot checks",
        "Learning shared",
        "Open patterns",
    ):
        assert heading in html
    assert "<svg" in html
    assert "<caption" in html
    assert 'scope="col"' in html
    assert "style=" not in html


def test_htmx_gets_only_the_partial(sign_in):
    html = (
        sign_in("manager")
        .get("/governance?months=6", headers={"HX-Request": "true"})
        .get_data(as_text=True)
    )
    assert html.lstrip().startswith('<div id="governance-dashboard"')
    assert "<html" not in html


def test_the_period_is_whole_months_of_the_chosen_length(sign_in):
    manager = sign_in("manager")
    html = manager.get("/governance?months=3", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert html.count("data-month=") == 3
    html = manager.get("/governance").get_data(as_text=True)
    assert html.count("data-month=") == 12


def test_a_bad_period_or_branch_is_a_422_with_an_error_summary(sign_in):
    manager = sign_in("manager")
    for url in ("/governance?months=5", "/governance?branch=EAST"):
        response = manager.get(url)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert "There is a problem" in html


def test_too_few_months_says_so(sign_in):
    html = sign_in("manager").get("/governance?months=3").get_data(as_text=True)
    assert "Not enough data for a control chart" in html


def test_a_manager_of_one_branch_never_sees_another_branchs_figures(app, sign_in, south_manager):
    with app.app_context():
        for _ in range(3):
            make_incident(user("carer1"), in_month(1), kind="near_miss")  # NORTH
        make_incident(user("carer3"), in_month(1), kind="near_miss", person_ref="P-0011")
        db.session.remove()
    south = sign_in(south_manager)
    html = south.get("/governance").get_data(as_text=True)
    assert "1 reported in the period" in html
    assert "SOUTH:" in html
    assert "NORTH" not in html.split('id="governance-dashboard"')[1]
    assert south.get("/governance?branch=NORTH").status_code == 422
    both = sign_in("manager").get("/governance").get_data(as_text=True)
    assert "4 reported in the period" in both
