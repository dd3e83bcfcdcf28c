"""Valid payloads to start tests from; each test changes only what it is about."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo


def iso(moment: datetime) -> str:
    return moment.isoformat()


def incident_payload(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "kind": "near_miss",
        "category": "medication",
        "medication_error": "omission",
        "time_critical": True,
        "occurred_at": iso(now - timedelta(minutes=20)),
        "reported_at": iso(now - timedelta(minutes=1)),
        "late_reason": None,
        "person_ref": "P-0001",
        "location": "kitchen",
        "what_happened": "Evening Parkinson's dose was not in the blister pack.",
        "immediate_actions": "Rang the on-call manager; pharmacy delivered the dose.",
        "harm": "none",
        "staff_injured": False,
        "people_informed": [
            {"who": "manager", "at": iso(now - timedelta(minutes=10)), "method": "phone"}
        ],
        "thresholds": {
            "safeguarding": "no",
            "clinical_escalation": "unsure",
            "family_contact": "yes",
        },
    }
    body.update(changes)
    return body


def local_input(moment: datetime) -> str:
    """A moment as a UK phone's datetime-local input holds it."""
    return moment.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%dT%H:%M")


def incident_form(**changes: Any) -> dict[str, Any]:
    """The report form as a browser without JavaScript sends it (a medication
    near miss). `a__b` stands for the field `a.b`; None leaves a field out."""
    now = datetime.now(UTC)
    fields: dict[str, Any] = {
        "entry_id": str(uuid.uuid4()),
        "reported_at": "",
        "tz_offset": "",
        "category": "medication",
        "medication_error": "omission",
        "time_critical": "true",
        "kind": "near_miss",
        "person_ref": "P-0001",
        "occurred_at": local_input(now - timedelta(minutes=20)),
        "late_reason": "",
        "location": "kitchen",
        "what_happened": "Evening Parkinson's dose was not in the blister pack.",
        "immediate_actions": "Rang the on-call manager; pharmacy delivered the dose.",
        "harm": "none",
        "people_informed.0.who": "manager",
        "people_informed.0.at": local_input(now - timedelta(minutes=10)),
        "people_informed.0.method": "phone",
        "people_informed.1.who": "",
        "people_informed.1.at": "",
        "people_informed.1.method": "phone",
        "thresholds.safeguarding": "no",
        "thresholds.clinical_escalation": "unsure",
        "thresholds.family_contact": "yes",
    }
    for key, value in changes.items():
        name = key.replace("__", ".")
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    return fields


def audit_payload(
    observed_user_id: int,
    template: str = "medication-spot-check",
    version: int = 1,
    fail: tuple[str, ...] = (),
    na: tuple[str, ...] = (),
    notes: dict[str, str] | None = None,
    **changes: Any,
) -> dict[str, Any]:
    """A complete spot check against a demo template: every item answered yes
    unless listed in `fail` (no, with a note) or `na`."""
    from audits.demo import TEMPLATES

    spec = next(t for t in TEMPLATES if t["slug"] == template)
    notes = notes or {}
    answers = []
    for item in spec["items"]:
        key = item["key"]
        answer = "no" if key in fail else "na" if key in na else "yes"
        note = notes.get(key, "Seen at the call: explained and agreed." if key in fail else "")
        answers.append({"item": key, "answer": answer, "note": note})
    now = datetime.now(UTC).replace(microsecond=0)
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "template": template,
        "template_version": version,
        "conducted_at": iso(now - timedelta(minutes=30)),
        "observed_user_id": observed_user_id,
        "person_ref": "P-0001",
        "answers": answers,
        "reaudit_of_action": None,
    }
    body.update(changes)
    return body


def add_shift_message_and_recalculation(
    manager: Any, recipient: Any, branch_id: int, tag: str
) -> tuple[Any, Any, Any]:
    """One on-call shift (now, NORTH), one message not delivered and one chart
    recalculation, so that the pages about them have something to open. Added to
    the session, not committed."""
    from extensions import db
    from governance.models import SpcRecalculation
    from notifications.models import Message, Status
    from notifications.on_call_models import OnCallShift

    now = datetime.now(UTC)
    shift = OnCallShift(
        branch_id=branch_id,
        user_id=manager.id,
        starts_at=now,
        ends_at=now + timedelta(hours=8),
        created_by_id=manager.id,
    )
    undelivered = Message(
        kind="bulletin",
        event_key=f"{tag}:bulletin",
        recipient_id=recipient.id,
        channel="email",
        subject="New learning bulletin",
        text="A new learning bulletin.",
        link_path="/bulletins",
        status=Status.FAILED,
        attempts=30,
    )
    recalculation = SpcRecalculation(
        branch_key="NORTH", from_month="2026-01", reason="New MAR chart", author_id=manager.id
    )
    db.session.add_all([shift, undelivered, recalculation])
    return shift, undelivered, recalculation


def photo_with_gps(size: tuple[int, int] = (1200, 900), orientation: int = 6) -> bytes:
    """A camera-like JPEG (made with Pillow) carrying what must never be kept: EXIF
    with a GPS position and an orientation, an ICC profile, XMP and a comment."""
    import io

    from PIL import Image

    image = Image.new("RGB", size, (200, 120, 90))
    for x in range(0, size[0], 40):  # some detail, so the JPEG is not trivially small
        image.paste((30, 60, 200), (x, 0, x + 12, size[1]))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    out = io.BytesIO()
    image.save(
        out,
        "JPEG",
        exif=exif.tobytes(),
        icc_profile=b"\x00" * 128,
        comment=b"taken at 12 Acacia Avenue",
        xmp=xmp,
    )
    return out.getvalue()
