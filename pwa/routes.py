"""/service-worker.js, /manifest.webmanifest, /offline and /outbox."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_login import login_required

from pwa import services

bp = Blueprint("pwa", __name__)


@bp.app_context_processor
def _outbox_scripts() -> dict[str, Any]:
    # base.html loads the outbox scripts on every signed-in page (called there, so
    # only a signed-in page looks them up).
    return {"outbox_page_scripts": services.page_scripts}


@bp.get("/service-worker.js")
def service_worker() -> Response:
    response = Response(services.worker_script(), mimetype="text/javascript")
    # Browsers must check for a new worker on every visit: unchanged, a 304.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    response.add_etag()
    response.make_conditional(request)
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> Any:
    return Response(json.dumps(services.web_manifest()), mimetype="application/manifest+json")


@bp.get("/offline")
def offline() -> str:
    return render_template("pwa/offline.html")


@bp.get("/saved")
def saved() -> str:
    """What the worker shows when a form posted the normal way could not reach
    the server: its entry is already in the outbox. Kept on the phone."""
    return render_template("pwa/saved.html")


@bp.get("/outbox")
@login_required
def outbox() -> str:
    """What waits on this phone to be sent. Only the phone knows, so the list is
    drawn from its own storage by static/js/offline/outbox-page.js; the page itself
    explains that without JavaScript."""
    return render_template("pwa/outbox.html")
