"""Decisions on an incident's duties, in the database: the rows the rules table
(`incidents.duties`) makes for an incident, a manager's decision on each (with a
version check), and what is overdue."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from core import trail
from core.dates import utcnow
from core.errors import Invalid, NotAllowed, OutOfScope, Stale
from core.models import Role, User
from core.saving import check_version, commit
from extensions import db
from incidents.duties import DutySettings, Rule, duties_for, facts_of, rule_label
from incidents.duties import duty as duty_by_rule
from incidents.models import DecisionStatus, Incident, IncidentDecision


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
                clock_started_at=duty.clock_at,
                clock_started_by=duty.clock_by,
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
            current.clock_started_at = duty.clock_at
            current.clock_started_by = duty.clock_by
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


def add_duty(actor: User, incident: Incident, *, rule: str, reason: str) -> IncidentDecision:
    """A manager adds a duty the rules did not suggest (which rule, why): a pending
    decision due by the rule's own clock, audited. `incident` must already be
    within the actor's scope."""
    if not may_decide(actor):
        raise NotAllowed()
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if rule not in {r.value for r in Rule}:
        errors["rule"] = ["Choose a duty from the list."]
    elif any(d.rule == rule for d in incident.decisions):
        errors["rule"] = [
            f"{rule_label(rule)} is already on the record: record or change its decision there."
        ]
    if not reason:
        errors["reason"] = ["Say why this duty applies: the reason is part of the record."]
    if errors:
        raise DecisionError(errors)
    found = duty_by_rule(Rule(rule), facts_of(incident), settings_from_app(), "")
    decision = IncidentDecision(
        rule=rule,
        status=DecisionStatus.PENDING.value,
        trigger=f"Added by {actor.name}: {reason}",
        due_at=found.due_at,
        clock_started_at=found.clock_at,
        clock_started_by=found.clock_by,
        added_by_id=actor.id,
        created_at=utcnow(),
    )
    incident.decisions.append(decision)
    trail.record(actor, "duty_added", "incident", incident.id, rule=rule, reason=reason)
    try:
        db.session.commit()
    except IntegrityError:  # another manager added the same duty at the same moment
        db.session.rollback()
        raise DecisionError({"rule": [ALREADY_ADDED]}) from None
    return decision


ALREADY_ADDED = "Someone else added this duty at the same moment: it is on the record now."


def addable_rules(incident: Incident) -> list[str]:
    """The duties a manager may still add to this incident (those not on it)."""
    present = {d.rule for d in incident.decisions}
    return [r.value for r in Rule if r.value not in present]


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
