"""Office staff's home page: their work within their branches (new since they
last looked, arrived late, details to chase, questions unanswered), each a count
that agrees with the incident list it links to."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.models import TrailEvent, User
from extensions import db
from incidents import office
from incidents.models import Incident, RecordsSeen, Status
from tests.conftest import sign_in_new_account
from tests.factories import iso

NOW = datetime.now(UTC).replace(microsecond=0)


def _count(html: str, work: str) -> int:
    block = re.search(rf'data-testid="work-{work}">(.*?)</h3>', html, re.S)
    assert block is not None, work
    return int(re.search(r'data-testid="work-count">(\d+)<', block.group(1)).group(1))


def _home(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _listed(client, work: str) -> int:
    html = client.get(f"/incidents?work={work}").get_data(as_text=True)
    return len(re.findall(r'data-testid="incident-card"', html))


def _late(days: int = 2) -> dict[str, Any]:
    return {
        "occurred_at": iso(NOW - timedelta(days=days)),
        "reported_at": iso(NOW - timedelta(minutes=1)),
        "people_informed": [],
    }


def _as_user(app, email: str, act) -> None:
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        act(user)
        db.session.commit()
        db.session.remove()


def test_the_office_home_page_shows_their_work(sign_in, make_incident):
    make_incident()
    html = _home(sign_in("office"))
    for work in ("new", "late", "details", "questions"):
        assert f'data-testid="work-{work}"' in html


@pytest.mark.parametrize("role", ["carer1", "supervisor", "manager"])
def test_other_roles_do_not_get_the_office_work(sign_in, role):
    assert 'data-testid="office-work"' not in _home(sign_in(role))


def test_new_records_count_until_looked_at_then_only_newer_ones(app, sign_in, make_incident):
    office = sign_in("office")
    make_incident()
    make_incident(person_ref="P-0011", author="carer3")
    assert _count(_home(office), "new") == 2
    assert _listed(office, "new") == 2
    html = _home(office)
    upto = re.search(r'name="upto" value="([^"]+)"', html).group(1)
    assert office.post_form("/incidents/looked-at", {"upto": upto}).status_code == 303
    assert _count(_home(office), "new") == 0
    make_incident()
    assert _count(_home(office), "new") == 1
    assert _listed(office, "new") == 1


def test_a_record_received_long_ago_is_not_new_the_first_time(sign_in, make_incident):
    make_incident(received_at=NOW - timedelta(days=8))
    assert _count(_home(sign_in("office")), "new") == 0


def test_looking_is_on_the_trail_and_never_moves_back(app, sign_in, seeded, make_incident):
    office = sign_in("office")
    make_incident()
    later, earlier = iso(NOW), iso(NOW - timedelta(days=3))
    assert office.post_form("/incidents/looked-at", {"upto": later}).status_code == 303
    assert office.post_form("/incidents/looked-at", {"upto": earlier}).status_code == 303
    with app.app_context():
        seen = db.session.get_one(RecordsSeen, seeded["office"].id)
        assert seen.seen_at == NOW
        actions = db.session.scalars(
            db.select(TrailEvent.action).where(TrailEvent.actor_id == seeded["office"].id)
        )
        assert list(actions).count("records_seen") == 2
        db.session.remove()


@pytest.mark.parametrize(
    "upto", ["", "yesterday", "2026-12-07T10:00:00", "0001-01-01T00:00:00+00:00"]
)
def test_a_bad_looked_at_is_a_422_and_changes_nothing(app, sign_in, seeded, upto):
    response = sign_in("office").post_form("/incidents/looked-at", {"upto": upto})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(RecordsSeen, seeded["office"].id) is None
        db.session.remove()


@pytest.mark.parametrize("role", ["carer1", "supervisor", "manager"])
def test_only_the_office_marks_records_looked_at(sign_in, role):
    response = sign_in(role).post_form("/incidents/looked-at", {"upto": iso(NOW)})
    assert response.status_code == 403


def test_records_made_or_sent_a_day_late_are_counted(sign_in, make_incident):
    make_incident(**_late())
    make_incident(
        occurred_at=iso(NOW - timedelta(days=3, minutes=20)),
        reported_at=iso(NOW - timedelta(days=3)),
        people_informed=[],
        received_at=NOW,
    )
    make_incident()  # on time
    office = sign_in("office")
    assert _count(_home(office), "late") == 2
    assert _listed(office, "late") == 2


def test_a_closed_late_record_is_no_longer_work(app, sign_in, make_incident):
    incident_id = make_incident(**_late())
    with app.app_context():
        db.session.get_one(Incident, incident_id).status = Status.CLOSED.value
        db.session.commit()
        db.session.remove()
    assert _count(_home(sign_in("office")), "late") == 0


def test_missing_details_count_until_the_reporter_is_asked(app, sign_in, make_incident):
    no_place = make_incident(location="")
    make_incident(person_ref=None)
    make_incident()  # complete
    office_client = sign_in("office")
    assert _count(_home(office_client), "details") == 2
    assert _listed(office_client, "details") == 2

    def ask(user):
        office.chase_reporter(user, db.session.get_one(Incident, no_place), message="Which room?")

    _as_user(app, "office@example.com", ask)
    html = _home(office_client)
    assert _count(html, "details") == 1
    assert _count(html, "questions") == 1


def test_a_question_is_answered_by_a_note_after_it(app, sign_in, make_incident):
    incident_id = make_incident(location="")

    def ask(user):
        office.chase_reporter(user, db.session.get_one(Incident, incident_id), message="Where?")

    def note_answer(user):
        incident = db.session.get_one(Incident, incident_id)
        office.add_details(
            user, incident, version=incident.version, location="", person_ref=None, note="Bathroom."
        )

    _as_user(app, "office@example.com", ask)
    client = sign_in("office")
    assert _count(_home(client), "questions") == 1
    assert _listed(client, "questions") == 1
    _as_user(app, "office@example.com", note_answer)
    assert _count(_home(client), "questions") == 0


def test_the_counts_are_of_their_branches_only(app, make_incident, seeded):
    make_incident(**_late())  # NORTH
    make_incident(author="carer3", person_ref="P-0011", location="", **_late())  # SOUTH
    south = sign_in_new_account(app, "south.office@example.com", "Sue South", "office", ["SOUTH"])
    html = _home(south)
    assert (_count(html, "new"), _count(html, "late"), _count(html, "details")) == (1, 1, 1)
    assert _listed(south, "late") == 1


def test_each_count_links_to_the_filtered_list(sign_in, make_incident):
    make_incident(**_late())
    html = _home(sign_in("office"))
    for work in ("new", "late"):
        assert f'href="/incidents?work={work}"' in html


def test_an_unknown_piece_of_work_is_a_422(sign_in):
    response = sign_in("office").get("/incidents?work=everything")
    assert response.status_code == 422
    assert "Choose a list of work from the list." in response.get_data(as_text=True)


def test_a_place_chosen_without_free_text_is_not_missing_details(sign_in, make_incident):
    make_incident(location="", place="bathroom")
    make_incident(location="")
    assert _count(_home(sign_in("office")), "details") == 1
