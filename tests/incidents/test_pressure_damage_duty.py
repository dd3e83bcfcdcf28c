"""Pressure damage in the rules table (incidents/duties.py, incidents/body_map.py
pressure_reason): category 3, 4 or unstageable damage that developed in our care
is a serious injury to notify to CQC (Regulation 18); a deep tissue injury that
did is asked about too, saying it is not yet graded. Pure: no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from incidents.duties import DutySettings, Facts, Rule, duties_for

AWARE = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


def facts(*marks: dict[str, Any], **changes: Any) -> Facts:
    base: dict[str, Any] = {
        "kind": "incident",
        "category": "skin",
        "harm": "low",
        "staff_injured": False,
        "safeguarding": "no",
        "family_contact": "no",
        "occurred_at": AWARE - timedelta(hours=1),
        "aware_at": AWARE,
        "body_map": tuple(marks),
    }
    return Facts(**{**base, **changes})


def pressure(category: str, in_care: bool = True, region: str = "back_sacrum") -> dict[str, Any]:
    return {
        "region": region,
        "side": "back",
        "kind": "pressure_damage",
        "pressure_category": category,
        "developed_in_care": in_care,
    }


def reg18(f: Facts) -> Any:
    return {d.rule: d for d in duties_for(f, DutySettings())}.get(Rule.CQC_REG18)


@pytest.mark.parametrize(
    ("category", "in_care", "asked"),
    [
        ("1", True, False),
        ("2", True, False),
        ("3", True, True),
        ("4", True, True),
        ("unstageable", True, True),
        ("deep_tissue", True, True),
        ("3", False, False),
        ("4", False, False),
        ("unstageable", False, False),
        ("deep_tissue", False, False),
    ],
)
def test_which_pressure_damage_asks_for_a_regulation_18_decision(category, in_care, asked):
    assert (reg18(facts(pressure(category, in_care))) is not None) is asked


def test_graded_damage_says_where_and_why_without_delay():
    duty = reg18(facts(pressure("4", region="back_right_heel")))
    assert duty.trigger == (
        "Pressure damage that developed in our care: Category 4 at right heel. "
        "Category 3 or worse (unstageable included) is a serious injury to notify."
    )
    assert duty.due_at == AWARE + timedelta(hours=24)


def test_a_deep_tissue_injury_is_asked_about_saying_it_is_not_yet_graded():
    duty = reg18(facts(pressure("deep_tissue", region="back_left_heel")))
    assert "deep tissue injury that developed in our care (left heel)" in duty.trigger
    assert "not yet graded" in duty.trigger


def test_graded_damage_is_named_before_a_deep_tissue_injury_beside_it():
    duty = reg18(facts(pressure("deep_tissue"), pressure("unstageable", region="back_left_heel")))
    assert duty.trigger.startswith(
        "Pressure damage that developed in our care: Unstageable at left heel."
    )


def test_a_bruise_is_not_pressure_damage_whatever_else_it_carries():
    bruise = {**pressure("3"), "kind": "bruise"}
    assert reg18(facts(bruise)) is None


def test_pressure_damage_joins_the_other_reasons_in_one_decision():
    duties = duties_for(facts(pressure("3"), harm="severe", safeguarding="yes"), DutySettings())
    reg18s = [d for d in duties if d.rule == Rule.CQC_REG18]
    assert len(reg18s) == 1
    assert "severe" in reg18s[0].trigger
    assert "Pressure damage" in reg18s[0].trigger
    assert "abuse or neglect" in reg18s[0].trigger


def test_a_near_miss_with_pressure_damage_still_asks():
    # Damage found is damage done, whatever the form's kind says: the manager decides.
    assert reg18(facts(pressure("3"), kind="near_miss", harm="none")) is not None
