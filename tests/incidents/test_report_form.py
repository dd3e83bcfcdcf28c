"""GET/POST /incidents/new and the confirmation, through the test client (no JavaScript)."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from html import unescape
from typing import Any

import pytest
from flask import Flask

from core.models import TrailEvent
from extensions import db
from incidents.models import Incident
from tests.conftest import Client
from tests.factories import incident_form, local_input

HTMX = {"HX-Request": "true"}


def _count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Incident.id)))


def _incident(app: Flask, incident_id: str) -> Incident:
    with app.app_context():
        incident = db.session.get_one(Incident, incident_id)
        # Read what the assertions need while the session is open.
        _ = (incident.person, incident.branch, incident.author)
        db.session.expunge(incident)
        return incident


def _input(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html, re.S)
    assert tag, name
    return tag.group(0)


def _summary_links(html: str) -> list[str]:
    summary = re.search(r"<div class=\"nhsuk-error-summary\".*?</ul>", html, re.S)
    assert summary, "no error summary"
    return re.findall(r'href="#([^"]+)"', summary.group(0))


# --- the blank form ---------------------------------------------------------------------


def test_the_form_follows_the_offline_convention(sign_in):
    html = sign_in("carer1").get("/incidents/new").get_data(as_text=True)
    form = re.search(r"<form method=\"post\" action=\"/incidents/new\"[^>]*>", html)
    assert form, html
    tag = form.group(0)
    for attribute in (
        'data-offline-form="incident"',
        'data-api-url="/api/v1/incidents"',
        "novalidate",
        'hx-post="/incidents/new"',
        'hx-target="#incident-report"',
        'hx-swap="outerHTML"',
    ):
        assert attribute in tag
    assert 'id="incident-report"' in html
    assert re.search(r'<input type="hidden" name="reported_at" value="">', html)
    assert re.search(r'<input type="hidden" name="tz_offset" value="">', html)
    assert 'name="id"' not in html


def test_every_load_has_a_new_entry_id(sign_in):
    carer = sign_in("carer1")
    ids = {
        re.search(
            r'name="entry_id" value="([^"]+)"', carer.get("/incidents/new").get_data(as_text=True)
        ).group(1)
        for _ in range(3)
    }
    assert len(ids) == 3
    assert all(str(uuid.UUID(i)) == i for i in ids)


@pytest.mark.parametrize(
    "name",
    [
        "category",
        "medication_error",
        "time_critical",
        "kind",
        "person_ref",
        "occurred_at",
        "late_reason",
        "location",
        "what_happened",
        "immediate_actions",
        "harm",
        "staff_injured",
        "people_informed.0.who",
        "people_informed.0.at",
        "people_informed.0.method",
        "people_informed.1.who",
        "thresholds.safeguarding",
        "thresholds.clinical_escalation",
        "thresholds.family_contact",
    ],
)
def test_inputs_are_named_like_the_json_fields(sign_in, name):
    html = sign_in("carer1").get("/incidents/new").get_data(as_text=True)
    assert f'name="{name}"' in html


def test_times_are_datetime_local_and_occurred_defaults_to_now_in_uk_time(sign_in):
    html = sign_in("carer1").get("/incidents/new").get_data(as_text=True)
    occurred = _input(html, "occurred_at")
    assert 'type="datetime-local"' in occurred
    shown = re.search(r'value="([^"]+)"', occurred).group(1)
    now = local_input(datetime.now(UTC))
    assert shown in {now, local_input(datetime.now(UTC) - timedelta(minutes=1))}
    assert 'type="datetime-local"' in _input(html, "people_informed.0.at")


def test_the_people_listed_are_only_those_the_carer_supports(sign_in):
    html = sign_in("carer1").get("/incidents/new").get_data(as_text=True)
    listed = re.findall(r'<option value="(P-\d{4})"', html)
    assert listed == [f"P-{n:04d}" for n in range(1, 11)]


def test_one_branch_needs_no_branch_question(sign_in):
    html = sign_in("carer1").get("/incidents/new").get_data(as_text=True)
    assert 'name="branch"' not in html


def test_several_branches_get_a_branch_question_and_people_grouped(sign_in):
    html = sign_in("manager").get("/incidents/new").get_data(as_text=True)
    assert 'name="branch"' in html
    assert '<optgroup label="North branch">' in html
    assert len(re.findall(r'<option value="(P-\d{4})"', html)) == 20


def test_threshold_questions_offer_plain_answers(sign_in):
    html = sign_in("carer1").get("/incidents/new").get_data(as_text=True)
    for question in ("safeguarding", "clinical_escalation"):
        values = re.findall(rf'name="thresholds.{question}" type="radio" value="(\w+)"', html)
        assert values == ["yes", "no", "unsure"]
    family = re.findall(r'name="thresholds.family_contact" type="radio" value="(\w+)"', html)
    assert family == ["yes", "no", "not_applicable"]
    assert ">Not sure<" in html
    assert ">Not needed<" in html


def test_without_javascript_two_blank_who_was_told_rows_are_drawn(sign_in):
    html = sign_in("carer1").get("/incidents/new").get_data(as_text=True)
    assert len(re.findall(r'name="people_informed\.\d+\.who"', html)) == 2


@pytest.mark.parametrize("key", ["carer1", "supervisor", "manager"])
def test_reporting_roles_may_open_the_form(sign_in, key):
    assert sign_in(key).get("/incidents/new").status_code == 200


def test_office_may_not_open_the_form(sign_in):
    assert sign_in("office").get("/incidents/new").status_code == 403


def test_office_may_not_send_a_report(app: Flask, sign_in):
    response = sign_in("office").post_form("/incidents/new", incident_form(person_ref="P-0011"))
    assert response.status_code == 403
    assert _count(app) == 0


def test_signed_out_is_sent_to_sign_in(client: Client, seeded):
    response = client.get("/incidents/new")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- sending ------------------------------------------------------------------------------


def test_a_report_without_javascript_redirects_to_its_confirmation(app: Flask, sign_in, seeded):
    fields = incident_form(tz_offset="")
    response = sign_in("carer1").post_form("/incidents/new", fields)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/incidents/{fields['entry_id']}/sent"
    incident = _incident(app, fields["entry_id"])
    assert incident.kind == "near_miss"
    assert incident.category == "medication"
    assert incident.medication_error == "omission"
    assert incident.time_critical is True
    assert incident.person.ref == "P-0001"
    assert incident.branch.code == "NORTH"
    assert incident.author_id == seeded["carer1"].id
    assert incident.what_happened == fields["what_happened"]
    assert incident.safeguarding == "no"
    assert incident.clinical_escalation == "unsure"
    assert incident.family_contact == "yes"
    assert [row["who"] for row in incident.people_informed] == ["manager"]
    # Read as UK time: the stored offset is today's UK offset.
    assert incident.occurred_local.strftime("%Y-%m-%dT%H:%M") == fields["occurred_at"]
    assert abs(incident.reported_at - datetime.now(UTC)) < timedelta(minutes=1)


def test_the_phones_offset_and_clock_are_used_when_sent(app: Flask, sign_in):
    made = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
    fields = incident_form(
        tz_offset="-300",
        occurred_at=(made - timedelta(minutes=30))
        .astimezone(timezone(timedelta(hours=-5)))
        .strftime("%Y-%m-%dT%H:%M"),
        reported_at=made.isoformat(),
        people_informed__0__who="",
        people_informed__0__at="",
    )
    assert sign_in("carer1").post_form("/incidents/new", fields).status_code == 303
    incident = _incident(app, fields["entry_id"])
    assert incident.occurred_offset == -300
    assert incident.reported_at == made
    assert incident.people_informed == []


def test_the_creation_is_in_the_audit_trail(app: Flask, sign_in, seeded):
    fields = incident_form()
    sign_in("carer1").post_form("/incidents/new", fields)
    with app.app_context():
        events = db.session.scalars(
            db.select(TrailEvent).where(TrailEvent.record_id == fields["entry_id"])
        ).all()
        # The duties the report may trigger are opened by Candour itself (no actor).
        assert [(e.action, e.actor_id) for e in events if e.action != "duties_opened"] == [
            ("create", seeded["carer1"].id)
        ]


def test_the_confirmation_gives_the_reference_and_what_happens_next(app: Flask, sign_in):
    carer = sign_in("carer1")
    fields = incident_form()
    carer.post_form("/incidents/new", fields)
    page = carer.get(f"/incidents/{fields['entry_id']}/sent")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    reference = _incident(app, fields["entry_id"]).reference
    assert re.fullmatch(rf"INC-{datetime.now(UTC).year}-0001", reference)
    assert f'data-testid="reference">{reference}<' in html
    assert "What happens next" in html
    assert "A manager will look at your report" in html
    assert "My reports" in html
    assert re.search(r'<a class="nhsuk-button" href="/incidents/new">Report another</a>', html)


def test_report_another_opens_a_new_form_with_a_new_id(sign_in):
    carer = sign_in("carer1")
    fields = incident_form()
    carer.post_form("/incidents/new", fields)
    html = carer.get("/incidents/new").get_data(as_text=True)
    assert f'value="{fields["entry_id"]}"' not in html


def test_with_htmx_the_confirmation_replaces_the_form(app: Flask, sign_in):
    fields = incident_form()
    response = sign_in("carer1").post_form("/incidents/new", fields, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 201
    assert "<html" not in html
    assert html.lstrip().startswith("{#") is False
    assert 'id="incident-report"' in html
    assert _incident(app, fields["entry_id"]).reference in html


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_sending_the_same_form_twice_makes_one_record(app: Flask, sign_in, headers):
    carer = sign_in("carer1")
    fields = incident_form()  # no device time: the server's clock names the moment
    first = carer.post_form("/incidents/new", fields, headers=headers)
    time.sleep(1.1)  # the server's "now" has moved on by the second send
    second = carer.post_form("/incidents/new", fields, headers=headers)
    assert _count(app) == 1
    if headers:
        assert (first.status_code, second.status_code) == (201, 200)
        reference = _incident(app, fields["entry_id"]).reference
        assert reference in second.get_data(as_text=True)
    else:
        assert first.headers["Location"] == second.headers["Location"]


def test_the_same_id_with_other_answers_keeps_the_first_and_offers_a_new_report(
    app: Flask, sign_in
):
    carer = sign_in("carer1")
    fields = incident_form()
    carer.post_form("/incidents/new", fields)
    changed = {**fields, "what_happened": "Something else I remembered."}
    response = carer.post_form("/incidents/new", changed)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert _count(app) == 1
    reference = _incident(app, fields["entry_id"]).reference
    assert f"already sent as {reference}" in html
    assert "Something else I remembered." in html
    new_id = re.search(r'name="entry_id" value="([^"]+)"', html).group(1)
    assert new_id != fields["entry_id"]
    assert _summary_links(html) == ["field-entry-id"]
    # Sending it now makes a second, separate report.
    assert carer.post_form("/incidents/new", {**changed, "entry_id": new_id}).status_code == 303
    assert _count(app) == 2


def test_another_persons_id_is_refused_without_revealing_their_reference(app: Flask, sign_in):
    fields = incident_form()
    sign_in("carer1").post_form("/incidents/new", fields)
    response = sign_in("carer2").post_form("/incidents/new", fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert _incident(app, fields["entry_id"]).reference not in html
    assert _count(app) == 1


def test_without_the_csrf_token_nothing_is_saved(app: Flask, sign_in):
    carer = sign_in("carer1")
    response = carer.http.post("/incidents/new", data=incident_form())
    assert response.status_code == 400
    assert "nothing has been saved" in response.get_data(as_text=True)
    assert _count(app) == 0


def test_with_a_wrong_csrf_token_nothing_is_saved(app: Flask, sign_in):
    response = sign_in("carer1").post_form("/incidents/new", incident_form(csrf_token="forged"))
    assert response.status_code == 400
    assert _count(app) == 0


# --- errors ---------------------------------------------------------------------------------

NOW = datetime.now(UTC)

INVALID = [
    ({"category": None}, "carer1", "field-category"),
    ({"category": "falls"}, "carer1", "field-category"),
    ({"kind": None}, "carer1", "field-kind"),
    ({"medication_error": None}, "carer1", "field-medication-error"),
    ({"medication_error": "too_much"}, "carer1", "field-medication-error"),
    ({"time_critical": "sometimes"}, "carer1", "field-time-critical"),
    ({"harm": None}, "carer1", "field-harm"),
    ({"harm": "low"}, "carer1", "field-harm"),  # a near miss caused no harm
    ({"what_happened": ""}, "carer1", "field-what-happened"),
    ({"what_happened": "x" * 5001}, "carer1", "field-what-happened"),
    ({"immediate_actions": "   "}, "carer1", "field-immediate-actions"),
    ({"immediate_actions": None}, "carer1", "field-immediate-actions"),
    ({"location": "x" * 201}, "carer1", "field-location"),
    ({"occurred_at": ""}, "carer1", "field-occurred-at"),
    ({"occurred_at": "yesterday"}, "carer1", "field-occurred-at"),
    ({"occurred_at": "0001-01-01T00:05", "late_reason": "typo"}, "carer1", "field-occurred-at"),
    ({"occurred_at": local_input(NOW + timedelta(hours=3))}, "carer1", "field-occurred-at"),
    (
        {
            "occurred_at": local_input(NOW - timedelta(days=40)),
            "people_informed__0__who": "",
            "people_informed__0__at": "",
        },
        "carer1",
        "field-late-reason",
    ),
    ({"late_reason": "x" * 1001}, "carer1", "field-late-reason"),
    ({"reported_at": (NOW + timedelta(hours=2)).isoformat()}, "carer1", "field-reported-at"),
    ({"entry_id": "not-a-uuid"}, "carer1", "field-entry-id"),
    ({"entry_id": None}, "carer1", "field-entry-id"),
    ({"staff_injured": "perhaps"}, "carer1", "field-staff-injured"),
    ({"thresholds__safeguarding": None}, "carer1", "field-thresholds-safeguarding"),
    ({"thresholds__safeguarding": "maybe"}, "carer1", "field-thresholds-safeguarding"),
    ({"thresholds__clinical_escalation": None}, "carer1", "field-thresholds-clinical-escalation"),
    ({"thresholds__family_contact": "unsure"}, "carer1", "field-thresholds-family-contact"),
    ({"people_informed__0__at": ""}, "carer1", "field-people-informed-0-at"),
    ({"people_informed__0__who": ""}, "carer1", "field-people-informed-0-who"),
    ({"people_informed__0__who": "mum"}, "carer1", "field-people-informed-0-who"),
    ({"people_informed__0__method": ""}, "carer1", "field-people-informed-0-method"),
    ({"people_informed__0__method": "pigeon"}, "carer1", "field-people-informed-0-method"),
    ({"people_informed__0__at": "soon"}, "carer1", "field-people-informed-0-at"),
    (
        {"people_informed__0__at": local_input(NOW + timedelta(hours=3))},
        "carer1",
        "field-people-informed-0-at",
    ),
    ({"person_ref": "P-0015"}, "carer1", "field-person-ref"),  # another branch's person
    ({"person_ref": "P-9999"}, "carer1", "field-person-ref"),
    ({"person_ref": ""}, "manager", "field-branch"),  # two branches, no person, no branch
    ({"person_ref": "", "branch": "WEST"}, "manager", "field-branch"),
]


@pytest.mark.parametrize(
    ("changes", "who", "field_id"),
    INVALID,
    ids=[case[2] + f"-{n}" for n, case in enumerate(INVALID)],
)
def test_each_problem_re_renders_the_form_with_422_and_a_linked_summary(
    app: Flask, sign_in, changes, who, field_id
):
    fields = incident_form(**changes)
    response = sign_in(who).post_form("/incidents/new", fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_id in _summary_links(html)
    assert f'id="{field_id}"' in html
    assert "Error: " in html  # the page title says so too
    assert _count(app) == 0


def test_values_are_kept_after_an_error(sign_in):
    fields = incident_form(
        **{
            "thresholds__safeguarding": None,
            "category": "fall",
            "medication_error": None,
            "time_critical": None,
            "kind": "incident",
            "harm": "low",
            "location": "Back garden",
            "staff_injured": "true",
            "people_informed__0__who": "",
            "people_informed__0__at": "",
            "people_informed__1__who": "family",
            "people_informed__1__at": "2026-11-27T09:05",
            "people_informed__1__method": "in_person",
            "person_ref": "P-0003",
            "tz_offset": "0",
            "reported_at": (NOW - timedelta(minutes=1)).isoformat(),
        }
    )
    html = sign_in("carer1").post_form("/incidents/new", fields).get_data(as_text=True)
    assert f'name="entry_id" value="{fields["entry_id"]}"' in html
    assert f'name="reported_at" value="{fields["reported_at"]}"' in html
    assert 'name="tz_offset" value="0"' in html
    for name, value in (("category", "fall"), ("kind", "incident"), ("harm", "low")):
        assert re.search(rf'name="{name}" type="radio" value="{value}" checked', html), name
    assert re.search(r'name="staff_injured" type="checkbox" value="true" checked', html)
    assert '<option value="P-0003" selected>' in html
    assert f'value="{fields["occurred_at"]}"' in html
    assert 'value="Back garden"' in html
    assert f">{fields['what_happened'].replace(chr(39), '&#39;')}</textarea>" in html
    assert f">{fields['immediate_actions'].replace(chr(39), '&#39;')}</textarea>" in html
    # The one row that was filled in is now the first, followed by two blank ones.
    assert re.search(
        r'name="people_informed.0.who">.*?<option value="family" selected>', html, re.S
    )
    assert 'value="2026-11-27T09:05"' in _input(html, "people_informed.0.at")
    assert re.search(
        r'name="people_informed.0.method">.*?<option value="in_person" selected>', html, re.S
    )
    assert len(re.findall(r'name="people_informed\.\d+\.who"', html)) == 3


def test_an_error_on_a_later_row_is_shown_on_the_row_it_is_about(sign_in):
    fields = incident_form(
        people_informed__0__who="",
        people_informed__0__at="",
        people_informed__1__who="gp",
        people_informed__1__at="",
    )
    html = sign_in("carer1").post_form("/incidents/new", fields).get_data(as_text=True)
    assert _summary_links(html) == ["field-people-informed-0-at"]
    assert re.search(r'name="people_informed.0.who">.*?<option value="gp" selected>', html, re.S)


@pytest.mark.parametrize("entry_id", [None, "", "not-a-uuid"])
def test_a_form_without_a_usable_id_gets_a_new_one(app: Flask, sign_in, entry_id):
    carer = sign_in("carer1")
    response = carer.post_form("/incidents/new", incident_form(entry_id=entry_id))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "given a new one" in html
    new_id = re.search(r'name="entry_id" value="([^"]+)"', html).group(1)
    assert str(uuid.UUID(new_id)) == new_id
    assert carer.post_form("/incidents/new", incident_form(entry_id=new_id)).status_code == 303
    assert _count(app) == 1


def test_a_phone_clock_that_is_ahead_is_taken_again_next_time(sign_in):
    ahead = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    html = (
        sign_in("carer1")
        .post_form("/incidents/new", incident_form(reported_at=ahead))
        .get_data(as_text=True)
    )
    assert "check the phone" in unescape(html)
    assert 'name="reported_at" value=""' in html


def test_with_htmx_an_error_swaps_just_the_form(sign_in):
    response = sign_in("carer1").post_form(
        "/incidents/new", incident_form(category=None), headers=HTMX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in html
    assert re.match(r'\s*<div id="incident-report"', html)
    assert "field-category" in _summary_links(html)


def test_every_summary_link_has_a_target(sign_in):
    """Everything missing at once: each message links to an element on the page."""
    fields = {"entry_id": str(uuid.uuid4())}
    html = sign_in("manager").post_form("/incidents/new", fields).get_data(as_text=True)
    links = _summary_links(html)
    assert len(links) >= 8
    for target in links:
        assert f'id="{target}"' in html, target


def test_a_person_outside_scope_saves_nothing_and_says_so(app: Flask, sign_in):
    html = (
        sign_in("carer3")
        .post_form("/incidents/new", incident_form(person_ref="P-0001"))
        .get_data(as_text=True)
    )
    assert "Choose one of the people you support" in unescape(html)
    assert _count(app) == 0


def test_a_manager_names_the_branch_when_no_person_is_involved(app: Flask, sign_in):
    fields = incident_form(person_ref="", branch="SOUTH")
    assert sign_in("manager").post_form("/incidents/new", fields).status_code == 303
    incident = _incident(app, fields["entry_id"])
    assert incident.person is None
    assert incident.branch.code == "SOUTH"


def test_a_carer_with_one_branch_needs_no_person(app: Flask, sign_in):
    fields = incident_form(person_ref="")
    assert sign_in("carer1").post_form("/incidents/new", fields).status_code == 303
    assert _incident(app, fields["entry_id"]).branch.code == "NORTH"


def test_medication_answers_left_on_another_category_are_not_saved(app: Flask, sign_in):
    fields = incident_form(category="fall")
    assert sign_in("carer1").post_form("/incidents/new", fields).status_code == 303
    incident = _incident(app, fields["entry_id"])
    assert (incident.medication_error, incident.time_critical) == (None, False)


# --- the confirmation page -------------------------------------------------------------------


def _sent(sign_in: Any, key: str = "carer1", **changes: Any) -> str:
    fields = incident_form(**changes)
    assert sign_in(key).post_form("/incidents/new", fields).status_code == 303
    return fields["entry_id"]


@pytest.mark.parametrize(("viewer", "status"), [("carer1", 200), ("carer2", 404), ("carer3", 404)])
def test_a_confirmation_is_only_for_those_who_may_see_the_record(sign_in, viewer, status):
    incident_id = _sent(sign_in)
    assert sign_in(viewer).get(f"/incidents/{incident_id}/sent").status_code == status


@pytest.mark.parametrize("incident_id", ["9b1f0e52-7c3d-4e8a-a6b4-2f5d8c9e1a37", "not-a-uuid"])
def test_an_unknown_confirmation_is_404(sign_in, incident_id):
    assert sign_in("carer1").get(f"/incidents/{incident_id}/sent").status_code == 404


def test_the_confirmation_urges_a_phone_call_when_someone_may_be_at_risk(sign_in):
    incident_id = _sent(sign_in, thresholds__safeguarding="yes")
    html = sign_in("carer1").get(f"/incidents/{incident_id}/sent").get_data(as_text=True)
    assert "call 999" in html


# --- the home page ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["carer1", "supervisor", "manager"])
def test_reporting_is_the_first_big_action_on_the_home_page(sign_in, key):
    html = sign_in(key).get("/").get_data(as_text=True)
    first = re.search(
        r'<div class="app-big-actions">\s*<a class="([^"]+)" href="([^"]+)">([^<]+)</a>', html
    )
    assert first, html
    assert first.groups() == ("nhsuk-button", "/incidents/new", "Report an incident or near miss")
    assert '<a href="/incidents/new">Report</a>' in html


def test_office_is_not_offered_reporting(sign_in):
    html = sign_in("office").get("/").get_data(as_text=True)
    assert "/incidents/new" not in html


def test_who_was_told_offers_the_safeguarding_team_not_a_concern(sign_in):
    html = sign_in("carer1").get("/incidents/new").get_data(as_text=True)
    assert '<option value="safeguarding">Safeguarding team or local authority</option>' in html
    assert '<option value="safeguarding">Safeguarding concern</option>' not in html
