"""The dashboard's maths on its own: months in UK time, c-chart limits and the
signals they give, at and around each threshold."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pytest

from core.dates import Period, last_months, month_key
from governance.spc import (
    MIN_SPC_MONTHS,
    RUN_LENGTH,
    Limits,
    c_chart_limits,
    count_by_month,
    share,
    spc_signals,
)

LABELS = [f"M{i}" for i in range(24)]


def test_limits_are_the_mean_and_three_square_roots_of_it():
    limits = c_chart_limits([4, 4, 4, 4, 4, 4])
    assert limits == Limits(centre=4.0, upper=4 + 3 * 2.0, lower=0.0)


def test_the_lower_limit_is_above_zero_when_the_mean_is_large_enough():
    limits = c_chart_limits([25] * 6)
    assert limits is not None
    assert limits.lower == pytest.approx(25 - 15)
    assert limits.upper == pytest.approx(40)


def test_the_lower_limit_never_goes_below_zero():
    limits = c_chart_limits([1, 0, 2, 1, 0, 2])
    assert limits is not None
    assert limits.lower == 0.0
    assert limits.upper == pytest.approx(1 + 3 * math.sqrt(1))


def test_fewer_than_six_months_is_not_enough_data():
    assert c_chart_limits([5] * (MIN_SPC_MONTHS - 1)) is None
    assert c_chart_limits([5] * MIN_SPC_MONTHS) is not None


def test_no_limits_no_signals():
    assert spc_signals(LABELS, [1, 50, 1], None) == []


def test_all_zero_months_give_no_signal():
    counts = [0] * 12
    assert spc_signals(LABELS, counts, c_chart_limits(counts)) == []


def test_a_month_exactly_on_the_upper_limit_is_not_a_signal():
    limits = Limits(centre=4.0, upper=10.0, lower=0.0)
    assert spc_signals(LABELS, [4, 3, 5, 10, 4, 3], limits) == []


def test_a_month_just_above_the_upper_limit_is_a_signal():
    limits = Limits(centre=4.0, upper=10.0, lower=0.0)
    signals = spc_signals(LABELS, [4, 3, 5, 11, 4, 3], limits)
    assert [(s.kind, s.first) for s in signals] == [("above", 3)]
    assert "M3: 11 reports, above the upper limit of 10" in signals[0].text


def test_a_month_below_a_positive_lower_limit_is_a_signal():
    limits = Limits(centre=25.0, upper=40.0, lower=10.0)
    assert [s.kind for s in spc_signals(LABELS, [25, 24, 9, 26, 25, 24], limits)] == ["below"]
    assert spc_signals(LABELS, [25, 24, 10, 26, 25, 24], limits) == []


def test_eight_months_in_a_row_above_the_centre_is_a_run():
    limits = Limits(centre=5.0, upper=20.0, lower=0.0)
    counts = [2, 3] + [6] * RUN_LENGTH + [4, 3]
    signals = spc_signals(LABELS, counts, limits)
    assert [(s.kind, s.first, s.last) for s in signals] == [("run_above", 2, 9)]
    assert "8 months in a row above the average of 5" in signals[0].text


def test_seven_months_in_a_row_is_not_a_run():
    limits = Limits(centre=5.0, upper=20.0, lower=0.0)
    counts = [2, 3] + [6] * (RUN_LENGTH - 1) + [4, 3]
    assert spc_signals(LABELS, counts, limits) == []


def test_a_month_on_the_centre_line_breaks_a_run():
    limits = Limits(centre=5.0, upper=20.0, lower=0.0)
    counts = [3] * 4 + [5] + [3] * 4
    assert spc_signals(LABELS, counts, limits) == []


def test_a_run_below_the_centre_at_the_end_of_the_series_is_found():
    limits = Limits(centre=5.0, upper=20.0, lower=0.0)
    counts = [9, 8] + [2] * 9
    signals = spc_signals(LABELS, counts, limits)
    assert [(s.kind, s.first, s.last) for s in signals] == [("run_below", 2, 10)]


def test_month_key_is_the_uk_month_across_the_bst_boundary():
    # 31 Mar 2026 23:30 UTC is 1 Apr 00:30 in London (BST began on 29 March).
    assert month_key(datetime(2026, 3, 31, 23, 30, tzinfo=UTC)) == "2026-04"
    # 31 Oct 2026 23:30 UTC is still 31 Oct in London (GMT from 25 October).
    assert month_key(datetime(2026, 10, 31, 23, 30, tzinfo=UTC)) == "2026-10"
    # 31 Jan 23:30 UTC: GMT, same day.
    assert month_key(datetime(2026, 1, 31, 23, 30, tzinfo=UTC)) == "2026-01"


def test_a_period_of_whole_months_starts_at_uk_midnight():
    period = last_months(date(2026, 4, 15), 3)
    assert (period.start, period.end) == (date(2026, 2, 1), date(2026, 4, 30))
    assert period.months == ["2026-02", "2026-03", "2026-04"]
    assert period.ends_at == datetime(2026, 4, 30, 23, 0, tzinfo=UTC)  # BST
    assert period.starts_at == datetime(2026, 2, 1, 0, 0, tzinfo=UTC)  # GMT


def test_twelve_months_cross_the_year_end():
    period = last_months(date(2026, 1, 5), 12)
    assert period.months[0] == "2025-02"
    assert period.months[-1] == "2026-01"
    assert len(period.months) == 12


def test_counting_by_month_uses_uk_time_and_leaves_out_what_falls_outside():
    period = Period(date(2026, 3, 1), date(2026, 4, 30))
    counts = count_by_month(
        [
            datetime(2026, 3, 31, 22, 59, tzinfo=UTC),  # 23:59 BST, March
            datetime(2026, 3, 31, 23, 0, tzinfo=UTC),  # 00:00 BST, April
            datetime(2026, 4, 30, 23, 0, tzinfo=UTC),  # 1 May in London: outside
            datetime(2026, 2, 28, 23, 59, tzinfo=UTC),  # February: outside
        ],
        period,
    )
    assert counts == {"2026-03": 1, "2026-04": 1}


def test_an_empty_period_counts_zero_in_every_month():
    period = last_months(date(2026, 6, 1), 6)
    assert count_by_month([], period) == dict.fromkeys(period.months, 0)


def test_only_whole_months_that_are_over_are_complete():
    period = last_months(date(2026, 6, 10), 3)
    assert period.complete_months(datetime(2026, 6, 10, 12, tzinfo=UTC)) == ["2026-04", "2026-05"]
    part = Period(date(2026, 4, 15), date(2026, 5, 31))
    assert part.complete_months(datetime(2026, 6, 10, tzinfo=UTC)) == ["2026-05"]


def test_share_of_nothing_is_none():
    assert share(0, 0) is None
    assert share(1, 4) == 0.25
