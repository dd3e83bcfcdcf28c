"""Anonymised case studies for tenders: drafted from an incident, its review,
actions and evidence; edited by a manager; exported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from actions import records
from core.dates import UK
from core.errors import Invalid, NotAllowed
from extensions import db
from learning import bulletins, case_studies, incident_links, reviews, verification
from tests.learning.conftest import NOW, add_action, complete_review


def _reviewed_incident(staff, report):
    incident = report(
        what_happened="Amina Carer found P-0001's 18:00 Parkinson's dose still in the pack (INC ref in notes).",
        immediate_actions="Rang Morgan Manager on 07700 900123; GP advised.",
    )
    review = complete_review(
        staff["manager"],
        [incident],
        "root_cause",
        conditions=["handover", "documentation"],
        why="The handover to Ben Carer was verbal only.",
    )
    action = add_action(
        staff["manager"],
        "review",
        str(review.id),
        title="Written handover checklist for time-critical medicines",
    )
    records.mark_done(staff["manager"], action, "Checklist in every folder.")
    verification.verify_action(staff["manager"], action, "effective", "No omissions since.")
    return incident


def test_a_draft_covers_the_five_parts_without_names(staff, report):
    incident = _reviewed_incident(staff, report)
    case_study = case_studies.draft_case_study(staff["manager"], incident.id)
    whole = "\n".join(
        [
            case_study.title,
            case_study.event,
            case_study.review_process,
            case_study.action_taken,
            case_study.what_changed,
            case_study.evidence,
        ]
    )
    for identifier in ("Amina", "P-0001", "Morgan", "07700", "Ben Carer", incident.reference):
        assert identifier not in whole
    assert "a colleague found the person's 18:00 Parkinson's dose" in case_study.event
    assert "time-critical medicine" in case_study.event
    assert "simple root cause review" in case_study.review_process
    assert "handover, documentation" in case_study.review_process
    assert (
        "- Written handover checklist for time-critical medicines (verified effective"
        in case_study.action_taken
    )
    assert "A written handover checklist" in case_study.what_changed
    assert "1 of 1 action verified effective by the registered manager." in case_study.evidence
    assert case_studies.case_study_warnings(case_study) == []


def test_the_evidence_gives_the_trend_before_and_after(staff, report):
    for n in range(3):
        report(occurred_at=NOW - timedelta(days=40 + n), category="medication", person_ref="P-0002")
    incident = _reviewed_incident(staff, report)
    action = incident_links.actions_for_incident(incident)[0]
    action.done_at = datetime.now(UTC) - timedelta(days=31)
    db.session.commit()
    case_study = case_studies.draft_case_study(staff["manager"], incident.id)
    assert (
        "Medication incidents in the branch: 3 in the 30 days before the changes, 0 in the 30 days after."
        in case_study.evidence
    )


def test_the_evidence_counts_bulletin_readers(staff, report):
    incident = _reviewed_incident(staff, report)
    review = reviews.reviews_of(staff["manager"], incident)[0]
    bulletin = bulletins.new_bulletin(
        staff["manager"],
        {
            "title": "Safer handovers",
            "what_happened": "A dose was missed.",
            "what_learned": "Verbal handovers lose details.",
            "what_changes": "Use the checklist.",
            "branch_ids": [incident.branch_id],
            "roles": ["carer"],
            "review_ids": [review.id],
        },
    )
    bulletins.acknowledge(staff["carer1"], bulletin)
    case_study = case_studies.draft_case_study(staff["manager"], incident.id)
    assert (
        "1 of 2 staff confirmed they had read the learning bulletin about it."
        in case_study.evidence
    )


def test_no_case_study_before_a_review_is_complete(staff, report):
    incident = report()
    reviews.start_review(staff["manager"], "huddle", [incident.id])
    with pytest.raises(Invalid) as caught:
        case_studies.draft_case_study(staff["manager"], incident.id)
    assert "Complete a learning review" in caught.value.errors["incident_id"][0]


def test_a_manager_edit_is_kept_and_warned_about(staff, report):
    case_study = case_studies.draft_case_study(
        staff["manager"], _reviewed_incident(staff, report).id
    )
    case_studies.save_case_study(
        staff["manager"], case_study, {"title": "Safer handovers", "event": "Amina found it."}
    )
    assert case_study.title == "Safer handovers"
    assert case_study.event == "Amina found it."
    assert case_studies.case_study_warnings(case_study) == ["Amina"]


def test_markdown_export_has_a_heading_per_part(staff, report):
    case_study = case_studies.draft_case_study(
        staff["manager"], _reviewed_incident(staff, report).id
    )
    markdown = case_studies.case_study_markdown(case_study)
    assert markdown.startswith(f"# {case_study.title}\n\n## The event\n\n")
    for heading in (
        "## How we reviewed it",
        "## What we did",
        "## What changed",
        "## How we know it worked",
    ):
        assert heading in markdown


@pytest.mark.parametrize("key", ["supervisor", "office"])
def test_only_managers_draft_case_studies(staff, report, key):
    incident = _reviewed_incident(staff, report)
    with pytest.raises(NotAllowed):
        case_studies.draft_case_study(staff[key], incident.id)


def test_hours_after_the_change_the_evidence_claims_no_count_after(staff, report):
    """Issue 16: "0 in the 30 days after so far" hours after the action was done
    read as proof. Until the 30 days have passed it says when they end."""
    for n in range(3):
        report(occurred_at=NOW - timedelta(days=10 + n), category="medication", person_ref="P-0002")
    incident = _reviewed_incident(staff, report)
    action = incident_links.actions_for_incident(incident)[0]
    # The incident was 2 hours ago (3 earlier ones and it: 4 before); the change an hour after it.
    action.done_at = NOW - timedelta(hours=1)
    db.session.commit()
    case_study = case_studies.draft_case_study(staff["manager"], incident.id)
    assert "in the 30 days after" not in case_study.evidence
    assert "so far" not in case_study.evidence
    ends = (NOW - timedelta(hours=1) + timedelta(days=30)).astimezone(UK).date()
    assert (
        "Medication incidents in the branch: 4 in the 30 days before the changes, and the 30 "
        f"days after end on {ends.day} {ends:%B %Y}: too soon to compare."
    ) in case_study.evidence


def test_a_repeat_before_the_days_are_over_is_still_told(staff, report):
    incident = _reviewed_incident(staff, report)
    action = incident_links.actions_for_incident(incident)[0]
    action.done_at = NOW - timedelta(hours=1)
    db.session.commit()
    report(occurred_at=NOW - timedelta(minutes=30), category="medication", person_ref="P-0002")
    case_study = case_studies.draft_case_study(staff["manager"], incident.id)
    assert "too soon to compare (1 so far)." in case_study.evidence
