"""Generated demo data at scale (`seed-demo --incidents N` from BULK_FROM up): incidents
with their duties and triage, spot checks with their answers, learning reviews and
actions, inserted in bulk through SQLAlchemy Core (200,000 incidents in minutes, not the
hours the services would take one record at a time).

The rows look like the ones the services make (incidents/demo.py's spread of categories,
harm and times of day; duties from the same rules; scores from the same scoring), but
no audit-trail events or notifications are written for them. Deterministic for a seed:
every row comes from a generator seeded by (seed, chunk); running it again adds only the
rows not already there. Proportions: a spot check for every 10 incidents, a learning
review for every 20 and an action for every 4."""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, select, update

from actions.models import Action, ActionSource, ActionStatus
from audits.models import Answer, Audit, AuditAnswer, AuditTemplate, AuditTemplateItem
from audits.scoring import score_answers
from core.dates import UK
from core.models import PersonSupported, Role, User
from extensions import db
from incidents import demo, month_counts
from incidents.decisions import settings_from_app
from incidents.duties import DutySettings, duties_for, facts_of
from incidents.models import (
    DecisionStatus,
    Incident,
    IncidentDecision,
    ReferenceCounter,
    Status,
)
from learning import demo as learning_demo
from learning.models import Condition, LearningReview, ReviewMethod, ReviewStatus, review_incidents

CHUNK = 5000
DAYS = 365  # incidents spread over the last year (the dashboard's longest period)
SPOT_CHECK_EVERY = 10
REVIEW_EVERY = 20
ACTIONS_PER_REVIEW = 5

ACTION_TITLES = [
    ("Written handover checklist for time-critical medicines", ""),
    ("Frame kept by the bed at night, checked at every evening call", ""),
    ("Rota leaves 15 minutes of travel time between these calls", ""),
    ("Pressure-relieving cushion ordered and fitted", ""),
    ("Remind staff to read the care plan", "A reminder at the team meeting."),
    ("Refresher training on moving and handling", ""),
]
# What the duty rules may read of an incident beyond its columns here (a generated
# incident has no body map, injury details or police involvement).
FACT_DEFAULTS: dict[str, Any] = {
    "body_marks": [],
    "specified_injury": None,
    "non_worker_hospital": False,
    "days_off_work": None,
    "police_involved": False,
    "witness_ids": [],
}
REVIEW_TITLES = {
    "medication": "Medication at the change of carer",
    "fall": "Falls at night",
    "missed_call": "Calls missed after a late first visit",
}


@dataclass(frozen=True)
class Cast:
    manager: User
    staff: dict[int, list[User]]  # branch id -> carers and supervisors
    supervisors: dict[int, list[User]]
    people: dict[int, list[PersonSupported]]
    branch_weights: list[tuple[int, int]]  # (branch id, weight)


def _cast() -> Cast:
    users = list(db.session.scalars(db.select(User).where(User.active.is_(True)).order_by(User.id)))
    manager = next(u for u in users if u.role == Role.MANAGER.value)
    staff: dict[int, list[User]] = {}
    supervisors: dict[int, list[User]] = {}
    for user in users:
        if user.role in {Role.CARER.value, Role.SUPERVISOR.value}:
            for branch in user.branches:
                staff.setdefault(branch.id, []).append(user)
                if user.role == Role.SUPERVISOR.value:
                    supervisors.setdefault(branch.id, []).append(user)
    people: dict[int, list[PersonSupported]] = {}
    for person in db.session.scalars(
        db.select(PersonSupported)
        .where(PersonSupported.active.is_(True))
        .order_by(PersonSupported.id)
    ):
        people.setdefault(person.branch_id, []).append(person)
    codes = {b.id: b.code for u in users for b in u.branches}
    weights = [(bid, 6 if codes[bid] == "NORTH" else 4) for bid in sorted(staff)]
    return Cast(manager, staff, supervisors, people, weights)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _chunks(count: int) -> Iterator[tuple[int, int]]:
    for start in range(0, count, CHUNK):
        yield start, min(start + CHUNK, count)


