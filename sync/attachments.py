"""POST /api/v1/incidents/<id>/attachments: a photo sent from a phone's outbox
after its incident, exactly once however often it is sent (docs/api.md)."""

from __future__ import annotations

from flask import request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from core.errors import IdConflict, Invalid, NotAllowed, OutOfScope
from incidents import attachments
from sync.http import errors_response, message_response
from sync.routes import bp
from sync.schemas import AttachmentOutSchema

CONFLICT = "A photo with this id was already received with a different file."


def _refusal(err: Exception) -> ResponseReturnValue:
    """The answer for each way a photo is refused (nothing is stored for any)."""
    if isinstance(err, OutOfScope):
        return message_response(404, "No such incident.")
    if isinstance(err, NotAllowed):
        return message_response(403, "Your role cannot add photos to this incident.")
    if isinstance(err, IdConflict):
        return message_response(409, CONFLICT)
    if isinstance(err, attachments.ImageTooLarge):
        return message_response(413, attachments.too_large_message(err))
    if isinstance(err, attachments.NotAnImage):
        return message_response(415, attachments.MESSAGES["not_image"])
    if isinstance(err, attachments.BrokenImage):
        return errors_response({"file": [attachments.MESSAGES["broken"]]})
    assert isinstance(err, Invalid)
    return errors_response(err.errors)


@bp.post("/incidents/<incident_id>/attachments")
@login_required
def add_attachment(incident_id: str) -> ResponseReturnValue:
    upload = request.files.get("file")
    try:
        receipt = attachments.add_photo(
            current_user,
            incident_id,
            request.form.get("id", ""),
            upload.read() if upload is not None else None,
            request.form.get("consent_by", ""),
        )
    except attachments.REFUSALS as err:
        return _refusal(err)
    answer = AttachmentOutSchema().dump(receipt.attachment)
    return answer, 201 if receipt.created else 200
