"""Statistical process control for monthly counts (pure): counting by UK month, a
c-chart's centre line and limits, and the signals worth a governance meeting's
attention, in plain English."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from core.dates import Period, month_key

# Fewer complete months than this and the limits would mean little.
MIN_SPC_MONTHS = 6


# This many months in a row on one side of the centre line is "a run".
RUN_LENGTH = 8


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


def c_chart_limits(counts: Sequence[int]) -> Limits | None:
    """A c-chart for counts per month: centre line the mean, limits three
    standard deviations (the square root of the mean, for counts) either side,
    the lower one never below zero. None with too few months to mean anything."""
    if len(counts) < MIN_SPC_MONTHS:
        return None
    mean = sum(counts) / len(counts)
    spread = 3 * math.sqrt(mean)
    return Limits(centre=mean, upper=mean + spread, lower=max(0.0, mean - spread))


@dataclass(frozen=True)
class Signal:
    kind: str  # above | below | run_above | run_below
    first: int  # index of the first month in it
    last: int
    text: str


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def spc_signals(
    labels: Sequence[str], counts: Sequence[int], limits: Limits | None
) -> list[Signal]:
    """What the chart says, in plain English: a month beyond a limit, or a run of
    `RUN_LENGTH` or more months in a row on one side of the centre line (a month
    exactly on the line ends a run). Anything else is ordinary variation."""
    if limits is None:
        return []
    signals: list[Signal] = []
    for index, count in enumerate(counts):
        if count > limits.upper:
            signals.append(
                Signal(
                    "above",
                    index,
                    index,
                    f"{labels[index]}: {count} reports, above the upper limit of "
                    f"{_n(limits.upper)}. More than chance would explain: worth looking at "
                    "what was different that month.",
                )
            )
        elif count < limits.lower:
            signals.append(
                Signal(
                    "below",
                    index,
                    index,
                    f"{labels[index]}: {count} reports, below the lower limit of "
                    f"{_n(limits.lower)}. Fewer than chance would explain: check whether "
                    "reporting fell rather than harm.",
                )
            )
    side_of = [1 if c > limits.centre else -1 if c < limits.centre else 0 for c in counts]
    start = 0
    for index in range(1, len(counts) + 1):
        if index == len(counts) or side_of[index] != side_of[start] or side_of[index] == 0:
            length = index - start
            if side_of[start] != 0 and length >= RUN_LENGTH:
                above = side_of[start] > 0
                signals.append(
                    Signal(
                        "run_above" if above else "run_below",
                        start,
                        index - 1,
                        f"A run: {length} months in a row {'above' if above else 'below'} the "
                        f"average of {_n(limits.centre)} ({labels[start]} to {labels[index - 1]}). "
                        "A sustained shift, not chance"
                        + (
                            ": what changed?"
                            if above
                            else ": check it is real, not less reporting."
                        ),
                    )
                )
            start = index
    signals.sort(key=lambda s: (s.first, s.kind))
    return signals


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
