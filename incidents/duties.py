"""Duty timers: which rules an incident may trigger (regulation.md) and when each
is due.

The rules table (`duties_for`) is pure: facts and settings in, duties out, so it
is tested without a database. `incidents.decisions` turns it into
`IncidentDecision` rows, records managers' decisions and finds what is overdue;
`incidents.working_days` counts the days.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from core.dates import UK
from incidents.body_map import pressure_reason
from incidents.models import Category, Harm, Incident, Kind, label
from incidents.working_days import add_working_days, end_of_day, same_or_next_working_day


class Rule(enum.StrEnum):
    CQC_REG16 = "cqc_reg16"
    CQC_REG18 = "cqc_reg18"
    CANDOUR_IN_PERSON = "candour_in_person"
    CANDOUR_WRITTEN = "candour_written"
    RIDDOR = "riddor"
    SAFEGUARDING_REFERRAL = "safeguarding_referral"
    FAMILY_CONTACT = "family_contact"


RULE_ORDER = list(Rule)

RULE_LABELS: dict[str, str] = {
    Rule.CQC_REG16: "CQC notification: death (Regulation 16)",
    Rule.CQC_REG18: "CQC notification: other incident (Regulation 18)",
    Rule.CANDOUR_IN_PERSON: "Duty of candour: tell the person in person",
    Rule.CANDOUR_WRITTEN: "Duty of candour: written follow-up",
    Rule.RIDDOR: "RIDDOR report to HSE",
    Rule.SAFEGUARDING_REFERRAL: "Safeguarding referral to the local authority (section 42)",
    Rule.FAMILY_CONTACT: "Tell the family or representative",
}

# What each rule asks, in one or two plain sentences, shown beside the decision.
RULE_GUIDANCE: dict[str, str] = {
    Rule.CQC_REG16: (
        "Notify CQC without delay of the death of a person using the service while "
        "personal care was provided, or that may have resulted from it. Use the "
        "person's identifier, not their name."
    ),
    Rule.CQC_REG18: (
        "Notify CQC without delay of serious injury (permanent, or lasting or likely to "
        "last more than 28 days; grade 3+ pressure sores; prolonged pain or psychological "
        "harm), abuse or an allegation of abuse, or an incident reported to or "
        "investigated by the police."
    ),
    Rule.CANDOUR_IN_PERSON: (
        "A notifiable safety incident (moderate harm, severe harm, death, or prolonged "
        "pain or psychological harm): tell the person or their representative in person "
        "as soon as reasonably practicable, with an apology and a true account."
    ),
    Rule.CANDOUR_WRITTEN: (
        "Follow the conversation up in writing (the apology, what is known, what will "
        "be looked into) and keep a copy."
    ),
    Rule.RIDDOR: (
        "A worker's over-7-day incapacity: report within 15 days, not counting the day "
        "of the accident. Deaths and specified injuries (for example fractures other "
        "than fingers and toes): report within 10 days. Physical violence to a worker "
        "counts as an injury. A non-worker taken from the scene to hospital after a work "
        "activity: within 10 days. Over-3-day injuries are recorded even when they are "
        "not reportable."
    ),
    Rule.SAFEGUARDING_REFERRAL: (
        "Reasonable cause to suspect abuse or neglect of an adult with care needs who "
        "cannot protect themselves: refer to the local authority the same working day. "
        "Record the adult's views and wishes and why you did or did not refer."
    ),
    Rule.FAMILY_CONTACT: (
        "The reporter said the family or representative should be told. Record who "
        "told them, when and how."
    ),
}


def rule_label(rule: str) -> str:
    return RULE_LABELS.get(rule, rule.replace("_", " ").capitalize())


# --- the rules table --------------------------------------------------------------


@dataclass(frozen=True)
class DutySettings:
    without_delay_hours: int = 24
    candour_in_person_hours: int = 72
    candour_written_working_days: int = 10
    family_contact_hours: int = 24
    extra_bank_holidays: frozenset[date] = frozenset()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DutySettings:
        return cls(
            without_delay_hours=int(config.get("DUTY_WITHOUT_DELAY_HOURS", 24)),
            candour_in_person_hours=int(config.get("DUTY_CANDOUR_IN_PERSON_HOURS", 72)),
            candour_written_working_days=int(config.get("DUTY_CANDOUR_WRITTEN_WORKING_DAYS", 10)),
            family_contact_hours=int(config.get("DUTY_FAMILY_CONTACT_HOURS", 24)),
            extra_bank_holidays=frozenset(
                date.fromisoformat(d) for d in config.get("EXTRA_BANK_HOLIDAYS", [])
            ),
        )


@dataclass(frozen=True)
class Facts:
    """What the rules look at, taken from an incident as it now stands."""

    kind: str
    category: str
    harm: str
    staff_injured: bool
    safeguarding: str
    family_contact: str
    occurred_at: datetime
    # When the service became aware: the clocks for "without delay" start here.
    aware_at: datetime
    informed: frozenset[str] = field(default_factory=frozenset)
    # The body map's marks (incidents/body_map.py): pressure damage may be notifiable.
    body_map: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class Duty:
    rule: Rule
    due_at: datetime | None
    trigger: str


def facts_of(incident: Incident) -> Facts:
    informed = frozenset(row.get("who", "") for row in incident.people_informed or [])
    return Facts(
        kind=incident.kind,
        category=incident.category,
        harm=incident.harm,
        staff_injured=bool(incident.staff_injured),
        safeguarding=incident.safeguarding,
        family_contact=incident.family_contact,
        occurred_at=incident.occurred_at,
        aware_at=aware_at(incident),
        informed=informed,
        body_map=tuple(mark.as_json() for mark in incident.body_marks),
    )


def aware_at(incident: Incident) -> datetime:
    """When the service knew: the report's arrival, or earlier if the reporter says
    a manager or on-call was told before then (never before it happened)."""
    moments = [incident.received_at]
    for row in incident.people_informed or []:
        if row.get("who") == "manager":
            try:
                moments.append(datetime.fromisoformat(row["at"]))
            except (KeyError, TypeError, ValueError):
                continue
    return max(min(moments), incident.occurred_at)


SERIOUS_HARM = {Harm.MODERATE.value, Harm.SEVERE.value, Harm.DEATH.value}
POSSIBLE_ABUSE = {"yes", "unsure"}


def _without_delay(facts: Facts, settings: DutySettings) -> datetime:
    return facts.aware_at + timedelta(hours=settings.without_delay_hours)


def _is_incident(facts: Facts) -> bool:
    """An incident, not a near miss."""
    return facts.kind == Kind.INCIDENT.value


def _accident_day(facts: Facts) -> date:
    return facts.occurred_at.astimezone(UK).date()


def _cqc_death(facts: Facts, settings: DutySettings) -> list[Duty]:
    """CQC Regulation 16: a death."""
    if facts.harm != Harm.DEATH.value:
        return []
    return [Duty(Rule.CQC_REG16, _without_delay(facts, settings), "The harm was graded as death.")]


def _harm_reason(facts: Facts) -> str | None:
    if facts.harm == Harm.SEVERE.value:
        return "The harm was graded as severe (possible serious injury)."
    if facts.harm == Harm.MODERATE.value and _is_incident(facts):
        return (
            "The harm was graded as moderate: notifiable if it lasts, or is likely to "
            "last, more than 28 days, or causes prolonged pain or psychological harm."
        )
    return None


def _abuse_reason(facts: Facts) -> str | None:
    if facts.category == Category.SAFEGUARDING.value:
        return "It was reported as a safeguarding concern (abuse or an allegation)."
    if facts.safeguarding in POSSIBLE_ABUSE:
        return f"The reporter answered '{label(facts.safeguarding)}' to possible abuse or neglect."
    return None


def _cqc_other(facts: Facts, settings: DutySettings) -> list[Duty]:
    """CQC Regulation 18: serious injury (grade 3+ pressure damage that developed in
    our care included), abuse or an allegation, police involvement."""
    police = "The police were told." if "police" in facts.informed else None
    pressure = pressure_reason(facts.body_map)
    reasons = [r for r in (_harm_reason(facts), pressure, _abuse_reason(facts), police) if r]
    if not reasons:
        return []
    return [Duty(Rule.CQC_REG18, _without_delay(facts, settings), " ".join(reasons))]


def _candour(facts: Facts, settings: DutySettings) -> list[Duty]:
    """Duty of candour: a notifiable safety incident (not a near miss)."""
    if not (_is_incident(facts) and facts.harm in SERIOUS_HARM):
        return []
    why = f"An incident graded as {label(facts.harm).lower()}."
    written_day = add_working_days(
        facts.aware_at.astimezone(UK).date(),
        settings.candour_written_working_days,
        settings.extra_bank_holidays,
    )
    return [
        Duty(
            Rule.CANDOUR_IN_PERSON,
            facts.aware_at + timedelta(hours=settings.candour_in_person_hours),
            why,
        ),
        Duty(Rule.CANDOUR_WRITTEN, end_of_day(written_day), why),
    ]


def _riddor_worker(facts: Facts) -> Duty:
    """RIDDOR, a worker injured: counted in calendar days from the accident, the
    day itself not counted."""
    prefix = (
        "A worker was injured by physical violence (which counts as an injury)."
        if facts.category == Category.BEHAVIOUR.value
        else "A worker was injured."
    )
    if facts.harm in {Harm.SEVERE.value, Harm.DEATH.value}:
        return Duty(
            Rule.RIDDOR,
            end_of_day(_accident_day(facts) + timedelta(days=10)),
            f"{prefix} Graded {label(facts.harm).lower()}: a death or specified "
            "injury is reported within 10 days.",
        )
    return Duty(
        Rule.RIDDOR,
        end_of_day(_accident_day(facts) + timedelta(days=15)),
        f"{prefix} If they are off work or on light duties for more than 7 "
        "days, report within 15 days of the accident.",
    )


def _riddor_non_worker(facts: Facts) -> Duty | None:
    """RIDDOR, someone who is not a worker died or went to hospital."""
    to_hospital = facts.harm in SERIOUS_HARM and "999" in facts.informed
    if not (_is_incident(facts) and (facts.harm == Harm.DEATH.value or to_hospital)):
        return None
    return Duty(
        Rule.RIDDOR,
        end_of_day(_accident_day(facts) + timedelta(days=10)),
        "Someone who is not a worker died or was taken to hospital: reportable "
        "if it arose from a work activity (for example moving and handling or "
        "equipment used in their care).",
    )


def _riddor(facts: Facts, settings: DutySettings) -> list[Duty]:
    duty = _riddor_worker(facts) if facts.staff_injured else _riddor_non_worker(facts)
    return [duty] if duty is not None else []


def _safeguarding_referral(facts: Facts, settings: DutySettings) -> list[Duty]:
    """Care Act 2014 section 42: a safeguarding referral the same working day."""
    if facts.category == Category.SAFEGUARDING.value:
        why = "It was reported as a safeguarding concern."
    elif facts.safeguarding in POSSIBLE_ABUSE:
        why = f"The reporter answered '{label(facts.safeguarding)}' to possible abuse or neglect."
    else:
        return []
    day = same_or_next_working_day(
        facts.aware_at.astimezone(UK).date(), settings.extra_bank_holidays
    )
    return [Duty(Rule.SAFEGUARDING_REFERRAL, end_of_day(day), why)]


def _family_contact(facts: Facts, settings: DutySettings) -> list[Duty]:
    """When the reporter said the family should be told."""
    if facts.family_contact != "yes":
        return []
    why = "The reporter said the family or representative should be told."
    if "family" in facts.informed:
        why += " They recorded telling the family already: confirm and record it."
    return [
        Duty(
            Rule.FAMILY_CONTACT,
            facts.aware_at + timedelta(hours=settings.family_contact_hours),
            why,
        )
    ]


# The rules table: each kind of duty, in the order the record lists them.
DUTY_RULES = (
    _cqc_death,
    _cqc_other,
    _candour,
    _riddor,
    _safeguarding_referral,
    _family_contact,
)


def duties_for(facts: Facts, settings: DutySettings) -> list[Duty]:
    """Every rule that may apply, with its due time and why it was suggested.

    "May apply": the manager decides. The table errs on the side of asking, since
    a missed notification is worse than a recorded "does not apply".
    """
    return [duty for rule in DUTY_RULES for duty in rule(facts, settings)]
