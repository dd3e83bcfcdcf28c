"""Which of CQC's single assessment framework quality statements an incident
speaks to: the one place this mapping lives (the CQC evidence pack,
exports.evidence, reads it; docs/api.md lists it).

The statements are the ones incidents are evidence for: under Safe, learning
culture; safe systems, pathways and transitions; safeguarding; involving people
to manage risks; safe environments; medicines optimisation; under Well-led,
governance, management and sustainability; learning, improvement and innovation.

An incident speaks to a statement through its category (what happened) and
through the contributing conditions its completed learning reviews named (why it
happened). Every incident and near miss also speaks to "Learning culture" (people
report, and near misses too) and to "Learning, improvement and innovation" once
reviewed. A record that may be safeguarding (the reporter's threshold answer)
speaks to "Safeguarding" whatever its category."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Statement:
    key: str
    key_question: str  # "Safe" or "Well-led"
    title: str
    # What CQC looks for, in a line (the pack prints it under the heading).
    we_statement: str


STATEMENTS: tuple[Statement, ...] = (
    Statement(
        "learning_culture",
        "Safe",
        "Learning culture",
        "We have a proactive and positive culture of safety based on openness and honesty.",
    ),
    Statement(
        "safe_systems",
        "Safe",
        "Safe systems, pathways and transitions",
        "We work with people and partners to keep people safe when care moves between "
        "staff, visits and services.",
    ),
    Statement(
        "safeguarding",
        "Safe",
        "Safeguarding",
        "We work with people and partners to understand what being safe means to them "
        "and protect them from abuse and neglect.",
    ),
    Statement(
        "involving_people_risks",
        "Safe",
        "Involving people to manage risks",
        "We work with people to understand and manage risks in a way that keeps them "
        "safe and respects their choices.",
    ),
    Statement(
        "safe_environments",
        "Safe",
        "Safe environments",
        "We detect and control potential risks in the care environment and the equipment used.",
    ),
    Statement(
        "medicines",
        "Safe",
        "Medicines optimisation",
        "We make sure medicines are safe for each person and involve them in planning.",
    ),
    Statement(
        "governance",
        "Well-led",
        "Governance, management and sustainability",
        "We have clear responsibilities, roles, systems of accountability and good "
        "governance; we act on the best information about risk and performance.",
    ),
    Statement(
        "learning_improvement",
        "Well-led",
        "Learning, improvement and innovation",
        "We focus on continuous learning and improvement, and we check that changes work.",
    ),
)
BY_KEY = {s.key: s for s in STATEMENTS}

# Incident categories (incidents.models.Category) -> statements.
CATEGORY_STATEMENTS: dict[str, tuple[str, ...]] = {
    "medication": ("medicines",),
    "fall": ("involving_people_risks", "safe_environments"),
    "safeguarding": ("safeguarding",),
    "behaviour": ("involving_people_risks", "safeguarding"),
    "injury": ("involving_people_risks",),
    "skin": ("involving_people_risks",),
    "missed_call": ("safe_systems",),
    "infection": ("safe_environments",),
    "property": ("safe_environments",),
    "other": (),
}

# Contributing conditions (learning.models.Condition) -> statements.
CONDITION_STATEMENTS: dict[str, tuple[str, ...]] = {
    "handover": ("safe_systems",),
    "communication": ("safe_systems",),
    "care_plan": ("involving_people_risks",),
    "persons_health": ("involving_people_risks",),
    "environment": ("safe_environments",),
    "equipment": ("safe_environments",),
    "medication_system": ("medicines",),
    "documentation": ("governance",),
    "supervision": ("governance",),
    "staffing": ("governance",),
    "training": ("governance",),
    "organisational": ("governance",),
}

ALWAYS = ("learning_culture",)
WHEN_REVIEWED = ("learning_improvement",)


def statements_for(
    category: str, conditions: Iterable[str], *, safeguarding: bool, reviewed: bool
) -> list[str]:
    """The statement keys one incident speaks to, in the framework's order."""
    keys = set(ALWAYS) | set(CATEGORY_STATEMENTS.get(category, ()))
    for condition in conditions:
        keys.update(CONDITION_STATEMENTS.get(condition, ()))
    if safeguarding:
        keys.add("safeguarding")
    if reviewed:
        keys.update(WHEN_REVIEWED)
    return [s.key for s in STATEMENTS if s.key in keys]