# --- incidents, their duties and triage ------------------------------------------------


def _incident(
    rng: random.Random, index: int, count: int, now: datetime, cast: Cast
) -> dict[str, Any]:
    branch_id = rng.choices(
        [b for b, _ in cast.branch_weights], weights=[w for _, w in cast.branch_weights]
    )[0]
    author = rng.choice(cast.staff[branch_id])
    people = cast.people.get(branch_id, [])
    person = rng.choice(people) if people and rng.random() < 0.92 else None
    category = demo._weighted(rng, demo.CATEGORY_WEIGHTS)
    near_share = 0.45 if category in {"medication", "missed_call"} else 0.15
    kind = "near_miss" if category != "safeguarding" and rng.random() < near_share else "incident"
    harm = "none" if kind == "near_miss" else demo._weighted(rng, demo.HARM_WEIGHTS)
    # Spread over the last year in the order of `index`, so that references, given in
    # order of arrival a chunk at a time, read in order overall.
    day = now - timedelta(days=1 + int((DAYS - 1) * (1 - (index + rng.random()) / count)))
    hour = rng.choices(range(24), weights=demo.HOUR_WEIGHTS)[0]
    occurred = day.replace(hour=hour, minute=rng.randrange(60))
    reported, received, informed = demo.arrival(rng, occurred, now)
    informed = [row for row in informed if datetime.fromisoformat(row["at"]) <= reported]
    location = rng.choice(demo.LOCATIONS)
    medication_error = rng.choice(demo.MEDICATION_ERRORS) if category == "medication" else None
    texts = (
        demo.MEDICATION_TEXT[medication_error] if medication_error else demo.WHAT_HAPPENED[category]
    )
    text = rng.choice(texts).format(time=occurred.strftime("%H:%M"))
    incident_id = _uuid(rng)
    team = author.team
    return {
        "id": incident_id,
        "content_hash": hashlib.sha256(incident_id.encode()).hexdigest(),
        "status": Status.SUBMITTED.value,
        "kind": kind,
        "category": category,
        "medication_error": medication_error,
        "time_critical": category == "medication" and rng.random() < 0.25,
        "occurred_at": occurred,
        "occurred_offset": int(occurred.utcoffset().total_seconds() // 60),  # type: ignore[union-attr]
        "reported_at": reported,
        "reported_offset": int(reported.utcoffset().total_seconds() // 60),  # type: ignore[union-attr]
        "late_reason": None,
        "received_at": received,
        "branch_id": branch_id,
        "person_id": person.id if person else None,
        "author_id": author.id,
        "team_id": team.id if team is not None and team.branch_id == branch_id else None,
        "location": location,
        "place": demo.PLACE_OF[location],
        "what_happened": f"{text} (demo {index + 1})",
        "immediate_actions": rng.choice(demo.IMMEDIATE),
        "harm": harm,
        "staff_injured": category == "behaviour" and rng.random() < 0.4,
        "people_informed": informed,
        "safeguarding": "yes"
        if category == "safeguarding"
        else ("unsure" if rng.random() < 0.03 else "no"),
        "clinical_escalation": "yes" if harm in {"moderate", "severe", "death"} else "no",
        "family_contact": "yes" if harm != "none" and rng.random() < 0.5 else "not_applicable",
        "seen_at": None,
        "triaged_at": None,
        "closed_at": None,
        "reviewer_id": None,
        "feedback": "",
        "feedback_at": None,
        "no_review_reason": None,
        "version": 1,
    }


def _triage(
    rng: random.Random, row: dict[str, Any], manager: User, now: datetime, settings: DutySettings
) -> list[dict[str, Any]]:
    """Duties as the rules open them; incidents older than a week triaged and their
    duties decided, as a manager would have (incidents/demo.py's spread)."""
    facts = facts_of(SimpleNamespace(**{**FACT_DEFAULTS, **row}))  # type: ignore[arg-type]
    reviewed = row["received_at"] < now - timedelta(days=7)
    if reviewed:
        status = rng.choices(
            [Status.CLOSED, Status.ACTIONS_AGREED, Status.UNDER_REVIEW, Status.TRIAGED],
            weights=[55, 15, 15, 15],
        )[0].value
        seen = row["received_at"] + timedelta(hours=rng.randrange(1, 48))
        row.update(status=status, seen_at=seen, triaged_at=seen, version=2)
        if status == Status.CLOSED.value:
            row.update(
                closed_at=seen + timedelta(days=rng.randrange(1, 6)),
                feedback=rng.choice(demo.FEEDBACK),
                feedback_at=seen,
                no_review_reason=rng.choice(demo.NO_REVIEW_REASONS),
            )
    decisions = []
    for duty in duties_for(facts, settings):
        decision: dict[str, Any] = {
            "incident_id": row["id"],
            "rule": duty.rule.value,
            "status": DecisionStatus.PENDING.value,
            "trigger": duty.trigger,
            "due_at": duty.due_at,
            "created_at": row["received_at"],
            "rationale": "",
            "reference": "",
            "decided_by_id": None,
            "decided_at": None,
            "done_at": None,
            "version": 1,
        }
        if reviewed:
            applies = rng.random() < 0.6
            done_at = None
            if applies and duty.due_at is not None:
                done_at = max(min(duty.due_at - timedelta(hours=1), now), row["occurred_at"])
            decision.update(
                status=(DecisionStatus.APPLIES if applies else DecisionStatus.DOES_NOT_APPLY).value,
                rationale="Considered at triage (demo data).",
                decided_by_id=manager.id,
                decided_at=row["triaged_at"],
                done_at=done_at,
                reference="DEMO" if applies else "",
                version=2,
            )
        decisions.append(decision)
    return decisions


def _references(rows: list[dict[str, Any]]) -> None:
    """INC-YYYY-NNNN in order of arrival, continuing each year's counter."""
    rows.sort(key=lambda r: r["received_at"])
    years = sorted({r["received_at"].astimezone(UK).year for r in rows})
    last: dict[int, int] = {}
    for year in years:
        number = db.session.scalar(
            select(ReferenceCounter.last).where(ReferenceCounter.year == year)
        )
        if number is None:
            db.session.execute(insert(ReferenceCounter).values(year=year, last=0))
        last[year] = number or 0
    for row in rows:
        year = row["received_at"].astimezone(UK).year
        last[year] += 1
        row["reference"] = f"INC-{year}-{last[year]:0{max(4, len(str(last[year])))}d}"
    for year, number in last.items():
        db.session.execute(
            update(ReferenceCounter).where(ReferenceCounter.year == year).values(last=number)
        )


def _new_only(model: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [r["id"] for r in rows]
    there = set(db.session.scalars(select(model.id).where(model.id.in_(ids))))
    return [r for r in rows if r["id"] not in there]


def _seed_incidents(count: int, seed: int, now: datetime, cast: Cast) -> list[dict[str, Any]]:
    """Insert the incidents; return the new ones (id, branch, category, occurred_at)."""
    settings = settings_from_app()
    made: list[dict[str, Any]] = []
    for start, end in _chunks(count):
        rng = random.Random(f"candour-bulk:{seed}:incidents:{start}")  # noqa: S311 (demo data)
        rows = [_incident(rng, i, count, now, cast) for i in range(start, end)]
        duties = {row["id"]: _triage(rng, row, cast.manager, now, settings) for row in rows}
        rows = _new_only(Incident, rows)
        if not rows:
            continue
        decisions = [d for row in rows for d in duties[row["id"]]]
        _references(rows)
        db.session.execute(insert(Incident), rows)
        db.session.execute(insert(IncidentDecision), decisions)
        made.extend(
            {k: r[k] for k in ("id", "branch_id", "category", "occurred_at", "person_id")}
            for r in rows
        )
    return made


# --- spot checks -----------------------------------------------------------------------


def _templates() -> list[tuple[AuditTemplate, list[AuditTemplateItem]]]:
    """The newest published version of each checklist, with its items."""
    newest: dict[str, AuditTemplate] = {}
    for template in db.session.scalars(
        select(AuditTemplate)
        .where(AuditTemplate.published_at.is_not(None))
        .order_by(AuditTemplate.id)
    ):
        newest[template.slug] = template
    return [(t, sorted(t.items, key=lambda i: i.position)) for t in newest.values()]


def _seed_spot_checks(count: int, seed: int, now: datetime, cast: Cast) -> int:
    templates = _templates()
    if not templates or not cast.supervisors:
        return 0
    made = 0
    branches = sorted(cast.supervisors)
    for start, end in _chunks(count):
        rng = random.Random(f"candour-bulk:{seed}:audits:{start}")  # noqa: S311 (demo data)
        audits: list[dict[str, Any]] = []
        answers: list[dict[str, Any]] = []
        for _ in range(start, end):
            branch_id = rng.choice(branches)
            template, items = rng.choice(templates)
            given = [
                rng.choices([Answer.YES, Answer.NO, Answer.NA], weights=[85, 8, 7])[0]
                for _ in items
            ]
            scored = score_answers(
                [(i.weight, i.critical, a) for i, a in zip(items, given, strict=True)],
                template.pass_mark,
            )
            conducted = (now - timedelta(days=rng.randrange(1, DAYS))).replace(
                hour=rng.randrange(7, 20), minute=rng.randrange(60)
            )
            audit_id = _uuid(rng)
            people = cast.people.get(branch_id, [])
            audits.append(
                {
                    "id": audit_id,
                    "content_hash": hashlib.sha256(audit_id.encode()).hexdigest(),
                    "template_id": template.id,
                    "conducted_at": conducted,
                    "conducted_offset": int(conducted.utcoffset().total_seconds() // 60),  # type: ignore[union-attr]
                    "received_at": conducted + timedelta(minutes=rng.randrange(1, 60)),
                    "branch_id": branch_id,
                    "author_id": rng.choice(cast.supervisors[branch_id]).id,
                    "observed_user_id": rng.choice(cast.staff[branch_id]).id,
                    "person_id": rng.choice(people).id if people else None,
                    "score": scored.score,
                    "outcome": scored.outcome.value,
                    "feedback": "Thank you: calm and careful throughout.",
                }
            )
            answers.extend(
                {
                    "audit_id": audit_id,
                    "item_id": item.id,
                    "item_key": item.key,
                    "position": item.position,
                    "answer": answer.value,
                    "note": "Seen at the call." if answer == Answer.NO else "",
                }
                for item, answer in zip(items, given, strict=True)
            )
        fresh = _new_only(Audit, audits)
        if not fresh:
            continue
        ids = {a["id"] for a in fresh}
        db.session.execute(insert(Audit), fresh)
        db.session.execute(insert(AuditAnswer), [a for a in answers if a["audit_id"] in ids])
        made += len(fresh)
    return made


# --- learning reviews and their actions --------------------------------------------------


def _review(
    rng: random.Random, group: Sequence[dict[str, Any]], now: datetime, cast: Cast
) -> dict[str, Any]:
    first = group[0]
    method = rng.choices(list(ReviewMethod), weights=[40, 30, 20, 10])[0]
    started = min(max(r["occurred_at"] for r in group) + timedelta(days=2), now)
    completed = rng.random() < 0.8 and started < now - timedelta(days=14)
    conditions = rng.sample([c.value for c in Condition], k=rng.randrange(1, 4))
    return {
        "method": method.value,
        "status": (ReviewStatus.COMPLETED if completed else ReviewStatus.IN_PROGRESS).value,
        "title": REVIEW_TITLES.get(first["category"], f"Review of a {first['category']} incident"),
        "branch_id": first["branch_id"],
        "author_id": cast.manager.id,
        "started_at": started,
        "completed_at": started + timedelta(days=rng.randrange(3, 14)) if completed else None,
        "completed_by_id": cast.manager.id if completed else None,
        "what_happened": "Generated review (demo data).",
        "why": "The handover was by word of mouth." if completed else "",
        "conditions": conditions if completed else [],
        "lessons": "Verbal handovers lose details." if completed else "",
        "version": 1,
    }


def _action(
    rng: random.Random, review_id: int, review: dict[str, Any], now: datetime, cast: Cast
) -> dict[str, Any]:
    title, detail = rng.choice(ACTION_TITLES)
    created = review["started_at"] + timedelta(days=rng.randrange(0, 5))
    status = rng.choices(list(ActionStatus), weights=[35, 25, 30, 10])[0]
    done = created + timedelta(days=rng.randrange(1, 30)) if status != ActionStatus.OPEN else None
    verified = done + timedelta(days=14) if done and status != ActionStatus.DONE else None
    owner = rng.choice([cast.manager, *cast.supervisors.get(review["branch_id"], [])])
    return {
        "title": title,
        "detail": detail,
        "status": status.value,
        "due": (created + timedelta(days=rng.randrange(7, 60))).astimezone(UK).date(),
        "branch_id": review["branch_id"],
        "owner_id": owner.id,
        "author_id": cast.manager.id,
        "source_type": ActionSource.REVIEW.value,
        "source_id": str(review_id),
        "created_at": created,
        "done_at": min(done, now) if done else None,
        "evidence": "Checked at the next spot checks." if done else "",
        "requires_verification": verified is not None,
        "verified_at": min(verified, now) if verified else None,
        "verified_by_id": cast.manager.id if verified else None,
        "verification_note": "",
        "sample_size": 1,
        "version": 1,
    }


def _seed_learning(incidents: list[dict[str, Any]], seed: int, now: datetime, cast: Cast) -> int:
    """A review for every REVIEW_EVERY incidents (each of one to three incidents of
    one branch and category), each with ACTIONS_PER_REVIEW actions."""
    reviews = 0
    for start, end in _chunks(len(incidents)):
        rng = random.Random(f"candour-bulk:{seed}:reviews:{start}")  # noqa: S311 (demo data)
        chunk = incidents[start:end]
        groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
        for row in chunk:
            groups.setdefault((row["branch_id"], row["category"]), []).append(row)
        picked: list[list[dict[str, Any]]] = []
        keys = sorted(groups)
        for _ in range(len(chunk) // REVIEW_EVERY):
            rows = groups[rng.choice(keys)]
            picked.append(rng.sample(rows, k=min(len(rows), rng.randrange(1, 4))))
        if not picked:
            continue
        data = [_review(rng, group, now, cast) for group in picked]
        ids = list(
            db.session.scalars(
                insert(LearningReview).returning(LearningReview.id, sort_by_parameter_order=True),
                data,
            )
        )
        links = {(rid, r["id"]) for rid, group in zip(ids, picked, strict=True) for r in group}
        db.session.execute(
            insert(review_incidents), [{"review_id": a, "incident_id": b} for a, b in sorted(links)]
        )
        db.session.execute(
            insert(Action),
            [
                _action(rng, rid, review, now, cast)
                for rid, review in zip(ids, data, strict=True)
                for _ in range(ACTIONS_PER_REVIEW)
            ],
        )
        reviews += len(ids)
    return reviews


def seed_bulk(count: int, seed: int = 1, today: date | None = None) -> list[str]:
    """`count` incidents and spot checks, reviews and actions in proportion."""
    now = datetime.now(UK).replace(second=0, microsecond=0)
    if today is not None:
        now = now.replace(year=today.year, month=today.month, day=today.day)
    now = now.replace(hour=0, minute=0)  # the same rows all day, as incidents/demo.py
    cast = _cast()
    incidents = _seed_incidents(count, seed, now, cast)
    audits = _seed_spot_checks(count // SPOT_CHECK_EVERY, seed, now, cast)
    shown = learning_demo.seed_learning()  # the demo's own review, actions and bulletin
    reviews = _seed_learning(incidents, seed, now, cast)
    month_counts.rebuild()  # the dashboard's summary (the inserts above bypass the ORM)
    db.session.commit()
    return [
        *shown,
        f"Demo incidents in bulk: {len(incidents)} created, {count - len(incidents)} already "
        f"there (seed {seed}); {audits} spot checks, {reviews} learning reviews and "
        f"{reviews * ACTIONS_PER_REVIEW} actions.",
    ]
