"""The spot-check pages: the form (and its convention shared with the offline
outbox), results, the carer's acknowledgement, raising and verifying actions."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from actions.models import Action
from audits.models import Audit
from audits.schemas import audit_form_to_json
from core.dates import UK
from core.models import TrailEvent
from extensions import db
from tests.factories import audit_payload

SLUG = "medication-spot-check"
TWO_CRITICAL = ("right-dose", "time-critical-on-time")


def form_data(body: dict[str, Any], tz_offset: str | None = None) -> dict[str, str]:
    """What the browser posts for a payload, field by field as the form names them."""
    local = datetime.fromisoformat(body["conducted_at"]).astimezone(UK)
    data = {
        "entry_id": body["id"],
        "template": body["template"],
        "template_version": str(body["template_version"]),
        "conducted_at": local.strftime("%Y-%m-%dT%H:%M"),
        "observed_user_id": str(body["observed_user_id"]),
        "person_ref": body["person_ref"] or "",
        "reaudit_of_action": str(body["reaudit_of_action"] or ""),
        "feedback": body.get("feedback", ""),
    }
    if tz_offset is not None:
        data["tz_offset"] = tz_offset
    for n, row in enumerate(body["answers"]):
        data[f"answers.{n}.item"] = row["item"]
        if row.get("answer"):
            data[f"answers.{n}.answer"] = row["answer"]
        data[f"answers.{n}.note"] = row.get("note") or ""
    return data


def _audit_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Audit.id)))


def _post_form(client, body: dict[str, Any], **kwargs) -> Any:
    return client.post_form("/audits", form_data(body, **kwargs))


# --- choosing and the form ------------------------------------------------------------


def test_choose_a_template_first(sign_in, templates):
    page = sign_in("supervisor").get("/audits/new")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('class="app-choice"') == 4
    assert f'href="/audits/new/{SLUG}"' in html


def test_the_form_follows_the_offline_form_convention(sign_in, templates):
    html = sign_in("supervisor").get(f"/audits/new/{SLUG}").get_data(as_text=True)
    form = re.search(r"<form[^>]*data-offline-form=\"audit\"[^>]*>", html, re.S).group(0)
    assert 'method="post"' in form
    assert 'action="/audits"' in form
    assert 'data-api-url="/api/v1/audits"' in form
    assert "novalidate" in form
    entry_id = re.search(r'name="entry_id" value="([^"]+)"', html).group(1)
    uuid.UUID(entry_id)
    assert 'name="id"' not in html
    for name in ("tz_offset", "template", "template_version", "reaudit_of_action"):
        assert re.search(rf'type="hidden" name="{name}"', html), name
    assert re.search(r'name="conducted_at" type="datetime-local"', html)
    assert 'name="observed_user_id"' in html
    assert 'name="person_ref"' in html
    assert 'type="hidden" name="answers.0.item" value="right-person"' in html
    for value in ("yes", "no", "na"):
        assert f'name="answers.0.answer" value="{value}"' in html
    assert 'name="answers.9.note"' in html
    assert html.count("<details") >= 10  # guidance on tap
    assert 'src="/static/js/audit-form.js' in html


def test_each_load_of_the_form_has_a_new_entry_id(sign_in, templates):
    supervisor = sign_in("supervisor")
    ids = {
        re.search(
            r'name="entry_id" value="([^"]+)"',
            supervisor.get(f"/audits/new/{SLUG}").get_data(as_text=True),
        ).group(1)
        for _ in range(2)
    }
    assert len(ids) == 2


@pytest.mark.parametrize("key", ["carer1", "office"])
def test_carers_and_office_cannot_start_spot_checks(sign_in, templates, key):
    client = sign_in(key)
    assert client.get("/audits/new").status_code == 403
    assert client.post_form("/audits", {}).status_code == 403


def test_a_template_named_in_the_query_redirects_to_its_page(sign_in, templates):
    response = sign_in("supervisor").get(f"/audits/new?template={SLUG}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/audits/new/{SLUG}")


def test_the_blank_form_does_not_depend_on_the_query_string(sign_in, templates):
    """The phone keeps this page by its path (ignoring the query): nothing from
    one visit's query may end up in the copy used offline."""
    html = (
        sign_in("supervisor")
        .get(f"/audits/new/{SLUG}?reaudit_of_action=5&observed_user_id=1&person_ref=P-0001")
        .get_data(as_text=True)
    )
    assert 'name="reaudit_of_action" value=""' in html
    assert "selected" not in re.search(
        r'<select[^>]*name="observed_user_id".*?</select>', html, re.S
    ).group(0)
    assert 'data-default-now="true"' in html  # the phone puts its own "now" in


