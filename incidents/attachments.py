"""Photos of an incident: adding one exactly once (sent again from a phone's
outbox, the same photo is the same record), refusing what is not a whole photo
or has no consent, and reading one back only for those who may see its incident.
Pages, the sync API and tests call these; no request objects here."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func

from core import trail
from core.errors import IdConflict, Invalid, NotAllowed, OutOfScope
from core.exactly_once import already_sent, content_hash, first_send
from core.models import User
from core.permissions import require
from extensions import db
from incidents import images, permissions, services
from incidents.attachment_models import Attachment
from incidents.file_store import file_store
from incidents.images import BrokenImage, ImageTooLarge, NotAnImage
from incidents.models import Incident

__all__ = [
    "MESSAGES",
    "REFUSALS",
    "AttachmentReceipt",
    "BrokenImage",
    "ImageTooLarge",
    "NotAnImage",
    "add_photo",
    "photo_for",
    "photos_of",
]

CONSENT_MAX = 200
MESSAGES = {
    "id": "The photo has no valid id (a UUID made on the phone).",
    "file": "Choose a photo to add.",
    "consent_by": "Say who agreed to this photo being taken.",
    "consent_long": f"Who agreed to the photo must be at most {CONSENT_MAX} characters.",
    "not_image": "This is not a photo Candour accepts: send a JPEG, PNG or WebP image "
    "(on an iPhone, set the camera to 'Most Compatible', or take it in Candour's form).",
    "broken": "This photo could not be read: it may be cut short or damaged. Take it again.",
    "too_many_bytes": "This photo is too large: the limit is {limit} MB. Take it again at a "
    "smaller size, or through Candour's form, which makes it smaller.",
    "too_many_pixels": "This photo has too many pixels to accept (the limit is {limit} megapixels).",
    "too_many_photos": "An incident can have at most {limit} photos.",
}


# Every way add_photo refuses a photo (the callers answer each).
REFUSALS = (OutOfScope, NotAllowed, Invalid, IdConflict, ImageTooLarge, NotAnImage, BrokenImage)


@dataclass(frozen=True)
class AttachmentReceipt:
    attachment: Attachment
    created: bool


def too_large_message(err: ImageTooLarge) -> str:
    config = current_app.config
    if err.args and err.args[0] == "bytes":
        return MESSAGES["too_many_bytes"].format(limit=config["ATTACHMENT_MAX_BYTES"] // 2**20)
    return MESSAGES["too_many_pixels"].format(limit=config["ATTACHMENT_MAX_PIXELS"] // 10**6)


def _check(raw_id: str, data: bytes | None, consent_by: str) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    try:
        key = str(uuid.UUID(raw_id))
    except (ValueError, AttributeError, TypeError):
        key = ""
        errors["id"] = [MESSAGES["id"]]
    if not data:
        errors["file"] = [MESSAGES["file"]]
    consent = " ".join((consent_by or "").split())
    if not consent:
        errors["consent_by"] = [MESSAGES["consent_by"]]
    elif len(consent) > CONSENT_MAX:
        errors["consent_by"] = [MESSAGES["consent_long"]]
    if errors:
        raise Invalid(errors)
    return key, consent


def add_photo(
    user: User, incident_id: str, raw_id: str, data: bytes | None, consent_by: str
) -> AttachmentReceipt:
    """Keep a clean copy of one photo of an incident the user may see, exactly once.

    OutOfScope for an incident outside the user's scope; NotAllowed for who may
    not add photos to it; Invalid for a missing id, file or consent; IdConflict
    for the same id with other bytes; ImageTooLarge, NotAnImage, BrokenImage for
    a file that is not a whole photo of an accepted size. Nothing is stored for
    any of these."""
    incident = services.incident_in_scope(user, incident_id)
    require(permissions.may_add_photos(user, incident))
    key, consent = _check(raw_id, data, consent_by)
    assert data is not None  # _check refused an empty file
    digest = content_hash(
        user, {"incident": incident.id, "sha256": hashlib.sha256(data).hexdigest()}
    )
    existing = already_sent(Attachment, key, digest)
    if existing is not None:
        return AttachmentReceipt(existing, created=False)
    config = current_app.config
    if len(data) > config["ATTACHMENT_MAX_BYTES"]:
        raise ImageTooLarge("bytes")
    limit = config["ATTACHMENTS_PER_INCIDENT"]
    if photo_count(incident.id) >= limit:
        raise Invalid({"file": [MESSAGES["too_many_photos"].format(limit=limit)]})
    clean = images.clean_copy(
        data, max_pixels=config["ATTACHMENT_MAX_PIXELS"], max_side=config["ATTACHMENT_MAX_SIDE"]
    )
    attachment = Attachment(
        id=key,
        incident_id=incident.id,
        content_hash=digest,
        content_type=clean.content_type,
        bytes=len(clean.data),
        width=clean.width,
        height=clean.height,
        consent_by=consent,
        uploaded_by_id=user.id,
        storage_key=key,
    )
    with first_send(Attachment, key, digest) as sent:
        db.session.add(attachment)
        file_store().store(key, clean.data)
        trail.record(
            user,
            "add_photo",
            "incident",
            incident.id,
            photo=key,
            consent_by=consent,
            bytes=len(clean.data),
        )
    return AttachmentReceipt(sent.winner or attachment, created=sent.winner is None)


def photo_for(user: User, raw_id: str) -> tuple[Attachment, bytes]:
    """One stored photo and its bytes, for who may see its incident (the same
    scoping and safeguarding rules as the record: incidents.services); a view of
    a record that may be safeguarding goes on the trail. OutOfScope otherwise."""
    try:
        key = str(uuid.UUID(raw_id))
    except ValueError:
        raise OutOfScope(raw_id) from None
    attachment = db.session.get(Attachment, key)
    if attachment is None:
        raise OutOfScope(raw_id)
    incident = services.incident_in_scope(user, attachment.incident_id)
    data = file_store().get(attachment.storage_key)
    if data is None:
        raise OutOfScope(raw_id)
    services.note_views(user, [incident], "photo")
    return attachment, data


def photos_of(incident: Incident) -> list[Attachment]:
    return list(
        db.session.scalars(
            db.select(Attachment)
            .where(Attachment.incident_id == incident.id)
            .order_by(Attachment.uploaded_at, Attachment.id)
        )
    )


def photo_count(incident_id: str) -> int:
    count: int = db.session.scalar(
        db.select(func.count()).select_from(Attachment).where(Attachment.incident_id == incident_id)
    )
    return count


def form_photo_id(incident_id: str, data: bytes) -> str:
    """The id of a photo sent with the report form without JavaScript: the same
    photo sent again with the same report (a second tap) is the same photo."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{incident_id}/{hashlib.sha256(data).hexdigest()}"))


def add_form_photos(
    user: User, incident_id: str, photos: list[bytes], consent_by: str
) -> list[str]:
    """The photos sent with the report form (without JavaScript), after its
    incident was saved. Each is added as the API adds one; the answer is a
    sentence for each photo refused (the report itself stands)."""
    problems: list[str] = []
    for number, data in enumerate(photos, start=1):
        try:
            add_photo(user, incident_id, form_photo_id(incident_id, data), data, consent_by)
        except REFUSALS as err:
            problems.append(f"Photo {number} was not added: {refusal_message(err)}")
    return problems


def refusal_message(err: Exception) -> str:
    """What to tell a person about a refused photo, in a sentence."""
    if isinstance(err, ImageTooLarge):
        return too_large_message(err)
    if isinstance(err, NotAnImage):
        return MESSAGES["not_image"]
    if isinstance(err, BrokenImage):
        return MESSAGES["broken"]
    if isinstance(err, Invalid):
        return " ".join(m for messages in err.errors.values() for m in messages)
    if isinstance(err, IdConflict):
        return "it was already added."
    return "you cannot add photos to this report."
