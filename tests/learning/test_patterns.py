"""Patterns found in seeded incidents: a positive and a negative at each
threshold (repeats for one person, a shared contributing condition, hotspots
by branch, team, time of day and weekday)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import demo
from core.dates import UK
from core.models import Team
from extensions import db
from incidents.models import Incident
from learning import patterns, reviews
from learning.patterns import PatternSettings, find_patterns
from tests.learning.conftest import NOW, complete_review

DEFAULTS = PatternSettings()


def at(days_ago: float, hour: int = 10) -> datetime:
    return (NOW - timedelta(days=days_ago)).replace(hour=hour, minute=0, second=0)


def kinds(report, kind: str):
    return [p for p in report.all if p.kind == kind]


# --- the same person and category -------------------------------------------------------


def test_three_falls_for_one_person_in_30_days_is_a_pattern(staff, report):
    made = [report(occurred_at=at(d), category="fall", person_ref="P-0002") for d in (25, 12, 2)]
    found = kinds(find_patterns(staff["manager"], DEFAULTS), "repeat")
    assert len(found) == 1
    assert {i.id for i in found[0].incidents} == {i.id for i in made}
    assert found[0].title == "3 falls for P-0002"


def test_two_falls_are_not_a_pattern(staff, report):
    for d in (12, 2):
        report(occurred_at=at(d), category="fall", person_ref="P-0002")
    assert kinds(find_patterns(staff["manager"], DEFAULTS), "repeat") == []


def test_three_falls_exactly_30_days_apart_count(staff, report):
    for d in (31, 16, 1):
        report(occurred_at=at(d), category="fall", person_ref="P-0002")
    assert len(kinds(find_patterns(staff["manager"], DEFAULTS), "repeat")) == 1


def test_three_falls_spread_over_31_days_do_not(staff, report):
    first = at(32)
    for moment in (first, first + timedelta(days=15), first + timedelta(days=31, minutes=1)):
        report(occurred_at=moment, category="fall", person_ref="P-0002")
    assert kinds(find_patterns(staff["manager"], DEFAULTS), "repeat") == []


def test_falls_of_different_people_are_not_a_repeat(staff, report):
    for ref in ("P-0002", "P-0003", "P-0004"):
        report(occurred_at=at(3), category="fall", person_ref=ref)
    assert kinds(find_patterns(staff["manager"], DEFAULTS), "repeat") == []


def test_different_categories_for_one_person_are_not_a_repeat(staff, report):
    for category in ("fall", "skin", "injury"):
        report(occurred_at=at(3), category=category, person_ref="P-0002")
    assert kinds(find_patterns(staff["manager"], DEFAULTS), "repeat") == []


def test_overlapping_windows_make_one_pattern(staff, report):
    for d in (40, 28, 15, 2):
        report(occurred_at=at(d), category="fall", person_ref="P-0002")
    found = kinds(find_patterns(staff["manager"], DEFAULTS), "repeat")
    assert [len(p.incidents) for p in found] == [4]


def test_the_threshold_is_a_setting(staff, report):
    for d in (12, 2):
        report(occurred_at=at(d), category="fall", person_ref="P-0002")
    settings = PatternSettings(repeat_count=2)
    assert len(kinds(find_patterns(staff["manager"], settings), "repeat")) == 1


def test_settings_come_from_the_app_config(app):
    settings = PatternSettings.from_config(
        {**app.config, "PATTERN_REPEAT_COUNT": 5, "PATTERN_REPEAT_DAYS": 14}
    )
    assert (settings.repeat_count, settings.repeat_days) == (5, 14)
    assert PatternSettings.from_config(app.config) == DEFAULTS


def test_incidents_before_the_look_back_are_ignored(staff, report):
    for d in (100, 95, 92):
        report(occurred_at=at(d), category="fall", person_ref="P-0002", late_reason=None)
    assert kinds(find_patterns(staff["manager"], DEFAULTS), "repeat") == []


def test_patterns_only_use_incidents_in_scope(staff, report):
    for d in (10, 5, 1):
        report("carer3", occurred_at=at(d), category="fall", person_ref="P-0012")
    assert kinds(find_patterns(staff["supervisor"], DEFAULTS), "repeat") == []
    assert len(kinds(find_patterns(staff["manager"], DEFAULTS), "repeat")) == 1


# --- a shared contributing condition -------------------------------------------------------


def _reviewed(staff, report, conditions_list, categories=None):
    made = []
    for n, conditions in enumerate(conditions_list):
        category = (categories or ["medication"] * len(conditions_list))[n]
        incident = report(occurred_at=at(20 - n * 5), category=category, person_ref=f"P-000{n + 1}")
        complete_review(staff["manager"], [incident], conditions=conditions)
        made.append(incident)
    return made


def test_three_medication_incidents_sharing_handover_are_a_pattern(staff, report):
    made = _reviewed(staff, report, [["handover"], ["handover", "documentation"], ["handover"]])
    found = kinds(find_patterns(staff["manager"], DEFAULTS), "condition")
    assert [p.key for p in found] == ["condition:medication:handover"]
    assert {i.id for i in found[0].incidents} == {i.id for i in made}


def test_two_sharing_a_condition_are_not(staff, report):
    _reviewed(staff, report, [["handover"], ["handover"], ["equipment"]])
    assert kinds(find_patterns(staff["manager"], DEFAULTS), "condition") == []


def test_a_shared_condition_across_categories_is_not(staff, report):
    _reviewed(staff, report, [["handover"]] * 3, categories=["medication", "medication", "fall"])
    assert kinds(find_patterns(staff["manager"], DEFAULTS), "condition") == []


def test_unreviewed_incidents_have_no_conditions(staff, report):
    for n in range(3):
        report(occurred_at=at(5 + n), category="medication", person_ref=f"P-000{n + 1}")
    assert kinds(find_patterns(staff["manager"], DEFAULTS), "condition") == []


# --- hotspots: time of day ------------------------------------------------------------------


def _falls_at_hours(report, hours_by_count):
    day = 1
    for hour, n in hours_by_count.items():
        for _ in range(n):
            # Different people and weekdays, so only the time of day lines up.
            report(occurred_at=at(day, hour), category="fall", person_ref=f"P-000{day % 9 + 1}")
            day += 1


def test_four_night_falls_and_none_at_other_times_are_a_hotspot(staff, report):
    _falls_at_hours(report, {23: 4})
    found = kinds(find_patterns(staff["manager"], DEFAULTS), "time_of_day")
    assert [p.title for p in found] == ["4 falls in the night"]


def test_three_night_falls_are_below_the_minimum(staff, report):
    _falls_at_hours(report, {23: 3})
    assert kinds(find_patterns(staff["manager"], DEFAULTS), "time_of_day") == []


def test_twice_the_average_of_other_times_is_a_hotspot(staff, report):
    _falls_at_hours(report, {23: 4, 8: 2, 12: 2, 15: 2, 19: 2})
    found = kinds(find_patterns(staff["manager"], DEFAULTS), "time_of_day")
    assert [p.key for p in found] == ["time:fall:0"]


def test_less_than_twice_the_average_is_not(staff, report):
    _falls_at_hours(report, {23: 4, 8: 3, 12: 2, 15: 2, 19: 2})
    assert kinds(find_patterns(staff["manager"], DEFAULTS), "time_of_day") == []


@pytest.mark.parametrize(
    ("hour", "band"),
    [(22, 0), (3, 0), (6, 0), (7, 1), (10, 1), (11, 2), (14, 3), (17, 3), (18, 4), (21, 4)],
)
def test_time_bands_cover_the_day(staff, report, hour, band):
    incident = report(occurred_at=at(1, hour), category="fall")
    assert patterns.time_band(incident) == band


# --- hotspots: weekday ------------------------------------------------------------------------


def _on_weekday(weekday: int, weeks_ago: int, hour: int = 10) -> datetime:
    moment = at(1, hour)
    while moment.weekday() != weekday:
        moment -= timedelta(days=1)
    return moment - timedelta(weeks=weeks_ago)


def test_four_falls_on_mondays_are_a_hotspot(staff, report):
    for week, hour in zip(range(4), (8, 12, 15, 19), strict=True):
        report(
            occurred_at=_on_weekday(0, week, hour), category="fall", person_ref=f"P-000{week + 1}"
        )
    found = kinds(find_patterns(staff["manager"], DEFAULTS), "weekday")
    assert [p.title for p in found] == ["4 falls on Mondays"]


def test_falls_spread_over_the_week_are_not(staff, report):
    for day in range(7):
        for week in range(2):
            report(
                occurred_at=_on_weekday(day, week, 8 + week * 5),
                category="fall",
                person_ref=f"P-000{day + 1}",
            )
    assert kinds(find_patterns(staff["manager"], DEFAULTS), "weekday") == []


# --- hotspots: branch -----------------------------------------------------------------------------


def _branch_falls(report, north: int, south: int):
    for n in range(north):
        report(
            "carer1",
            occurred_at=at(n + 1, 8 + (n % 5) * 3),
            category="fall",
            person_ref=f"P-000{n + 1}",
        )
    for n in range(south):
        report(
            "carer3",
            occurred_at=at(n + 1, 8 + (n % 5) * 3),
            category="fall",
            person_ref=f"P-001{n + 1}",
        )


def test_a_branch_with_all_the_falls_is_a_hotspot(staff, report):
    _branch_falls(report, 4, 0)
    found = kinds(find_patterns(staff["manager"], DEFAULTS), "branch")
    assert [p.key for p in found] == ["branch:fall:NORTH"]


def test_twice_the_rate_of_the_other_branch_is_a_hotspot(staff, report):
    _branch_falls(report, 4, 2)
    assert [p.key for p in kinds(find_patterns(staff["manager"], DEFAULTS), "branch")] == [
        "branch:fall:NORTH"
    ]


def test_less_than_twice_the_rate_is_not(staff, report):
    _branch_falls(report, 4, 3)
    assert kinds(find_patterns(staff["manager"], DEFAULTS), "branch") == []


def test_one_branch_in_scope_has_no_branch_hotspots(staff, report):
    _branch_falls(report, 4, 0)
    assert kinds(find_patterns(staff["supervisor"], DEFAULTS), "branch") == []


# --- hotspots: team -------------------------------------------------------------------------------
# The demo teams of NORTH: carer1 and the supervisor in "Town centre" (2 people),
# carer2 in "Moorside round" (1 person). Compared per team member.


@pytest.fixture
def teams(staff):
    demo.seed_teams()
    return {t.name: t for t in db.session.scalars(db.select(Team))}


def _team_falls(report, **by_reporter: int):
    day = 1
    for key, n in by_reporter.items():
        for _ in range(n):
            report(key, occurred_at=at(day, 8 + (day % 5) * 3), category="fall")
            day += 1


def _team_keys(staff):
    return [p.key for p in kinds(find_patterns(staff["manager"], DEFAULTS), "team")]


def test_a_team_at_the_minimum_and_twice_the_rate_per_member_is_a_hotspot(staff, teams, report):
    # Moorside round: 4 falls for 1 person; Town centre: 4 for 2 people, half the rate.
    _team_falls(report, carer2=4, carer1=2, supervisor=2)
    (found,) = kinds(find_patterns(staff["manager"], DEFAULTS), "team")
    moorside = teams["Moorside round"]
    assert found.key == f"team:fall:{moorside.id}"
    assert found.title == "4 falls in the Moorside round team (North branch)"
    assert found.theme == "Fall incidents in the Moorside round team"
    assert found.detail == (
        "4 reported by a team of 1 person: at least 2 times as many per team member as "
        "the other teams in North branch."
    )
    assert {i.team_id for i in found.incidents} == {moorside.id}


def test_one_below_the_minimum_is_not_a_team_hotspot(staff, teams, report):
    _team_falls(report, carer2=3)
    assert _team_keys(staff) == []


def test_just_under_twice_the_rate_per_member_is_not_a_team_hotspot(staff, teams, report):
    # Town centre has 5 for 2 people (2.5 each): 4 is less than twice that.
    _team_falls(report, carer2=4, carer1=3, supervisor=2)
    assert _team_keys(staff) == []


def test_teams_are_compared_per_member_not_by_count(staff, teams, report):
    # Twice the count, but Town centre has twice the people: the same rate.
    _team_falls(report, carer1=4, supervisor=4, carer2=4)
    assert _team_keys(staff) == []


def test_the_hotspot_threshold_settings_apply_to_teams(staff, teams, report):
    _team_falls(report, carer2=3)
    settings = PatternSettings(hotspot_min=3)
    found = kinds(find_patterns(staff["manager"], settings), "team")
    assert [p.key for p in found] == [f"team:fall:{teams['Moorside round'].id}"]


def test_a_branch_with_one_team_has_no_team_hotspots(staff, teams, report):
    teams["Moorside round"].active = False
    staff["carer2"].team = None
    db.session.commit()
    _team_falls(report, carer1=4)
    assert _team_keys(staff) == []


def test_a_team_with_nobody_in_it_is_not_compared(staff, teams, report):
    # SOUTH: carer3 in "Harbour and seafront"; "Villages round" is empty.
    for n in range(4):
        report("carer3", occurred_at=at(n + 1), category="fall", person_ref=f"P-001{n + 1}")
    assert _team_keys(staff) == []


def test_teams_are_compared_only_within_their_branch(staff, teams, report):
    # Two people in SOUTH teams with no falls would pull the average down if
    # they were compared with NORTH's teams; they are not.
    staff["manager"].team = teams["Villages round"]
    db.session.commit()
    _team_falls(report, carer2=4, carer1=2, supervisor=2)
    _team_falls(report, carer1=4)
    assert _team_keys(staff) == []


def test_moving_team_later_leaves_the_falls_with_the_old_team(staff, teams, report):
    _team_falls(report, carer2=4, carer1=1, supervisor=1)
    # carer2 moves to Town centre afterwards: the falls stay with Moorside round,
    # which now has nobody in it and so is not compared.
    staff["carer2"].team = teams["Town centre"]
    db.session.commit()
    falls = db.session.scalars(
        db.select(Incident.team_id).where(Incident.author_id == staff["carer2"].id)
    )
    assert set(falls) == {teams["Moorside round"].id}
    assert _team_keys(staff) == []


# --- a pattern and its thematic review ---------------------------------------------------------------


def test_a_thematic_review_of_all_its_incidents_covers_a_pattern(staff, report):
    made = [report(occurred_at=at(d), category="fall", person_ref="P-0002") for d in (9, 6, 3)]
    reviews.start_review(staff["manager"], "thematic", [i.id for i in made], "Falls for P-0002")
    (pattern,) = kinds(find_patterns(staff["manager"], DEFAULTS), "repeat")
    assert pattern.review is not None
    assert pattern.covered == 3
    assert pattern.fully_reviewed


def test_a_new_incident_after_the_thematic_review_reopens_the_pattern(staff, report):
    made = [report(occurred_at=at(d), category="fall", person_ref="P-0002") for d in (9, 6, 3)]
    reviews.start_review(staff["manager"], "thematic", [i.id for i in made])
    report(occurred_at=at(1), category="fall", person_ref="P-0002")
    (pattern,) = kinds(find_patterns(staff["manager"], DEFAULTS), "repeat")
    assert pattern.covered == 3
    assert not pattern.fully_reviewed


def test_a_team_hotspot_carries_the_incident_lists_filters(staff, teams, report):
    _team_falls(report, carer2=4, carer1=2, supervisor=2)
    (found,) = kinds(find_patterns(staff["manager"], DEFAULTS, now=NOW), "team")
    first_day = NOW.astimezone(UK).date() - timedelta(days=DEFAULTS.lookback_days)
    assert found.list_filters == {
        "team": str(teams["Moorside round"].id),
        "category": "fall",
        "date_from": first_day.isoformat(),
    }


@pytest.mark.parametrize(
    ("now", "days", "start"),
    [
        # 00:30 on 2 July in the UK (BST): the look-back began at midnight BST on 1 July.
        (datetime(2026, 7, 1, 23, 30, tzinfo=UTC), 1, datetime(2026, 6, 30, 23, 0, tzinfo=UTC)),
        # From winter (GMT) back into summer (BST).
        (datetime(2026, 1, 15, 12, 0, tzinfo=UTC), 90, datetime(2025, 10, 16, 23, 0, tzinfo=UTC)),
        # The day the clocks go forward began at midnight GMT.
        (datetime(2026, 3, 29, 12, 0, tzinfo=UTC), 0, datetime(2026, 3, 29, 0, 0, tzinfo=UTC)),
    ],
)
def test_the_look_back_starts_at_uk_midnight(now, days, start):
    assert patterns.look_back_start(now, days) == start


def test_the_look_back_holds_its_first_uk_day_whole(staff, report):
    start = patterns.look_back_start(NOW, DEFAULTS.lookback_days)
    early = report(occurred_at=start + timedelta(minutes=10), category="fall", person_ref="P-0002")
    report(occurred_at=start - timedelta(minutes=10), category="fall", person_ref="P-0002")
    for d in (2, 30):  # three falls within 30 days only if the first-day one counts
        report(occurred_at=start + timedelta(days=d), category="fall", person_ref="P-0002")
    (found,) = kinds(find_patterns(staff["manager"], DEFAULTS, now=NOW), "repeat")
    assert early.id in found.incident_ids
    assert len(found.incidents) == 3


def test_a_hotspot_link_starts_on_the_uk_day_the_look_back_began(staff, teams, report):
    _team_falls(report, carer2=4, carer1=2, supervisor=2)
    # In summer, 23:30 UTC is 00:30 the next day in the UK (BST).
    now = datetime(NOW.year + 1, 7, 1, 23, 30, tzinfo=UTC)
    settings = PatternSettings(lookback_days=730)
    (found,) = kinds(find_patterns(staff["manager"], settings, now), "team")
    first_day = datetime(NOW.year + 1, 7, 2).date() - timedelta(days=730)
    assert found.list_filters["date_from"] == first_day.isoformat()


def test_a_repeat_pattern_lists_the_persons_incidents_of_its_kind_between_its_days(staff, report):
    made = [report(occurred_at=at(d), category="fall", person_ref="P-0002") for d in (9, 6, 3)]
    (found,) = kinds(find_patterns(staff["manager"], DEFAULTS, now=NOW), "repeat")
    assert found.list_filters == {
        "person": "P-0002",
        "category": "fall",
        "date_from": made[0].occurred_at.astimezone(UK).date().isoformat(),
        "date_to": made[-1].occurred_at.astimezone(UK).date().isoformat(),
    }


def test_a_branch_hotspot_lists_the_branchs_incidents_of_its_kind(staff, report):
    for days in (2, 4, 6, 8):
        report(occurred_at=at(days), category="fall", person_ref="P-0002")
    found = list(kinds(find_patterns(staff["manager"], DEFAULTS, now=NOW), "branch"))
    assert found
    first_day = NOW.astimezone(UK).date() - timedelta(days=DEFAULTS.lookback_days)
    for pattern in found:
        code = pattern.key.rsplit(":", 1)[1]
        assert pattern.list_filters == {
            "branch": code,
            "category": "fall",
            "date_from": first_day.isoformat(),
        }


@pytest.mark.parametrize("kind", ["time_of_day", "weekday"])
def test_time_and_weekday_hotspots_carry_no_incident_list_filters(staff, report, kind):
    # Falls for one person supported in NORTH, at 08:00 on the same weekday.
    for weeks in (1, 2, 3, 4):
        report(occurred_at=at(7 * weeks, 8), category="fall", person_ref="P-0002")
    found = kinds(find_patterns(staff["manager"], DEFAULTS, now=NOW), kind)
    assert found
    assert all(p.list_filters == {} for p in found)
