"""GET /incidents: the review list (filters, htmx partial, no-JS form, pagination,
sort, scoping) and the carer's own list (status, seen, questions, what was learned)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from core.models import User
from extensions import db
from incidents import triage
from incidents.models import Incident
from tests.factories import iso

NOW = datetime.now(UTC).replace(microsecond=0)


def _when(days_ago: int) -> dict[str, Any]:
    occurred = NOW - timedelta(days=days_ago)
    return {
        "occurred_at": iso(occurred),
        "reported_at": iso(occurred + timedelta(minutes=5)),
        "people_informed": [],
    }


def references(response: Any) -> list[str]:
    return re.findall(r'data-reference="([^"]+)"', response.get_data(as_text=True))


@pytest.fixture
def world(app: Flask, make_incident: Any) -> dict[str, str]:
    """Five incidents that differ in every filterable way. Returns letter -> reference."""
    no_family = {"safeguarding": "no", "clinical_escalation": "no", "family_contact": "no"}
    made = {
        "A": make_incident(
            "carer1",
            what_happened="Evening dose not in the blister pack.",
            thresholds=no_family,
            **_when(2),
        ),
        "B": make_incident(
            "carer1",
            kind="incident",
            category="fall",
            medication_error=None,
            time_critical=False,
            harm="low",
            person_ref="P-0002",
            location="bathroom",
            what_happened="Found on the bathroom floor at the morning call.",
            thresholds=no_family,
            **_when(10),
        ),
        "C": make_incident(
            "carer3",
            kind="incident",
            category="behaviour",
            medication_error=None,
            time_critical=False,
            harm="moderate",
            staff_injured=True,
            person_ref="P-0011",
            what_happened="Became distressed at the change of activity; I was pushed.",
            thresholds=no_family,
            received_at=NOW - timedelta(days=20),
            **_when(20),
        ),
        "D": make_incident(
            "carer2",
            kind="incident",
            category="skin",
            medication_error=None,
            time_critical=False,
            harm="severe",
            person_ref="P-0003",
            what_happened="Grade 3 pressure ulcer on the heel.",
            thresholds=no_family,
            received_at=NOW - timedelta(days=25),
            **_when(25),
        ),
        "E": make_incident(
            "carer1",
            kind="incident",
            category="safeguarding",
            medication_error=None,
            time_critical=False,
            harm="low",
            what_happened="Said a relative took money from the purse.",
            thresholds={**no_family, "safeguarding": "yes"},
            # Reported just now: its referral is due by the end of the working day
            # the office learned of it, so it is not overdue whatever the day.
            occurred_at=iso(NOW - timedelta(minutes=10)),
            reported_at=iso(NOW - timedelta(minutes=5)),
            people_informed=[],
        ),
    }
    with app.app_context():
        d = db.session.get_one(Incident, made["D"])
        d.status = "closed"
        db.session.commit()
        refs = {k: db.session.get_one(Incident, v).reference for k, v in made.items()}
        db.session.remove()
    return refs


def letters(world: dict[str, str], response: Any) -> set[str]:
    back = {ref: letter for letter, ref in world.items()}
    return {back[r] for r in references(response)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"A", "B", "C", "D", "E"}),
        ("q=blister", {"A"}),
        ("q=BATHROOM", {"B"}),  # any case, and the location is searched too
        ("q=pushed", {"C"}),
        ("q=%25", set()),  # a literal %, not a wildcard
        ("q=_", set()),  # a literal _, not a wildcard
        ("branch=SOUTH", {"C"}),
        ("branch=NORTH", {"A", "B", "D", "E"}),
        ("category=fall", {"B"}),
        ("category=safeguarding", {"E"}),
        ("harm=moderate", {"C"}),
        ("harm=none", {"A"}),
        ("status=closed", {"D"}),
        ("status=submitted", {"A", "B", "C", "E"}),
        ("kind=near_miss", {"A"}),
        ("kind=incident", {"B", "C", "D", "E"}),
        ("person=P-0011", {"C"}),
        ("person=P-0001", {"A", "E"}),
        ("overdue=true", {"C", "D"}),
        ("branch=NORTH&harm=low", {"B", "E"}),
        ("kind=incident&q=floor", {"B"}),
        ("category=medication&kind=incident", set()),
        ("branch=NORTH&overdue=true", {"D"}),
    ],
)
def test_filters(sign_in, world, query, expected):
    response = sign_in("manager").get(f"/incidents?{query}")
    assert response.status_code == 200
    assert letters(world, response) == expected


def test_date_range_filters_on_when_it_happened(sign_in, world):
    day = (NOW - timedelta(days=10)).date().isoformat()
    response = sign_in("manager").get(f"/incidents?date_from={day}&date_to={day}")
    assert letters(world, response) == {"B"}
    since = (NOW - timedelta(days=10)).date().isoformat()
    assert letters(world, sign_in("manager").get(f"/incidents?date_from={since}")) == {
        "A",
        "B",
        "E",
    }
    until = (NOW - timedelta(days=20)).date().isoformat()
    assert letters(world, sign_in("manager").get(f"/incidents?date_to={until}")) == {"C", "D"}


def test_empty_fields_of_the_form_mean_any(sign_in, world):
    response = sign_in("manager").get(
        "/incidents?q=&branch=&category=&harm=&status=&kind=&person=&date_from=&date_to=&sort=newest"
    )
    assert letters(world, response) == {"A", "B", "C", "D", "E"}


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("date_from=2026-13-40", "date_from", "Enter the first date"),
        ("date_to=yesterday", "date_to", "Enter the last date"),
        (
            "date_from=2026-11-20&date_to=2026-11-01",
            "date_to",
            "the same as or after the first date",
        ),
        ("category=falls", "category", "Choose a category"),
        ("harm=catastrophic", "harm", "Choose a harm level"),
        ("sort=random", "sort", "Choose how to sort"),
        ("page=0", "page", "Choose a page number"),
        ("page=abc", "page", "Choose a page number"),
        ("q=" + "x" * 201, "q", "at most 200"),
        # Issue 12, finding 6: a year no record can have was an overflow (500).
        ("date_to=9999-12-31", "date_to", "between 1900 and 2100"),
        ("date_from=0001-01-01", "date_from", "between 1900 and 2100"),
    ],
)
def test_bad_filters_are_422_with_a_linked_error_summary(sign_in, world, query, field, message):
    response = sign_in("manager").get(f"/incidents?{query}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert message in html
    assert f'href="#field-{field.replace("_", "-")}"' in html
    assert references(response) == []


def test_the_page_is_a_plain_get_form_that_works_without_javascript(sign_in, world):
    html = sign_in("manager").get("/incidents").get_data(as_text=True)
    form = re.search(r"<form class=\"app-filters\"[^>]*>", html, re.S)
    assert form is not None
    assert 'method="get"' in form.group(0)
    assert 'action="/incidents"' in form.group(0)
    # htmx enhancement on the same form: filters as you type, pushing the URL.
    assert 'hx-get="/incidents"' in form.group(0)
    assert "input changed" in form.group(0)
    assert 'hx-target="#incident-results"' in form.group(0)
    assert 'hx-push-url="true"' in form.group(0)
    for name in (
        "q",
        "branch",
        "category",
        "harm",
        "status",
        "kind",
        "person",
        "date_from",
        "date_to",
        "overdue",
        "sort",
    ):
        assert f'name="{name}"' in html, name
    assert (
        '<button class="nhsuk-button nhsuk-button--secondary" type="submit">Show incidents</button>'
        in html
    )


def test_a_filtered_page_keeps_the_values_in_the_form(sign_in, world):
    html = sign_in("manager").get("/incidents?q=floor&harm=low&overdue=true").get_data(as_text=True)
    assert 'value="floor"' in html
    assert re.search(r'<option value="low"\s+selected>', html)
    assert re.search(r'name="overdue" type="checkbox" value="true"\s+checked', html)


def test_htmx_gets_only_the_results_partial(sign_in, world):
    response = sign_in("manager").get("/incidents?q=blister", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="incident-results"')
    assert "<html" not in html
    assert "<form" not in html
    assert letters(world, response) == {"A"}
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_updates_a_live_region_with_the_count(sign_in, world):
    full = sign_in("manager").get("/incidents").get_data(as_text=True)
    assert '<p id="results-status" class="nhsuk-u-visually-hidden" aria-live="polite"></p>' in full
    assert "hx-swap-oob" not in full
    partial = sign_in("manager").get("/incidents?q=blister", headers={"HX-Request": "true"})
    assert (
        '<span id="results-status" hx-swap-oob="innerHTML">Showing 1 to 1 of 1 incident</span>'
        in (partial.get_data(as_text=True))
    )


def test_the_full_page_also_varies_on_hx_request(sign_in, world):
    response = sign_in("manager").get("/incidents?q=blister")
    assert "<html" in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_history_restore_gets_the_whole_page(sign_in, world):
    response = sign_in("manager").get(
        "/incidents?q=blister",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in response.get_data(as_text=True)


def test_htmx_with_a_bad_filter_gets_the_partial_with_its_errors(sign_in, world):
    response = sign_in("manager").get("/incidents?date_from=nope", headers={"HX-Request": "true"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="incident-results"')
    assert "Enter the first date" in html


# --- scoping ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("carer1", {"A", "B", "E"}),  # their own, safeguarding included
        ("carer2", {"D"}),
        ("carer3", {"C"}),
        ("supervisor", {"A", "B", "D"}),  # NORTH, but not safeguarding
        ("manager", {"A", "B", "C", "D", "E"}),
        ("office", {"A", "B", "C", "D"}),  # both branches on its account, not safeguarding
    ],
)
def test_the_list_is_scoped_by_role(sign_in, world, viewer, expected):
    assert letters(world, sign_in(viewer).get("/incidents")) == expected


def test_filters_cannot_widen_a_scope(sign_in, world):
    assert letters(world, sign_in("supervisor").get("/incidents?branch=SOUTH")) == set()
    assert letters(world, sign_in("office").get("/incidents?category=safeguarding")) == set()


def test_carers_get_their_own_list_without_filters(sign_in, world):
    html = sign_in("carer1").get("/incidents?branch=SOUTH&q=nothing").get_data(as_text=True)
    assert "Your reports" in html
    assert 'name="q"' not in html
    assert letters(world, sign_in("carer1").get("/incidents?q=nothing")) == {"A", "B", "E"}


def test_signed_out_is_sent_to_sign_in(client, seeded):
    response = client.get("/incidents")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- sort and pages -------------------------------------------------------------------


def test_sort_orders(sign_in, world):
    manager = sign_in("manager")
    # Newest received first: E, A, B (received now, in creation order), then C, D.
    newest = references(manager.get("/incidents"))
    assert newest[-2:] == [world["C"], world["D"]]
    assert newest[0] == world["E"]
    oldest = references(manager.get("/incidents?sort=oldest"))
    assert oldest == list(reversed(newest))
    by_harm = references(manager.get("/incidents?sort=harm"))
    assert by_harm[:2] == [world["D"], world["C"]]  # severe, then moderate
    assert by_harm[-1] == world["A"]  # no harm last


def test_pagination_keeps_the_filters(app, sign_in, make_incident, monkeypatch):
    monkeypatch.setitem(app.config, "INCIDENTS_PAGE_SIZE", 2)
    ids = [make_incident("carer1", location=f"room {n}") for n in range(5)]
    make_incident("carer1", kind="incident", category="fall", medication_error=None, harm="low")
    manager = sign_in("manager")
    first = manager.get("/incidents?category=medication")
    html = first.get_data(as_text=True)
    assert "Showing 1 to 2 of 5 incidents" in html
    assert "Page 1 of 3" in html
    next_link = re.search(r'href="([^"]+)"[^>]*rel="next"', html)
    assert next_link is not None
    url = next_link.group(1).replace("&amp;", "&")
    assert "category=medication" in url
    assert "page=2" in url
    second = manager.get(url)
    assert "Showing 3 to 4 of 5 incidents" in second.get_data(as_text=True)
    with app.app_context():
        expected = [db.session.get_one(Incident, i).reference for i in reversed(ids)]
        db.session.remove()
    third = manager.get("/incidents?category=medication&page=3")
    assert references(first) + references(second) + references(third) == expected


def test_a_page_past_the_end_shows_the_last_page(app, sign_in, make_incident, monkeypatch):
    monkeypatch.setitem(app.config, "INCIDENTS_PAGE_SIZE", 2)
    for _ in range(3):
        make_incident("carer1")
    html = sign_in("manager").get("/incidents?page=99").get_data(as_text=True)
    assert "Page 2 of 2" in html
    assert "Showing 3 to 3 of 3 incidents" in html


def test_pagination_links_are_htmx_and_plain_links(app, sign_in, make_incident, monkeypatch):
    monkeypatch.setitem(app.config, "INCIDENTS_PAGE_SIZE", 1)
    make_incident("carer1")
    make_incident("carer1")
    html = sign_in("manager").get("/incidents").get_data(as_text=True)
    link = re.search(r"<a class=\"app-pagination__link\"[^>]*>", html)
    assert link is not None
    assert 'href="/incidents?page=2"' in link.group(0)
    assert 'hx-get="/incidents?page=2"' in link.group(0)


# --- the carer hears back ---------------------------------------------------------------


def test_carer_sees_status_and_whether_a_manager_has_seen_it(app, sign_in, make_incident):
    incident_id = make_incident("carer1")
    carer = sign_in("carer1")
    html = carer.get("/incidents").get_data(as_text=True)
    assert "Not seen by a manager yet." in html
    assert ">Sent<" in html
    sign_in("office").get(f"/incidents/{incident_id}")  # the office opening it is not "seen"
    assert "Not seen by a manager yet." in carer.get("/incidents").get_data(as_text=True)
    sign_in("manager").get(f"/incidents/{incident_id}")
    assert "Seen by a manager on" in carer.get("/incidents").get_data(as_text=True)


def test_carer_sees_questions_and_what_was_learned(app, sign_in, make_incident, seeded):
    incident_id = make_incident("carer1", location="")
    office = sign_in("office")
    office.post_form(f"/incidents/{incident_id}/chase", {"message": "Which room was it in?"})
    with app.app_context():
        manager = db.session.get_one(User, seeded["manager"].id)
        incident = db.session.get_one(Incident, incident_id)
        triage.triage(
            manager,
            incident,
            version=incident.version,
            kind=incident.kind,
            category=incident.category,
            medication_error=incident.medication_error,
            harm=incident.harm,
            reason="",
            status="closed",
            reviewer_id=None,
            feedback="Doses are now read back at every handover.",
            no_review_reason="Explained in full at triage.",
        )
        db.session.remove()
    html = sign_in("carer1").get("/incidents").get_data(as_text=True)
    assert "Olu Office asked on" in html
    assert "Which room was it in?" in html
    assert "What we learned and what will change" in html
    assert "Doses are now read back at every handover." in html
    assert ">Closed<" in html


def test_carer_list_is_newest_first(app, sign_in, make_incident):
    first = make_incident("carer1")
    second = make_incident("carer1")
    with app.app_context():
        refs = [db.session.get_one(Incident, i).reference for i in (second, first)]
        db.session.remove()
    assert references(sign_in("carer1").get("/incidents")) == refs
