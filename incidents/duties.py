"""Duty timers: which rules an incident may trigger (regulation.md), when each is
due, and the manager's decision on each.

The rules table (`duties_for`) is pure: facts and settings in, duties out, so it
is tested without a database. The services below turn it into `IncidentDecision`
rows, record managers' decisions and find what is overdue.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.orm import joinedload

from core import trail
from core.dates import UK, utcnow
from core.errors import Invalid, NotAllowed, OutOfScope, Stale
from core.models import Role, User
from core.saving import check_version, commit
from extensions import db
from incidents.models import Category, DecisionStatus, Harm, Incident, IncidentDecision, Kind, label


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


# --- working days (England and Wales) -------------------------------------------------


def _easter_sunday(year: int) -> date:
    """The Gregorian Easter Sunday (the anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


def _first_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=last.weekday())


# Dates moved or added by proclamation; later ones come from EXTRA_BANK_HOLIDAYS.
_MOVED = {
    2020: {"remove": [date(2020, 5, 4)], "add": [date(2020, 5, 8)]},
    2022: {
        "remove": [date(2022, 5, 30)],
        "add": [date(2022, 6, 2), date(2022, 6, 3), date(2022, 9, 19)],
    },
    2023: {"remove": [], "add": [date(2023, 5, 8)]},
}


@cache
def bank_holidays(year: int) -> frozenset[date]:
    """England and Wales bank holidays, with the usual weekend substitutes."""
    new_year = date(year, 1, 1)
    while new_year.weekday() >= 5:
        new_year += timedelta(days=1)
    easter = _easter_sunday(year)
    days = {
        new_year,
        easter - timedelta(days=2),  # Good Friday
        easter + timedelta(days=1),  # Easter Monday
        _first_monday(year, 5),
        _last_monday(year, 5),
        _last_monday(year, 8),
    }
    # Christmas Day and Boxing Day: a day falling at a weekend moves to the next
    # weekday not already a holiday.
    for day in (date(year, 12, 25), date(year, 12, 26)):
        while day.weekday() >= 5 or day in days:
            day += timedelta(days=1)
        days.add(day)
    moved = _MOVED.get(year)
    if moved:
        days -= set(moved["remove"])
        days |= set(moved["add"])
    return frozenset(days)


def is_working_day(day: date, extra_holidays: Iterable[date] = ()) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(day.year) and day not in extra_holidays


def add_working_days(start: date, days: int, extra_holidays: Iterable[date] = ()) -> date:
    """The date `days` working days after `start` (start itself is not counted)."""
    extra = frozenset(extra_holidays)
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if is_working_day(current, extra):
            left -= 1
    return current


def same_or_next_working_day(day: date, extra_holidays: Iterable[date] = ()) -> date:
    extra = frozenset(extra_holidays)
    while not is_working_day(day, extra):
        day += timedelta(days=1)
    return day


def end_of_day(day: date) -> datetime:
    """The last second of a UK calendar day, as an aware datetime."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UK)


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
    """CQC Regulation 18: serious injury, abuse or an allegation, police involvement."""
    police = "The police were told." if "police" in facts.informed else None
    reasons = [r for r in (_harm_reason(facts), _abuse_reason(facts), police) if r]
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


# --- decisions in the database -----------------------------------------------------


def settings_from_app() -> DutySettings:
    return DutySettings.from_config(current_app.config)


def open_decisions(
    incident: Incident,
    settings: DutySettings | None = None,
    at: datetime | None = None,
) -> list[IncidentDecision]:
    """Add a pending decision for each rule that may now apply and has none yet.

    Called in the caller's transaction (creating or triaging the incident). A
    recorded decision is never removed; a pending one whose rule now falls due
    sooner is brought forward.
    """
    settings = settings or settings_from_app()
    existing = {d.rule: d for d in incident.decisions}
    added: list[IncidentDecision] = []
    for duty in duties_for(facts_of(incident), settings):
        current = existing.get(duty.rule)
        if current is None:
            decision = IncidentDecision(
                rule=duty.rule.value,
                status=DecisionStatus.PENDING.value,
                trigger=duty.trigger,
                due_at=duty.due_at,
                created_at=at or utcnow(),
            )
            incident.decisions.append(decision)
            added.append(decision)
        elif (
            current.status == DecisionStatus.PENDING.value
            and duty.due_at is not None
            and (current.due_at is None or duty.due_at < current.due_at)
        ):
            trail.record(
                None,
                "duty_due_changed",
                "incident",
                incident.id,
                rule=current.rule,
                changes={"due_at": [_iso(current.due_at), _iso(duty.due_at)]},
                reason=duty.trigger,
            )
            current.due_at = duty.due_at
            current.trigger = duty.trigger
    if added:
        # Worked out by Candour, not decided by anyone: no actor.
        event = trail.record(
            None,
            "duties_opened",
            "incident",
            incident.id,
            rules=[d.rule for d in added],
        )
        if at is not None:
            event.at = at
    return added


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


class DecisionError(Invalid):
    """A decision could not be recorded as sent (422); messages per field."""


class StaleDecision(Stale):
    """Someone else recorded this decision first (409)."""

    def __init__(self, decision: IncidentDecision):
        super().__init__(decision.id)
        self.decision = decision


def may_decide(user: User) -> bool:
    """Threshold decisions are a registered manager's."""
    return user.role == Role.MANAGER.value


