"""Generated demo incidents: a realistic spread across branches, people,
categories, harm, times of day and weekdays, made through the real service
functions (validation, references, duties, triage, decisions) so benchmarks and
demos exercise what production does. Deterministic for a given seed; running it
again adds nothing that is already there."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.dates import UK, utcnow
from core.models import PersonSupported, Role, User
from extensions import db
from incidents import decisions, record, services, triage
from incidents.models import DecisionStatus, Incident, Status
from incidents.schemas import IncidentInSchema

CATEGORY_WEIGHTS = {
    "medication": 30,
    "fall": 24,
    "missed_call": 10,
    "behaviour": 9,
    "skin": 8,
    "injury": 6,
    "safeguarding": 4,
    "infection": 4,
    "property": 3,
    "other": 2,
}
# Each medication error with what a carer would write about it, so the record's
# type and its text never contradict each other. Weighted by repetition.
MEDICATION_ERRORS = [
    "omission",
    "omission",
    "wrong_time",
    "wrong_dose",
    "recording",
    "recording",
    "wrong_person",
    "wrong_medicine",
]
MEDICATION_TEXT = {
    "omission": [
        "The {time} dose was not given: the tablets were still in the blister pack when I arrived.",
        "The {time} dose was missed; the previous carer thought the family had given it.",
    ],
    "wrong_time": [
        "The person was given their {time} tablets an hour late because the previous call overran.",
    ],
    "wrong_dose": [
        "Two tablets were given at the {time} call where the MAR chart says one.",
    ],
    "recording": [
        "MAR chart showed the {time} dose not signed for, but the tablets had been given.",
        "Two different doses were written on the MAR chart and the label.",
    ],
    "wrong_person": [
        "Tablets from another person's pack were given at the {time} call; noticed straight away.",
    ],
    "wrong_medicine": [
        "A tablet from the wrong box was given at the {time} call; the label did not match the MAR chart.",
    ],
}
HARM_WEIGHTS = {"none": 30, "low": 48, "moderate": 16, "severe": 5, "death": 1}
# Home-care visits cluster around mornings, lunch, tea and bed times.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 9, 10, 8, 5, 5, 8, 7, 4, 4, 5, 8, 8, 6, 5, 6, 3, 2]
LOCATIONS = [
    "kitchen",
    "bathroom",
    "bedroom",
    "living room",
    "hallway",
    "stairs",
    "garden",
    "front door",
    "",
]

# The place (a choice) for each free-text location above.
PLACE_OF = {
    "kitchen": "kitchen",
    "bathroom": "bathroom",
    "bedroom": "bedroom",
    "living room": "living_room",
    "hallway": "other",
    "stairs": "stairs",
    "garden": "garden",
    "front door": "outside_home",
    "": None,
}

WHAT_HAPPENED = {
    "fall": [
        "Found on the floor by the bed at the start of the {time} call.",
        "Slipped while walking to the bathroom without the frame.",
        "Lost balance standing up from the armchair; I could not reach in time.",
    ],
    "missed_call": [
        "The {time} call was missed: the rota showed nobody allocated.",
        "Arrived 90 minutes late for the {time} call after a previous visit overran.",
    ],
    "behaviour": [
        "Became distressed when we moved from breakfast to getting washed and pushed me.",
        "Shouted and threw a cup when the television was switched off.",
    ],
    "skin": [
        "Noticed a red area on the heel that did not fade when pressed.",
        "Skin tear on the forearm after a transfer with the hoist.",
    ],
    "injury": [
        "Bruise on the arm, no clear cause; the person says they knocked it.",
        "Cut finger while preparing food.",
    ],
    "safeguarding": [
        "The person said a relative took money from their purse again.",
        "Unexplained bruising on both wrists; the person did not want to talk about it.",
    ],
    "infection": ["Signs of a urine infection: confused and feverish at the {time} call."],
    "property": ["The key safe was left open when I arrived for the {time} call."],
    "other": ["The hoist sling was frayed; took it out of use."],
}
IMMEDIATE = [
    "Made the person safe and comfortable, checked for injury and rang the on-call manager.",
    "Rang 111 for advice and followed it; stayed until the person was settled.",
    "Called the pharmacy and the GP; recorded everything on the MAR chart.",
    "Stayed with the person, reassured them and told the office.",
]
FEEDBACK = [
    "Thank you for reporting this. We have changed the handover checklist so time-critical doses are read back at every change of carer.",
    "Thank you. The falls risk assessment was updated and the frame is now kept by the bed at night.",
    "Thank you for raising this. The rota now leaves travel time between these calls.",
]

# Closing needs a learning review or a reason why none is needed.
NO_REVIEW_REASONS = [
    "Low harm, fully explained at triage; the learning is already in the handover checklist.",
    "A one-off with a clear cause that was put right the same day.",
]


@dataclass(frozen=True)
class DemoStaff:
    by_branch: dict[str, list[User]]
    manager: User


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _staff() -> DemoStaff:
    users = list(db.session.scalars(db.select(User).where(User.active.is_(True))))
    manager = next(u for u in users if u.role == Role.MANAGER.value)
    by_branch: dict[str, list[User]] = {}
    for user in users:
        if user.role in {Role.CARER.value, Role.SUPERVISOR.value}:
            for branch in user.branches:
                by_branch.setdefault(branch.code, []).append(user)
    return DemoStaff(by_branch, manager)


def _time_of_day(rng: random.Random, day: datetime) -> datetime:
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    return day.astimezone(UK).replace(hour=hour, minute=rng.randrange(60), second=0, microsecond=0)


def arrival(
    rng: random.Random, occurred: datetime, now: datetime
) -> tuple[datetime, datetime, list[dict[str, str]]]:
    """When a generated report was made on the phone and reached the server, and the
    manager told on the phone soon after it happened (the bulk seeder's too)."""
    reported = occurred + timedelta(minutes=rng.randrange(3, 90))
    # Most reports arrive within a minute; some waited on a phone without signal.
    delay = timedelta(seconds=rng.randrange(2, 60))
    if rng.random() < 0.12:
        delay = timedelta(hours=rng.randrange(1, 72))
    received = min(reported + delay, now - timedelta(minutes=1))
    informed = [
        {
            "who": "manager",
            "at": (occurred + timedelta(minutes=rng.randrange(1, 30))).isoformat(),
            "method": "phone",
        }
    ]
    return reported, received, informed


def _payload(
    rng: random.Random, index: int, now: datetime, author: User, person: PersonSupported | None
) -> tuple[dict[str, Any], datetime]:
    category = _weighted(rng, CATEGORY_WEIGHTS)
    near_miss_share = 0.45 if category in {"medication", "missed_call"} else 0.15
    kind = (
        "near_miss" if category != "safeguarding" and rng.random() < near_miss_share else "incident"
    )
    harm = "none" if kind == "near_miss" else _weighted(rng, HARM_WEIGHTS)
    days_ago = rng.randrange(2, 182)
    occurred = _time_of_day(rng, now - timedelta(days=days_ago))
    reported, received, informed = arrival(rng, occurred, now)
    if harm in {"moderate", "severe", "death"} and rng.random() < 0.6:
        informed.append(
            {"who": "999", "at": (occurred + timedelta(minutes=2)).isoformat(), "method": "phone"}
        )
    if category == "safeguarding" and rng.random() < 0.2:
        informed.append(
            {
                "who": "police",
                "at": (occurred + timedelta(minutes=40)).isoformat(),
                "method": "phone",
            }
        )
    informed = [row for row in informed if datetime.fromisoformat(row["at"]) <= reported]
    location = rng.choice(LOCATIONS)
    time_label = occurred.strftime("%H:%M")
    medication_error = rng.choice(MEDICATION_ERRORS) if category == "medication" else None
    texts = MEDICATION_TEXT[medication_error] if medication_error else WHAT_HAPPENED[category]
    text = rng.choice(texts).format(time=time_label)
    payload: dict[str, Any] = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "kind": kind,
        "category": category,
        "medication_error": medication_error,
        "time_critical": category == "medication" and rng.random() < 0.25,
        "occurred_at": occurred.isoformat(),
        "reported_at": reported.isoformat(),
        "late_reason": None,
        "person_ref": person.ref if person else None,
        "branch": None if person else author.branches[0].code,
        "location": location,
        "place": PLACE_OF[location],
        "what_happened": f"{text} (demo {index + 1})",
        "immediate_actions": rng.choice(IMMEDIATE),
        "harm": harm,
        "staff_injured": (category == "behaviour" and rng.random() < 0.4)
        or (category == "injury" and rng.random() < 0.2),
        "people_informed": informed,
        "thresholds": {
            "safeguarding": "yes"
            if category == "safeguarding"
            else ("unsure" if rng.random() < 0.03 else "no"),
            "clinical_escalation": "yes"
            if harm in {"moderate", "severe", "death"}
            else rng.choice(["no", "no", "unsure"]),
            "family_contact": "yes"
            if harm != "none" and rng.random() < 0.5
            else rng.choice(["no", "not_applicable"]),
        },
    }
    return payload, received


