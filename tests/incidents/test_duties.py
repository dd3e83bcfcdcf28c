"""The rules table (incidents/duties.py): every trigger in regulation.md and its
edges, and the working-day arithmetic behind the due times. Pure: no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from core.dates import UK
from incidents.duties import DutySettings, Facts, Rule, duties_for
from incidents.working_days import (
    add_working_days,
    bank_holidays,
    end_of_day,
    same_or_next_working_day,
)

SETTINGS = DutySettings()
# A Wednesday in November (GMT), mid-morning.
OCCURRED = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
AWARE = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


def facts(**changes: Any) -> Facts:
    base = Facts(
        kind="incident",
        category="fall",
        harm="low",
        staff_injured=False,
        safeguarding="no",
        family_contact="no",
        occurred_at=OCCURRED,
        aware_at=AWARE,
        informed=frozenset(),
    )
    return replace(base, **changes)


def rules(f: Facts, settings: DutySettings = SETTINGS) -> dict[Rule, Any]:
    return {d.rule: d for d in duties_for(f, settings)}


def test_a_low_harm_fall_with_nothing_else_triggers_nothing():
    assert duties_for(facts(), SETTINGS) == []


# --- CQC Regulation 16 ---------------------------------------------------------------


def test_a_death_triggers_regulation_16_without_delay():
    duty = rules(facts(harm="death"))[Rule.CQC_REG16]
    # "Without delay": overdue after the default 24 hours from when we knew.
    assert duty.due_at == AWARE + timedelta(hours=24)
    assert "death" in duty.trigger


@pytest.mark.parametrize("harm", ["none", "low", "moderate", "severe"])
def test_regulation_16_is_only_for_a_death(harm):
    assert Rule.CQC_REG16 not in rules(facts(harm=harm))


def test_without_delay_hours_is_a_setting():
    duty = rules(facts(harm="death"), DutySettings(without_delay_hours=6))[Rule.CQC_REG16]
    assert duty.due_at == AWARE + timedelta(hours=6)


# --- CQC Regulation 18 ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"harm": "severe"}, True),  # serious injury
        ({"harm": "moderate"}, True),  # may be serious if prolonged: asked
        ({"harm": "low"}, False),
        ({"safeguarding": "yes"}, True),  # abuse
        ({"safeguarding": "unsure"}, True),  # an allegation, credible or not
        ({"safeguarding": "no"}, False),
        ({"category": "safeguarding"}, True),
        ({"informed": frozenset({"police"})}, True),  # police involvement
        ({"informed": frozenset({"gp", "family"})}, False),
        ({"kind": "near_miss", "harm": "none", "safeguarding": "yes"}, True),
        ({"kind": "near_miss", "harm": "none", "informed": frozenset({"police"})}, True),
    ],
)
def test_regulation_18_triggers(changes, expected):
    assert (Rule.CQC_REG18 in rules(facts(**changes))) is expected


def test_regulation_18_is_due_without_delay_and_says_every_reason():
    duty = rules(facts(harm="severe", safeguarding="yes", informed=frozenset({"police"})))[
        Rule.CQC_REG18
    ]
    assert duty.due_at == AWARE + timedelta(hours=24)
    assert "severe" in duty.trigger
    assert "abuse or neglect" in duty.trigger
    assert "police" in duty.trigger


def test_a_death_is_regulation_16_not_18():
    found = rules(facts(harm="death"))
    assert Rule.CQC_REG16 in found
    assert Rule.CQC_REG18 not in found


# --- Duty of candour -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("harm", "expected"),
    [("none", False), ("low", False), ("moderate", True), ("severe", True), ("death", True)],
)
def test_candour_is_triggered_from_moderate_harm_up(harm, expected):
    found = rules(facts(harm=harm))
    assert (Rule.CANDOUR_IN_PERSON in found) is expected
    assert (Rule.CANDOUR_WRITTEN in found) is expected


@pytest.mark.parametrize("harm", ["none", "moderate", "severe", "death"])
def test_a_near_miss_never_triggers_candour(harm):
    found = rules(facts(kind="near_miss", harm=harm))
    assert Rule.CANDOUR_IN_PERSON not in found
    assert Rule.CANDOUR_WRITTEN not in found


def test_candour_in_person_is_due_after_the_setting():
    found = rules(facts(harm="moderate"), DutySettings(candour_in_person_hours=48))
    assert found[Rule.CANDOUR_IN_PERSON].due_at == AWARE + timedelta(hours=48)


def test_candour_written_follow_up_is_ten_working_days_skipping_weekends():
    # Known on Friday 6 November 2026: ten working days later is Friday 20 November.
    aware = datetime(2026, 11, 6, 15, 0, tzinfo=UTC)
    duty = rules(facts(harm="moderate", aware_at=aware, occurred_at=aware))[Rule.CANDOUR_WRITTEN]
    assert duty.due_at == end_of_day(date(2026, 11, 20))


def test_candour_written_follow_up_skips_christmas_bank_holidays():
    # Known Wednesday 23 December 2026: 25th (Fri) and 28th (Mon, Boxing Day
    # substitute) and 1 January are bank holidays.
    aware = datetime(2026, 12, 23, 11, 0, tzinfo=UTC)
    duty = rules(facts(harm="severe", aware_at=aware, occurred_at=aware))[Rule.CANDOUR_WRITTEN]
    assert duty.due_at == end_of_day(date(2027, 1, 11))


def test_candour_written_working_days_is_a_setting():
    aware = datetime(2026, 11, 6, 15, 0, tzinfo=UTC)
    settings = DutySettings(candour_written_working_days=1)
    duty = rules(facts(harm="moderate", aware_at=aware, occurred_at=aware), settings)[
        Rule.CANDOUR_WRITTEN
    ]
    assert duty.due_at == end_of_day(date(2026, 11, 9))  # the Monday


# --- RIDDOR ----------------------------------------------------------------------------


def over_7(**changes: Any) -> Any:
    return rules(facts(staff_injured=True, **changes))[Rule.RIDDOR_OVER_7_DAY]


def test_riddor_over_7_day_injury_is_15_days_not_counting_the_accident_day():
    # Accident late on Sunday 1 March 2026 (UK): day 1 is 2 March, day 15 is 16 March.
    occurred = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    duty = over_7(occurred_at=occurred, aware_at=occurred, days_off_work=8)
    assert duty.due_at == end_of_day(date(2026, 3, 16))
    assert duty.due_at.astimezone(UK).date() - occurred.astimezone(UK).date() == timedelta(days=15)
    assert duty.clock_at == occurred


def test_riddor_counts_the_accident_day_in_uk_time_not_utc():
    # 23:30 UTC on 31 May is 00:30 BST on 1 June: the accident day is 1 June.
    occurred = datetime(2026, 5, 31, 23, 30, tzinfo=UTC)
    duty = over_7(occurred_at=occurred, aware_at=occurred, days_off_work=9)
    assert duty.due_at == end_of_day(date(2026, 6, 16))


def test_a_worker_hurt_with_days_off_not_yet_known_is_asked_with_no_due_time():
    duty = over_7()
    assert duty.due_at is None
    assert "days off" in duty.trigger


@pytest.mark.parametrize("days", [0, 3, 7])
def test_seven_days_off_or_fewer_is_not_reportable(days):
    assert Rule.RIDDOR_OVER_7_DAY not in rules(facts(staff_injured=True, days_off_work=days))


@pytest.mark.parametrize("harm", ["none", "low", "moderate", "severe", "death"])
def test_riddor_for_a_worker_never_comes_from_the_persons_harm(harm):
    found = rules(facts(staff_injured=True, harm=harm))
    assert Rule.RIDDOR_WITHOUT_DELAY not in found
    assert found[Rule.RIDDOR_OVER_7_DAY].due_at is None


@pytest.mark.parametrize("injury", ["fracture", "amputation", "unconscious", "death"])
def test_a_specified_injury_or_death_is_told_without_delay_and_reported_in_10_days(injury):
    found = rules(facts(staff_injured=True, harm="none", specified_injury=injury))
    notice = found[Rule.RIDDOR_WITHOUT_DELAY]
    assert notice.due_at == AWARE + timedelta(hours=24)
    assert notice.clock_at == AWARE
    assert "without delay" in notice.trigger
    assert found[Rule.RIDDOR].due_at == end_of_day(date(2026, 11, 28))
    # Reported as a specified injury, not again as an over-7-day one.
    assert Rule.RIDDOR_OVER_7_DAY not in found


def test_the_without_delay_notice_follows_the_setting():
    found = rules(
        facts(staff_injured=True, specified_injury="fracture"), DutySettings(without_delay_hours=4)
    )
    assert found[Rule.RIDDOR_WITHOUT_DELAY].due_at == AWARE + timedelta(hours=4)


def test_violence_to_a_worker_counts_as_an_injury():
    duty = over_7(category="behaviour", harm="none", days_off_work=10)
    assert "violence" in duty.trigger
    assert duty.due_at == end_of_day(date(2026, 12, 3))


def test_no_worker_injured_and_no_one_to_hospital_means_no_riddor():
    found = rules(facts(category="behaviour", harm="severe", informed=frozenset({"999"})))
    assert not {Rule.RIDDOR, Rule.RIDDOR_WITHOUT_DELAY, Rule.RIDDOR_OVER_7_DAY} & set(found)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"non_worker_hospital": True}, True),  # taken to hospital for treatment
        ({"harm": "moderate", "informed": frozenset({"999"})}, False),  # harm alone: no
        ({"harm": "death"}, True),  # a non-worker's death arising from work
        ({"kind": "near_miss", "harm": "none"}, False),
    ],
)
def test_riddor_for_someone_who_is_not_a_worker(changes, expected):
    found = rules(facts(**changes))
    assert (Rule.RIDDOR in found) is expected
    if expected:
        assert found[Rule.RIDDOR].due_at == end_of_day(date(2026, 11, 28))
        assert Rule.RIDDOR_WITHOUT_DELAY not in found


# --- Safeguarding (Care Act section 42) ------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"safeguarding": "yes"}, True),
        ({"safeguarding": "unsure"}, True),
        ({"safeguarding": "no"}, False),
        ({"category": "safeguarding"}, True),
        ({"category": "property", "safeguarding": "yes"}, True),  # financial abuse
    ],
)
def test_section_42_referral_triggers(changes, expected):
    assert (Rule.SAFEGUARDING_REFERRAL in rules(facts(**changes))) is expected


def test_section_42_referral_is_due_the_same_working_day():
    duty = rules(facts(safeguarding="yes"))[Rule.SAFEGUARDING_REFERRAL]
    assert duty.due_at == end_of_day(date(2026, 11, 18))


def test_section_42_referral_known_at_the_weekend_is_due_on_monday():
    saturday = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
    duty = rules(facts(safeguarding="yes", aware_at=saturday))[Rule.SAFEGUARDING_REFERRAL]
    assert duty.due_at == end_of_day(date(2026, 11, 23))


def test_section_42_referral_known_on_a_bank_holiday_is_due_the_next_working_day():
    easter_monday = datetime(2026, 4, 6, 9, 0, tzinfo=UTC)
    duty = rules(facts(safeguarding="unsure", aware_at=easter_monday))[Rule.SAFEGUARDING_REFERRAL]
    assert duty.due_at == end_of_day(date(2026, 4, 7))


# --- Family contact --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"), [("yes", True), ("no", False), ("not_applicable", False)]
)
def test_family_contact_when_the_reporter_says_so(answer, expected):
    assert (Rule.FAMILY_CONTACT in rules(facts(family_contact=answer))) is expected


def test_family_contact_is_due_after_the_setting():
    found = rules(facts(family_contact="yes"), DutySettings(family_contact_hours=4))
    assert found[Rule.FAMILY_CONTACT].due_at == AWARE + timedelta(hours=4)


def test_family_already_told_is_noted_in_the_trigger():
    found = rules(facts(family_contact="yes", informed=frozenset({"family"})))
    assert "already" in found[Rule.FAMILY_CONTACT].trigger


# --- The brief's three examples ---------------------------------------------------------


def test_example_time_critical_omission_near_miss_asks_only_about_the_family():
    found = rules(facts(kind="near_miss", category="medication", harm="none", family_contact="yes"))
    assert set(found) == {Rule.FAMILY_CONTACT}


def test_example_behaviour_injuring_a_worker_asks_about_riddor():
    found = rules(facts(category="behaviour", harm="low", staff_injured=True))
    assert set(found) == {Rule.RIDDOR_OVER_7_DAY}


def test_example_a_minor_fall_asks_nothing():
    assert rules(facts(category="fall", harm="low")) == {}


# --- Working days ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (
            2026,
            {"01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"},
        ),
        (
            2027,
            {"01-01", "03-26", "03-29", "05-03", "05-31", "08-30", "12-27", "12-28"},
        ),
        (
            2022,  # the platinum jubilee and the state funeral
            {
                "01-03",
                "04-15",
                "04-18",
                "05-02",
                "06-02",
                "06-03",
                "08-29",
                "09-19",
                "12-26",
                "12-27",
            },
        ),
    ],
)
def test_england_bank_holidays(year, expected):
    assert {d.strftime("%m-%d") for d in bank_holidays(year)} == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 11, 20), 1, date(2026, 11, 23)),  # Friday + 1 = Monday
        (date(2026, 11, 21), 1, date(2026, 11, 23)),  # Saturday + 1 = Monday
        (date(2026, 11, 18), 5, date(2026, 11, 25)),  # a whole week
        (date(2026, 4, 2), 1, date(2026, 4, 7)),  # over Easter
        (date(2026, 11, 18), 0, date(2026, 11, 18)),
    ],
)
def test_add_working_days(start, days, expected):
    assert add_working_days(start, days) == expected


def test_extra_bank_holidays_from_settings_are_skipped():
    assert add_working_days(date(2026, 11, 20), 1, {date(2026, 11, 23)}) == date(2026, 11, 24)
    assert same_or_next_working_day(date(2026, 11, 23), {date(2026, 11, 23)}) == date(2026, 11, 24)


def test_end_of_day_is_in_uk_time():
    assert end_of_day(date(2026, 7, 1)).astimezone(UTC) == datetime(
        2026, 7, 1, 22, 59, 59, tzinfo=UTC
    )
    assert end_of_day(date(2026, 12, 1)).astimezone(UTC) == datetime(
        2026, 12, 1, 23, 59, 59, tzinfo=UTC
    )


def test_settings_come_from_the_app_config():
    settings = DutySettings.from_config(
        {
            "DUTY_WITHOUT_DELAY_HOURS": 12,
            "DUTY_CANDOUR_IN_PERSON_HOURS": 24,
            "DUTY_CANDOUR_WRITTEN_WORKING_DAYS": 5,
            "DUTY_FAMILY_CONTACT_HOURS": 2,
            "EXTRA_BANK_HOLIDAYS": ["2026-11-23"],
        }
    )
    assert settings == DutySettings(12, 24, 5, 2, frozenset({date(2026, 11, 23)}))
