"""Closing an incident needs its review (or a recorded reason why none is
needed) and its actions done or carried into a review."""

from __future__ import annotations

import pytest

from actions import records
from core.errors import Invalid, NotAllowed
from core.models import TrailEvent
from extensions import db
from incidents.models import Status
from learning import closing, reviews
from tests.learning.conftest import add_action, complete_review

FEEDBACK = "Thank you: doses are now read back at every handover."


def test_an_unreviewed_incident_cannot_be_closed(staff, report):
    incident = report()
    with pytest.raises(Invalid) as caught:
        closing.close_incident(staff["manager"], incident, feedback=FEEDBACK)
    assert caught.value.errors == {
        "no_review_reason": ["Complete a learning review first, or record why no review is needed."]
    }
    assert incident.status == Status.SUBMITTED.value


def test_closing_needs_feedback_for_the_reporter(staff, report):
    incident = report()
    with pytest.raises(Invalid) as caught:
        closing.close_incident(staff["manager"], incident, "A duplicate report.")
    assert caught.value.errors == {
        "feedback": [
            "Before closing, write what was learned and what will change: the reporter reads this."
        ]
    }


def test_closing_writes_the_feedback_to_the_reporter(staff, report):
    incident = report()
    closing.close_incident(staff["manager"], incident, "A duplicate report.", FEEDBACK)
    assert incident.feedback == FEEDBACK
    assert incident.feedback_at is not None
    event = db.session.scalar(
        db.select(TrailEvent).where(
            TrailEvent.record_id == incident.id, TrailEvent.action == "feedback"
        )
    )
    assert event.detail["changes"]["feedback"] == [None, FEEDBACK]


def test_a_review_in_progress_is_not_enough(staff, report):
    incident = report()
    reviews.start_review(staff["manager"], "huddle", [incident.id])
    assert closing.close_blockers(incident) == [
        "Complete a learning review first, or record why no review is needed."
    ]


def test_a_reason_why_no_review_is_needed_lets_it_close(staff, report):
    incident = report()
    closing.close_incident(
        staff["manager"], incident, "  Duplicate of an earlier report.  ", FEEDBACK
    )
    assert incident.status == Status.CLOSED.value
    assert incident.closed_at is not None
    assert incident.no_review_reason == "Duplicate of an earlier report."
    event = db.session.scalar(
        db.select(TrailEvent).where(
            TrailEvent.record_id == incident.id, TrailEvent.action == "close"
        )
    )
    assert event.detail["changes"] == {
        "no_review_reason": [None, "Duplicate of an earlier report."],
        "status": ["submitted", "closed"],
    }


def test_a_completed_review_with_no_actions_lets_it_close(staff, report):
    incident = report()
    complete_review(staff["manager"], [incident])
    assert closing.close_blockers(incident) == []
    closing.close_incident(staff["manager"], incident)  # the review gave the feedback
    assert incident.status == Status.CLOSED.value
    assert incident.no_review_reason is None
    assert incident.feedback.startswith("What we learned: ")


@pytest.mark.parametrize("source", ["incident", "review"])
def test_an_open_action_holds_it_open(staff, report, source):
    incident = report()
    review = complete_review(staff["manager"], [incident])
    add_action(staff["manager"], source, incident.id if source == "incident" else str(review.id))
    with pytest.raises(Invalid) as caught:
        closing.close_incident(staff["manager"], incident)
    assert caught.value.errors == {
        "_schema": ["1 action is still open: mark it done, or carry it into a review."]
    }


def test_done_actions_let_it_close(staff, report):
    incident = report()
    review = complete_review(staff["manager"], [incident])
    action = add_action(staff["manager"], "review", str(review.id))
    records.mark_done(staff["manager"], action, "Checklist in use.")
    closing.close_incident(staff["manager"], incident)
    assert incident.status == Status.CLOSED.value


def test_an_action_carried_into_another_review_lets_it_close(staff, report):
    incident, other = report(), report()
    review = complete_review(staff["manager"], [incident])
    action = add_action(staff["manager"], "review", str(review.id))
    thematic = reviews.start_review(staff["manager"], "thematic", [incident.id, other.id])
    reviews.carry_into_review(staff["manager"], action, thematic.id)
    closing.close_incident(staff["manager"], incident)
    assert incident.status == Status.CLOSED.value


def test_open_actions_of_a_thematic_review_hold_each_of_its_incidents(staff, report):
    a, b = report(), report()
    thematic = complete_review(staff["manager"], [a, b], "thematic")
    add_action(staff["manager"], "review", str(thematic.id))
    assert closing.close_blockers(a)
    assert closing.close_blockers(b)


def test_both_reasons_are_given_together(staff, report):
    incident = report()
    add_action(staff["manager"], "incident", incident.id)
    add_action(staff["manager"], "incident", incident.id, title="Second")
    assert closing.close_blockers(incident) == [
        "Complete a learning review first, or record why no review is needed.",
        "2 actions are still open: mark them done, or carry them into a review.",
    ]


@pytest.mark.parametrize("key", ["supervisor", "office", "carer1"])
def test_only_managers_close(staff, report, key):
    incident = report()
    with pytest.raises(NotAllowed):
        closing.close_incident(staff[key], incident, "Not needed.", FEEDBACK)


def test_a_closed_incident_is_not_closed_again(staff, report):
    incident = report()
    closing.close_incident(staff["manager"], incident, "Duplicate.", FEEDBACK)
    with pytest.raises(Invalid):
        closing.close_incident(staff["manager"], incident, "Duplicate.", FEEDBACK)
