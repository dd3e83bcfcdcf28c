"""RIDDOR's fixed lists, in one place: the specified injuries to a worker (HSE,
RIDDOR 2013 regulation 4(1)) and a work-related death (regulation 6), as the
report form, the record and the duty rules (incidents/duties.py) name them.

Check the wording with HSE's own list before relying on it
(https://www.hse.gov.uk/riddor/specified-injuries.htm).
"""

from __future__ import annotations

# A worker's death (regulation 6(1)): reported like a specified injury.
WORKER_DEATH = "death"

# Regulation 4(1), in HSE's order.
SPECIFIED_INJURIES: dict[str, str] = {
    "fracture": "A fracture, other than to fingers, thumbs and toes",
    "amputation": "An amputation",
    "sight": "An injury likely to lead to permanent loss of sight or reduced sight",
    "crush": "A crush injury to the head or body causing damage to the brain or internal organs",
    "burn": (
        "A serious burn or scald covering more than 10% of the body, or damaging the "
        "eyes, breathing or other vital organs"
    ),
    "scalping": "A scalping that needs hospital treatment",
    "unconscious": "Loss of consciousness caused by a head injury or lack of air (asphyxia)",
    "enclosed_space": (
        "An injury from working in an enclosed space leading to hypothermia or "
        "heat-induced illness, or needing resuscitation or over 24 hours in hospital"
    ),
}

# What the form and the API offer for `specified_injury`: each specified injury,
# and a work-related death.
REPORTABLE: dict[str, str] = {
    **SPECIFIED_INJURIES,
    WORKER_DEATH: "They died as a result of the accident",
}

# Over this many days off work (the day of the accident not counted), the injury
# is reported within 15 days of the accident; over 3 days it is recorded.
OVER_DAYS_REPORTABLE = 7
OVER_DAYS_RECORDED = 3


def reportable_label(code: str | None) -> str:
    return REPORTABLE.get(code or "", "")
