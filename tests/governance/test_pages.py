"""The governance pages: who may open them, what each shows, and the dashboard's
plain GET form and htmx partial."""

from __future__ import annotations

import pytest

from core.models import TrailEvent
from extensions import db
from governance.models import SpcRecalculation
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


# --- recalculating the limits after a known change (issue 16) ---------------------------------


def _seed_steady_then_lower(staff_user):
    """Eleven whole months: 4 or 5 reports a month, then 1 or 2 from 5 months back."""
    for back in range(11, 0, -1):
        n = (4 if back % 2 else 5) if back > 5 else (1 if back % 2 else 2)
        for _ in range(n):
            make_incident(staff_user, in_month(back), kind="near_miss", harm="none")


def test_a_manager_recalculates_the_limits_and_the_chart_shows_a_step(sign_in, app):
    client = sign_in("manager")
    with app.app_context():
        _seed_steady_then_lower(user("carer1"))
        from_month = in_month(5).strftime("%Y-%m")
    before = client.get("/governance?branch=NORTH").get_data(as_text=True)
    assert "A shift" in before or "Close to the lower limit" in before
    assert "app-gov-chart__step" not in before
    response = client.post_form(
        "/governance/recalculations",
        {"branch": "NORTH", "months": "12", "from_month": from_month, "reason": "New MAR chart"},
    )
    assert response.status_code == 303
    html = client.get("/governance?branch=NORTH").get_data(as_text=True)
    assert html.count("app-gov-chart__step") == 1
    assert "New MAR chart" in html
    assert "What the control chart shows" not in html  # the months before are ordinary
    assert "there are 5 so far, so those months are not judged yet" in html
    # Only that branch's chart: all branches together have no step.
    assert "app-gov-chart__step" not in client.get("/governance").get_data(as_text=True)


def test_a_recalculation_needs_a_month_from_the_list_and_a_reason(sign_in):
    client = sign_in("manager")
    response = client.post_form(
        "/governance/recalculations",
        {"branch": "NORTH", "months": "12", "from_month": "1999-01", "reason": ""},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose a month from the list." in html
    assert "Say what changed that month" in html
    assert "nhsuk-error-summary" in html


def test_a_recalculation_is_removed_and_recorded_in_the_trail(sign_in, app):
    client = sign_in("manager")
    month = in_month(3).strftime("%Y-%m")
    client.post_form(
        "/governance/recalculations",
        {"branch": "NORTH", "months": "12", "from_month": month, "reason": "New rota"},
    )
    with app.app_context():
        row = db.session.scalar(db.select(SpcRecalculation))
        assert (row.branch_key, row.from_month) == ("NORTH", month)
        row_id = row.id
    assert client.post_form(f"/governance/recalculations/{row_id}/delete", {}).status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(SpcRecalculation)) is None
        kinds = db.session.scalars(
            db.select(TrailEvent.action).where(TrailEvent.record_type == "spc_recalculation")
        ).all()
        assert sorted(kinds) == ["create", "delete"]
