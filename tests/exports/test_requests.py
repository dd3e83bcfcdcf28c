"""Who may export, what a bad request gets (422, with a plain message), the
exports page and its form, and every export on the audit trail."""

from __future__ import annotations

import pytest

from core.models import TrailEvent
from extensions import db
from tests.exports.conftest import JUNE, csv_rows

FILES = ["/exports/incidents.csv", "/exports/actions.xlsx", "/exports/audits.csv"]
FILES += ["/exports/duties.xlsx"]


@pytest.mark.parametrize("role", ["carer1", "supervisor"])
@pytest.mark.parametrize("url", ["/exports", *FILES])
def test_carers_and_supervisors_may_not_export(sign_in, role, url):
    assert sign_in(role).get(f"{url}?{JUNE}").status_code == 403


def test_signed_out_is_sent_to_sign_in(client):
    assert client.get(f"/exports/incidents.csv?{JUNE}").status_code == 302


@pytest.mark.parametrize("role", ["manager", "office"])
def test_managers_and_office_staff_may(sign_in, role):
    assert sign_in(role).get(f"/exports/incidents.csv?{JUNE}").status_code == 200


def test_an_unknown_kind_of_record_is_not_found(sign_in):
    assert sign_in("manager").get(f"/exports/people.csv?{JUNE}").status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Enter the first day of the period"),
        ("from=2026-06-01", "Enter the last day of the period"),
        ("from=2026-13-01&to=2026-06-30", "Enter the first day of the period as a date"),
        ("from=1 June&to=2026-06-30", "Enter the first day of the period as a date"),
        (
            "from=2026-06-30&to=2026-06-01",
            "The last date must be the same as or after the first date",
        ),
        ("from=1900-01-01&to=2100-12-31", "Choose a period of at most 10 years."),
        ("from=0001-01-01&to=2026-06-30", "Enter a date between 1900 and 2100."),
        (f"{JUNE}&anonymised=maybe", "Say whether to anonymise"),
    ],
)
def test_a_bad_period_is_refused_with_a_plain_message(sign_in, query, message):
    response = sign_in("manager").get(
        f"/exports/incidents.csv?{query}", headers={"Accept": "text/plain"}
    )
    assert response.status_code == 422
    assert response.mimetype == "text/plain"
    assert message in response.get_data(as_text=True)


def test_a_browser_gets_the_exports_page_with_the_problem(sign_in):
    response = sign_in("office").get("/exports/audits.xlsx?from=2026-06-30&to=2026-06-01")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in html
    assert 'href="#field-to"' in html
    assert 'value="2026-06-30"' in html


def test_nothing_is_on_the_trail_for_a_refused_export(app, sign_in):
    sign_in("manager").get("/exports/incidents.csv?from=2026-06-30&to=2026-06-01")
    with app.app_context():
        assert db.session.scalar(db.select(TrailEvent).where(TrailEvent.action == "export")) is None


# --- the page ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "office"])
def test_the_page_offers_the_records_the_formats_and_ones_branches(sign_in, role):
    response = sign_in(role).get("/exports")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'method="get"' in html
    for label in ("Incidents and near misses", "Actions", "Spot checks", "Duty decisions"):
        assert label in html
    assert 'value="xlsx"' in html
    assert 'value="NORTH"' in html
    assert 'value="SOUTH"' in html


def test_the_page_offers_only_ones_own_branches(south_manager):
    html = south_manager.get("/exports").get_data(as_text=True)
    assert 'value="SOUTH"' in html
    assert 'value="NORTH"' not in html


def test_the_menu_has_the_page_for_managers_and_office(sign_in):
    for role, shown in (("manager", True), ("office", True), ("carer1", False)):
        assert ('href="/exports"' in sign_in(role).get("/").get_data(as_text=True)) is shown


def test_the_form_sends_one_to_the_files_address(sign_in):
    response = sign_in("manager").get(
        "/exports?what=duties&format=xlsx&from=2026-06-01&to=2026-06-30&branch=SOUTH&anonymised=1"
    )
    assert response.status_code == 303
    assert response.headers["Location"] == (
        "/exports/duties.xlsx?from=2026-06-01&to=2026-06-30&branch=SOUTH&anonymised=1"
    )


def test_the_form_without_a_branch_or_anonymising(sign_in):
    response = sign_in("manager").get(f"/exports?what=incidents&format=csv&{JUNE}&branch=")
    assert response.headers["Location"] == f"/exports/incidents.csv?{JUNE}"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"what=people&format=csv&{JUNE}", "what"),
        (f"what=incidents&format=pdf&{JUNE}", "format"),
        ("what=incidents&format=csv&from=2026-06-30&to=2026-06-01", "to"),
        (f"what=incidents&format=csv&{JUNE}&branch=NORTH", "branch"),
    ],
)
def test_the_form_shows_what_is_wrong(south_manager, query, field):
    response = south_manager.get(f"/exports?{query}")
    assert response.status_code == 422
    assert f'href="#field-{field}"' in response.get_data(as_text=True)


# --- the audit trail -----------------------------------------------------------------


def _exports(app) -> list[TrailEvent]:
    with app.app_context():
        events = list(
            db.session.scalars(db.select(TrailEvent).where(TrailEvent.action == "export"))
        )
        db.session.remove()
    return events


def test_every_export_is_on_the_trail_with_what_the_period_branch_and_rows(
    app, sign_in, seeded, two_branches
):
    sign_in("office").get(f"/exports/incidents.xlsx?{JUNE}&branch=SOUTH&anonymised=1")
    [event] = _exports(app)
    assert (event.actor_id, event.record_type, event.record_id) == (
        seeded["office"].id,
        "export",
        "incidents",
    )
    assert event.detail == {
        "format": "xlsx",
        "date_from": "2026-06-01",
        "date_to": "2026-06-30",
        "branch": "SOUTH",
        "anonymised": True,
        "rows": 1,
    }


def test_an_export_of_all_ones_branches_says_so(app, sign_in, two_branches):
    csv_rows(sign_in("manager").get(f"/exports/duties.csv?{JUNE}"))
    [event] = _exports(app)
    assert event.detail["branch"] is None
    assert event.detail["anonymised"] is False


def test_each_record_that_may_be_safeguarding_is_a_view_on_its_trail(app, sign_in, make_incident):
    make_incident()
    restricted, _ = make_incident(
        thresholds={"safeguarding": "unsure", "clinical_escalation": "no", "family_contact": "no"}
    )
    sign_in("manager").get(f"/exports/incidents.csv?{JUNE}").get_data()
    with app.app_context():
        views = list(db.session.scalars(db.select(TrailEvent).where(TrailEvent.action == "view")))
        assert [(v.record_id, v.detail) for v in views] == [
            (restricted, {"safeguarding": True, "shown_in": "export"})
        ]


def test_the_form_keeps_what_was_chosen_when_it_shows_a_problem(sign_in):
    html = (
        sign_in("manager")
        .get("/exports?what=audits&format=xlsx&from=2026-06-30&to=2026-06-01&anonymised=1")
        .get_data(as_text=True)
    )
    assert 'value="audits" checked' in " ".join(html.split())
    assert 'value="xlsx" checked' in " ".join(html.split())
    assert 'name="anonymised" type="checkbox" value="1" checked' in " ".join(html.split())