def record_decision(
    actor: User,
    incident: Incident,
    decision_id: int,
    *,
    version: int,
    status: str,
    rationale: str,
    done_at: datetime | None,
    reference: str,
) -> IncidentDecision:
    """A manager's decision on one duty, with its rationale; audited with the values
    before and after. `incident` must already be within the actor's scope."""
    if not may_decide(actor):
        raise NotAllowed()
    decision = next((d for d in incident.decisions if d.id == decision_id), None)
    if decision is None:
        raise OutOfScope(decision_id)
    check_version(decision, version, lambda: StaleDecision(decision))

    rationale = rationale.strip()
    reference = reference.strip()
    now = utcnow()
    errors = _decision_errors(incident, status, rationale, done_at, reference, now)
    if errors:
        raise DecisionError(errors)

    before = _decision_values(decision)
    decision.status = status
    decision.rationale = rationale
    decision.done_at = done_at
    decision.reference = reference
    decision.decided_by_id = actor.id
    decision.decided_at = now
    after = _decision_values(decision)
    trail.record(
        actor,
        "decision",
        "incident",
        incident.id,
        rule=decision.rule,
        changes={k: [before[k], after[k]] for k in before if before[k] != after[k]},
    )
    commit(lambda: _stale_decision(decision_id))
    return decision


def _decision_errors(
    incident: Incident,
    status: str,
    rationale: str,
    done_at: datetime | None,
    reference: str,
    now: datetime,
) -> dict[str, list[str]]:
    """What is wrong with a decision as sent, by field (none: it can be recorded)."""
    errors: dict[str, list[str]] = {}
    if status == DecisionStatus.PENDING.value:
        errors["status"] = ["Choose whether this applies or does not apply."]
    if not rationale:
        errors["rationale"] = ["Say why: the reason is part of the record."]
    done_at_problem = _done_at_problem(incident, status, done_at, now)
    if done_at_problem:
        errors["done_at"] = [done_at_problem]
    if reference and status != DecisionStatus.APPLIES.value:
        errors["reference"] = ["A reference only goes with a duty that applies."]
    return errors


def _done_at_problem(
    incident: Incident, status: str, done_at: datetime | None, now: datetime
) -> str | None:
    """Only a duty that applies is done, and not in the future or before the incident."""
    if done_at is None:
        return None
    if status != DecisionStatus.APPLIES.value:
        return "Only a duty that applies can be marked as done."
    if done_at > now + timedelta(minutes=5):
        return "When it was done cannot be in the future."
    if done_at < incident.occurred_at - timedelta(hours=1):
        return "When it was done cannot be before the incident happened."
    return None


def _stale_decision(decision_id: int) -> Exception:
    """After a lost race: the decision as it is now, or 404 if it went."""
    fresh = db.session.get(IncidentDecision, decision_id)
    if fresh is None:
        return OutOfScope(decision_id)
    db.session.refresh(fresh)
    return StaleDecision(fresh)


def _decision_values(decision: IncidentDecision) -> dict[str, Any]:
    return {
        "status": decision.status,
        "rationale": decision.rationale,
        "done_at": _iso(decision.done_at),
        "reference": decision.reference,
    }


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """A decision still to be made or done, past its due time."""
    return and_(
        IncidentDecision.due_at.is_not(None),
        IncidentDecision.due_at < now,
        IncidentDecision.done_at.is_(None),
        IncidentDecision.status != DecisionStatus.DOES_NOT_APPLY.value,
    )


def has_overdue_duty(now: datetime) -> ColumnElement[bool]:
    """For filtering incidents: at least one overdue decision."""
    return exists(
        select(IncidentDecision.id).where(
            IncidentDecision.incident_id == Incident.id, overdue_condition(now)
        )
    )


def overdue_decisions(
    visible: Select[Any], now: datetime, limit: int = 50
) -> tuple[list[IncidentDecision], int]:
    """Overdue decisions on the incidents in `visible` (a scoped select), the most
    overdue first, and how many there are in all."""
    ids = visible.with_only_columns(Incident.id).order_by(None)
    where = and_(IncidentDecision.incident_id.in_(ids), overdue_condition(now))
    total = db.session.scalar(select(func.count(IncidentDecision.id)).where(where)) or 0
    stmt = (
        select(IncidentDecision)
        .options(joinedload(IncidentDecision.incident))
        .where(where)
        .order_by(IncidentDecision.due_at, IncidentDecision.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt).unique()), int(total)


def overdue_incident_ids(incident_ids: Iterable[str], now: datetime) -> set[str]:
    ids = list(incident_ids)
    if not ids:
        return set()
    stmt = select(IncidentDecision.incident_id).where(
        IncidentDecision.incident_id.in_(ids), overdue_condition(now)
    )
    return set(db.session.scalars(stmt))
