"""Governance meetings: recording one (with a frozen copy of the figures), who
may see it, its actions, and its pack."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from actions.models import Action
from core import dates
from core.models import Branch, TrailEvent
from extensions import db
from governance.models import GovernanceMeeting
from tests.governance.conftest import in_month, meeting_form, record, user
from tests.learning.conftest import add_action, make_incident


@pytest.fixture(autouse=True)
def _world(seeded: Any) -> None:
    """Every test starts from a clean demo world."""


def _meeting(app: Any, **changes: Any) -> int:
    with app.app_context():
        meeting_id = record(user("manager"), **changes).id
        db.session.remove()
    return meeting_id


def _pages(meeting_id: int) -> list[str]:
    return [
        f"/governance/meetings/{meeting_id}",
        f"/governance/meetings/{meeting_id}/pack",
        f"/governance/meetings/{meeting_id}/pack.html",
    ]


def test_the_manager_records_a_meeting_and_lands_on_it(app, sign_in):
    manager = sign_in("manager")
    response = manager.post_form("/governance/meetings", meeting_form(branch="NORTH"))
    assert response.status_code == 303
    page = manager.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "We looked at the falls trend" in html
    assert "Trial a written handover sheet" in html
    assert "The figures the meeting saw" in html
    with app.app_context():
        meeting = db.session.scalar(db.select(GovernanceMeeting))
        assert [b.code for b in meeting.branches] == ["NORTH"]
        assert meeting.snapshot["branches"] == ["NORTH"]


def test_recording_a_meeting_is_on_the_audit_trail(app):
    meeting_id = _meeting(app)
    with app.app_context():
        event = db.session.scalar(
            db.select(TrailEvent).where(TrailEvent.record_type == "governance_meeting")
        )
        assert (event.action, event.record_id) == ("create", str(meeting_id))
        assert event.detail["branches"] == ["NORTH", "SOUTH"]


def test_the_new_meeting_form_is_prefilled_with_the_dashboards_period(sign_in):
    html = (
        sign_in("manager")
        .get("/governance/meetings/new?months=3&branch=NORTH")
        .get_data(as_text=True)
    )
    start = dates.uk_today().replace(day=1)
    first = (start - timedelta(days=1)).replace(day=1)
    first = (first - timedelta(days=1)).replace(day=1)
    assert f'value="{first.isoformat()}"' in html
    assert '<option value="NORTH" selected>' in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"period_start": "2026-06-01", "period_end": "2026-05-31"},
            "period_end",
            "after its start",
        ),
        ({"held_on": "2099-01-01"}, "held_on", "cannot be in the future"),
        ({"minutes": "   "}, "minutes", "Write the minutes."),
        ({"attendees": ""}, "attendees", "Say who attended"),
        ({"period_start": "not a date"}, "period_start", "Use a date like"),
        ({"branch": "EAST"}, "branch", "Choose one of your branches."),
    ],
)
def test_a_bad_meeting_form_is_422_with_an_error_summary(app, sign_in, changes, field, message):
    response = sign_in("manager").post_form("/governance/meetings", meeting_form(**changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in html
    assert f'href="#field-{field.replace("_", "-")}"' in html
    assert message in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(GovernanceMeeting.id))) == 0


@pytest.mark.parametrize("who", ["carer1", "supervisor", "office"])
def test_other_roles_cannot_open_or_record_meetings(app, sign_in, who):
    meeting_id = _meeting(app)
    client = sign_in(who)
    for url in _pages(meeting_id):
        assert client.get(url).status_code == 403, url
    assert client.post_form("/governance/meetings", meeting_form()).status_code == 403


def test_signed_out_meeting_pages_go_to_sign_in(app, client, seeded):
    meeting_id = _meeting(app)
    for url in _pages(meeting_id):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_the_manager_opens_every_meeting_page(app, sign_in):
    meeting_id = _meeting(app)
    manager = sign_in("manager")
    for url in [*_pages(meeting_id), "/governance/meetings"]:
        assert manager.get(url).status_code == 200, url


def test_a_manager_of_one_branch_sees_only_meetings_wholly_in_their_branches(
    app, sign_in, south_manager
):
    both = _meeting(app)
    north = _meeting(app, branch="NORTH")
    south = _meeting(app, branch="SOUTH")
    client = sign_in(south_manager)
    for meeting_id in (both, north):
        for url in _pages(meeting_id):
            assert client.get(url).status_code == 404, url
        assert (
            client.get(f"/actions/new?source_type=meeting&source_id={meeting_id}").status_code
            == 404
        )
    assert client.get(f"/governance/meetings/{south}").status_code == 200
    listed = client.get("/governance/meetings").get_data(as_text=True)
    assert f'data-meeting-id="{south}"' in listed
    assert f'data-meeting-id="{north}"' not in listed
    assert f'data-meeting-id="{both}"' not in listed


def test_the_snapshot_does_not_change_when_data_changes_later(app, sign_in):
    with app.app_context():
        make_incident(user("carer1"), in_month(1), kind="near_miss")
        db.session.commit()
    meeting_id = _meeting(app)
    manager = sign_in("manager")
    before = manager.get(f"/governance/meetings/{meeting_id}").get_data(as_text=True)
    with app.app_context():
        saved = json.dumps(db.session.get(GovernanceMeeting, meeting_id).snapshot, sort_keys=True)
        for _ in range(3):
            make_incident(user("carer1"), in_month(1), kind="incident", category="fall")
        db.session.commit()
    after = manager.get(f"/governance/meetings/{meeting_id}").get_data(as_text=True)
    assert "1 reported in the period" in before
    assert "1 reported in the period" in after
    assert "4 reported in the period" in manager.get("/governance").get_data(as_text=True)
    with app.app_context():
        again = json.dumps(db.session.get(GovernanceMeeting, meeting_id).snapshot, sort_keys=True)
    assert again == saved


def test_text_typed_into_a_meeting_is_escaped_everywhere(app, sign_in):
    meeting_id = _meeting(
        app,
        minutes="<script>alert('minutes')</script>",
        attendees="<img src=x onerror=alert(1)>",
        decisions="<b>bold</b>",
    )
    manager = sign_in("manager")
    for url in _pages(meeting_id):
        html = manager.get(url).get_data(as_text=True)
        assert "<script>alert" not in html, url
        assert "&lt;script&gt;alert(&#39;minutes&#39;)&lt;/script&gt;" in html, url
        assert "<img src=x" not in html, url
        assert "<b>bold</b>" not in html, url


def test_an_action_from_a_meeting_comes_back_to_it(app, sign_in):
    meeting_id = _meeting(app, branch="NORTH")
    manager = sign_in("manager")
    form = manager.get(f"/actions/new?source_type=meeting&source_id={meeting_id}")
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    assert "Governance meeting" in html
    assert f'<input type="hidden" name="source_id" value="{meeting_id}">' in html
    with app.app_context():
        owner_id = user("supervisor").id
    response = manager.post_form(
        "/actions",
        {
            "source_type": "meeting",
            "source_id": str(meeting_id),
            "title": "Introduce a written handover sheet",
            "owner_id": owner_id,
            "due": "2099-01-31",
            "verification": "none",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/governance/meetings/{meeting_id}")
    page = manager.get(f"/governance/meetings/{meeting_id}").get_data(as_text=True)
    assert "Introduce a written handover sheet" in page
    with app.app_context():
        action = db.session.scalar(db.select(Action))
        assert (action.source_type, action.source_id) == ("meeting", str(meeting_id))
        assert action.branch.code == "NORTH"
    action_page = manager.get(f"/actions/{action.id}").get_data(as_text=True)
    assert f'href="/governance/meetings/{meeting_id}"' in action_page


def test_an_action_from_a_meeting_of_two_branches_is_for_one_of_them(app):
    meeting_id = _meeting(app)
    with app.app_context():
        manager = user("manager")
        with pytest.raises(Exception, match="branch"):
            add_action(manager, "meeting", str(meeting_id))
        south = db.session.scalar(db.select(Branch).where(Branch.code == "SOUTH"))
        action = add_action(manager, "meeting", str(meeting_id), branch_id=south.id)
        assert action.branch_id == south.id


@pytest.mark.parametrize("owner", ["carer1", "supervisor"])
def test_the_owner_who_cannot_open_the_meeting_sees_which_meeting_agreed_the_action(
    app, sign_in, owner
):
    meeting_id = _meeting(app, branch="NORTH", minutes="Discussed P-0001's falls in detail.")
    with app.app_context():
        action = add_action(user("manager"), "meeting", str(meeting_id), owner=user(owner))
        action_id, title = action.id, db.session.get_one(GovernanceMeeting, meeting_id).title
        db.session.remove()
    html = sign_in(owner).get(f"/actions/{action_id}").get_data(as_text=True)
    assert f"Meeting: {title}" in html
    assert f"/governance/meetings/{meeting_id}" not in html
    assert "Discussed" not in html


def test_an_unknown_meeting_id_is_not_a_source(app, sign_in):
    assert (
        sign_in("manager").get("/actions/new?source_type=meeting&source_id=999").status_code == 404
    )


def test_an_old_free_text_meeting_source_still_reads_well(app, sign_in):
    with app.app_context():
        north = db.session.scalar(db.select(Branch).where(Branch.code == "NORTH"))
        action = add_action(
            user("manager"), "meeting", "Quality meeting 28 Nov 2026", branch_id=north.id
        )
        action_id = action.id
        db.session.remove()
    html = sign_in("manager").get(f"/actions/{action_id}").get_data(as_text=True)
    assert "Meeting: Quality meeting 28 Nov 2026" in html


def test_the_pack_prints_without_navigation_and_downloads_for_word(app, sign_in):
    meeting_id = _meeting(app)
    manager = sign_in("manager")
    pack = manager.get(f"/governance/meetings/{meeting_id}/pack").get_data(as_text=True)
    assert 'class="app-pack"' in pack
    assert "app-gov-section" in pack
    word = manager.get(f"/governance/meetings/{meeting_id}/pack.html")
    assert word.headers["Content-Disposition"] == (
        f'attachment; filename="governance-meeting-{meeting_id}.html"'
    )
    assert "script-src" not in word.headers["Content-Security-Policy"]
    body = word.get_data(as_text=True)
    assert "We looked at the falls trend" in body
    assert "<script" not in body
    with app.app_context():
        exports = db.session.scalars(
            db.select(TrailEvent.detail).where(TrailEvent.action == "export")
        ).all()
        assert sorted(e["format"] for e in exports) == ["html", "print"]


def test_a_branch_that_is_not_yours_is_not_prefilled(sign_in):
    html = sign_in("manager").get("/governance/meetings/new?branch=EAST").get_data(as_text=True)
    assert "EAST" not in html
