"""Learning reviews: proportionate methods, what each must answer, the incident
timeline and status, and who may see them."""

from __future__ import annotations

import pytest

from core.errors import Invalid, NotAllowed, OutOfScope, Stale
from core.models import TrailEvent
from extensions import db
from incidents import timeline
from incidents.models import Incident, Status
from learning import closing, reviews
from learning.models import LearningReview, ReviewStatus
from tests.learning.conftest import complete_review, complete_review_answers, count


def _events(incident, action):
    return list(
        db.session.scalars(
            db.select(TrailEvent).where(
                TrailEvent.record_type == "incident",
                TrailEvent.record_id == incident.id,
                TrailEvent.action == action,
            )
        )
    )


def test_starting_a_review_records_it_on_the_incident_timeline(staff, report):
    incident = report()
    review = reviews.start_review(staff["manager"], "root_cause", [incident.id])
    (event,) = _events(incident, "review_started")
    assert event.detail["review_id"] == review.id
    assert event.detail["method"] == "Simple root cause review"
    assert event.detail["review"] == review.title
    assert event.actor_id == staff["manager"].id


def test_the_incident_timeline_shows_the_review(staff, report):

    incident = report()
    complete_review(staff["manager"], [incident], "huddle")
    entries = {e.title: e for e in timeline.timeline(incident)}
    assert "Review started" in entries
    assert "Status: Sent → Being reviewed" in entries["Review started"].details
    assert "Method: Huddle note" in entries["Review completed"].details
    assert "Conditions: Handover" in entries["Review completed"].details
    assert "Feedback written to the reporter" in entries


def test_starting_a_review_moves_the_incident_under_review(staff, report):
    incident = report()
    reviews.start_review(staff["supervisor"], "huddle", [incident.id])
    assert incident.status == Status.UNDER_REVIEW.value
    (event,) = _events(incident, "review_started")
    assert event.detail["changes"] == {
        "status": ["submitted", "under_review"],
        "reviewer": [None, "Sam Supervisor"],
    }
    assert incident.reviewer_id == staff["supervisor"].id


def test_an_assigned_reviewer_is_kept(staff, report):
    incident = report()
    incident.reviewer_id = staff["manager"].id
    db.session.commit()
    reviews.start_review(staff["supervisor"], "huddle", [incident.id])
    assert incident.reviewer_id == staff["manager"].id


def test_only_a_manager_or_the_reviewer_completes_a_review(staff, report):
    incident = report()
    review = reviews.start_review(staff["manager"], "huddle", [incident.id])
    answers = {"what_happened": "Missed dose.", "lessons": "Handovers.", "changes": "Checklist."}
    with pytest.raises(Invalid) as caught:
        reviews.save_review(staff["supervisor"], review, answers, complete=True)
    assert "the reviewer assigned to" in caught.value.errors["_schema"][0]
    db.session.refresh(review)
    assert not review.is_completed
    reviews.save_review(staff["manager"], review, answers, complete=True)
    assert incident.feedback.startswith("What we learned: Handovers.")


def test_feedback_that_would_not_fit_is_refused(staff, report):
    review = reviews.start_review(staff["manager"], "huddle", [report().id])
    answers = {"what_happened": "x", "lessons": "a" * 3000, "changes": "b" * 3000}
    with pytest.raises(Invalid) as caught:
        reviews.save_review(staff["manager"], review, answers, complete=True)
    assert "5,000 characters between them" in caught.value.errors["lessons"][0]


def test_completing_a_review_moves_incidents_to_changes_agreed(staff, report):
    incident = report()
    review = complete_review(staff["manager"], [incident], "huddle")
    assert review.status == ReviewStatus.COMPLETED.value
    assert incident.status == Status.ACTIONS_AGREED.value
    assert _events(incident, "review_completed")[0].detail["conditions"] == ["Handover"]


def test_completing_a_review_tells_each_reporter_what_was_learned(staff, report):
    first, second = report("carer1"), report("carer2")
    complete_review(staff["manager"], [first, second], "thematic")
    for incident in (first, second):
        assert incident.feedback == (
            "What we learned: Verbal handovers lose time-critical details.\n\n"
            "What will change: A written handover checklist for time-critical medicines."
        )
        assert incident.feedback_at is not None


def test_a_later_review_adds_to_the_feedback(staff, report):
    incident, other = report(), report()
    complete_review(staff["manager"], [incident], "huddle")
    complete_review(
        staff["manager"],
        [incident, other],
        "thematic",
        lessons="Handovers across the branch lose details.",
        changes="A handover tool for all calls.",
    )
    assert incident.feedback.count("What we learned:") == 2
    assert incident.feedback.endswith("What will change: A handover tool for all calls.")


def _changed_elsewhere(incident):
    """Another request (a triage, say) commits a change to the incident."""
    with db.engine.begin() as other:
        other.execute(
            db.update(Incident)
            .where(Incident.id == incident.id)
            .values(version=Incident.version + 1)
        )


def test_a_review_completes_with_every_reporters_feedback_or_not_at_all(staff, report):
    first, second = report("carer1"), report("carer2")
    review = reviews.start_review(staff["manager"], "thematic", [first.id, second.id])
    _changed_elsewhere(second)
    with pytest.raises(Stale):
        complete_review_answers(staff["manager"], review)
    db.session.expire_all()
    assert review.status != ReviewStatus.COMPLETED.value
    assert (first.feedback, second.feedback) == ("", "")
    assert _events(first, "feedback") == []
    assert _events(first, "review_completed") == []


