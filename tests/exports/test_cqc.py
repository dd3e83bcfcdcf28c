"""The one mapping from incidents to CQC quality statements (exports.cqc)."""

from __future__ import annotations

import pytest

from exports.cqc import CATEGORY_STATEMENTS, CONDITION_STATEMENTS, STATEMENTS, statements_for
from incidents.models import Category
from learning.models import Condition


@pytest.mark.parametrize(
    ("category", "conditions", "safeguarding", "reviewed", "expected"),
    [
        ("medication", [], False, False, ["learning_culture", "medicines"]),
        ("other", [], False, False, ["learning_culture"]),
        ("other", [], True, False, ["learning_culture", "safeguarding"]),
        ("missed_call", ["handover"], False, True,
         ["learning_culture", "safe_systems", "learning_improvement"]),
        ("fall", ["staffing"], False, True,
         ["learning_culture", "involving_people_risks", "safe_environments", "governance",
          "learning_improvement"]),
    ],
)  # fmt: skip
def test_statements_an_incident_speaks_to(
    category: str, conditions: list[str], safeguarding: bool, reviewed: bool, expected: list[str]
) -> None:
    assert (
        statements_for(category, conditions, safeguarding=safeguarding, reviewed=reviewed)
        == expected
    )


def test_every_category_and_condition_is_mapped_to_known_statements() -> None:
    keys = {s.key for s in STATEMENTS}
    assert set(CATEGORY_STATEMENTS) == {c.value for c in Category}
    assert set(CONDITION_STATEMENTS) == {c.value for c in Condition}
    mapped = {
        k for ks in (*CATEGORY_STATEMENTS.values(), *CONDITION_STATEMENTS.values()) for k in ks
    }
    assert mapped <= keys
