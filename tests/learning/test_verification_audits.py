"""Verification by re-audit: spot checks linked to an action (the audits
package's Audit.reaudit_of_action) are the sample that proves it worked. The
same rule holds on the action's page and on the re-audit's page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from actions import records
from actions.models import Action
from core.errors import Invalid
from extensions import db
from learning import verification
from tests.factories import audit_payload
from tests.learning.conftest import add_action, complete_review, make_incident

TWO_CRITICAL = ("right-dose", "time-critical-on-time")


def _user(key):
    from core.models import User

    return db.session.scalar(db.select(User).where(User.email == f"{key}@example.com"))


def _check(sign_in, templates, action_id: int, hours_ago: float, **changes) -> str:
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=hours_ago)
    body = audit_payload(
        templates["carer1"].id,
        reaudit_of_action=action_id,
        conducted_at=moment.isoformat(),
        **changes,
    )
    response = sign_in("supervisor").post_json("/api/v1/audits", body)
    assert response.status_code == 201, response.get_json()
    return body["id"]


def _review_action(app: Flask, sample_size: int) -> int:
    with app.app_context():
        incident = make_incident(_user("carer1"))
        review = complete_review(_user("manager"), [incident], "root_cause")
        action = add_action(
            _user("manager"),
            "review",
            str(review.id),
            title="Handover checklist for time-critical medicines",
            verification="sample",
            sample_size=sample_size,
            sample_template="medication-spot-check",
        )
        records.mark_done(_user("manager"), action, "Checklist in every folder.")
        action_id = action.id
        db.session.remove()
        return action_id


def _verify(app: Flask, action_id: int, outcome: str = "effective", note: str = "") -> Action:
    with app.app_context():
        action = db.session.get_one(Action, action_id)
        verification.verify_action(_user("manager"), action, outcome, note)
        db.session.refresh(action)
        db.session.expunge(action)
        return action


def test_linked_spot_checks_are_the_sample(app, sign_in, templates):
    action_id = _review_action(app, 2)
    first = _check(sign_in, templates, action_id, 48)
    _check(sign_in, templates, action_id, 24, fail=("right-dose",))
    with app.app_context():
        samples = verification.linked_samples(db.session.get_one(Action, action_id))
    assert samples[0].audit_id == first
    assert [s.passed for s in samples] == [True, False]
    assert samples[0].score == 100


def test_a_complete_passing_sample_verifies(app, sign_in, templates):
    action_id = _review_action(app, 2)
    _check(sign_in, templates, action_id, 48)
    _check(sign_in, templates, action_id, 24)
    assert _verify(app, action_id).status == "verified_effective"


def test_an_incomplete_sample_is_refused(app, sign_in, templates):
    action_id = _review_action(app, 2)
    _check(sign_in, templates, action_id, 24)
    with pytest.raises(Invalid) as caught:
        _verify(app, action_id)
    assert caught.value.errors["outcome"] == [
        "It needs 2 re-audits or spot checks linked to this action; 1 so far."
    ]


def test_a_failed_check_in_the_latest_sample_is_refused(app, sign_in, templates):
    action_id = _review_action(app, 2)
    _check(sign_in, templates, action_id, 48)
    _check(sign_in, templates, action_id, 24, fail=("right-dose",))
    with pytest.raises(Invalid) as caught:
        _verify(app, action_id)
    assert "1 of the latest 2 checks did not pass" in caught.value.errors["outcome"][0]
    assert (
        _verify(app, action_id, "not_effective", "Records still incomplete.").status
        == "not_effective"
    )


def test_passing_checks_after_a_failed_one_verify(app, sign_in, templates):
    action_id = _review_action(app, 2)
    _check(sign_in, templates, action_id, 72, fail=("right-dose",))
    _check(sign_in, templates, action_id, 48)
    _check(sign_in, templates, action_id, 24)
    assert _verify(app, action_id).status == "verified_effective"


# --- actions raised by a failed critical item, verified from the re-audit's page ------------


def _audit_action(sign_in, templates) -> int:
    first = audit_payload(templates["carer1"].id, fail=TWO_CRITICAL)
    supervisor = sign_in("supervisor")
    assert supervisor.post_json("/api/v1/audits", first).status_code == 201
    return supervisor.get(f"/api/v1/audits/{first['id']}").get_json()["actions"][0]


def test_a_reaudit_still_failing_the_item_cannot_verify_it_effective(app, sign_in, templates):
    action_id = _audit_action(sign_in, templates)
    with app.app_context():
        item = db.session.get_one(Action, action_id).source_item
    reaudit = _check(sign_in, templates, action_id, 1, fail=(item,))
    manager = sign_in("manager")
    response = manager.post_form(f"/audits/{reaudit}/verification", {"effective": "yes"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get_one(Action, action_id).status == "open"
    page = manager.get(f"/audits/{reaudit}").get_data(as_text=True)
    assert "did not pass" in page


def test_a_reaudit_passing_the_item_verifies_it_even_if_another_item_failed(
    app, sign_in, templates
):
    action_id = _audit_action(sign_in, templates)
    with app.app_context():
        item = db.session.get_one(Action, action_id).source_item
    other = next(k for k in ("stock-matches", "storage-safe") if k != item)
    reaudit = _check(sign_in, templates, action_id, 1, fail=(other,))
    sign_in("manager").post_form(f"/audits/{reaudit}/verification", {"effective": "yes"})
    with app.app_context():
        assert db.session.get_one(Action, action_id).status == "verified_effective"


def test_the_action_page_lists_its_reaudits(app, sign_in, templates):
    action_id = _review_action(app, 3)
    reaudit = _check(sign_in, templates, action_id, 2)
    html = sign_in("manager").get(f"/actions/{action_id}").get_data(as_text=True)
    assert "1 of 3 done; 1 passed." in html
    assert f'href="/audits/{reaudit}"' in html
    assert f'href="/audits/reaudit/{action_id}/medication-spot-check"' in html


def test_the_action_page_names_the_sample_template_by_its_title(app, sign_in, templates):
    action_id = _review_action(app, 2)
    page = sign_in("manager").get(f"/actions/{action_id}").get_data(as_text=True)
    assert "(using the Medication spot check template)" in page
    assert "medication-spot-check template" not in page
