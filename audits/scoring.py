"""A spot check's score and outcome from its answers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from audits.models import Answer, Outcome


@dataclass(frozen=True)
class Scored:
    score: float | None
    outcome: Outcome
    failed: int
    critical_failed: int


def score_answers(answers: Iterable[tuple[int, bool, str]], pass_mark: int) -> Scored:
    """(weight, critical, answer) per item -> the score and outcome.

    The score is the weight answered yes as a percentage of the weight answered
    yes or no: n/a is left out altogether, so it neither helps nor hurts. When
    nothing applied there is no score. Any failed critical item means the
    standard was not met, whatever the score.
    """
    applicable = [(w, c, a) for w, c, a in answers if a != Answer.NA]
    possible = sum(w for w, _, _ in applicable)
    achieved = sum(w for w, _, a in applicable if a == Answer.YES)
    failed = sum(1 for _, _, a in applicable if a == Answer.NO)
    critical_failed = sum(1 for _, c, a in applicable if c and a == Answer.NO)
    score = round(100 * achieved / possible, 1) if possible else None
    if critical_failed:
        outcome = Outcome.NOT_MET
    elif score is None:
        outcome = Outcome.NOT_SCORED
    elif score >= pass_mark:
        outcome = Outcome.MET
    else:
        outcome = Outcome.PARTLY_MET
    return Scored(score, outcome, failed, critical_failed)