def seed_incidents(count: int, seed: int = 1) -> list[str]:
    """Create `count` generated incidents (skipping any already there) and review
    the older ones as a manager would. Returns a summary for the CLI."""
    if count <= 0:
        return []
    staff = _staff()
    people: dict[str, list[PersonSupported]] = {}
    for person in db.session.scalars(
        db.select(PersonSupported).where(PersonSupported.active.is_(True))
    ):
        people.setdefault(person.branch.code, []).append(person)
    # Anchored to the start of today (UK) so a second run the same day makes the
    # same entries; entries already present are skipped whatever their content.
    now = datetime.now(UK).replace(hour=0, minute=0, second=0, microsecond=0)
    schema = IncidentInSchema()
    created = skipped = 0
    branch_codes = sorted(staff.by_branch)
    for index in range(count):
        # One generator per entry, so skipping an entry on a second run leaves
        # every other entry exactly as it was.
        rng = random.Random(f"candour-demo:{seed}:{index}")  # noqa: S311 (demo data, not secrets)
        branch = rng.choices(
            branch_codes, weights=[6 if c == "NORTH" else 4 for c in branch_codes]
        )[0]
        author = rng.choice(staff.by_branch[branch])
        person = rng.choice(people[branch]) if people.get(branch) and rng.random() < 0.92 else None
        payload, received = _payload(rng, index, now, author, person)
        if db.session.get(Incident, payload["id"]) is not None:
            skipped += 1
            continue
        data = schema.load(payload)
        receipt = services.create_incident(author, data, received_at=received)
        created += 1
        if received < utcnow() - timedelta(days=7):
            _review_as_manager(rng, staff.manager, receipt.incident)
    return [f"Demo incidents: {created} created, {skipped} already there (seed {seed})."]