def test_an_unknown_template_is_404(sign_in, templates):
    assert sign_in("supervisor").get("/audits/new/nope").status_code == 404


def test_the_colleague_list_is_the_supervisors_team(sign_in, templates):
    html = sign_in("supervisor").get(f"/audits/new/{SLUG}").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="observed_user_id".*?</select>', html, re.S).group(0)
    assert "Amina Carer" in select
    assert "Chloe Carer" not in select  # SOUTH
    assert "Sam Supervisor" not in select  # not themselves


# --- saving from the page ---------------------------------------------------------------


def test_completing_the_form_saves_scores_and_raises_actions(app: Flask, sign_in, templates):
    body = audit_payload(templates["carer1"].id, fail=TWO_CRITICAL)
    supervisor = sign_in("supervisor")
    response = _post_form(supervisor, body)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/audits/{body['id']}")
    with app.app_context():
        audit = db.session.get_one(Audit, body["id"])
        assert audit.outcome == "not_met"
        assert len(audit.critical_actions) == 2
    page = supervisor.get(f"/audits/{body['id']}").get_data(as_text=True)
    assert "2 actions raised" in page
    assert f"{audit.score:g}%" in page
    assert page.count('class="app-action"') == 2


def test_the_form_and_the_api_send_exactly_the_same_spot_check(app: Flask, sign_in, templates):
    """One function turns the form into the API's JSON: a form post followed by
    the outbox replaying the same entry is a replay, not a conflict."""
    body = audit_payload(templates["carer1"].id, fail=("right-dose",), feedback="Well done.")
    supervisor = sign_in("supervisor")
    fields = form_data(body, tz_offset="0")
    assert supervisor.post_form("/audits", fields).status_code == 303
    as_json = audit_form_to_json(MultiDict(fields))
    replay = supervisor.post_json("/api/v1/audits", as_json)
    assert replay.status_code == 200, replay.get_json()
    assert _audit_count(app) == 1


def test_submitting_the_form_twice_saves_it_once(app: Flask, sign_in, templates):
    body = audit_payload(templates["carer1"].id, fail=TWO_CRITICAL)
    supervisor = sign_in("supervisor")
    first = _post_form(supervisor, body)
    second = _post_form(supervisor, body)
    assert first.headers["Location"] == second.headers["Location"]
    assert _audit_count(app) == 1
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Action.id))) == 2


def test_a_critical_failure_without_a_note_rerenders_the_form_with_values_kept(
    app: Flask, sign_in, templates
):
    body = audit_payload(
        templates["carer1"].id,
        fail=("right-dose", "stock-matches"),
        notes={"right-dose": "", "stock-matches": "Two tablets over."},
    )
    response = _post_form(sign_in("supervisor"), body)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#field-answers-2-note"' in html  # the summary links to the note
    assert "needs a note when it is not met" in html
    assert re.search(r'name="answers.2.answer" value="no"\s+checked', html)
    assert "Two tablets over." in html
    assert f'value="{body["id"]}"' in html  # the same entry id, so a retry is a replay
    assert "data-default-now" not in html  # the time as typed stays
    assert _audit_count(app) == 0


