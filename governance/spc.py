"""Statistical process control for monthly figures (pure), as NHS England's
"Making Data Count" (MDC) does it: an XmR chart (individuals and moving range)
for counts and rates, its limits from the months with data only, recalculated
from a month after a known change, and MDC's four special-cause rules, each in
plain English.

The rules, from NHS England / NHS Improvement, "Making Data Count: strengthening
your decisions" (2019) and "Making Data Count: getting started", as NHS-R's
NHSRplotthedots package implements them (ptd_seven_point_one_side_mean,
ptd_seven_point_trend, ptd_two_in_three; rebasing for recalculation):

- Limits: XmR. Centre line the mean of the points; process limits the mean plus
  and minus 2.66 times the mean moving range (the average absolute difference
  between one month and the next). 2.66 is 3 / 1.128 (d2 for ranges of two
  points), so the limits are "three sigma". A count cannot go below zero, so
  neither does the lower limit.
- Baseline: only the months from the first one with data. Months before the
  first record are not zeros, they are "no data", and padding with them drags
  the mean and the moving range down so ordinary months look special (issue 16).
- Rule 1, a point beyond a limit: one month above the upper or below the lower
  process limit.
- Rule 2, a shift: 7 or more consecutive months all above, or all below, the
  mean (a month exactly on the mean breaks the run).
- Rule 3, a trend: 7 or more consecutive months each higher than the one
  before, or each lower (a month equal to the one before breaks the trend).
- Rule 4, two out of three: two of three consecutive months close to a process
  limit (in the outer third, beyond two sigma: further from the mean than two
  thirds of the way to the limit), all three on that side of the mean.
- Recalculation: after a known change (a new medicines process, say) the limits
  are worked out again from the month it took effect, and the chart shows a
  step there. Each phase is judged against its own mean and limits.

MDC advises 15 to 20 points for firm limits; with fewer (down to
`MIN_SPC_MONTHS`) the limits are shown but called provisional.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from core.dates import Period, month_key

# Fewer months with data than this and the limits would mean little.
MIN_SPC_MONTHS = 6

# MDC: limits from fewer points than this are provisional.
FIRM_SPC_MONTHS = 15

# MDC rule 2 (shift) and rule 3 (trend): this many points or more.
SHIFT_LENGTH = 7
TREND_LENGTH = 7

# XmR: process limits at the mean +/- 2.66 x the mean moving range (3 / d2, d2 = 1.128).
XMR_CONSTANT = 2.66

# Kept for callers that still speak of "a run": MDC's shift.
RUN_LENGTH = SHIFT_LENGTH


def count_by_month(moments: Iterable[datetime], period: Period) -> dict[str, int]:
    """How many moments fall in each UK month of the period (every month listed,
    moments outside the period left out)."""
    counts = dict.fromkeys(period.months, 0)
    for moment in moments:
        if period.contains(moment):
            counts[month_key(moment)] += 1
    return counts


@dataclass(frozen=True)
class Limits:
    centre: float
    upper: float
    lower: float

    @property
    def near_upper(self) -> float:
        """Two sigma above the mean: the start of the outer third (MDC rule 4)."""
        return self.centre + (self.upper - self.centre) * 2 / 3

    @property
    def near_lower(self) -> float:
        return self.centre - (self.upper - self.centre) * 2 / 3


def first_with_data(values: Sequence[float]) -> int | None:
    """The index of the first month with any data (None when there is none):
    the baseline starts there, never earlier."""
    return next((i for i, v in enumerate(values) if v), None)


def xmr_limits(values: Sequence[float]) -> Limits | None:
    """An XmR chart's mean and process limits (MDC): mean +/- 2.66 x the mean
    moving range, the lower one never below zero. None with too few points."""
    if len(values) < MIN_SPC_MONTHS:
        return None
    mean = sum(values) / len(values)
    ranges = [abs(b - a) for a, b in itertools.pairwise(values)]
    spread = XMR_CONSTANT * sum(ranges) / len(ranges)
    return Limits(centre=mean, upper=mean + spread, lower=max(0.0, mean - spread))


@dataclass(frozen=True)
class Signal:
    # above | below | shift_above | shift_below | trend_up | trend_down | near_upper | near_lower
    kind: str
    first: int  # index of the first month in it
    last: int
    text: str
    points: tuple[int, ...] = ()  # the months the rule flags


@dataclass(frozen=True)
class Phase:
    """Months `first`..`last` (indices into the series) and their limits (None
    when the phase has too few months for limits)."""

    first: int
    last: int
    limits: Limits | None

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    @property
    def provisional(self) -> bool:
        return self.size < FIRM_SPC_MONTHS


@dataclass(frozen=True)
class Analysis:
    start: int | None  # the first month with data (None: no data at all)
    phases: list[Phase] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)

    @property
    def enough(self) -> bool:
        return any(p.limits is not None for p in self.phases)

    @property
    def months_used(self) -> int:
        return sum(p.size for p in self.phases)

    @property
    def latest(self) -> Phase | None:
        with_limits = [p for p in self.phases if p.limits is not None]
        return with_limits[-1] if with_limits else None

    @property
    def flagged(self) -> set[int]:
        return {i for s in self.signals for i in s.points}


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _beyond(
    labels: Sequence[str], values: Sequence[float], first: int, limits: Limits, unit: str
) -> list[Signal]:
    """MDC rule 1: a single point beyond a process limit."""
    signals = []
    for index in range(first, first + len(values)):
        value = values[index - first]
        if value > limits.upper:
            text = (
                f"{labels[index]}: {_n(value)} {unit}, above the upper limit of {_n(limits.upper)}. "
                "A month this high is very unlikely to be chance: worth looking at what was "
                "different that month."
            )
            signals.append(Signal("above", index, index, text, (index,)))
        elif value < limits.lower:
            text = (
                f"{labels[index]}: {_n(value)} {unit}, below the lower limit of {_n(limits.lower)}. "
                "Fewer than chance would explain: check whether reporting fell rather than harm."
            )
            signals.append(Signal("below", index, index, text, (index,)))
    return signals


def _runs(marks: Sequence[int]) -> list[tuple[int, int, int]]:
    """(start, end, mark) of each stretch of equal, non-zero marks."""
    runs, start = [], 0
    for index in range(1, len(marks) + 1):
        if index == len(marks) or marks[index] != marks[start]:
            if marks[start] != 0:
                runs.append((start, index - 1, marks[start]))
            start = index
    return runs


def _shifts(
    labels: Sequence[str], values: Sequence[float], first: int, limits: Limits
) -> list[Signal]:
    """MDC rule 2: 7 or more consecutive points on one side of the mean."""
    sides = [1 if v > limits.centre else -1 if v < limits.centre else 0 for v in values]
    signals = []
    for start, end, side in _runs(sides):
        length = end - start + 1
        if length < SHIFT_LENGTH:
            continue
        a, b = first + start, first + end
        above = side > 0
        text = (
            f"A shift: {length} months in a row {'above' if above else 'below'} the average of "
            f"{_n(limits.centre)} ({labels[a]} to {labels[b]}). Seven or more on one side is not "
            "chance: the level has changed"
            + (": what changed?" if above else ": check it is real, not less reporting.")
        )
        signals.append(
            Signal("shift_above" if above else "shift_below", a, b, text, tuple(range(a, b + 1)))
        )
    return signals


def _trends(labels: Sequence[str], values: Sequence[float], first: int) -> list[Signal]:
    """MDC rule 3: 7 or more consecutive points each higher (or each lower)
    than the one before."""
    steps = [0] + [1 if b > a else -1 if b < a else 0 for a, b in itertools.pairwise(values)]
    signals = []
    for start, end, direction in _runs(steps):
        # A run of rising steps from `start` includes the point before it.
        length = end - start + 2
        if length < TREND_LENGTH:
            continue
        a, b = first + start - 1, first + end
        up = direction > 0
        text = (
            f"A trend: {length} months in a row each {'higher' if up else 'lower'} than the one "
            f"before ({labels[a]} to {labels[b]}). A steady {'rise' if up else 'fall'} like this is "
            "not chance"
            + (": what is driving it?" if up else ": check it is real, not less reporting.")
        )
        signals.append(
            Signal("trend_up" if up else "trend_down", a, b, text, tuple(range(a, b + 1)))
        )
    return signals


def _two_of_three(
    labels: Sequence[str], values: Sequence[float], first: int, limits: Limits
) -> list[Signal]:
    """MDC rule 4: two of three consecutive points close to a limit (in the outer
    third, beyond two sigma), all three on that side of the mean (as
    NHSRplotthedots' ptd_two_in_three); each stretch of overlapping windows is one
    signal, flagging the points that are close."""
    signals = []
    for side in (1, -1):
        same_side = [(v - limits.centre) * side > 0 for v in values]
        close = [(v > limits.near_upper) if side > 0 else (v < limits.near_lower) for v in values]
        marked: set[int] = set()
        for start in range(len(values) - 2):
            window = range(start, start + 3)
            near = [i for i in window if close[i]]
            if len(near) >= 2 and all(same_side[i] for i in window):
                marked.update(near)
        if not marked:
            continue
        groups: list[list[int]] = []
        for index in sorted(marked):
            if groups and index - groups[-1][-1] <= 2:
                groups[-1].append(index)
            else:
                groups.append([index])
        for group in groups:
            points = tuple(first + i for i in group)
            where = "upper" if side > 0 else "lower"
            names = ", ".join(labels[i] for i in points)
            edge = limits.near_upper if side > 0 else limits.near_lower
            text = (
                f"Close to the {where} limit: {names} (two of three months in a row beyond "
                f"{_n(edge)}, in the outer third between the average and the limit). "
                "An early warning that the level may have moved "
                + ("up: worth watching." if side > 0 else "down: check reporting has not fallen.")
            )
            signals.append(
                Signal(
                    "near_upper" if side > 0 else "near_lower", points[0], points[-1], text, points
                )
            )
    return signals


def spc_signals(
    labels: Sequence[str],
    values: Sequence[float],
    limits: Limits | None,
    *,
    first: int = 0,
    unit: str = "reports",
) -> list[Signal]:
    """What the chart says about one phase (`values` are months `first`… of
    `labels`), in plain English: MDC's four rules. Anything else is ordinary
    (common cause) variation."""
    if limits is None:
        return []
    signals = [
        *_beyond(labels, values, first, limits, unit),
        *_shifts(labels, values, first, limits),
        *_trends(labels, values, first),
        *_two_of_three(labels, values, first, limits),
    ]
    signals.sort(key=lambda s: (s.first, s.kind))
    return signals


def analyse(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    recalculate_from: Iterable[int] = (),
    unit: str = "reports",
) -> Analysis:
    """The whole chart: the baseline from the first month with data, split into
    phases at each recalculation month (an index into `values`), each with its
    own XmR limits and signals."""
    start = first_with_data(values)
    if start is None:
        return Analysis(start=None)
    breaks = sorted({i for i in recalculate_from if start < i < len(values)})
    edges = [start, *breaks, len(values)]
    phases: list[Phase] = []
    signals: list[Signal] = []
    for a, b in itertools.pairwise(edges):
        part = list(values[a:b])
        limits = xmr_limits(part)
        phases.append(Phase(a, b - 1, limits))
        signals.extend(spc_signals(labels, part, limits, first=a, unit=unit))
    signals.sort(key=lambda s: (s.first, s.kind))
    return Analysis(start=start, phases=phases, signals=signals)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
