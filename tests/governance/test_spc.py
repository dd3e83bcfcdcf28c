"""The control chart's maths on its own (governance.spc), with known inputs and
outputs for each of Making Data Count's rules: XmR limits, the baseline from the
first month with data (issue 16's leading zeros), a point beyond a limit, a
shift, a trend, two of three close to a limit, and a recalculation step."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.dates import Period, last_months, month_key
from governance.spc import (
    MIN_SPC_MONTHS,
    SHIFT_LENGTH,
    TREND_LENGTH,
    Limits,
    analyse,
    count_by_month,
    first_with_data,
    share,
    spc_signals,
    xmr_limits,
)

LABELS = [f"M{i}" for i in range(30)]

# Issue 16: the 12-month default in December 2026, January to May with no
# reports, June to November with some (whole months only).
MONTHS_2026 = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov"]
ISSUE_16 = [0, 0, 0, 0, 0, 5, 10, 7, 10, 13, 13]


def kinds(signals):
    return [(s.kind, s.first, s.last) for s in signals]


# --- XmR limits ---------------------------------------------------------------------------


def test_xmr_limits_are_the_mean_plus_or_minus_2_66_mean_moving_ranges():
    # Mean 6; moving ranges 4, 4, 4, 4, 4 -> mean 4; 2.66 x 4 = 10.64.
    limits = xmr_limits([4, 8, 4, 8, 4, 8])
    assert limits is not None
    assert limits.centre == pytest.approx(6.0)
    assert limits.upper == pytest.approx(16.64)
    assert limits.lower == 0.0  # 6 - 10.64 is below zero: a count cannot be


def test_xmr_lower_limit_is_above_zero_when_the_variation_is_small():
    limits = xmr_limits([20, 22, 20, 22, 20, 22])
    assert limits is not None
    assert limits.centre == pytest.approx(21.0)
    assert limits.upper == pytest.approx(21 + 2.66 * 2)
    assert limits.lower == pytest.approx(21 - 2.66 * 2)


def test_rates_work_as_well_as_counts():
    limits = xmr_limits([1.5, 2.5, 1.5, 2.5, 1.5, 2.5])
    assert limits is not None
    assert [limits.centre, limits.upper] == pytest.approx([2.0, 4.66])


def test_fewer_than_six_months_is_not_enough_data():
    assert xmr_limits([5, 6, 5, 6, 5][: MIN_SPC_MONTHS - 1]) is None
    assert xmr_limits([5, 6, 5, 6, 5, 6]) is not None


# --- the baseline: from the first month with data (issue 16) ---------------------------------


def test_the_first_month_with_data_starts_the_baseline():
    assert first_with_data([0, 0, 3, 0, 2]) == 2
    assert first_with_data([0, 0, 0]) is None


def test_issue_16_padding_with_zeros_made_ordinary_months_look_special():
    """What the old chart did: every month of the period, zeros before the first
    record included. The mean falls to 5.3 (the old c-chart's upper limit, 5.3 +
    3 x sqrt(5.3), was the 12.2 of the issue) and, XmR or not, October and November
    are flagged."""
    mean = sum(ISSUE_16) / len(ISSUE_16)
    assert round(mean, 1) == 5.3
    assert round(mean + 3 * mean**0.5, 1) == 12.2
    padded = xmr_limits(ISSUE_16)
    assert padded is not None
    assert padded.centre == pytest.approx(58 / 11)
    flagged = [s for s in spc_signals(MONTHS_2026, ISSUE_16, padded) if s.kind == "above"]
    assert [s.first for s in flagged] == [9, 10]  # Oct and Nov, 13 each


def test_issue_16_over_the_months_with_data_nothing_is_special():
    analysis = analyse(MONTHS_2026, ISSUE_16)
    assert analysis.start == 5  # June
    assert analysis.months_used == 6
    latest = analysis.latest
    assert latest is not None
    assert latest.limits is not None
    assert latest.limits.centre == pytest.approx(58 / 6)  # 9.7
    # Moving ranges 5, 3, 3, 3, 0: mean 2.8; 9.67 + 2.66 x 2.8 = 17.1.
    assert latest.limits.upper == pytest.approx(58 / 6 + 2.66 * 2.8)
    assert analysis.signals == []


def test_no_data_at_all_is_no_chart():
    analysis = analyse(LABELS, [0] * 12)
    assert (analysis.start, analysis.enough, analysis.signals) == (None, False, [])


def test_too_few_months_after_the_first_record_is_not_enough():
    analysis = analyse(LABELS, [0] * 8 + [3, 4, 5, 2])
    assert analysis.months_used == 4
    assert analysis.enough is False


def test_zero_months_after_the_first_record_do_count():
    analysis = analyse(LABELS, [0, 0, 4, 0, 3, 0, 5, 2])
    assert analysis.start == 2
    assert analysis.months_used == 6


# --- rule 1: a point beyond a limit --------------------------------------------------------


def test_a_month_exactly_on_the_upper_limit_is_not_a_signal():
    limits = Limits(centre=4.0, upper=10.0, lower=0.0)
    assert [s for s in spc_signals(LABELS, [4, 3, 5, 10, 4, 3], limits) if s.kind == "above"] == []


def test_a_month_just_above_the_upper_limit_is_a_signal():
    limits = Limits(centre=4.0, upper=10.0, lower=0.0)
    signals = spc_signals(LABELS, [4, 3, 5, 11, 4, 3], limits)
    assert kinds(signals) == [("above", 3, 3)]
    assert "M3: 11 reports, above the upper limit of 10" in signals[0].text
    assert "very unlikely to be chance" in signals[0].text


def test_a_month_below_a_positive_lower_limit_is_a_signal():
    limits = Limits(centre=25.0, upper=40.0, lower=10.0)
    assert [s.kind for s in spc_signals(LABELS, [25, 24, 9, 26, 25, 24], limits)] == ["below"]
    assert spc_signals(LABELS, [25, 24, 10, 26, 25, 24], limits) == []


def test_a_spike_found_from_the_data():
    # Mean 6.25 over 8 months; moving ranges 1,1,1,1,14,15,1 -> 34/7; upper 19.2.
    values = [3, 4, 3, 4, 3, 17, 2, 3]
    analysis = analyse(LABELS, values)
    assert [s.kind for s in analysis.signals] == []  # the spike inflates the moving range
    calm = [3, 4, 3, 4, 3, 4, 12, 4, 3, 4, 3, 4]
    # Mean 4.25; moving ranges nine of 1 and two of 8 -> 25/11; upper 10.3.
    assert kinds(analyse(LABELS, calm).signals) == [("above", 6, 6)]


# --- rule 2: a shift of 7 ------------------------------------------------------------------


def test_seven_months_in_a_row_above_the_mean_is_a_shift():
    limits = Limits(centre=5.0, upper=20.0, lower=0.0)
    counts = [2, 3] + [6, 7] * 3 + [6] + [4, 3]
    signals = spc_signals(LABELS, counts, limits)
    assert kinds(signals) == [("shift_above", 2, 8)]
    assert "7 months in a row above the average of 5" in signals[0].text
    assert signals[0].points == tuple(range(2, 9))


def test_six_months_in_a_row_is_not_a_shift():
    limits = Limits(centre=5.0, upper=20.0, lower=0.0)
    counts = [2, 3] + [6, 7] * 3 + [4, 3]
    assert SHIFT_LENGTH == 7
    assert spc_signals(LABELS, counts, limits) == []


def test_a_month_on_the_mean_breaks_a_shift():
    limits = Limits(centre=5.0, upper=20.0, lower=0.0)
    counts = [3, 4] * 2 + [5] + [4, 3] * 2
    assert spc_signals(LABELS, counts, limits) == []


def test_a_shift_below_the_mean_at_the_end_is_found():
    limits = Limits(centre=5.0, upper=20.0, lower=0.0)
    counts = [9, 8] + [2, 3] * 4
    signals = spc_signals(LABELS, counts, limits)
    assert kinds(signals) == [("shift_below", 2, 9)]
    assert "not less reporting" in signals[0].text


# --- rule 3: a trend of 7 ------------------------------------------------------------------


def test_seven_months_each_higher_than_the_one_before_is_a_trend():
    limits = Limits(centre=10.0, upper=30.0, lower=0.0)
    counts = [10, 9, 4, 5, 6, 7, 8, 9, 11, 10]
    signals = [s for s in spc_signals(LABELS, counts, limits) if s.kind.startswith("trend")]
    assert kinds(signals) == [("trend_up", 2, 8)]
    assert "7 months in a row each higher than the one before (M2 to M8)" in signals[0].text


def test_six_rising_months_are_not_a_trend():
    limits = Limits(centre=10.0, upper=30.0, lower=0.0)
    counts = [10, 9, 5, 6, 7, 8, 9, 11, 10]
    assert TREND_LENGTH == 7
    assert [s for s in spc_signals(LABELS, counts, limits) if s.kind.startswith("trend")] == []


def test_a_level_month_breaks_a_trend_and_a_falling_trend_is_found():
    limits = Limits(centre=10.0, upper=30.0, lower=0.0)
    level = [4, 5, 6, 6, 7, 8, 9, 11]
    assert [s for s in spc_signals(LABELS, level, limits) if s.kind.startswith("trend")] == []
    falling = [16, 15, 14, 12, 11, 9, 8, 8]
    trends = [s for s in spc_signals(LABELS, falling, limits) if s.kind.startswith("trend")]
    assert kinds(trends) == [("trend_down", 0, 6)]


# --- rule 4: two of three close to a limit -------------------------------------------------


def test_two_of_three_in_the_outer_third_near_the_upper_limit():
    # Centre 10, upper 16: the outer third starts at 14.
    limits = Limits(centre=10.0, upper=16.0, lower=4.0)
    counts = [10, 9, 15, 11, 15, 10, 9, 10]
    signals = spc_signals(LABELS, counts, limits)
    assert kinds(signals) == [("near_upper", 2, 4)]
    assert signals[0].points == (2, 4)
    assert "early warning" in signals[0].text


def test_one_of_three_near_the_limit_is_not_a_signal():
    limits = Limits(centre=10.0, upper=16.0, lower=4.0)
    assert spc_signals(LABELS, [10, 9, 15, 11, 10, 15, 9, 10], limits) == []


def test_two_of_three_near_the_lower_limit():
    # Centre 10, lower 4: the outer third starts at 6.
    limits = Limits(centre=10.0, upper=16.0, lower=4.0)
    counts = [10, 11, 5, 5, 9, 11, 9, 10]
    assert kinds(spc_signals(LABELS, counts, limits)) == [("near_lower", 2, 3)]


def test_two_of_three_needs_all_three_on_that_side_of_the_mean():
    limits = Limits(centre=10.0, upper=16.0, lower=4.0)
    # 15, 9, 15: the middle month is below the mean, so no window has all three above.
    assert spc_signals(LABELS, [10, 9, 15, 9, 15, 9, 11, 10], limits) == []
    # 5, 5 then a month on the mean: not all three below.
    assert spc_signals(LABELS, [10, 11, 5, 5, 10, 11, 9, 10], limits) == []


# --- recalculation: a step after a known change --------------------------------------------


def test_recalculating_from_a_month_gives_each_phase_its_own_limits():
    before = [12, 14, 12, 14, 12, 14]  # mean 13, moving range 2
    after = [5, 6, 5, 6, 5, 6]  # mean 5.5, moving range 1
    analysis = analyse(LABELS, before + after, recalculate_from=[6])
    assert [(p.first, p.last) for p in analysis.phases] == [(0, 5), (6, 11)]
    first, second = (p.limits for p in analysis.phases)
    assert first is not None
    assert second is not None
    assert [first.centre, first.upper] == pytest.approx([13.0, 13 + 2.66 * 2])
    assert [second.centre, second.upper] == pytest.approx([5.5, 5.5 + 2.66])
    assert analysis.signals == []


def test_a_known_change_left_in_one_phase_signals_shifts_and_recalculating_clears_them():
    values = [12, 14, 12, 14, 12, 14, 12, 5, 6, 5, 6, 5, 6, 5]
    one_phase = {s.kind for s in analyse(LABELS, values).signals}
    assert {"shift_above", "shift_below"} <= one_phase
    assert analyse(LABELS, values, recalculate_from=[7]).signals == []


def test_a_recalculation_too_recent_for_limits_leaves_that_phase_without_them():
    analysis = analyse(LABELS, [12, 14, 12, 14, 12, 14, 5, 6], recalculate_from=[6])
    assert [p.limits is None for p in analysis.phases] == [False, True]
    assert analysis.latest is analysis.phases[0]


def test_a_recalculation_before_the_first_record_is_ignored():
    analysis = analyse(LABELS, [0, 0, 4, 5, 4, 5, 4, 5], recalculate_from=[1])
    assert [(p.first, p.last) for p in analysis.phases] == [(2, 7)]


# --- months in UK time ----------------------------------------------------------------------


def test_month_key_is_the_uk_month_across_the_bst_boundary():
    assert month_key(datetime(2026, 3, 31, 23, 30, tzinfo=UTC)) == "2026-04"
    assert month_key(datetime(2026, 10, 31, 23, 30, tzinfo=UTC)) == "2026-10"
    assert month_key(datetime(2026, 1, 31, 23, 30, tzinfo=UTC)) == "2026-01"


def test_a_period_of_whole_months_starts_at_uk_midnight():
    period = last_months(date(2026, 4, 15), 3)
    assert (period.start, period.end) == (date(2026, 2, 1), date(2026, 4, 30))
    assert period.months == ["2026-02", "2026-03", "2026-04"]
    assert period.ends_at == datetime(2026, 4, 30, 23, 0, tzinfo=UTC)
    assert period.starts_at == datetime(2026, 2, 1, 0, 0, tzinfo=UTC)


def test_twelve_months_cross_the_year_end():
    period = last_months(date(2026, 1, 5), 12)
    assert (period.months[0], period.months[-1], len(period.months)) == ("2025-02", "2026-01", 12)


def test_counting_by_month_uses_uk_time_and_leaves_out_what_falls_outside():
    period = Period(date(2026, 3, 1), date(2026, 4, 30))
    counts = count_by_month(
        [
            datetime(2026, 3, 31, 22, 59, tzinfo=UTC),
            datetime(2026, 3, 31, 23, 0, tzinfo=UTC),
            datetime(2026, 4, 30, 23, 0, tzinfo=UTC),
            datetime(2026, 2, 28, 23, 59, tzinfo=UTC),
        ],
        period,
    )
    assert counts == {"2026-03": 1, "2026-04": 1}


def test_only_whole_months_that_are_over_are_complete():
    period = last_months(date(2026, 6, 10), 3)
    assert period.complete_months(datetime(2026, 6, 10, 12, tzinfo=UTC)) == ["2026-04", "2026-05"]


def test_share_of_nothing_is_none():
    assert share(0, 0) is None
    assert share(1, 4) == 0.25