def test_an_unanswered_question_is_named(app: Flask, sign_in, templates):
    body = audit_payload(templates["carer1"].id)
    del body["answers"][4]["answer"]
    response = _post_form(sign_in("supervisor"), body)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#field-answers-4-answer"' in html
    assert 'id="field-answers-4-answer"' in html
    assert _audit_count(app) == 0


def test_no_colleague_chosen_is_named(app: Flask, sign_in, templates):
    body = audit_payload(templates["carer1"].id)
    fields = form_data(body)
    fields["observed_user_id"] = ""
    response = sign_in("supervisor").post_form("/audits", fields)
    assert response.status_code == 422
    assert 'href="#field-observed-user-id"' in response.get_data(as_text=True)


def test_a_person_outside_scope_on_the_form_is_a_field_error(app: Flask, sign_in, templates):
    body = audit_payload(templates["carer1"].id, person_ref="P-0015")
    response = _post_form(sign_in("supervisor"), body)
    assert response.status_code == 422
    assert 'href="#field-person-ref"' in response.get_data(as_text=True)


def test_the_form_without_csrf_is_refused(app: Flask, sign_in, templates):
    body = audit_payload(templates["carer1"].id)
    supervisor = sign_in("supervisor")
    response = supervisor.http.post("/audits", data=form_data(body))
    assert response.status_code == 400
    assert _audit_count(app) == 0


@pytest.mark.parametrize(
    ("local", "offset", "expected"),
    [
        ("2026-07-01T09:15", "60", "2026-07-01T09:15:00+01:00"),
        ("2026-07-01T09:15", "-300", "2026-07-01T09:15:00-05:00"),
        ("2026-07-01T09:15", None, "2026-07-01T09:15:00+01:00"),  # BST
        ("2026-01-10T09:15", None, "2026-01-10T09:15:00+00:00"),  # GMT
        ("2026-01-10T09:15", "junk", "2026-01-10T09:15:00+00:00"),
        ("2026-01-10T09:15", "9999", "2026-01-10T09:15:00+00:00"),  # not a real offset
        ("yesterday", "0", "yesterday"),  # left for the schema to refuse
    ],
)
def test_datetime_local_and_the_device_offset(local, offset, expected):
    fields = MultiDict({"conducted_at": local, "answers.0.item": "right-person"})
    if offset is not None:
        fields["tz_offset"] = offset
    assert audit_form_to_json(fields)["conducted_at"] == expected


def test_the_device_time_zone_is_kept(app: Flask, sign_in, templates):
    body = audit_payload(templates["carer1"].id)
    fields = form_data(body)
    fields["conducted_at"] = "2026-07-01T09:15"
    fields["tz_offset"] = "120"
    assert sign_in("supervisor").post_form("/audits", fields).status_code == 303
    with app.app_context():
        audit = db.session.get_one(Audit, body["id"])
        assert audit.conducted_offset == 120
        assert audit.conducted_local.isoformat() == "2026-07-01T09:15:00+02:00"


# --- results ----------------------------------------------------------------------------


def _make(sign_in, templates, author="supervisor", observed="carer1", **changes) -> str:
    body = audit_payload(templates[observed].id, **changes)
    response = sign_in(author).post_json("/api/v1/audits", body)
    assert response.status_code == 201, response.get_json()
    return body["id"]


def _result_ids(html: str) -> list[str]:
    return re.findall(r'href="/audits/([0-9a-f-]{36})"', html)


def test_the_list_filters_by_outcome_template_colleague_and_date(sign_in, templates):
    failed = _make(sign_in, templates, fail=TWO_CRITICAL)
    passed = _make(sign_in, templates, observed="carer2")
    handover = _make(sign_in, templates, template="handover-quality", person_ref=None)
    old = _make(
        sign_in,
        templates,
        conducted_at=(datetime.now(UK) - timedelta(days=40)).isoformat(timespec="seconds"),
    )
    supervisor = sign_in("supervisor")
    everything = _result_ids(supervisor.get("/audits").get_data(as_text=True))
    assert set(everything) == {failed, passed, handover, old}

    def ids(query: str) -> set[str]:
        return set(_result_ids(supervisor.get(f"/audits?{query}").get_data(as_text=True)))

    assert ids("outcome=not_met") == {failed}
    assert ids("template=handover-quality") == {handover}
    assert ids(f"observed={templates['carer2'].id}") == {passed}
    since = (datetime.now(UK) - timedelta(days=7)).date().isoformat()
    assert ids(f"from={since}") == {failed, passed, handover}
    assert ids("from=rubbish&outcome=nonsense") == set(everything)  # ignored, not an error


