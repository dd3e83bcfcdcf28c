"""The dashboard's figures from seeded incidents, reviews, actions, duties, spot
checks and bulletins, against counts made by hand."""

from __future__ import annotations

from datetime import timedelta

from actions import records
from actions.models import ActionStatus
from core import dates
from core.dates import utcnow
from core.models import Branch
from extensions import db
from governance.figures import dashboard_figures
from incidents.models import DecisionStatus, IncidentDecision
from learning import bulletins, reviews
from tests.factories import audit_payload, iso
from tests.governance.conftest import in_month, twelve_months
from tests.learning.conftest import add_action, complete_review, make_incident


def _branches(*codes: str) -> list[Branch]:
    return list(
        db.session.scalars(db.select(Branch).where(Branch.code.in_(codes)).order_by(Branch.code))
    )


def _figures(user, *codes: str):
    return dashboard_figures(user, _branches(*codes), twelve_months())


def _seed_incidents(staff):
    north, south = staff["carer1"], staff["carer3"]
    for _ in range(2):
        make_incident(north, in_month(1), kind="near_miss", harm="none")
    make_incident(north, in_month(1, day=12), kind="incident", category="fall", harm="low")
    make_incident(north, in_month(4), kind="incident", category="fall", harm="moderate")
    make_incident(south, in_month(1), kind="near_miss", harm="none", person_ref="P-0011")
    # A year and more ago: outside the 12 months.
    make_incident(north, in_month(13), kind="near_miss", harm="none")


def test_incidents_per_month_near_misses_harm_and_kinds(staff):
    _seed_incidents(staff)
    figures = _figures(staff["manager"], "NORTH", "SOUTH")
    inc = figures["incidents"]
    assert inc["total"] == 5
    assert inc["near_misses"] == 3
    assert inc["near_miss_share"] == 3 / 5
    months = {m["month"]: m for m in inc["months"]}
    last = in_month(1).strftime("%Y-%m")
    assert (months[last]["incidents"], months[last]["near_misses"], months[last]["total"]) == (
        1,
        3,
        4,
    )
    assert months[in_month(4).strftime("%Y-%m")]["total"] == 1
    assert sum(m["total"] for m in inc["months"]) == 5
    assert {h["value"]: h["count"] for h in inc["harm"]} == {
        "none": 3,
        "low": 1,
        "moderate": 1,
        "severe": 0,
        "death": 0,
    }
    assert [(c["value"], c["count"]) for c in inc["categories"]] == [("medication", 3), ("fall", 2)]


def test_one_branch_counts_only_its_own_incidents(staff):
    _seed_incidents(staff)
    figures = _figures(staff["manager"], "NORTH")
    assert (figures["incidents"]["total"], figures["incidents"]["near_misses"]) == (4, 2)
    assert figures["branches"] == ["NORTH"]


def test_the_spc_uses_only_whole_months_from_the_first_report_and_needs_six(staff):
    _seed_incidents(staff)
    spc = _figures(staff["manager"], "NORTH", "SOUTH")["spc"]
    # 12 months: this month is not over, so 11 whole months; the first report in
    # the period is 4 months back, so the 7 months before it are not zeros
    # (issue 16) and 4 months are too few for limits.
    assert spc["enough"] is False
    assert spc["months_used"] == 4
    assert spc["months_before_data"] == 7
    for months_back in (9, 7):
        make_incident(staff["carer1"], in_month(months_back), kind="near_miss", harm="none")
    spc = _figures(staff["manager"], "NORTH", "SOUTH")["spc"]
    assert spc["enough"] is True
    assert spc["months_used"] == 9
    assert spc["centre"] == 7 / 9
    three = dashboard_figures(
        staff["manager"], _branches("NORTH"), dates.last_months(dates.uk_today(), 3)
    )["spc"]
    assert three["enough"] is False
    assert three["months_used"] == 1  # two whole months, the first with no reports


def test_themes_count_conditions_of_reviews_completed_in_the_period(staff):
    incident = make_incident(staff["carer1"], in_month(1))
    other = make_incident(staff["carer1"], in_month(1))
    complete_review(staff["manager"], [incident], conditions=["handover", "communication"])
    complete_review(staff["manager"], [other], conditions=["handover"])
    reviews.start_review(staff["manager"], "huddle", [other.id])  # in progress: not counted
    themes = _figures(staff["manager"], "NORTH", "SOUTH")["themes"]
    assert themes["reviews"] == 2
    assert [(c["value"], c["count"]) for c in themes["conditions"]] == [
        ("handover", 2),
        ("communication", 1),
    ]


