"""Rates per 1,000 visits (governance.denominators) with known inputs and outputs,
and how the dashboard's trend switches between rates and counts."""

from __future__ import annotations

import pytest

from core import dates
from core.models import Branch, User
from extensions import db
from governance import chart, denominators, recalculation
from governance.demo import seed_denominators
from governance.figures import dashboard_figures
from governance.models import Denominator
from governance.spc import analyse
from tests.governance.conftest import in_month, month_start, twelve_months
from tests.learning.conftest import make_incident

# --- pure ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "visits", "rate"),
    [
        (12, 1500, 8.0),
        (0, 1000, 0.0),
        (1, 3, 1000 / 3),
        (7, 0, None),  # a month with no visits has no rate, not a division error
        (7, None, None),  # visits not entered
    ],
)
def test_rate_per_1000_visits(count, visits, rate):
    assert denominators.rate_per_1000(count, visits) == rate


def _month(rate, complete=True):
    return {"rate": rate, "complete": complete}


@pytest.mark.parametrize(
    ("months", "covered"),
    [
        ([_month(4.0), _month(5.0)], True),
        ([_month(4.0), _month(None)], False),  # a whole month without a rate
        ([_month(4.0), _month(5.0), _month(None, complete=False)], True),  # this month so far
        ([_month(None, complete=False)], False),  # no whole month at all
        ([], False),
    ],
)
def test_rates_cover_needs_every_whole_month(months, covered):
    assert denominators.rates_cover(months) is covered


def test_xmr_on_rates_known_limits():
    # Mean 6.0; moving ranges 1, 1, 2, 1, 1, 1: mean 7/6; limits 6 +/- 2.66 x 7/6.
    rates = [5.0, 6.0, 7.0, 5.0, 6.0, 7.0, 6.0]
    analysis = analyse([f"M{i}" for i in range(7)], rates, unit="reports per 1,000 visits")
    limits = analysis.phases[0].limits
    assert limits is not None
    assert limits.centre == pytest.approx(6.0)
    assert limits.upper == pytest.approx(6.0 + 2.66 * 7 / 6)
    assert limits.lower == pytest.approx(6.0 - 2.66 * 7 / 6)
    assert analysis.signals == []


def test_a_rate_beyond_the_upper_limit_is_a_signal():
    # Twelve months alternating 6 and 7 per 1,000 visits, then 12: mean 90/13
    # (6.92), moving ranges eleven 1s and a 5 (mean 16/12), upper limit
    # 90/13 + 2.66 x 16/12 = 10.47, so 12 is above it; nothing else signals.
    rates = [6.0, 7.0] * 6 + [12.0]
    analysis = analyse([f"M{i}" for i in range(13)], rates, unit="reports per 1,000 visits")
    limits = analysis.phases[0].limits
    assert limits.centre == pytest.approx(90 / 13)
    assert limits.upper == pytest.approx(90 / 13 + 2.66 * 16 / 12)
    assert [(s.kind, s.first) for s in analysis.signals] == [("above", 12)]
    assert "12 reports per 1,000 visits, above the upper limit of 10.5" in analysis.signals[0].text


def test_rates_before_the_first_report_are_left_out_of_the_baseline():
    # Months with visits entered but no reports yet (the service not in use) are
    # not zeros of the baseline, as with counts (the leading-zero case).
    labels = [f"M{i}" for i in range(9)]
    analysis = analyse(labels, [0.0, 0.0, 0.0, 5.0, 6.0, 7.0, 5.0, 6.0, 7.0])
    assert analysis.start == 3
    assert analysis.phases[0].limits.centre == pytest.approx(6.0)


# --- with the database ---------------------------------------------------------------------


def _branch(code: str) -> Branch:
    return db.session.scalar(db.select(Branch).where(Branch.code == code))


def _enter(code: str, month: str, visits: int, people: int = 10, hours: int | None = None):
    db.session.add(
        Denominator(
            branch_id=_branch(code).id,
            month=month,
            visits=visits,
            people_supported=people,
            care_hours=hours,
            updated_by_id=db.session.scalar(db.select(User.id).where(User.role == "manager")),
        )
    )
    db.session.commit()


def _key(months_back: int) -> str:
    return month_start(months_back).strftime("%Y-%m")


def test_monthly_rates_counts_reports_and_divides_by_visits(staff):
    make_incident(staff["carer1"], in_month(1))
    make_incident(staff["carer1"], in_month(1, day=20), kind="near_miss", harm="none")
    make_incident(staff["carer1"], in_month(2))
    make_incident(staff["carer3"], in_month(1), person_ref="P-0011")  # SOUTH: not counted
    _enter("NORTH", _key(1), 500, people=10, hours=250)
    _enter("NORTH", _key(2), 0)  # nobody visited: no rate
    figures = denominators.monthly_rates(
        db.session, [_branch("NORTH").id], [_key(3), _key(2), _key(1)]
    )
    assert [(f.month, f.count, f.visits, f.rate_per_1000_visits) for f in figures] == [
        (_key(3), 0, None, None),
        (_key(2), 1, 0, None),
        (_key(1), 2, 500, 4.0),
    ]
    assert figures[2].people_supported == 10
    assert figures[2].care_hours == 250
    assert figures[2].label == dates.month_label(_key(1))


