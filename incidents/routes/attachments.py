"""A photo of an incident, served only to who may see the incident, and the
request body limit for the two places photos are sent to (the sync API's upload
and the report form without JavaScript)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response
from flask_login import current_user, login_required

from core import web
from incidents import attachments

bp = Blueprint("attachments", __name__)

# Endpoints that take photos, and how many photos' worth of body each accepts.
UPLOADS = {"sync.add_attachment": 1, "incidents.create": 4}
FORM_ALLOWANCE = 256 * 1024  # the rest of the form, beside the photos


@bp.get("/attachments/<attachment_id>")
@login_required
def photo(attachment_id: str) -> Any:
    attachment, data = attachments.photo_for(current_user, attachment_id)
    response = Response(data, mimetype=attachment.content_type)
    # Never kept by the browser, a proxy or the service worker (service-worker.js
    # keeps blank forms only): a photo of someone's injury stays on the server.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = f'inline; filename="photo-{attachment.id}.jpg"'
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    for endpoint, photos in UPLOADS.items():
        web.allow_larger_body(app, endpoint, _limit(photos))


def _limit(photos: int) -> web.BodyLimit:
    """The body limit for an upload of up to `photos` photos of the largest size."""
    return lambda config: photos * config["ATTACHMENT_MAX_BYTES"] + FORM_ALLOWANCE
