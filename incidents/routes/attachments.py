"""A photo of an incident, served only to who may see the incident, and the
request body limit for the two places photos are sent to (the sync API's upload
and the report form without JavaScript)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, request
from flask_login import current_user, login_required

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


def _upload_limit(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Before CSRF protection reads the form: a larger body for photo uploads (the
    app's MAX_CONTENT_LENGTH, 256 KB, stays for everything else), refused at once
    with a clear 413 when the request says it is larger."""
    photos = UPLOADS.get(endpoint or "")
    if not photos or request.method != "POST" or request.mimetype != "multipart/form-data":
        return
    config = current_app.config
    limit = photos * config["ATTACHMENT_MAX_BYTES"] + FORM_ALLOWANCE
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        abort(413, description=attachments.too_large_message(attachments.ImageTooLarge("bytes")))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # URL value preprocessors run before every before_request (CSRF's included).
    app.url_value_preprocessor(_upload_limit)
