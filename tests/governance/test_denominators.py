"""The denominators page: managers enter visits, people supported and care hours
per branch per month, within their branches; bad numbers are a 422 with the
form again; changes are on the audit trail; a save that lost a race is a 409."""

from __future__ import annotations

from typing import Any

import pytest

from core import dates
from core.models import TrailEvent
from extensions import db
from governance.models import Denominator
from tests.governance.conftest import month_start

URL = "/governance/denominators"


def _key(months_back: int) -> str:
    return month_start(months_back).strftime("%Y-%m")


def _form(**changes: Any) -> dict[str, Any]:
    form = {
        "branch": "NORTH",
        "month": _key(1),
        "visits": "1,250",
        "people_supported": "42",
        "care_hours": "",
        "version": "",
    }
    form.update(changes)
    return form


def _rows(app) -> list[tuple[str, str, int, int, int | None]]:
    with app.app_context():
        return [
            (r.branch.code, r.month, r.visits, r.people_supported, r.care_hours)
            for r in db.session.scalars(db.select(Denominator).order_by(Denominator.id))
        ]


def _version(app) -> int:
    with app.app_context():
        return int(db.session.scalar(db.select(Denominator.version)))


def test_the_manager_sees_thirteen_months_for_their_first_branch(sign_in):
    response = sign_in("manager").get(URL)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count('class="app-denominator"') == 13
    assert f'data-month="{dates.uk_today():%Y-%m}"' in html
    assert f'data-month="{_key(12)}"' in html
    assert f'data-month="{_key(13)}"' not in html
    assert "(NORTH)" in html


@pytest.mark.parametrize("who", ["carer1", "supervisor", "office"])
def test_other_roles_may_not_open_or_save(app, sign_in, who):
    client = sign_in(who)
    assert client.get(URL).status_code == 403
    assert client.post_form(URL, _form()).status_code == 403
    assert _rows(app) == []


def test_signed_out_goes_to_sign_in(client, seeded):
    assert "/login" in client.get(URL).headers["Location"]


def test_saving_a_month_stores_it_and_records_it_on_the_trail(app, sign_in):
    client = sign_in("manager")
    response = client.post_form(URL, _form(care_hours="640"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{URL}?branch=NORTH#month-{_key(1)}")
    assert _rows(app) == [("NORTH", _key(1), 1250, 42, 640)]
    with app.app_context():
        event = db.session.scalar(
            db.select(TrailEvent).where(TrailEvent.record_type == "denominator")
        )
        assert event.action == "create"
        assert event.detail["month"] == _key(1)
        assert event.detail["visits"] == 1250
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="1250"' in page


def test_correcting_a_month_keeps_one_row_and_trails_before_and_after(app, sign_in):
    client = sign_in("manager")
    client.post_form(URL, _form())
    response = client.post_form(URL, _form(visits="1300", version=str(_version(app))))
    assert response.status_code == 303
    assert _rows(app) == [("NORTH", _key(1), 1300, 42, None)]
    with app.app_context():
        update = db.session.scalar(
            db.select(TrailEvent).where(TrailEvent.action == "update")
            .where(TrailEvent.record_type == "denominator")
        )  # fmt: skip
        assert update.detail["before"] == {"visits": 1250}
        assert update.detail["after"] == {"visits": 1300}


def test_a_save_against_an_old_version_is_409_and_changes_nothing(app, sign_in):
    first, second = sign_in("manager"), sign_in("manager")
    first.post_form(URL, _form())
    opened = str(_version(app))
    assert first.post_form(URL, _form(visits="1300", version=opened)).status_code == 303
    response = second.post_form(URL, _form(visits="999", version=opened))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else saved this month" in html
    assert 'value="1300"' in html  # the form shows what they saved
    assert _rows(app) == [("NORTH", _key(1), 1300, 42, None)]


def test_a_form_opened_while_the_month_was_empty_is_409_once_someone_entered_it(app, sign_in):
    first, second = sign_in("manager"), sign_in("manager")
    assert first.post_form(URL, _form()).status_code == 303
    response = second.post_form(URL, _form(visits="10"))  # no version: opened empty
    assert response.status_code == 409
    assert _rows(app) == [("NORTH", _key(1), 1250, 42, None)]


def test_a_version_for_a_month_with_no_figures_is_409(app, sign_in):
    response = sign_in("manager").post_form(URL, _form(version="3"))
    assert response.status_code == 409
    assert _rows(app) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("visits", "-5", "Visits cannot be negative."),
        ("visits", "12.5", "Visits must be a whole number."),
        ("visits", "lots", "Enter visits as a whole number, like 1250."),
        ("visits", "", "Enter visits as a whole number, like 1250."),
        ("visits", "2500000", "Visits of 2,500,000 is more than a branch could make in a month"),
        ("people_supported", "-1", "People supported cannot be negative."),
        ("people_supported", "50000", "more than a branch could make in a month"),
        ("care_hours", "7.5", "Care hours must be a whole number."),
        ("care_hours", "99999999999", "Enter care hours as a whole number"),
        ("month", _key(13), "Choose a month from the list."),
        ("month", "2026-13", "Choose a month from the list."),
        ("branch", "NOWHERE", "Choose one of your branches."),
    ],
)
def test_bad_figures_are_422_with_the_form_again_and_nothing_saved(
    app, sign_in, field, value, message
):
    response = sign_in("manager").post_form(URL, _form(**{field: value}))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in html
    assert message in html
    assert _rows(app) == []


def test_missing_fields_are_422(app, sign_in):
    response = sign_in("manager").post_form(URL, {"branch": "NORTH", "month": _key(1)})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter the number of visits made in the month." in html
    assert "Enter the number of people supported in the month." in html


def test_the_form_with_errors_keeps_what_was_typed(sign_in):
    html = sign_in("manager").post_form(URL, _form(visits="-5", people_supported="42"))
    page = html.get_data(as_text=True)
    assert 'value="-5"' in page
    assert 'id="field-visits"' in page  # the error summary's link lands on the field


def test_a_south_only_manager_cannot_see_or_save_north(app, sign_in, south_manager):
    client = sign_in(south_manager)
    page = client.get(URL).get_data(as_text=True)
    assert "(SOUTH)" in page
    assert "(NORTH)" not in page
    assert client.get(f"{URL}?branch=NORTH").status_code == 422
    response = client.post_form(URL, _form(branch="NORTH"))
    assert response.status_code == 422
    assert _rows(app) == []
    assert client.post_form(URL, _form(branch="SOUTH")).status_code == 303
    assert _rows(app) == [("SOUTH", _key(1), 1250, 42, None)]


def test_the_dashboard_links_to_the_page_and_shows_the_rate_column(sign_in):
    client = sign_in("manager")
    client.post_form(URL, _form())
    html = client.get("/governance?branch=NORTH").get_data(as_text=True)
    assert 'href="/governance/denominators"' in html
    assert "Per 1,000 visits" in html
    assert "Visits are entered for 1 of the 12 months" in html
    assert 'data-testid="gov-chart-axis">Reports per month<' in html