def test_duties_due_in_the_period_on_time_late_and_overdue(staff):
    incident = make_incident(
        staff["carer1"],
        in_month(1),
        kind="near_miss",
        harm="none",
        thresholds={
            "safeguarding": "no",
            "clinical_escalation": "no",
            "family_contact": "not_applicable",
        },
    )
    assert incident.decisions == []
    due = in_month(1, day=20)
    rows = [
        ("cqc_reg18", DecisionStatus.APPLIES.value, due, due - timedelta(hours=1)),  # on time
        ("candour_in_person", DecisionStatus.APPLIES.value, due, due + timedelta(hours=5)),  # late
        ("riddor", DecisionStatus.PENDING.value, due, None),  # still overdue
        ("family_contact", DecisionStatus.DOES_NOT_APPLY.value, due, None),  # left out
        ("safeguarding_referral", DecisionStatus.PENDING.value, in_month(13), None),  # before
    ]
    for rule, status, due_at, done_at in rows:
        incident.decisions.append(
            IncidentDecision(rule=rule, status=status, due_at=due_at, done_at=done_at)
        )
    db.session.commit()
    duties = _figures(staff["manager"], "NORTH")["duties"]
    assert duties == {"due": 3, "on_time": 1, "late": 1, "overdue": 1, "not_yet_due": 0}


def test_actions_raised_weaker_done_verified_and_overdue(staff):
    manager = staff["manager"]
    incident = make_incident(staff["carer1"], in_month(1))
    weak = add_action(manager, "incident", incident.id, title="Remind staff to read the MAR chart")
    done = add_action(manager, "incident", incident.id, title="Introduce a handover checklist")
    proved = add_action(manager, "incident", incident.id, title="Replace the bath hoist")
    records.mark_done(manager, done, "Checklist in every folder.")
    now = utcnow()
    proved.status, proved.done_at, proved.verified_at = (
        ActionStatus.VERIFIED_EFFECTIVE.value,
        now,
        now,
    )
    weak.due = dates.uk_today() - timedelta(days=3)
    db.session.commit()
    actions = _figures(manager, "NORTH")["actions"]
    assert actions == {
        "raised": 3,
        "weaker": 1,
        "done": 2,
        "verified_effective": 1,
        "not_effective": 0,
        "overdue": 1,
    }
    assert _figures(manager, "SOUTH")["actions"]["raised"] == 0


def test_actions_due_today_or_soon_are_not_counted_as_overdue(staff):
    manager = staff["manager"]
    incident = make_incident(staff["carer1"], in_month(1))
    today = dates.uk_today()
    late = add_action(manager, "incident", incident.id, due=today)
    add_action(manager, "incident", incident.id, due=today)
    add_action(manager, "incident", incident.id, due=today + timedelta(days=1))
    late.due = today - timedelta(days=1)
    db.session.commit()
    assert _figures(manager, "NORTH")["actions"]["overdue"] == 1


def test_spot_checks_per_template_and_month_with_the_average_score(app, templates, sign_in):
    supervisor = sign_in("supervisor")
    when = in_month(1)
    scores = []
    for fail in ((), ("stock-matches",)):
        body = audit_payload(templates["carer1"].id, fail=fail, conducted_at=iso(when))
        response = supervisor.post_json("/api/v1/audits", body)
        assert response.status_code == 201, response.get_json()
        scores.append(supervisor.get(f"/api/v1/audits/{body['id']}").get_json()["score"])
    with app.app_context():
        from core.models import User

        manager = db.session.scalar(db.select(User).where(User.email == "manager@example.com"))
        checks = _figures(manager, "NORTH")["spot_checks"]
    assert checks == [
        {
            "template": "medication-spot-check",
            "title": "Medication spot check",
            "month": when.strftime("%Y-%m"),
            "label": when.strftime("%b %Y"),
            "count": 2,
            "average": round(sum(scores) / 2, 1),
        }
    ]


def test_bulletins_published_and_the_share_of_their_audience_that_read_them(staff):
    manager = staff["manager"]
    incident = make_incident(staff["carer1"], in_month(1))
    review = complete_review(manager, [incident])
    north = _branches("NORTH")[0]
    bulletin = bulletins.new_bulletin(
        manager,
        {
            "title": "Handovers in writing",
            "what_happened": "A dose was missed at a change of shift.",
            "what_learned": "Verbal handovers lose details.",
            "what_changes": "A written handover sheet.",
            "branch_ids": [north.id],
            "roles": ["carer"],
            "review_ids": [review.id],
        },
    )
    bulletins.acknowledge(staff["carer1"], bulletin)
    shared = _figures(manager, "NORTH")["bulletins"]
    # NORTH's carers: carer1 and carer2; carer1 read it.
    assert (shared["published"], shared["read"], shared["audience"], shared["share"]) == (
        1,
        1,
        2,
        0.5,
    )


def test_a_branch_not_chosen_gives_empty_figures_rather_than_others(staff):
    _seed_incidents(staff)
    figures = _figures(staff["manager"], "SOUTH")
    assert figures["incidents"]["total"] == 1
    assert figures["patterns"] == []


def test_falls_are_themed_by_place(staff):
    north = staff["carer1"]
    for place in ("bathroom", "bathroom", "stairs", None):
        make_incident(north, in_month(1), kind="incident", category="fall", harm="low", place=place)
    make_incident(
        north, in_month(1), kind="incident", category="injury", harm="low", place="kitchen"
    )
    places = _figures(staff["manager"], "NORTH")["incidents"]["fall_places"]
    assert [(p["value"], p["label"], p["count"]) for p in places] == [
        ("bathroom", "Bathroom", 2),
        ("stairs", "Stairs", 1),
        ("", "No place chosen", 1),
    ]
