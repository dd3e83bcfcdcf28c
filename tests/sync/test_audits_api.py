"""POST/GET /api/v1/audits and GET /api/v1/reference exactly as docs/api.md says."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from actions.models import Action
from audits import template_editor
from audits.demo import TEMPLATES
from audits.models import Audit, AuditAnswer
from core.models import TrailEvent
from extensions import db
from tests.conftest import Client
from tests.factories import audit_payload, iso

TWO_CRITICAL = ("right-dose", "time-critical-on-time")
MED = next(t for t in TEMPLATES if t["slug"] == "medication-spot-check")
WEIGHT = {i["key"]: i["weight"] for i in MED["items"]}
TOTAL = sum(WEIGHT.values())


def _counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(db.select(db.func.count(Audit.id))),
            db.session.scalar(db.select(db.func.count(Action.id))),
        )


def _post(client: Client, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = client.post_json("/api/v1/audits", body)
    return response.status_code, response.get_json()


def test_create_answers_201_with_id_score_and_raised_actions(app: Flask, sign_in, templates):
    body = audit_payload(templates["carer1"].id, fail=TWO_CRITICAL)
    status, answer = _post(sign_in("supervisor"), body)
    assert status == 201
    assert {"id", "score", "actions"} <= set(answer)
    assert answer["id"] == body["id"]
    failed = WEIGHT["right-dose"] + WEIGHT["time-critical-on-time"]
    assert answer["score"] == round(100 * (TOTAL - failed) / TOTAL, 1)
    assert answer["outcome"] == "not_met"
    assert len(answer["actions"]) == 2
    assert _counts(app) == (1, 2)


def test_actions_for_failed_critical_items_have_the_default_owner_and_due_date(
    app: Flask, sign_in, templates
):
    body = audit_payload(templates["carer1"].id, fail=TWO_CRITICAL)
    _, answer = _post(sign_in("supervisor"), body)
    with app.app_context():
        actions = db.session.scalars(db.select(Action).order_by(Action.id)).all()
        assert [a.id for a in actions] == answer["actions"]
        today = datetime.now(UTC).date()
        for action, key in zip(actions, TWO_CRITICAL, strict=True):
            assert action.source_type == "audit"
            assert action.source_id == body["id"]
            assert action.source_item == key
            assert action.owner_id == templates["manager"].id  # the branch's manager
            assert action.author_id == templates["supervisor"].id
            assert action.status == "open"
            assert action.requires_verification is True
            assert (action.due - today).days in (7, 8)  # 7 days, UK date vs UTC date
            assert action.branch.code == "NORTH"


def test_a_failed_item_that_is_not_critical_lowers_the_score_but_raises_no_action(
    app: Flask, sign_in, templates
):
    body = audit_payload(templates["carer1"].id, fail=("stock-matches",))
    status, answer = _post(sign_in("supervisor"), body)
    assert status == 201
    assert answer["score"] == round(100 * (TOTAL - WEIGHT["stock-matches"]) / TOTAL, 1)
    assert answer["outcome"] == "met"  # above the pass mark of 85, nothing critical failed
    assert answer["actions"] == []
    assert _counts(app) == (1, 0)


def test_all_na_is_saved_as_not_scored(sign_in, templates):
    keys = tuple(WEIGHT)
    status, answer = _post(sign_in("supervisor"), audit_payload(templates["carer1"].id, na=keys))
    assert status == 201
    assert answer["score"] is None
    assert answer["outcome"] == "not_scored"


def test_replay_with_the_same_content_is_200_with_the_same_answer(app: Flask, sign_in, templates):
    supervisor = sign_in("supervisor")
    body = audit_payload(templates["carer1"].id, fail=TWO_CRITICAL)
    first = _post(supervisor, body)
    again = _post(supervisor, body)
    assert again == (200, first[1])
    assert _counts(app) == (1, 2)  # no second audit, no second set of actions


def test_replay_treats_a_missing_note_and_an_empty_note_alike(app: Flask, sign_in, templates):
    supervisor = sign_in("supervisor")
    body = audit_payload(templates["carer1"].id)
    _post(supervisor, body)
    for row in body["answers"]:
        del row["note"]
    assert _post(supervisor, body)[0] == 200


def test_same_id_with_other_content_is_409_showing_the_stored_version(
    app: Flask, sign_in, templates
):
    supervisor = sign_in("supervisor")
    body = audit_payload(templates["carer1"].id)
    _post(supervisor, body)
    changed = audit_payload(templates["carer1"].id, fail=("stock-matches",), id=body["id"])
    status, answer = _post(supervisor, changed)
    assert status == 409
    assert answer["existing"]["id"] == body["id"]
    assert answer["existing"]["score"] == 100.0
    assert _counts(app) == (1, 0)


def test_same_id_from_another_author_is_409(sign_in, templates):
    body = audit_payload(templates["carer1"].id)
    assert _post(sign_in("supervisor"), body)[0] == 201
    assert _post(sign_in("manager"), body)[0] == 409


def test_signed_out_is_401(app: Flask, client: Client, templates):
    client.refresh_csrf()
    status, _ = _post(client, audit_payload(templates["carer1"].id))
    assert status == 401
    assert _counts(app) == (0, 0)


@pytest.mark.parametrize("role", ["carer1", "office"])
def test_carers_and_office_may_not_record_spot_checks_403(app: Flask, sign_in, templates, role):
    status, _ = _post(sign_in(role), audit_payload(templates["carer2"].id))
    assert status == 403
    assert _counts(app) == (0, 0)


def test_person_outside_scope_is_404(app: Flask, sign_in, templates):
    body = audit_payload(templates["carer1"].id, person_ref="P-0015")
    assert _post(sign_in("supervisor"), body)[0] == 404
    assert _counts(app) == (0, 0)


def test_api_write_without_csrf_header_is_refused(app: Flask, sign_in, templates):
    supervisor = sign_in("supervisor")
    response = supervisor.http.post("/api/v1/audits", json=audit_payload(templates["carer1"].id))
    assert response.status_code == 400
    assert _counts(app) == (0, 0)


def _answers_with(index: int, **changes) -> list[dict[str, Any]]:
    answers = audit_payload(1)["answers"]
    answers[index] = {**answers[index], **changes}
    return answers


NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"template": "no-such-template"}, "template"),
        ({"template_version": 2}, "template_version"),  # not published
        ({"template_version": "1"}, "template_version"),  # a string is not a number
        ({"template_version": 0}, "template_version"),
        ({"answers": _answers_with(0, item="not-in-this-version")}, "answers.0.item"),
        ({"answers": _answers_with(2, answer="no", note="")}, "answers.2.note"),  # critical
        ({"answers": _answers_with(2, answer="no", note=None)}, "answers.2.note"),
        ({"answers": _answers_with(6, answer="no", note="  ")}, "answers.6.note"),  # MAR chart
        ({"answers": _answers_with(1, answer="maybe")}, "answers.1.answer"),
        ({"answers": _answers_with(1, extra=True)}, "answers.1.extra"),
        ({"answers": audit_payload(1)["answers"][:-1]}, "answers"),  # one left unanswered
        (
            {"answers": [*audit_payload(1)["answers"], audit_payload(1)["answers"][0]]},
            "answers.10.item",
        ),
        ({"answers": []}, "answers"),
        ({"answers": None}, "answers"),
        ({"conducted_at": "this morning"}, "conducted_at"),
        ({"conducted_at": "2026-11-20T08:15:00"}, "conducted_at"),  # no offset
        ({"conducted_at": iso(NOW + timedelta(hours=2))}, "conducted_at"),
        ({"observed_user_id": None}, "observed_user_id"),
        ({"observed_user_id": "carer1"}, "observed_user_id"),
        ({"observed_user_id": 999999}, "observed_user_id"),
        ({"reaudit_of_action": 424242}, "reaudit_of_action"),
        ({"reaudit_of_action": 10**20}, "reaudit_of_action"),  # beyond any database id
        ({"observed_user_id": 10**20}, "observed_user_id"),
        ({"template_version": 10**20}, "template_version"),
        ({"observed_user_id": -1}, "observed_user_id"),
        ({"id": "not-a-uuid"}, "id"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_spot_checks_are_422_naming_the_field_and_write_nothing(
    app: Flask, sign_in, templates, changes, field
):
    body = {**audit_payload(templates["carer1"].id), **changes}
    status, answer = _post(sign_in("supervisor"), body)
    assert status == 422, answer
    assert field in answer["errors"], answer["errors"]
    assert all(isinstance(m, str) and m for m in answer["errors"][field])
    assert _counts(app) == (0, 0)


@pytest.mark.parametrize(
    ("observed", "message"),
    [("supervisor", "not yourself"), ("carer3", "from your team")],
)
def test_observed_must_be_a_colleague_in_scope_and_not_yourself(
    app: Flask, sign_in, templates, observed, message
):
    body = audit_payload(templates[observed].id)
    status, answer = _post(sign_in("supervisor"), body)
    assert status == 422
    assert message in answer["errors"]["observed_user_id"][0]


def test_a_critical_failure_without_its_note_says_which_item(sign_in, templates):
    answers = _answers_with(0, answer="no", note="")
    status, answer = _post(
        sign_in("supervisor"), audit_payload(templates["carer1"].id, answers=answers)
    )
    assert status == 422
    assert "Right person" in answer["errors"]["answers.0.note"][0]


def test_garbage_gets_a_4xx_with_a_reason(app: Flask, sign_in, templates):
    supervisor = sign_in("supervisor")
    response = supervisor.http.post(
        "/api/v1/audits",
        data=b'{"id": ',
        content_type="application/json",
        headers={"X-CSRFToken": supervisor.refresh_csrf()},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]
    assert _counts(app) == (0, 0)


def test_answers_are_stored_with_the_items_of_that_version(app: Flask, sign_in, templates):
    body = audit_payload(templates["carer1"].id, fail=("right-time",))
    _post(sign_in("supervisor"), body)
    with app.app_context():
        rows = db.session.scalars(
            db.select(AuditAnswer)
            .where(AuditAnswer.audit_id == body["id"])
            .order_by(AuditAnswer.position)
        ).all()
        assert [r.item_key for r in rows] == [a["item"] for a in body["answers"]]
        assert all(r.item.template.version == 1 for r in rows)
        assert next(r for r in rows if r.item_key == "right-time").note.startswith("Seen")


def test_creating_a_spot_check_is_in_the_audit_trail(app: Flask, sign_in, templates):
    body = audit_payload(templates["carer1"].id, fail=TWO_CRITICAL)
    _post(sign_in("supervisor"), body)
    with app.app_context():
        events = db.session.scalars(db.select(TrailEvent).order_by(TrailEvent.id)).all()
        kinds = [(e.action, e.record_type) for e in events]
        assert ("create", "audit") in kinds
        assert kinds.count(("create", "action")) == 2
        assert all(e.actor_id == templates["supervisor"].id for e in events)


def test_twenty_concurrent_sends_of_one_spot_check_make_one_row(app: Flask, sign_in, templates):
    body = audit_payload(templates["carer1"].id, fail=TWO_CRITICAL)
    clients = [sign_in("supervisor") for _ in range(20)]
    for c in clients:
        c.refresh_csrf()
    statuses: list[int] = []
    barrier = threading.Barrier(20)

    def send(c: Client) -> None:
        barrier.wait()
        statuses.append(c.post_json("/api/v1/audits", body).status_code)

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 19 + [201]
    assert _counts(app) == (1, 2)


# --- re-audits ----------------------------------------------------------------------


def test_a_reaudit_is_linked_to_the_action_it_checks(app: Flask, sign_in, templates):
    supervisor = sign_in("supervisor")
    _, first = _post(supervisor, audit_payload(templates["carer1"].id, fail=TWO_CRITICAL))
    action_id = first["actions"][0]
    body = audit_payload(templates["carer1"].id, reaudit_of_action=action_id)
    assert _post(supervisor, body)[0] == 201
    record = supervisor.get(f"/api/v1/audits/{body['id']}").get_json()
    assert record["reaudit_of_action"] == action_id
    assert record["outcome"] == "met"


def test_a_reaudit_of_an_action_in_another_branch_is_422(app: Flask, sign_in, templates):
    manager = sign_in("manager")
    _, first = _post(
        manager, audit_payload(templates["carer3"].id, person_ref="P-0011", fail=TWO_CRITICAL)
    )
    body = audit_payload(templates["carer1"].id, reaudit_of_action=first["actions"][0])
    status, answer = _post(sign_in("supervisor"), body)
    assert status == 422
    assert "reaudit_of_action" in answer["errors"]


# --- reading -------------------------------------------------------------------------


def _make(sign_in, templates, author="supervisor", observed="carer1", **changes) -> str:
    body = audit_payload(templates[observed].id, **changes)
    status, answer = _post(sign_in(author), body)
    assert status == 201, answer
    return body["id"]


@pytest.mark.parametrize(
    ("viewer", "observed", "person", "visible"),
    [
        ("carer1", "carer1", "P-0001", True),  # their own practice
        ("carer2", "carer1", "P-0001", False),
        ("supervisor", "carer1", "P-0001", True),
        ("supervisor", "carer3", "P-0011", False),  # other branch
        ("manager", "carer3", "P-0011", True),
        ("office", "carer1", "P-0001", True),
    ],
)
def test_scope_of_get(sign_in, templates, viewer, observed, person, visible):
    audit_id = _make(sign_in, templates, author="manager", observed=observed, person_ref=person)
    response = sign_in(viewer).get(f"/api/v1/audits/{audit_id}")
    assert response.status_code == (200 if visible else 404)
    listed = [a["id"] for a in sign_in(viewer).get("/api/v1/audits").get_json()["items"]]
    assert (audit_id in listed) is visible


def test_get_returns_the_record_with_answers_and_local_time(sign_in, templates):
    audit_id = _make(
        sign_in, templates, conducted_at="2026-07-01T09:15:00+01:00", fail=("right-dose",)
    )
    record = sign_in("supervisor").get(f"/api/v1/audits/{audit_id}").get_json()
    assert record["conducted_at"] == "2026-07-01T09:15:00+01:00"
    assert record["template"] == "medication-spot-check"
    assert record["template_version"] == 1
    assert record["person_ref"] == "P-0001"
    assert record["branch"] == "NORTH"
    failed = [a for a in record["answers"] if a["answer"] == "no"]
    assert [(a["item"], a["critical"]) for a in failed] == [("right-dose", True)]
    assert len(record["actions"]) == 1


def test_unknown_or_malformed_ids_are_404(sign_in, templates):
    manager = sign_in("manager")
    assert manager.get(f"/api/v1/audits/{uuid.uuid4()}").status_code == 404
    assert manager.get("/api/v1/audits/not-a-uuid").status_code == 404


def test_list_is_newest_first_with_a_cursor(sign_in, templates):
    ids = [_make(sign_in, templates) for _ in range(5)]
    supervisor = sign_in("supervisor")
    first = supervisor.get("/api/v1/audits?limit=2").get_json()
    second = supervisor.get(f"/api/v1/audits?limit=2&cursor={first['next']}").get_json()
    third = supervisor.get(f"/api/v1/audits?limit=2&cursor={second['next']}").get_json()
    got = [i["id"] for page in (first, second, third) for i in page["items"]]
    assert got == list(reversed(ids))
    assert third["next"] is None


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=x", "limit=%C2%B2", "limit=1e2", "cursor=%%%"]
)
def test_bad_list_parameters_are_422(sign_in, templates, query):
    assert sign_in("supervisor").get(f"/api/v1/audits?{query}").status_code == 422


def test_list_signed_out_is_401(client: Client, templates):
    assert client.get("/api/v1/audits").status_code == 401
    assert client.get(f"/api/v1/audits/{uuid.uuid4()}").status_code == 401


# --- reference data ------------------------------------------------------------------


def test_reference_has_categories_people_staff_and_templates_in_scope(sign_in, templates):
    response = sign_in("carer1").get("/api/v1/reference")
    assert response.status_code == 200
    body = response.get_json()
    assert {"categories", "people", "staff", "audit_templates"} <= set(body)
    assert {"value": "medication", "label": "Medication"} in body["categories"]
    assert {"value": "omission", "label": "Dose missed"} in body["medication_errors"]
    assert {p["ref"] for p in body["people"]} == {f"P-{n:04d}" for n in range(1, 11)}
    assert body["people"][0] == {"ref": "P-0001", "initials": "AB", "branch": "NORTH"}
    names = {s["name"] for s in body["staff"]}
    assert "Chloe Carer" not in names  # SOUTH only
    assert {"id", "name", "role", "branches"} == set(body["staff"][0])
    slugs = {t["slug"] for t in body["audit_templates"]}
    assert {
        "medication-spot-check",
        "field-observation",
        "handover-quality",
        "falls-environment",
    } == slugs
    med = next(t for t in body["audit_templates"] if t["slug"] == "medication-spot-check")
    assert med["version"] == 1
    assert {"key", "text", "critical"} <= set(med["items"][0])
    assert sum(i["critical"] for i in med["items"]) >= 2
    assert any(not i["critical"] for i in med["items"])


def test_reference_answers_304_when_nothing_changed(sign_in, templates):
    manager = sign_in("manager")
    first = manager.get("/api/v1/reference")
    etag = first.headers["ETag"]
    again = manager.get("/api/v1/reference", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    other = manager.get("/api/v1/reference", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


def test_reference_etag_changes_when_a_template_version_is_published(
    app: Flask, sign_in, templates, seeded
):
    from core.models import User

    manager = sign_in("manager")
    etag = manager.get("/api/v1/reference").headers["ETag"]
    with app.app_context():
        user = db.session.get_one(User, seeded["manager"].id)
        draft = template_editor.start_draft(user, "medication-spot-check")
        template_editor.add_item(user, draft, {"text": "Gloves worn for creams and patches"})
        template_editor.publish(user, draft)
    response = manager.get("/api/v1/reference", headers={"If-None-Match": etag})
    assert response.status_code == 200
    med = next(
        t for t in response.get_json()["audit_templates"] if t["slug"] == "medication-spot-check"
    )
    assert med["version"] == 2


def test_reference_signed_out_is_401(client: Client, templates):
    assert client.get("/api/v1/reference").status_code == 401