def _review_as_manager(rng: random.Random, manager: User, incident: Incident) -> None:
    """Older demo incidents have been opened by a manager (so "seen", as the
    reporter is told), triaged and their duties decided."""
    record.mark_seen(manager, incident)
    status = rng.choices(
        [
            Status.CLOSED.value,
            Status.ACTIONS_AGREED.value,
            Status.UNDER_REVIEW.value,
            Status.TRIAGED.value,
        ],
        weights=[55, 15, 15, 15],
    )[0]
    reviewers = triage.reviewers_for(incident)
    triage.triage(
        manager,
        incident,
        version=incident.version,
        kind=incident.kind,
        category=incident.category,
        medication_error=incident.medication_error,
        harm=incident.harm,
        reason="",
        status=status,
        reviewer_id=rng.choice(reviewers).id if reviewers else None,
        feedback=rng.choice(FEEDBACK) if status == Status.CLOSED.value else "",
        no_review_reason=rng.choice(NO_REVIEW_REASONS) if status == Status.CLOSED.value else "",
    )
    for decision in list(incident.decisions):
        applies = rng.random() < 0.6
        done_at = None
        if applies and decision.due_at is not None:
            done_at = min(decision.due_at - timedelta(hours=1), utcnow())
            done_at = max(done_at, incident.occurred_at)
        decisions.record_decision(
            manager,
            incident,
            decision.id,
            version=decision.version,
            status=DecisionStatus.APPLIES.value if applies else DecisionStatus.DOES_NOT_APPLY.value,
            rationale="Considered at triage (demo data).",
            done_at=done_at,
            reference=f"DEMO-{decision.id:05d}" if applies else "",
        )
