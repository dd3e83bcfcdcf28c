"""The SVG chart's coordinates: limits per phase, drawn as a step at a
recalculation, and meetings recorded before phases existed still drawn."""

from __future__ import annotations

from governance.chart import spc_chart


def _months(totals):
    return [
        {"month": f"2026-{i + 1:02d}", "label": f"M{i}", "total": t, "complete": True}
        for i, t in enumerate(totals)
    ]


def test_a_recalculation_is_drawn_as_a_step():
    figures = {
        "incidents": {"months": _months([12, 14, 12, 14, 12, 14, 5, 6, 5, 6, 5, 6])},
        "spc": {
            "enough": True,
            "centre": 5.5,
            "upper": 8.16,
            "lower": 2.84,
            "signal_months": [],
            "phases": [
                {"first": 0, "last": 5, "centre": 13.0, "upper": 18.32, "lower": 7.68,
                 "from_label": "M0"},
                {"first": 6, "last": 11, "centre": 5.5, "upper": 8.16, "lower": 2.84,
                 "from_label": "M6"},
            ],
        },
    }  # fmt: skip
    chart = spc_chart(figures)
    first, second = chart.phases
    assert (first.step, second.step) == (False, True)
    assert first.x2 == second.x1  # the step is half-way between the two months
    assert first.centre_y is not None
    assert second.centre_y is not None
    assert first.centre_y < second.centre_y  # a higher average sits higher on the chart
    assert second.label == "M6"


def test_a_meeting_recorded_before_phases_has_one_set_of_limits():
    figures = {
        "incidents": {"months": _months([4, 5, 4, 5, 4, 5])},
        "spc": {"enough": True, "centre": 4.5, "upper": 7.2, "lower": 1.8, "signal_months": []},
    }
    chart = spc_chart(figures)
    assert len(chart.phases) == 1
    assert chart.phases[0].step is False
    assert chart.phases[0].centre_y == chart.centre_y
