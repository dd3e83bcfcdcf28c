"""The SPC chart drawn on the server as SVG (pure): no chart library, nothing inline
that the content security policy refuses."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

CHART_WIDTH = 640


CHART_HEIGHT = 240


CHART_LEFT = 40


CHART_RIGHT = 16


CHART_TOP = 16


CHART_BOTTOM = 40


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    label: str
    value: float | None  # None: no rate for that month (no point drawn)
    complete: bool
    signal: bool


@dataclass(frozen=True)
class ChartPhase:
    """One stretch of months with its own mean and limits: a recalculation
    starts a new one, drawn as a step."""

    x1: float
    x2: float
    centre_y: float | None  # None: too few months for limits yet
    upper_y: float | None
    lower_y: float | None
    step: bool  # starts at a recalculation (a vertical marker is drawn)
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: list[ChartPoint]
    line: str  # the polyline's points
    centre_y: float | None
    upper_y: float | None
    lower_y: float | None
    ticks: list[tuple[float, int]]  # (y, value) for the axis
    bottom: float
    left: float
    right: float
    phases: list[ChartPhase]
    axis_label: str  # what the vertical axis counts: reports, or reports per 1,000 visits
    rates: bool


def _values(figures: dict[str, Any]) -> tuple[bool, list[float | None]]:
    """The chart's measure (a meeting recorded before rates existed: counts)."""
    months = figures["incidents"]["months"]
    if figures["spc"].get("measure") == "rate":
        return True, [m.get("rate") for m in months]
    return False, [m["total"] for m in months]


def spc_chart(figures: dict[str, Any]) -> Chart:
    """Coordinates for an inline SVG of the monthly counts (or rates per 1,000
    visits) and their limits."""
    months = figures["incidents"]["months"]
    spc = figures["spc"]
    rates, values = _values(figures)
    uppers = [p["upper"] for p in spc.get("phases", []) if p.get("upper") is not None]
    top_value = max([*(v for v in values if v is not None), *uppers, spc.get("upper") or 0, 1])
    scale_max: int = max(1, math.ceil(float(top_value)))
    plot_w = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_h = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    bottom = CHART_TOP + plot_h

    def y_of(value: float) -> float:
        return round(bottom - plot_h * float(value) / scale_max, 1)

    step = plot_w / max(1, len(months) - 1) if len(months) > 1 else 0
    flagged = {i for s in spc.get("signal_months", []) for i in s}
    points = [
        ChartPoint(
            round(CHART_LEFT + (step * i if len(months) > 1 else plot_w / 2), 1),
            y_of(values[i] or 0),
            m["label"],
            values[i],
            m["complete"],
            i in flagged,
        )
        for i, m in enumerate(months)
    ]
    half = step / 2 if len(months) > 1 else plot_w / 2
    chart_phases = [
        ChartPhase(
            x1=round(max(CHART_LEFT, points[p["first"]].x - (half if n else 0)), 1),
            x2=round(min(CHART_WIDTH - CHART_RIGHT, points[p["last"]].x + half), 1),
            centre_y=y_of(p["centre"]) if p["centre"] is not None else None,
            upper_y=y_of(p["upper"]) if p["centre"] is not None else None,
            lower_y=y_of(p["lower"]) if p["centre"] is not None else None,
            step=n > 0,
            label=p.get("from_label", ""),
        )
        for n, p in enumerate(_phases(spc, months))
    ]
    tick_step = max(1, math.ceil(scale_max / 4))
    ticks = [(y_of(v), v) for v in range(0, scale_max + 1, tick_step)]
    enough = spc.get("enough")
    return Chart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        points=points,
        line=" ".join(f"{p.x},{p.y}" for p in points if p.value is not None),
        centre_y=y_of(spc["centre"]) if enough else None,
        upper_y=y_of(spc["upper"]) if enough else None,
        lower_y=y_of(spc["lower"]) if enough else None,
        ticks=ticks,
        bottom=bottom,
        left=CHART_LEFT,
        right=CHART_WIDTH - CHART_RIGHT,
        phases=chart_phases,
        axis_label=spc.get("axis_label") or "Reports per month",
        rates=rates,
    )


def _phases(spc: dict[str, Any], months: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chart's phases; a meeting recorded before phases existed has one set of
    limits for all its whole months."""
    if "phases" in spc:
        return list(spc["phases"])
    whole = [i for i, m in enumerate(months) if m["complete"]]
    if not spc.get("enough") or not whole:
        return []
    return [
        {
            "first": whole[0],
            "last": whole[-1],
            "centre": spc["centre"],
            "upper": spc["upper"],
            "lower": spc["lower"],
            "from_label": months[whole[0]]["label"],
        }
    ]