def test_closing_an_incident_changed_meanwhile_is_refused(staff, report):
    incident = report()
    _changed_elsewhere(incident)
    with pytest.raises(Stale):
        closing.close_incident(
            staff["manager"], incident, "Caught at once; nothing more to learn.", "Thank you."
        )
    db.session.expire_all()
    assert incident.status != Status.CLOSED.value
    assert incident.feedback == ""


def test_a_closed_incident_in_a_thematic_review_stays_closed(staff, report):
    first, second = report(), report()
    closing.close_incident(
        staff["manager"], first, "Caught at once; nothing more to learn.", "Thank you."
    )
    complete_review(staff["manager"], [first, second], "thematic")
    assert first.status == Status.CLOSED.value
    assert second.status == Status.ACTIONS_AGREED.value
    assert len(_events(first, "review_completed")) == 1


@pytest.mark.parametrize(
    ("method", "required"),
    [
        ("huddle", {"what_happened", "lessons", "changes"}),
        (
            "after_action",
            {"expected", "what_happened", "why_difference", "keep_doing", "changes", "lessons"},
        ),
        ("root_cause", {"what_happened", "why", "conditions", "changes", "lessons"}),
        ("thematic", {"what_happened", "findings", "conditions", "changes", "lessons"}),
    ],
)
def test_each_method_lists_what_it_must_answer(staff, report, method, required):
    incidents = [report(), report()]
    review = reviews.start_review(staff["manager"], method, [i.id for i in incidents])
    with pytest.raises(Invalid) as caught:
        reviews.save_review(staff["manager"], review, {}, complete=True)
    assert set(caught.value.errors) == required
    db.session.refresh(review)
    assert review.status == ReviewStatus.IN_PROGRESS.value


def test_free_text_conditions_are_enough_for_a_root_cause_review(staff, report):
    incident = report()
    review = complete_review(
        staff["manager"],
        [incident],
        "root_cause",
        conditions=[],
        conditions_detail="The rota left ten minutes between calls across town.",
    )
    assert review.is_completed


def test_saving_keeps_answers_without_completing(staff, report):
    incident = report()
    review = reviews.start_review(staff["manager"], "after_action", [incident.id])
    reviews.save_review(
        staff["manager"], review, {"expected": "On time.", "conditions": ["staffing", "bogus"]}
    )
    db.session.refresh(review)
    assert review.expected == "On time."
    assert review.conditions == ["staffing"]
    assert review.status == ReviewStatus.IN_PROGRESS.value


def test_a_completed_review_cannot_be_changed(staff, report):
    review = complete_review(staff["manager"], [report()])
    with pytest.raises(Invalid):
        reviews.save_review(staff["manager"], review, {"lessons": "Something else"})


def test_a_stale_version_is_refused(staff, report):
    review = reviews.start_review(staff["manager"], "huddle", [report().id])
    old = review.version
    reviews.save_review(staff["manager"], review, {"what_happened": "First"})
    with pytest.raises(Stale):
        reviews.save_review(staff["manager"], review, {"what_happened": "Second"}, version=old)


def test_a_thematic_review_needs_two_incidents(staff, report):
    with pytest.raises(Invalid) as caught:
        reviews.start_review(staff["manager"], "thematic", [report().id])
    assert "two or more" in caught.value.errors["incident_ids"][0]


@pytest.mark.parametrize("key", ["carer1", "office"])
def test_carers_and_office_do_not_run_reviews(staff, report, key):
    with pytest.raises(NotAllowed):
        reviews.start_review(staff[key], "huddle", [report().id])


def test_incidents_outside_scope_cannot_be_reviewed(staff, report):
    south = report("carer3", person_ref="P-0011")
    with pytest.raises(Invalid):
        reviews.start_review(staff["supervisor"], "huddle", [south.id])
    assert count(LearningReview) == 0


@pytest.mark.parametrize(
    "other", ["out_of_scope", "00000000-0000-4000-8000-000000000000", "not-an-id"]
)
def test_one_incident_not_to_be_had_refuses_the_whole_review(staff, report, other):
    if other == "out_of_scope":
        other = report("carer3", person_ref="P-0011").id
    with pytest.raises(Invalid) as caught:
        reviews.start_review(staff["supervisor"], "thematic", [report().id, other])
    assert caught.value.errors == {"incident_ids": ["Choose incidents from the list."]}
    assert count(LearningReview) == 0


def test_the_same_incident_written_twice_is_reviewed_once(staff, report):
    incident = report()
    review = reviews.start_review(staff["manager"], "huddle", [incident.id, incident.id.upper()])
    assert review.incidents == [incident]


def test_a_review_spanning_branches_is_hidden_from_a_one_branch_supervisor(staff, report):
    north, south = report(), report("carer3", person_ref="P-0011")
    review = reviews.start_review(staff["manager"], "thematic", [north.id, south.id])
    assert reviews.list_reviews(staff["manager"]) == [review]
    assert reviews.list_reviews(staff["supervisor"]) == []
    with pytest.raises(OutOfScope):
        reviews.get_review(staff["supervisor"], review.id)


def test_a_review_of_a_safeguarding_concern_is_for_managers_only(staff, report):
    concern = report(category="safeguarding")
    review = reviews.start_review(staff["manager"], "root_cause", [concern.id])
    assert reviews.list_reviews(staff["supervisor"]) == []
    assert reviews.get_review(staff["manager"], review.id) == review


def test_carers_never_see_reviews(staff, report):
    incident = report()
    reviews.start_review(staff["manager"], "huddle", [incident.id])
    assert reviews.list_reviews(staff["carer1"]) == []
