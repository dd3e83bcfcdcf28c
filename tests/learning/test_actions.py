"""Actions: raising them, due and overdue, the owner marking them done, and the
verification rules that decide when one can be called effective."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from actions import records
from actions.due import HOME_LIST, due_state, home_actions, list_actions, page_of_actions
from actions.models import Action, ActionStatus
from actions.strength import action_strength, only_weak
from core import dates
from core.errors import Invalid, NotAllowed
from extensions import db
from incidents import timeline
from learning import reviews, verification
from learning.verification import Evidence, SampleResult, TrendResult
from tests.learning.conftest import NOW, add_action, complete_review, count

TODAY = date(2026, 11, 27)


def _action(**changes) -> Action:
    base = {
        "title": "Checklist",
        "status": ActionStatus.OPEN.value,
        "due": TODAY,
        "requires_verification": False,
    }
    base.update(changes)
    return Action(**base)


# --- due and overdue ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "status", "state"),
    [
        (TODAY - timedelta(days=1), "open", "overdue"),
        (TODAY, "open", "due_soon"),
        (TODAY + timedelta(days=7), "open", "due_soon"),
        (TODAY + timedelta(days=8), "open", None),
        (TODAY - timedelta(days=30), "done", None),
        (TODAY - timedelta(days=30), "verified_effective", None),
        (TODAY - timedelta(days=30), "not_effective", None),
    ],
)
def test_due_state(due, status, state):
    assert due_state(_action(due=due, status=status), TODAY, soon_days=7) == state


def test_home_shows_the_owner_their_due_and_overdue_actions(staff, report):
    incident = report()
    today = dates.uk_today()
    soon = add_action(
        staff["manager"],
        "incident",
        incident.id,
        owner=staff["carer1"],
        due=today + timedelta(days=3),
    )
    later = add_action(
        staff["manager"],
        "incident",
        incident.id,
        owner=staff["carer1"],
        due=today + timedelta(days=30),
    )
    overdue = add_action(
        staff["manager"],
        "incident",
        incident.id,
        owner=staff["carer1"],
        due=today + timedelta(days=1),
    )
    overdue.due = today - timedelta(days=2)
    db.session.commit()
    home = home_actions(staff["carer1"], today, 7)
    assert home.overdue == [overdue]
    assert home.due_soon == [soon]
    assert later not in home.due_soon
    assert home.to_verify == []


def test_home_shows_a_manager_everything_overdue_and_done_actions_to_verify(staff, report):
    incident = report()
    today = dates.uk_today()
    overdue = add_action(
        staff["supervisor"],
        "incident",
        incident.id,
        owner=staff["carer2"],
        due=today + timedelta(days=1),
    )
    overdue.due = today - timedelta(days=1)
    done = add_action(staff["supervisor"], "incident", incident.id, owner=staff["supervisor"])
    records.mark_done(staff["supervisor"], done, "Checklist in every folder.")
    home = home_actions(staff["manager"], today, 7)
    assert home.overdue == [overdue]
    assert home.to_verify == [done]


def test_home_lists_the_first_few_overdue_with_how_many_in_all(staff, report):
    incident = report()
    today = dates.uk_today()
    made = [
        add_action(staff["manager"], "incident", incident.id, due=today + timedelta(days=1))
        for _ in range(HOME_LIST + 2)
    ]
    for n, action in enumerate(made):
        action.due = today - timedelta(days=20 - n)
    db.session.commit()
    home = home_actions(staff["manager"], today, 7)
    assert home.overdue == made[:HOME_LIST]
    assert home.counts["overdue"] == HOME_LIST + 2


def test_the_actions_list_comes_a_page_at_a_time_in_due_order(staff, report):
    incident = report()
    today = dates.uk_today()
    made = [
        add_action(staff["manager"], "incident", incident.id, due=today + timedelta(days=n))
        for n in range(5)
    ]
    second = page_of_actions(staff["manager"], "open", today, 7, page=2, page_size=2)
    assert (second.items, second.total, second.pages) == (made[2:4], 5, 3)
    # A page past the last shows the last.
    assert page_of_actions(staff["manager"], "open", today, 7, 99, 2).items == made[4:]


def test_other_peoples_actions_are_not_on_a_supervisors_home(staff, report):
    incident = report()
    add_action(staff["manager"], "incident", incident.id, owner=staff["carer1"])
    assert home_actions(staff["supervisor"], dates.uk_today(), 30).empty


# --- raising ------------------------------------------------------------------------------


def test_an_action_from_a_review_is_on_each_incident_timeline(staff, report):

    a, b = report(), report()
    review = complete_review(staff["manager"], [a, b], "thematic")
    action = add_action(staff["manager"], "review", str(review.id))
    assert (action.source_type, action.source_id, action.branch_id) == (
        "review",
        str(review.id),
        review.branch_id,
    )
    for incident in (a, b):
        titles = [e.title for e in timeline.timeline(incident)]
        assert "Action agreed: Introduce a handover checklist" in titles


def test_an_action_from_a_meeting_needs_a_branch_when_the_manager_has_two(staff):
    with pytest.raises(Invalid) as caught:
        add_action(staff["manager"], "meeting", "Quality meeting 28 Nov 2026")
    assert "branch_id" in caught.value.errors
    north = staff["supervisor"].branches[0]
    action = add_action(
        staff["manager"], "meeting", "Quality meeting 28 Nov 2026", branch_id=north.id
    )
    assert action.branch_id == north.id


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"due": date(2020, 1, 1)}, "due"),
        ({"owner_key": "carer3"}, "owner_id"),
    ],
)
def test_bad_actions_are_refused_with_a_reason(staff, report, changes, field):
    incident = report()
    if "owner_key" in changes:
        changes = {"owner": staff[changes.pop("owner_key")]}
    with pytest.raises(Invalid) as caught:
        add_action(staff["manager"], "incident", incident.id, **changes)
    assert field in caught.value.errors
    assert count(Action) == 0


def test_an_incident_outside_scope_is_not_a_source(staff, report):
    south = report("carer3", person_ref="P-0011")
    with pytest.raises(Invalid):
        add_action(staff["supervisor"], "incident", south.id)


@pytest.mark.parametrize("key", ["carer1", "office"])
def test_carers_and_office_do_not_raise_actions(staff, report, key):
    with pytest.raises(NotAllowed):
        add_action(staff[key], "incident", report().id)


def test_a_carer_sees_only_actions_they_own(staff, report):
    incident = report()
    mine = add_action(staff["manager"], "incident", incident.id, owner=staff["carer1"])
    add_action(staff["manager"], "incident", incident.id, owner=staff["carer2"])
    assert list_actions(staff["carer1"], "all", dates.uk_today(), 7) == [mine]


# --- done --------------------------------------------------------------------------------


def test_the_owner_marks_it_done_with_evidence(staff, report):
    action = add_action(staff["manager"], "incident", report().id, owner=staff["carer1"])
    records.mark_done(staff["carer1"], action, "  Read the new checklist.  ")
    assert action.status == "done"
    assert action.evidence == "Read the new checklist."
    assert action.done_at is not None


def test_someone_else_s_carer_cannot_mark_it_done(staff, report):
    action = add_action(staff["manager"], "incident", report().id, owner=staff["carer1"])
    with pytest.raises(NotAllowed):
        records.mark_done(staff["carer2"], action, "Done")


# --- verification rules (pure) --------------------------------------------------------------


def _sample(passed: bool, hours_ago: int = 0) -> SampleResult:
    return SampleResult(
        at=NOW - timedelta(hours=hours_ago), passed=passed, score=100.0 if passed else 50.0
    )


@pytest.mark.parametrize(
    ("required", "results", "ok"),
    [
        (1, [True], True),
        (3, [True, True, True], True),
        (3, [True, True], False),
        (3, [True, True, False], False),
        (1, [], False),
        (2, [True, True, True], True),
        (1, [False, True], True),
        (1, [True, False], False),
        (2, [False, True, True], True),
    ],
)
def test_a_sample_must_be_complete_and_all_passed(required, results, ok):
    # Listed oldest first.
    samples = [_sample(r, hours_ago=len(results) - n) for n, r in enumerate(results)]
    blockers = verification.sample_blockers(required, samples)
    assert (blockers == []) is ok


def _trend(before: int, after: int, complete: bool = True) -> TrendResult:
    return TrendResult("fall", 30, before, after, TODAY - timedelta(days=60), TODAY, complete)


@pytest.mark.parametrize(
    ("before", "after", "complete", "ok"),
    [
        (4, 1, True, True),
        (4, 4, True, False),
        (2, 3, True, False),
        (0, 0, True, True),
        (0, 1, True, False),
        (4, 0, False, False),
    ],
)
def test_a_trend_must_be_over_and_lower(before, after, complete, ok):
    assert (verification.trend_blockers(_trend(before, after, complete)) == []) is ok


def test_an_open_action_cannot_be_verified():
    blockers = verification.verification_blockers(_action(), Evidence(kind=None))
    assert blockers == ["Only an action marked done can be verified."]


def test_an_open_action_checked_by_a_sample_can_be_judged_from_the_reaudit():
    action = _action(requires_verification=True, verification_kind="sample")
    assert (
        verification.verification_blockers(
            action, Evidence(kind="sample", sample_required=1, samples=(_sample(True),))
        )
        == []
    )


def test_an_open_action_checked_by_a_trend_must_be_done_first():
    action = _action(requires_verification=True, verification_kind="trend")
    blockers = verification.verification_blockers(action, Evidence(kind="trend"))
    assert blockers == ["Only an action marked done can be verified."]


def test_a_judged_action_is_not_judged_again():
    blockers = verification.verification_blockers(
        _action(status="not_effective"), Evidence(kind=None)
    )
    assert blockers == ["This action is already not effective."]


def test_a_done_action_with_no_check_can_be_verified():
    assert verification.verification_blockers(_action(status="done"), Evidence(kind=None)) == []


def test_a_done_action_needing_a_sample_waits_for_it():
    action = _action(
        status="done", requires_verification=True, verification_kind="sample", sample_size=2
    )
    evidence = Evidence(kind="sample", sample_required=2, samples=(_sample(True),))
    assert verification.verification_blockers(action, evidence) == [
        "It needs 2 re-audits or spot checks linked to this action; 1 so far."
    ]


# --- verification through the service ---------------------------------------------------------


def test_verified_effective_is_refused_until_the_sample_exists(staff, report):
    action = add_action(
        staff["manager"], "incident", report().id, verification="sample", sample_size=2
    )
    records.mark_done(staff["manager"], action, "Checklist in use.")
    with pytest.raises(Invalid) as caught:
        verification.verify_action(staff["manager"], action, "effective", "")
    assert "2 re-audits" in caught.value.errors["outcome"][0]
    assert action.status == "done"


def test_not_effective_needs_a_reason_and_is_recorded(staff, report):
    action = add_action(staff["manager"], "incident", report().id)
    records.mark_done(staff["manager"], action, "Posters up.")
    with pytest.raises(Invalid):
        verification.verify_action(staff["manager"], action, "not_effective", " ")
    verification.verify_action(
        staff["manager"], action, "not_effective", "Two more omissions since."
    )
    assert action.status == "not_effective"
    assert action.verified_by_id == staff["manager"].id


def test_only_managers_verify(staff, report):
    action = add_action(staff["supervisor"], "incident", report().id)
    records.mark_done(staff["supervisor"], action, "Done.")
    with pytest.raises(NotAllowed):
        verification.verify_action(staff["supervisor"], action, "effective", "")


def _trend_action(staff, report, days_done_ago: int, falls_before: int, falls_after: int):
    """Falls for P-0005 before and after an action done `days_done_ago` days ago."""
    for n in range(falls_before):
        report(
            occurred_at=NOW - timedelta(days=days_done_ago + 2 + n),
            category="fall",
            person_ref="P-0005",
        )
    for n in range(falls_after):
        report(
            occurred_at=NOW - timedelta(days=days_done_ago - 1 - n),
            category="fall",
            person_ref="P-0005",
        )
    incident = report(
        category="fall", person_ref="P-0005", occurred_at=NOW - timedelta(days=days_done_ago + 1)
    )
    action = add_action(
        staff["manager"],
        "incident",
        incident.id,
        title="Update the falls risk assessment",
        verification="trend",
        trend_category="fall",
        trend_days=14,
        trend_person_ref="P-0005",
    )
    records.mark_done(staff["manager"], action, "Risk assessment updated; new footwear.")
    action.done_at = datetime.now(UTC) - timedelta(days=days_done_ago)
    db.session.commit()
    return action


def test_a_trend_action_is_verified_when_falls_fell(staff, report):
    action = _trend_action(staff, report, days_done_ago=15, falls_before=3, falls_after=0)
    evidence = verification.verification_evidence(action, dates.uk_today())
    assert (evidence.trend.before, evidence.trend.after, evidence.trend.complete) == (4, 0, True)
    verification.verify_action(
        staff["manager"], action, "effective", "No falls in the 14 days after."
    )
    assert action.status == "verified_effective"


def test_a_trend_action_waits_for_the_after_period(staff, report):
    action = _trend_action(staff, report, days_done_ago=5, falls_before=3, falls_after=0)
    with pytest.raises(Invalid) as caught:
        verification.verify_action(staff["manager"], action, "effective", "")
    assert "can be judged after" in caught.value.errors["outcome"][0]


def test_a_trend_action_is_refused_when_falls_did_not_fall(staff, report):
    action = _trend_action(staff, report, days_done_ago=15, falls_before=1, falls_after=3)
    with pytest.raises(Invalid) as caught:
        verification.verify_action(staff["manager"], action, "effective", "")
    assert "did not fall" in caught.value.errors["outcome"][0]


# --- carrying into a review ------------------------------------------------------------------------


def test_an_open_action_can_be_carried_into_a_review(staff, report):
    a, b = report(), report()
    action = add_action(staff["manager"], "incident", a.id)
    thematic = reviews.start_review(staff["manager"], "thematic", [a.id, b.id])
    reviews.carry_into_review(staff["manager"], action, thematic.id)
    assert action.carried_to_review_id == thematic.id


def test_a_done_action_is_not_carried(staff, report):
    a, b = report(), report()
    action = add_action(staff["manager"], "incident", a.id)
    records.mark_done(staff["manager"], action, "Done.")
    thematic = reviews.start_review(staff["manager"], "thematic", [a.id, b.id])
    with pytest.raises(Invalid):
        reviews.carry_into_review(staff["manager"], action, thematic.id)


# --- how strong an action is ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "weak"),
    [
        ("Remind staff to check the MAR chart", True),
        ("Refresher training on medication", True),
        ("Staff to be more careful at handover", True),
        ("Email staff about the policy", True),
        ("Introduce a written handover checklist", False),
        ("Change the rota so calls do not overlap", False),
        ("Remind staff and add a prompt to the care plan", False),
        ("Buy new non-slip footwear", False),
        ("Remind staff to read the care plan", True),
        ("Update the support plan with earlier prompts", False),
        ("Review the falls risk assessment", False),
    ],
)
def test_reminders_and_training_alone_are_weak(title, weak):
    strength = action_strength(title)
    assert strength.is_weak is weak
    assert bool(strength.hint) is weak


def test_a_review_with_only_weak_actions_is_flagged(staff, report):
    review = complete_review(staff["manager"], [report()])
    first = add_action(
        staff["manager"], "review", str(review.id), title="Remind staff to read the care plan"
    )
    assert only_weak([first])
    second = add_action(
        staff["manager"], "review", str(review.id), title="Handover checklist in every folder"
    )
    assert not only_weak([first, second])