@pytest.mark.parametrize(
    "query",
    [
        "observed=99999999999999999999",
        "page=99999999999999999999",
        "observed=%C2%B2",
        "page=-1",
        # Issue 12, finding 6: a year no spot check can have was an overflow (500).
        "to=9999-12-31",
        "from=0001-01-01",
    ],
)
def test_odd_list_parameters_are_ignored(sign_in, templates, query):
    assert sign_in("supervisor").get(f"/audits?{query}").status_code == 200


def test_odd_numbers_in_the_form_are_named_not_a_crash(app: Flask, sign_in, templates):
    body = audit_payload(templates["carer1"].id)
    fields = form_data(body)
    fields.update(
        observed_user_id="99999999999999999999", template_version="²", reaudit_of_action="1²"
    )
    response = sign_in("supervisor").post_form("/audits", fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("observed-user-id", "template-version", "reaudit-of-action"):
        assert f'href="#field-{field}"' in html
    assert _audit_count(app) == 0


def test_a_carer_sees_only_spot_checks_of_their_own_practice(sign_in, templates):
    mine = _make(sign_in, templates, observed="carer1")
    _make(sign_in, templates, observed="carer2")
    assert _result_ids(sign_in("carer1").get("/audits").get_data(as_text=True)) == [mine]


@pytest.mark.parametrize(
    ("viewer", "status"),
    [("carer1", 200), ("carer2", 404), ("supervisor", 200), ("carer3", 404), ("office", 200)],
)
def test_detail_page_scope(sign_in, templates, viewer, status):
    audit_id = _make(sign_in, templates)
    assert sign_in(viewer).get(f"/audits/{audit_id}").status_code == status


def test_unknown_detail_is_404(sign_in, templates):
    assert sign_in("manager").get(f"/audits/{uuid.uuid4()}").status_code == 404


def test_the_carer_observed_acknowledges_the_feedback(app: Flask, sign_in, templates):
    audit_id = _make(sign_in, templates, fail=("stock-matches",), feedback="Count the stock first.")
    carer = sign_in("carer1")
    home = carer.get("/").get_data(as_text=True)
    assert "Spot-check feedback for you" in home
    page = carer.get(f"/audits/{audit_id}").get_data(as_text=True)
    assert "Count the stock first." in page
    assert "I have read this feedback" in page
    assert carer.post_form(f"/audits/{audit_id}/acknowledge").status_code == 303
    with app.app_context():
        assert db.session.get_one(Audit, audit_id).acknowledged_at is not None
        events = db.session.scalars(
            db.select(TrailEvent).where(TrailEvent.action == "acknowledge")
        ).all()
        assert [e.actor_id for e in events] == [templates["carer1"].id]
    assert "Spot-check feedback for you" not in carer.get("/").get_data(as_text=True)


def test_only_the_carer_observed_can_acknowledge(app: Flask, sign_in, templates):
    audit_id = _make(sign_in, templates)
    assert sign_in("carer2").post_form(f"/audits/{audit_id}/acknowledge").status_code == 404
    assert sign_in("supervisor").post_form(f"/audits/{audit_id}/acknowledge").status_code == 403
    with app.app_context():
        assert db.session.get_one(Audit, audit_id).acknowledged_at is None


# --- actions for items that are not critical ------------------------------------------------


def _actions(app: Flask) -> list[tuple[str | None, str]]:
    with app.app_context():
        return [
            (a.source_item, a.source_id)
            for a in db.session.scalars(db.select(Action).order_by(Action.id))
        ]


def test_a_supervisor_may_raise_an_action_for_a_failed_item_that_is_not_critical(
    app: Flask, sign_in, templates
):
    audit_id = _make(sign_in, templates, fail=("stock-matches",))
    supervisor = sign_in("supervisor")
    assert "Raise an action for this" in supervisor.get(f"/audits/{audit_id}").get_data(
        as_text=True
    )
    response = supervisor.post_form(f"/audits/{audit_id}/actions", {"item": "stock-matches"})
    assert response.status_code == 303
    assert _actions(app) == [("stock-matches", audit_id)]
    supervisor.post_form(f"/audits/{audit_id}/actions", {"item": "stock-matches"})
    assert len(_actions(app)) == 1  # not twice
    record = supervisor.get(f"/api/v1/audits/{audit_id}").get_json()
    assert record["actions"] == []  # the contract's list: failed critical items only
    assert len(record["other_actions"]) == 1


def test_no_action_for_an_item_that_was_met(app: Flask, sign_in, templates):
    audit_id = _make(sign_in, templates)
    sign_in("supervisor").post_form(f"/audits/{audit_id}/actions", {"item": "stock-matches"})
    assert _actions(app) == []


def test_carers_cannot_raise_actions_from_spot_checks(app: Flask, sign_in, templates):
    audit_id = _make(sign_in, templates, fail=("stock-matches",))
    response = sign_in("carer1").post_form(f"/audits/{audit_id}/actions", {"item": "stock-matches"})
    assert response.status_code == 403
    assert _actions(app) == []


# --- re-audits verify actions ----------------------------------------------------------------


def _reaudit(sign_in, templates) -> tuple[int, str]:
    first = _make(sign_in, templates, fail=TWO_CRITICAL)
    supervisor = sign_in("supervisor")
    action_id = supervisor.get(f"/api/v1/audits/{first}").get_json()["actions"][0]
    again = _make(sign_in, templates, reaudit_of_action=action_id)
    return action_id, again


def test_reaudit_this_fills_in_the_action_colleague_and_person(sign_in, templates):
    first = _make(sign_in, templates, observed="carer2", person_ref="P-0003", fail=TWO_CRITICAL)
    supervisor = sign_in("supervisor")
    action_id = supervisor.get(f"/api/v1/audits/{first}").get_json()["actions"][0]
    html = supervisor.get(f"/audits/reaudit/{action_id}").get_data(as_text=True)
    assert f'name="reaudit_of_action" value="{action_id}"' in html
    assert re.search(rf'<option value="{templates["carer2"].id}"\s+selected', html)
    assert re.search(r'<option value="P-0003"\s+selected', html)
    assert 'data-testid="reaudit-of"' in html
    assert f'name="template" value="{SLUG}"' in html


def test_reaudit_of_an_action_out_of_scope_is_404(sign_in, templates):
    first = _make(
        sign_in,
        templates,
        author="manager",
        observed="carer3",
        person_ref="P-0011",
        fail=TWO_CRITICAL,
    )
    action_id = sign_in("manager").get(f"/api/v1/audits/{first}").get_json()["actions"][0]
    assert sign_in("supervisor").get(f"/audits/reaudit/{action_id}").status_code == 404
    assert sign_in("supervisor").get(f"/audits/reaudit/{action_id}/{SLUG}").status_code == 404


def test_an_action_from_elsewhere_is_re_audited_with_a_chosen_template(
    app: Flask, sign_in, templates
):
    from datetime import date

    with app.app_context():
        action = Action(
            title="Handover checklist used at every change of carer",
            due=date.today(),
            branch_id=1,
            owner_id=templates["manager"].id,
            author_id=templates["manager"].id,
            source_type="incident",
            source_id=str(uuid.uuid4()),
        )
        db.session.add(action)
        db.session.commit()
        action_id = action.id
    supervisor = sign_in("supervisor")
    choose = supervisor.get(f"/audits/reaudit/{action_id}").get_data(as_text=True)
    assert f'href="/audits/reaudit/{action_id}/handover-quality"' in choose
    html = supervisor.get(f"/audits/reaudit/{action_id}/handover-quality").get_data(as_text=True)
    assert f'name="reaudit_of_action" value="{action_id}"' in html
    assert 'name="template" value="handover-quality"' in html


def test_the_reaudit_shows_the_action_and_its_item_this_time(sign_in, templates):
    action_id, reaudit = _reaudit(sign_in, templates)
    page = sign_in("manager").get(f"/audits/{reaudit}").get_data(as_text=True)
    assert f"Re-audit of action {action_id}" in page
    assert "Not met: Right dose" in page
    assert "Did the change work?" in page
    assert "This time:" in page


def test_the_original_spot_check_links_to_its_reaudit(sign_in, templates):
    first = _make(sign_in, templates, fail=TWO_CRITICAL)
    supervisor = sign_in("supervisor")
    action_id = supervisor.get(f"/api/v1/audits/{first}").get_json()["actions"][0]
    page = supervisor.get(f"/audits/{first}").get_data(as_text=True)
    assert f'href="/audits/reaudit/{action_id}"' in page  # "Re-audit this"
    reaudit = _make(sign_in, templates, reaudit_of_action=action_id)
    page = supervisor.get(f"/audits/{first}").get_data(as_text=True)
    assert f'href="/audits/{reaudit}"' in page


@pytest.mark.parametrize(
    ("choice", "status"), [("yes", "verified_effective"), ("no", "not_effective")]
)
def test_a_manager_marks_the_action_verified_or_not(app: Flask, sign_in, templates, choice, status):
    action_id, reaudit = _reaudit(sign_in, templates)
    response = sign_in("manager").post_form(
        f"/audits/{reaudit}/verification", {"effective": choice, "note": "Checked at two calls."}
    )
    assert response.status_code == 303
    with app.app_context():
        action = db.session.get_one(Action, action_id)
        assert action.status == status
        assert action.verified_by_id == templates["manager"].id
        assert action.verified_at is not None
        assert "Re-audit on" in action.verification_note
        assert "Checked at two calls." in action.verification_note
        event = db.session.scalar(db.select(TrailEvent).where(TrailEvent.action == "verify"))
        assert event.record_id == str(action_id)
        assert event.detail["reaudit"] == reaudit


def test_only_managers_verify(app: Flask, sign_in, templates):
    action_id, reaudit = _reaudit(sign_in, templates)
    response = sign_in("supervisor").post_form(
        f"/audits/{reaudit}/verification", {"effective": "yes"}
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get_one(Action, action_id).status == "open"


def test_verifying_needs_a_choice_and_a_reaudit(app: Flask, sign_in, templates):
    action_id, reaudit = _reaudit(sign_in, templates)
    manager = sign_in("manager")
    manager.post_form(f"/audits/{reaudit}/verification", {"effective": "maybe"})
    plain = _make(sign_in, templates)
    manager.post_form(f"/audits/{plain}/verification", {"effective": "yes"})
    with app.app_context():
        assert db.session.get_one(Action, action_id).status == "open"


# --- failure rates ------------------------------------------------------------------------


def test_failure_rates_per_item(sign_in, templates):
    _make(sign_in, templates, fail=("right-dose",))
    _make(sign_in, templates, na=("right-dose",))
    _make(sign_in, templates)
    html = sign_in("manager").get(f"/audits/failure-rates?template={SLUG}").get_data(as_text=True)
    row = re.search(r'data-testid="rate-right-dose".*?</tr>', html, re.S).group(0)
    month = datetime.now(UK).strftime("%Y-%m")
    assert month in html
    assert "1/2 (50%)" in row  # n/a left out
    row = re.search(r'data-testid="rate-right-person".*?</tr>', html, re.S).group(0)
    assert "0/3 (0%)" in row


def test_carers_do_not_see_failure_rates(sign_in, templates):
    assert sign_in("carer1").get("/audits/failure-rates").status_code == 403
