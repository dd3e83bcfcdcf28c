"""What the incident pages share: who reports, and the labelled choices the
report form, the list's filters and triage offer."""

from __future__ import annotations

from core.models import Role
from incidents.models import Category, Harm, Kind, MedicationError, Status, label

REPORTERS = (Role.CARER, Role.SUPERVISOR, Role.MANAGER)


def label_choices(values: list[str]) -> list[tuple[str, str]]:
    """Each value with the label people see for it."""
    return [(value, label(value)) for value in values]


CATEGORY_CHOICES = label_choices([c.value for c in Category])
HARM_CHOICES = label_choices([h.value for h in Harm])
KIND_CHOICES = label_choices([k.value for k in Kind])
STATUS_CHOICES = label_choices([s.value for s in Status])
MEDICATION_CHOICES = label_choices([m.value for m in MedicationError])
