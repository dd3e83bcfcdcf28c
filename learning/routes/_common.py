"""What the learning pages share: the "changed meanwhile" message, the due-soon
window and file downloads."""

from __future__ import annotations

from flask import Response, current_app

STALE = (
    "Someone else changed this while you had it open. Your answers are below: check "
    "them against the latest version and save again."
)


def soon_days() -> int:
    """How many days ahead an action counts as due soon."""
    return int(current_app.config["ACTION_DUE_SOON_DAYS"])


def download(body: str, mimetype: str, filename: str) -> Response:
    """`body` as a file the browser saves as `filename`."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Records people wrote: never kept by a shared cache or the browser's own.
    response.headers["Cache-Control"] = "no-store"
    return response
