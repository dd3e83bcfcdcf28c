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
from incidents.awareness import FROM_ACCIDENT, WHEN_REPORTED, awareness
from incidents.body_map import pressure_reason
from incidents.models import Category, Harm, Incident, Kind, label
from incidents.riddor import OVER_DAYS_REPORTABLE, SPECIFIED_INJURIES, WORKER_DEATH
from incidents.working_days import add_working_days, end_of_day, same_or_next_working_day


class Rule(enum.StrEnum):
    CQC_REG16 = "cqc_reg16"
    CQC_REG18 = "cqc_reg18"
    CANDOUR_IN_PERSON = "candour_in_person"
    CANDOUR_WRITTEN = "candour_written"
    RIDDOR_WITHOUT_DELAY = "riddor_without_delay"
    RIDDOR = "riddor"
    RIDDOR_OVER_7_DAY = "riddor_over_7_day"
    SAFEGUARDING_REFERRAL = "safeguarding_referral"
    FAMILY_CONTACT = "family_contact"


RULE_ORDER = list(Rule)

RULE_LABELS: dict[str, str] = {
    Rule.CQC_REG16: "CQC notification: death (Regulation 16)",
    Rule.CQC_REG18: "CQC notification: other incident (Regulation 18)",
    Rule.CANDOUR_IN_PERSON: "Duty of candour: tell the person in person",
    Rule.CANDOUR_WRITTEN: "Duty of candour: written follow-up",
    Rule.RIDDOR_WITHOUT_DELAY: "RIDDOR: tell HSE without delay",
    Rule.RIDDOR: "RIDDOR report to HSE",
    Rule.RIDDOR_OVER_7_DAY: "RIDDOR report: over-7-day injury",
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
    Rule.RIDDOR_WITHOUT_DELAY: (
        "A worker's death or specified injury (HSE's list, for example a fracture other "
        "than to fingers, thumbs or toes): tell HSE without delay (the quickest way, "
        "usually by phone), then send the report within 10 days."
    ),
    Rule.RIDDOR: (
        "Deaths and specified injuries to a worker: report within 10 days of the "
        "accident. Someone who is not a worker taken from the scene to hospital for "
        "treatment after a work activity: within 10 days. Physical violence to a "
        "worker counts as an injury."
    ),
    Rule.RIDDOR_OVER_7_DAY: (
        "A worker off work, or unable to do their normal work, for more than 7 days "
        "in a row (not counting the day of the accident): report within 15 days of "
        "the accident. Over-3-day injuries are recorded even when they are not "
        "reportable."
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
    # When the service became aware: the clocks for "without delay" start here
    # (incidents/awareness.py), and which moment that was, in words.
    aware_at: datetime
    informed: frozenset[str] = field(default_factory=frozenset)
    # The body map's marks (incidents/body_map.py): pressure damage may be notifiable.
    body_map: tuple[Mapping[str, Any], ...] = ()
    aware_by: str = WHEN_REPORTED
    # The staff injury (incidents/riddor.py), and police involvement a manager
    # recorded at triage.
    specified_injury: str | None = None
    non_worker_hospital: bool = False
    days_off_work: int | None = None
    police_involved: bool = False


@dataclass(frozen=True)
class Duty:
    rule: Rule
    due_at: datetime | None
    trigger: str
    # What started the clock of `due_at`, and in words.
    clock_at: datetime | None = None
    clock_by: str = ""


def facts_of(incident: Incident) -> Facts:
    informed = frozenset(row.get("who", "") for row in incident.people_informed or [])
    aware = awareness(incident)
    return Facts(
        kind=incident.kind,
        category=incident.category,
        harm=incident.harm,
        staff_injured=bool(incident.staff_injured),
        safeguarding=incident.safeguarding,
        family_contact=incident.family_contact,
        occurred_at=incident.occurred_at,
        aware_at=aware.at,
        aware_by=aware.by,
        informed=informed,
        body_map=tuple(mark.as_json() for mark in incident.body_marks),
        specified_injury=incident.specified_injury,
        non_worker_hospital=bool(incident.non_worker_hospital),
        days_off_work=incident.days_off_work,
        police_involved=bool(incident.police_involved),
    )


SERIOUS_HARM = {Harm.MODERATE.value, Harm.SEVERE.value, Harm.DEATH.value}
POSSIBLE_ABUSE = {"yes", "unsure"}


def _accident_day(facts: Facts) -> date:
    return facts.occurred_at.astimezone(UK).date()


# --- the clocks: when each rule is due, and what started its clock ------------------

WITHOUT_DELAY_RULES = {Rule.CQC_REG16, Rule.CQC_REG18, Rule.RIDDOR_WITHOUT_DELAY}
# RIDDOR counts calendar days from the accident, the day itself not counted.
RIDDOR_DAYS = {Rule.RIDDOR: 10, Rule.RIDDOR_OVER_7_DAY: 15}


def _due_from_awareness(rule: Rule, facts: Facts, settings: DutySettings) -> datetime:
    aware, holidays = facts.aware_at, settings.extra_bank_holidays
    if rule in WITHOUT_DELAY_RULES:
        return aware + timedelta(hours=settings.without_delay_hours)
    if rule == Rule.CANDOUR_IN_PERSON:
        return aware + timedelta(hours=settings.candour_in_person_hours)
    if rule == Rule.CANDOUR_WRITTEN:
        day = add_working_days(
            aware.astimezone(UK).date(), settings.candour_written_working_days, holidays
        )
        return end_of_day(day)
    if rule == Rule.SAFEGUARDING_REFERRAL:
        return end_of_day(same_or_next_working_day(aware.astimezone(UK).date(), holidays))
    return aware + timedelta(hours=settings.family_contact_hours)


def duty(rule: Rule, facts: Facts, settings: DutySettings, trigger: str) -> Duty:
    """The rule with its due time by its own clock: RIDDOR's from the accident,
    every other from when the provider became aware. Also for duties a manager
    adds by hand."""
    if rule in RIDDOR_DAYS:
        due = end_of_day(_accident_day(facts) + timedelta(days=RIDDOR_DAYS[rule]))
        return Duty(rule, due, trigger, facts.occurred_at, FROM_ACCIDENT)
    due = _due_from_awareness(rule, facts, settings)
    return Duty(rule, due, trigger, facts.aware_at, facts.aware_by)


# --- the rules ------------------------------------------------------------------------


def _is_incident(facts: Facts) -> bool:
    """An incident, not a near miss."""
    return facts.kind == Kind.INCIDENT.value


def _cqc_death(facts: Facts, settings: DutySettings) -> list[Duty]:
    """CQC Regulation 16: a death."""
    if facts.harm != Harm.DEATH.value:
        return []
    return [duty(Rule.CQC_REG16, facts, settings, "The harm was graded as death.")]


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
        return f"The answer to possible abuse or neglect is '{label(facts.safeguarding)}'."
    return None


def _police_reason(facts: Facts) -> str | None:
    if "police" in facts.informed:
        return "The police were told."
    if facts.police_involved:
        return "A manager recorded that the police became involved."
    return None


def _cqc_other(facts: Facts, settings: DutySettings) -> list[Duty]:
    """CQC Regulation 18: serious injury (grade 3+ pressure damage that developed in
    our care included), abuse or an allegation, police involvement."""
    pressure = pressure_reason(facts.body_map)
    reasons = [
        r for r in (_harm_reason(facts), pressure, _abuse_reason(facts), _police_reason(facts)) if r
    ]
    if not reasons:
        return []
    return [duty(Rule.CQC_REG18, facts, settings, " ".join(reasons))]


def _candour(facts: Facts, settings: DutySettings) -> list[Duty]:
    """Duty of candour: a notifiable safety incident (not a near miss)."""
    if not (_is_incident(facts) and facts.harm in SERIOUS_HARM):
        return []
    why = f"An incident graded as {label(facts.harm).lower()}."
    return [
        duty(Rule.CANDOUR_IN_PERSON, facts, settings, why),
        duty(Rule.CANDOUR_WRITTEN, facts, settings, why),
    ]


def _worker_injury(facts: Facts) -> str:
    if facts.category == Category.BEHAVIOUR.value:
        return "A worker was injured by physical violence (which counts as an injury)."
    return "A worker was injured."


def _worker_reportable(facts: Facts) -> str | None:
    """A worker's death or specified injury (RIDDOR regulations 4 and 6), in words."""
    if facts.specified_injury == WORKER_DEATH:
        return f"{_worker_injury(facts)} They died as a result of the accident."
    if facts.specified_injury in SPECIFIED_INJURIES:
        what = SPECIFIED_INJURIES[facts.specified_injury].lower()
        return f"{_worker_injury(facts)} It is a specified injury: {what}."
    return None


def _riddor_without_delay(facts: Facts, settings: DutySettings) -> list[Duty]:
    """RIDDOR: a worker's death or specified injury is notified to HSE without delay."""
    reason = _worker_reportable(facts)
    if reason is None:
        return []
    why = f"{reason} Notify HSE without delay, then report within 10 days."
    return [duty(Rule.RIDDOR_WITHOUT_DELAY, facts, settings, why)]


def _riddor(facts: Facts, settings: DutySettings) -> list[Duty]:
    """RIDDOR within 10 days: a worker's death or specified injury, or someone who
    is not a worker taken to hospital (or who died) after a work activity."""
    reasons = []
    worker = _worker_reportable(facts)
    if worker is not None:
        reasons.append(f"{worker} Report within 10 days of the accident.")
    if facts.non_worker_hospital:
        reasons.append(
            "Someone who is not a worker (the person supported or a visitor) was taken "
            "from the scene to hospital for treatment: reportable within 10 days if it "
            "arose from a work activity (for example moving and handling, or equipment "
            "used in their care)."
        )
    elif _is_incident(facts) and facts.harm == Harm.DEATH.value:
        reasons.append(
            "The person supported died: reportable within 10 days if it arose from a "
            "work activity (for example moving and handling, or equipment used in "
            "their care)."
        )
    if not reasons:
        return []
    return [duty(Rule.RIDDOR, facts, settings, " ".join(reasons))]


def _riddor_over_7_day(facts: Facts, settings: DutySettings) -> list[Duty]:
    """RIDDOR: a worker off work for more than 7 days (the accident day not
    counted) is reported within 15 days of the accident. Until a manager records
    the days off, it is asked with no due time; a death or specified injury is
    reported anyway (`_riddor`)."""
    if not facts.staff_injured or _worker_reportable(facts) is not None:
        return []
    days = facts.days_off_work
    if days is None:
        why = (
            f"{_worker_injury(facts)} Record their days off work when known: over 7 "
            "(not counting the day of the accident) is reportable within 15 days of "
            "the accident."
        )
        return [Duty(Rule.RIDDOR_OVER_7_DAY, None, why)]
    if days <= OVER_DAYS_REPORTABLE:
        return []
    why = (
        f"{_worker_injury(facts)} They were off work or on light duties for {days} days "
        "(more than 7, not counting the day of the accident): report within 15 days "
        "of the accident."
    )
    return [duty(Rule.RIDDOR_OVER_7_DAY, facts, settings, why)]


def _safeguarding_referral(facts: Facts, settings: DutySettings) -> list[Duty]:
    """Care Act 2014 section 42: a safeguarding referral the same working day."""
    if facts.category == Category.SAFEGUARDING.value:
        why = "It was reported as a safeguarding concern."
    elif facts.safeguarding in POSSIBLE_ABUSE:
        why = f"The answer to possible abuse or neglect is '{label(facts.safeguarding)}'."
    else:
        return []
    return [duty(Rule.SAFEGUARDING_REFERRAL, facts, settings, why)]


def _family_contact(facts: Facts, settings: DutySettings) -> list[Duty]:
    """When the reporter said the family should be told."""
    if facts.family_contact != "yes":
        return []
    why = "The reporter said the family or representative should be told."
    if "family" in facts.informed:
        why += " They recorded telling the family already: confirm and record it."
    return [duty(Rule.FAMILY_CONTACT, facts, settings, why)]


# The rules table: each kind of duty, in the order the record lists them.
DUTY_RULES = (
    _cqc_death,
    _cqc_other,
    _candour,
    _riddor_without_delay,
    _riddor,
    _riddor_over_7_day,
    _safeguarding_referral,
    _family_contact,
)


def duties_for(facts: Facts, settings: DutySettings) -> list[Duty]:
    """Every rule that may apply, with its due time and why it was suggested.

    "May apply": the manager decides. The table errs on the side of asking, since
    a missed notification is worse than a recorded "does not apply".
    """
    return [duty for rule in DUTY_RULES for duty in rule(facts, settings)]