def test_two_branches_need_figures_from_both_for_a_rate(staff):
    make_incident(staff["carer1"], in_month(1))
    make_incident(staff["carer3"], in_month(1), person_ref="P-0011")
    make_incident(staff["carer3"], in_month(2), person_ref="P-0011")
    _enter("NORTH", _key(1), 600, hours=300)
    _enter("SOUTH", _key(1), 400)  # no care hours: the sum has none
    _enter("SOUTH", _key(2), 400)
    ids = [_branch("NORTH").id, _branch("SOUTH").id]
    month1, month2 = denominators.monthly_rates(db.session, ids, [_key(1), _key(2)])
    assert (month1.count, month1.visits, month1.people_supported) == (2, 1000, 20)
    assert month1.rate_per_1000_visits == 2.0
    assert month1.care_hours is None
    # NORTH has no figures for that month: no rate mixing SOUTH's visits with both.
    assert (month2.count, month2.visits, month2.rate_per_1000_visits) == (1, None, None)


def test_monthly_rates_of_no_months_is_empty(staff):
    assert denominators.monthly_rates(db.session, [_branch("NORTH").id], []) == []


def _cover(code: str, visits: int = 1000) -> None:
    for month in twelve_months().months:
        _enter(code, month, visits)


def test_the_dashboard_shows_rates_when_every_whole_month_has_visits(staff):
    for back in range(1, 9):
        for _ in range(back % 3 + 1):
            make_incident(staff["carer1"], in_month(back))
    _cover("NORTH", visits=500)
    figures = dashboard_figures(staff["manager"], [_branch("NORTH")], twelve_months())
    assert figures["incidents"]["measure"] == "rate"
    assert figures["spc"]["measure"] == "rate"
    assert figures["spc"]["axis_label"] == "Reports per 1,000 visits"
    by_month = {m["month"]: m for m in figures["incidents"]["months"]}
    assert by_month[_key(1)]["rate"] == by_month[_key(1)]["total"] * 2.0
    assert by_month[_key(3)]["rate"] == 2.0  # 1 report / 500 visits
    # XmR on the rates, from the first month with a report (8 months back).
    assert figures["spc"]["months_used"] == 8
    assert figures["spc"]["centre"] == pytest.approx(
        sum(by_month[_key(b)]["rate"] for b in range(1, 9)) / 8
    )
    drawn = chart.spc_chart(figures)
    assert drawn.rates
    assert drawn.axis_label == "Reports per 1,000 visits"


def test_the_dashboard_keeps_counts_when_a_whole_month_has_no_visits(staff):
    make_incident(staff["carer1"], in_month(1))
    for month in twelve_months().months:
        if month != _key(5):
            _enter("NORTH", month, 500)
    figures = dashboard_figures(staff["manager"], [_branch("NORTH")], twelve_months())
    assert figures["incidents"]["measure"] == "count"
    assert figures["incidents"]["months_with_rate"] == 11
    assert figures["spc"]["axis_label"] == "Reports per month"
    by_month = {m["month"]: m for m in figures["incidents"]["months"]}
    assert by_month[_key(1)]["rate"] == 2.0  # still shown in the table
    assert by_month[_key(5)]["rate"] is None
    assert not chart.spc_chart(figures).rates


def test_all_branches_need_visits_for_rates_on_the_all_branches_dashboard(staff):
    _cover("NORTH")
    figures = dashboard_figures(
        staff["manager"], [_branch("NORTH"), _branch("SOUTH")], twelve_months()
    )
    assert figures["incidents"]["measure"] == "count"
    assert figures["incidents"]["months_with_rate"] == 0


def test_the_month_so_far_without_visits_draws_no_point(staff):
    make_incident(staff["carer1"], in_month(1))
    for month in twelve_months().months[:-1]:
        _enter("NORTH", month, 500)
    figures = dashboard_figures(staff["manager"], [_branch("NORTH")], twelve_months())
    assert figures["incidents"]["measure"] == "rate"
    drawn = chart.spc_chart(figures)
    assert drawn.points[-1].value is None
    assert len(drawn.line.split()) == len(drawn.points) - 1


def test_a_meeting_recorded_before_rates_draws_counts():
    old = {
        "incidents": {"months": [{"label": "Jan 2026", "total": 3, "complete": True}]},
        "spc": {"enough": False},
    }
    drawn = chart.spc_chart(old)
    assert not drawn.rates
    assert drawn.axis_label == "Reports per month"
    assert drawn.points[0].value == 3


def test_the_demo_gives_each_branch_twelve_plausible_months_once(staff):
    seed_denominators()
    again = seed_denominators()
    rows = list(db.session.scalars(db.select(Denominator)))
    assert again == ["Demo visits and people supported: 0 branch-months added."]
    assert len(rows) == 24
    assert {r.month for r in rows} == set(twelve_months().months[:-1]) | {_key(12)}
    for row in rows:
        assert row.people_supported == 10  # the demo's ten people in each branch
        assert 800 <= row.visits <= 1100  # about three visits a day each
        assert row.care_hours == round(row.visits * 0.55)


def test_a_recalculation_step_works_on_a_chart_of_rates(staff):
    for back in range(1, 12):
        for _ in range(2 if back > 6 else 5):
            make_incident(staff["carer1"], in_month(back))
    _cover("NORTH", visits=500)
    north = [_branch("NORTH")]
    recalculation.add(staff["manager"], north, _key(6), "New medicines process", [_key(6)])
    figures = dashboard_figures(staff["manager"], north, twelve_months())
    assert figures["spc"]["measure"] == "rate"
    before, after = figures["spc"]["phases"]
    # 11 to 7 months back (2 reports / 500 visits): five months, too few for limits.
    assert before["months"] == 5
    assert before["centre"] is None
    # 6 to 1 months back (5 reports / 500 visits = 10 per 1,000): its own limits.
    assert after["months"] == 6
    assert after["centre"] == pytest.approx(10.0)
    assert after["upper"] == pytest.approx(10.0)  # no month-to-month change at all
    assert figures["spc"]["recalculated_from"] == [dates.month_label(_key(6))]
