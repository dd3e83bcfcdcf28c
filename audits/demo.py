"""Demo spot-check templates written for home care, and one schedule; idempotent.

Items are statements a supervisor answers yes / no / n-a (or safe / at risk) by
watching the call. Weights: 3 for what can harm the person straight away, 2 for
what usually leads there, 1 for good practice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from audits.models import AuditSchedule, AuditTemplate, AuditTemplateItem
from core.dates import uk_today, utcnow
from core.models import Branch, User
from extensions import db

Y = "yes_no"
S = "safe_at_risk"


def _item(
    key: str,
    section: str,
    text: str,
    guidance: str,
    weight: int = 1,
    critical: bool = False,
    note: bool = False,
    answer_set: str = Y,
) -> dict[str, Any]:
    return {
        "key": key,
        "section": section,
        "text": text,
        "guidance": guidance,
        "weight": weight,
        "critical": critical,
        "note_required_when_failed": note or critical,
        "answer_set": answer_set,
    }


TEMPLATES: list[dict[str, Any]] = [
    {
        "slug": "medication-spot-check",
        "title": "Medication spot check",
        "description": "Watch a medicines call from start to finish. Mark N/A for anything "
        "this call did not include (for example no time-critical or PRN medicines).",
        "pass_mark": 85,
        "items": [
            _item(
                "right-person",
                "Before giving",
                "Right person: identity confirmed before giving medicines",
                "Look for the carer checking name and date of birth, or a photo on the MAR "
                "chart, every time, even with someone they know well.",
                weight=3,
                critical=True,
            ),
            _item(
                "right-medicine",
                "Before giving",
                "Right medicine: checked against the MAR chart and the pharmacy label",
                "Each medicine is matched to the MAR chart line and the label before it is "
                "popped out or poured. A blister pack still needs checking.",
                weight=3,
                critical=True,
            ),
            _item(
                "right-dose",
                "Before giving",
                "Right dose: the amount given matches the MAR chart",
                "Count tablets, measure liquids with the syringe or cup supplied, check "
                "patch strength. Any change since the last check is on the MAR chart.",
                weight=3,
                critical=True,
            ),
            _item(
                "right-route",
                "Before giving",
                "Right route: given the way it is prescribed",
                "By mouth, patch, drops, cream, inhaler: as the label says. Crushing or "
                "mixing in food only with a documented pharmacist or GP agreement.",
                weight=2,
                critical=True,
            ),
            _item(
                "right-time",
                "Before giving",
                "Right time: given within the time window on the MAR chart",
                "Usually within an hour either side, unless the MAR chart says otherwise. "
                "Check the gap since the last dose for paracetamol and similar.",
                weight=2,
                note=True,
            ),
            _item(
                "time-critical-on-time",
                "Time-critical medicines",
                "Time-critical doses given within 30 minutes of the prescribed time",
                "Parkinson's medicines, insulin and others marked time-critical in the care "
                "plan. A late or missed dose can cause serious harm: if it happened, the "
                "office must know today. N/A if this call had none.",
                weight=3,
                critical=True,
            ),
            _item(
                "mar-chart-completed",
                "Recording",
                "MAR chart completed for every dose, at the time it was given",
                "Signed straight after giving, not before and not at the end of the call. "
                "Refusals and omissions recorded with the right code and a note.",
                weight=2,
                note=True,
            ),
            _item(
                "prn-recorded-with-reason",
                "Recording",
                "‘When required’ (PRN) doses recorded with the reason and the effect",
                "The reason it was offered, the amount, the time, and whether it helped. "
                "N/A if no PRN medicine was offered.",
            ),
            _item(
                "stock-matches",
                "Stock and storage",
                "Stock count matches the MAR chart",
                "No unexplained extra or missing doses; enough left until the next "
                "delivery. Low stock is reported to the office.",
            ),
            _item(
                "storage-safe",
                "Stock and storage",
                "Medicines stored as the care plan says",
                "Secure where needed, dry, away from heat, fridge items in the fridge, out "
                "of reach of anyone at risk. Out-of-date items returned.",
            ),
        ],
    },
    {
        "slug": "field-observation",
        "title": "Field observation",
        "description": "Observe a whole call. Feed back what went well as well as what to change.",
        "pass_mark": 80,
        "items": [
            _item(
                "arrived-on-time",
                "Arriving",
                "Arrived within the agreed call window",
                "Within 15 minutes of the planned time, or the person was told about the "
                "delay. Time-critical calls must be on time.",
            ),
            _item(
                "id-and-uniform",
                "Arriving",
                "Wearing ID badge and uniform",
                "Badge visible and the person (or family) could see who was calling.",
            ),
            _item(
                "hand-hygiene",
                "Infection prevention and control",
                "Washed or gelled hands before and after personal care",
                "Including after removing gloves and before handling food or medicines.",
                weight=3,
                critical=True,
            ),
            _item(
                "ppe-used",
                "Infection prevention and control",
                "Right PPE worn and disposed of safely",
                "Gloves and apron for personal care, changed between tasks, bagged and "
                "binned as the care plan says.",
                weight=2,
            ),
            _item(
                "consent-sought",
                "Care",
                "Asked for consent before each task and respected the answer",
                "Explained what they were about to do, waited for agreement, offered choice. "
                "Where capacity is in doubt, followed the care plan's best-interest guidance.",
                weight=3,
                critical=True,
            ),
            _item(
                "dignity-respect",
                "Care",
                "Treated the person with dignity and respect",
                "Privacy during personal care (doors, curtains, covering), spoke to the "
                "person not over them, used the name they prefer.",
                weight=3,
                critical=True,
            ),
            _item(
                "care-plan-followed",
                "Care",
                "Followed the care plan for this call",
                "All tasks for this call done, or the reason they were not is recorded and "
                "the office told.",
                weight=2,
                note=True,
            ),
            _item(
                "record-written",
                "Records",
                "Record of the visit written before leaving, clear and factual",
                "What was done, how the person was, anything different. Facts, not "
                "opinions; no abbreviations the family would not understand.",
                weight=2,
            ),
        ],
    },
    {
        "slug": "handover-quality",
        "title": "Handover quality",
        "description": "Check a handover between calls or shifts, in writing and in person.",
        "pass_mark": 80,
        "items": [
            _item(
                "handover-written",
                "Handover",
                "Handover written for the next carer or shift",
                "In the agreed place (app, folder or log), not only said out loud.",
                weight=2,
                note=True,
            ),
            _item(
                "time-critical-flagged",
                "Handover",
                "Time-critical tasks flagged clearly",
                "Time-critical medicines, insulin with meals, pressure-area care times: "
                "the next carer cannot miss them.",
                weight=3,
                critical=True,
            ),
            _item(
                "concerns-passed-on",
                "Handover",
                "Concerns passed on to the next carer and the office",
                "Changes in health, mood, skin or eating; falls; medicines running low; "
                "anything the family raised.",
                weight=3,
                critical=True,
            ),
            _item(
                "checklist-used",
                "Handover",
                "Handover checklist used",
                "Every line of the checklist completed or marked not applicable.",
            ),
        ],
    },
    {
        "slug": "falls-environment",
        "title": "Falls and environment",
        "description": "Walk round with the person (where they agree) and look at what could "
        "cause a fall. Answer Safe or At risk.",
        "pass_mark": 80,
        "items": [
            _item(
                "footwear",
                "The person",
                "Footwear fits well, is fastened and non-slip",
                "Slippers with a back and a grip sole; no walking in socks on hard floors.",
                weight=2,
                answer_set=S,
            ),
            _item(
                "mobility-aids-in-reach",
                "The person",
                "Mobility aids within reach and in good repair",
                "Frame or stick where the person sits and sleeps; ferrules not worn; brakes work.",
                weight=3,
                critical=True,
                answer_set=S,
            ),
            _item(
                "call-system",
                "The person",
                "Pendant alarm or call system worn or within reach, and working",
                "Test it with the person's agreement if it has not been tested this month.",
                weight=3,
                critical=True,
                answer_set=S,
            ),
            _item(
                "trip-hazards",
                "Their home",
                "Floors clear of trip hazards",
                "Loose rugs, trailing cables, clutter on stairs and walkways. Agree changes "
                "with the person; it is their home.",
                weight=2,
                note=True,
                answer_set=S,
            ),
            _item(
                "lighting",
                "Their home",
                "Lighting is good enough, including at night",
                "Switches reachable from the bed and chair; a night light on the way to the "
                "toilet.",
                answer_set=S,
            ),
            _item(
                "falls-risk-assessment-current",
                "Plans",
                "Falls risk assessment is current",
                "Reviewed in the last six months and after any fall; the care plan says "
                "what carers do to reduce the risk.",
                weight=2,
                note=True,
                answer_set=S,
            ),
        ],
    },
]


def seed_templates() -> list[AuditTemplate]:
    """Publish version 1 of each demo template that does not exist yet. A template
    a manager has already edited is left exactly as it is."""
    made: list[AuditTemplate] = []
    for spec in TEMPLATES:
        exists = db.session.scalar(
            db.select(AuditTemplate.id).where(AuditTemplate.slug == spec["slug"]).limit(1)
        )
        if exists is not None:
            continue
        template = AuditTemplate(
            slug=spec["slug"],
            version=1,
            title=spec["title"],
            description=spec["description"],
            pass_mark=spec["pass_mark"],
            published_at=utcnow(),
            items=[AuditTemplateItem(position=n, **item) for n, item in enumerate(spec["items"])],
        )
        db.session.add(template)
        made.append(template)
    db.session.commit()
    return made


DEMO_SCHEDULE_REASON = (
    "After a missed time-critical dose at handover: sample 10 medicines calls over two weeks."
)


def seed_schedule() -> None:
    exists = db.session.scalar(
        db.select(AuditSchedule.id).where(AuditSchedule.reason == DEMO_SCHEDULE_REASON)
    )
    north = db.session.scalar(db.select(Branch).where(Branch.code == "NORTH"))
    manager = db.session.scalar(db.select(User).where(User.email == "manager@example.com"))
    if exists is not None or north is None or manager is None:
        return
    today = uk_today()
    db.session.add(
        AuditSchedule(
            template_slug="medication-spot-check",
            branch_id=north.id,
            target=10,
            starts_on=today,
            due_on=today + timedelta(days=14),
            reason=DEMO_SCHEDULE_REASON,
            author_id=manager.id,
        )
    )
    db.session.commit()


def seed() -> list[str]:
    made = seed_templates()
    seed_schedule()
    names = ", ".join(t.slug for t in made) or "already there"
    return [f"Spot-check templates: {names}"]
