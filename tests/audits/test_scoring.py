"""Scoring: weighted, n/a left out, nothing applicable means no score, and a
failed critical item decides the outcome."""

from __future__ import annotations

import pytest

from audits.models import Outcome
from audits.scoring import score_answers


@pytest.mark.parametrize(
    ("answers", "score"),
    [
        ([(1, False, "yes"), (1, False, "yes")], 100.0),
        ([(1, False, "yes"), (1, False, "no")], 50.0),
        ([(3, False, "yes"), (1, False, "no")], 75.0),  # weights count
        ([(1, False, "yes"), (3, False, "no")], 25.0),
        ([(1, False, "yes"), (1, False, "yes"), (1, False, "no")], 66.7),  # one decimal
        ([(2, False, "no"), (2, False, "no")], 0.0),
    ],
)
def test_score_is_the_weighted_share_answered_yes(answers, score):
    assert score_answers(answers, pass_mark=80).score == score


def test_na_is_left_out_of_the_score_entirely():
    with_na = score_answers([(1, False, "yes"), (5, False, "na"), (1, False, "no")], 80)
    without = score_answers([(1, False, "yes"), (1, False, "no")], 80)
    assert with_na.score == without.score == 50.0


def test_all_na_has_no_score_and_is_not_scored():
    result = score_answers([(3, True, "na"), (1, False, "na")], 80)
    assert result.score is None
    assert result.outcome is Outcome.NOT_SCORED


def test_a_failed_critical_item_means_not_met_whatever_the_score():
    answers = [(1, True, "no")] + [(10, False, "yes")] * 9
    result = score_answers(answers, pass_mark=80)
    assert result.score == pytest.approx(98.9)
    assert result.outcome is Outcome.NOT_MET
    assert result.critical_failed == 1


def test_critical_failures_are_counted():
    result = score_answers([(3, True, "no"), (3, True, "no"), (1, False, "no")], 80)
    assert (result.failed, result.critical_failed) == (3, 2)


@pytest.mark.parametrize(
    ("answers", "outcome"),
    [
        ([(4, False, "yes"), (1, False, "no")], Outcome.MET),  # exactly the pass mark
        ([(3, False, "yes"), (1, False, "no")], Outcome.PARTLY_MET),  # 75 < 80
        ([(1, False, "yes")], Outcome.MET),
        ([(1, True, "yes"), (1, False, "na")], Outcome.MET),
    ],
)
def test_outcome_against_the_pass_mark_without_critical_failures(answers, outcome):
    assert score_answers(answers, pass_mark=80).outcome is outcome


def test_a_critical_item_answered_na_is_not_a_failure():
    result = score_answers([(3, True, "na"), (1, False, "yes")], 80)
    assert result.outcome is Outcome.MET
    assert result.critical_failed == 0
