"""The audit trail page: filters, keyset pages, and a 422 with an error summary
(and no events) for any filter that is not right."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from core import trail
from core.dates import uk_today
from core.models import TrailEvent, User
from extensions import db


def _event_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-event-id="(\d+)"', html)]


def _add(app, email: str | None, action: str, record_type: str, record_id: str, **detail) -> int:
    with app.app_context():
        actor = db.session.scalar(db.select(User).where(User.email == email)) if email else None
        event = trail.record(actor, action, record_type, record_id, **detail)
        db.session.commit()
        event_id = event.id
        db.session.remove()
    return event_id


def _ids_of(app, **where) -> set[int]:
    with app.app_context():
        stmt = db.select(TrailEvent.id).filter_by(**where)
        found = set(db.session.scalars(stmt))
        db.session.remove()
    return found


def test_the_page_lists_events_newest_first(sign_in, incidents):
    html = sign_in("manager").get("/trail").get_data(as_text=True)
    ids = _event_ids(html)
    assert ids
    assert ids == sorted(ids, reverse=True)


def test_an_incident_shows_by_its_reference(sign_in, incidents):
    _, reference = incidents["north"]
    html = sign_in("manager").get("/trail").get_data(as_text=True)
    assert f"Incident {reference}" in html


def test_filter_by_person(app, sign_in, seeded, incidents):
    carer3 = seeded["carer3"].id
    response = sign_in("manager").get(f"/trail?person={carer3}")
    assert response.status_code == 200
    assert set(_event_ids(response.get_data(as_text=True))) == _ids_of(app, actor_id=carer3)


@pytest.mark.parametrize("by", ["reference", "id", "lower-case reference"])
def test_filter_by_record(app, sign_in, incidents, by):
    incident_id, reference = incidents["south"]
    typed = {"reference": reference, "id": incident_id, "lower-case reference": reference.lower()}
    html = (
        sign_in("manager").get("/trail", query_string={"record": typed[by]}).get_data(as_text=True)
    )
    expected = _ids_of(app, record_type="incident", record_id=incident_id)
    assert expected
    assert set(_event_ids(html)) == expected


def test_filter_by_action(app, sign_in, incidents):
    html = sign_in("manager").get("/trail?action=create").get_data(as_text=True)
    ids = set(_event_ids(html))
    assert ids
    assert ids <= _ids_of(app, action="create")


def test_filter_by_dates_in_uk_time(app, sign_in, incidents):
    today = uk_today()
    client = sign_in("manager")
    html = client.get(f"/trail?date_from={today}&date_to={today}").get_data(as_text=True)
    assert _event_ids(html)
    yesterday = today - timedelta(days=1)
    html = client.get(f"/trail?date_to={yesterday}").get_data(as_text=True)
    assert _event_ids(html) == []


def test_pages_follow_on_without_repeating_or_skipping(app, sign_in, incidents, monkeypatch):
    monkeypatch.setitem(app.config, "TRAIL_PAGE_SIZE", 2)
    made = [_add(app, "carer1", "paging", "sign_in", f"n{n}") for n in range(5)]
    client = sign_in("manager")
    seen: list[int] = []
    url = "/trail?action=paging"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += _event_ids(html)
        older = re.search(r'href="([^"]+)" rel="next"', html)
        url = older.group(1).replace("&amp;", "&") if older else ""
    assert seen == sorted(made, reverse=True)


def test_a_new_event_does_not_shift_the_next_page(app, sign_in, monkeypatch):
    monkeypatch.setitem(app.config, "TRAIL_PAGE_SIZE", 2)
    made = [_add(app, "carer1", "paging", "sign_in", f"n{n}") for n in range(3)]
    client = sign_in("manager")
    html = client.get("/trail?action=paging").get_data(as_text=True)
    older = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    _add(app, "carer1", "paging", "sign_in", "newer")
    assert _event_ids(client.get(older).get_data(as_text=True)) == [made[0]]


BAD_FILTERS = [
    {"person": "someone"},
    {"person": "99999999999"},
    {"action": "not-an-action"},
    {"date_from": "31/12/2026"},
    {"date_to": "2026-02-30"},
    {"date_from": "2026-12-02", "date_to": "2026-12-01"},
    {"date_from": "0001-01-01"},
    {"record": "x" * 65},
    {"cursor": "not a cursor"},
    {"cursor": "YTk5OTk5OTk5OTk5"},
]


@pytest.mark.parametrize("query", BAD_FILTERS)
def test_a_bad_filter_is_a_422_with_an_error_summary_and_no_events(sign_in, incidents, query):
    response = sign_in("manager").get("/trail", query_string=query)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in html
    assert _event_ids(html) == []


def test_a_person_of_another_branch_is_refused_like_an_unknown_one(sign_in, seeded, south_manager):
    response = south_manager.get(f"/trail?person={seeded['carer1'].id}")
    assert response.status_code == 422
    assert "Choose a person from the list." in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["carer1", "supervisor", "office"])
def test_only_managers_read_the_trail(sign_in, role):
    assert sign_in(role).get("/trail").status_code == 403
