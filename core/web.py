"""What every response gets: security headers, error pages (HTML or JSON), and
the sign-in plumbing for flask-login."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from core.errors import NotAllowed, OutOfScope
from core.forms import MAX_ID
from core.htmx import is_htmx_request
from core.services import load_session_user
from extensions import login_manager

# No 'unsafe-inline' or 'unsafe-eval' anywhere: htmx's config is a meta tag and
# every script is a static file.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

MESSAGES = {
    400: "Something in that request was not right.",
    401: "Sign in to continue.",
    403: "Your role does not allow this.",
    404: "We could not find that page.",
    405: "That action is not allowed here.",
    409: "Someone else changed this at the same time.",
    413: "That was too large to accept (the limit is 256 KB).",
    415: "Send JSON with Content-Type: application/json.",
    422: "Some answers need correcting.",
    429: "Too many requests. Wait a moment and try again.",
    500: "Something went wrong on our side. Nothing you entered was lost; try again.",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str | None = None, **extra: Any) -> Any:
    message = message or MESSAGES.get(status, "Something went wrong.")
    if wants_json():
        body = {"error": message, **extra}
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.is_secure:
        # Over HTTPS (directly, or as the trusted proxy says with PROXY_HOPS): the
        # browser uses HTTPS only for this site for a year. Never over plain HTTP,
        # where it means nothing and would only confuse a development setup.
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    # One URL may answer a page or an htmx fragment: caches must key on that.
    response.vary.add("HX-Request")
    if request.path.startswith("/api/") or response.mimetype == "text/html":
        # Pages and API answers hold personal data: never store them in shared
        # caches or the browser's HTTP cache (the service worker decides what the
        # phone keeps).
        response.headers.setdefault("Cache-Control", "no-store")
    return response


NUL_MESSAGE = (
    "What was sent contains a character Candour cannot store (a null character, "
    "usually from pasting from another program). Remove it and try again: nothing "
    "was saved."
)


def _refuse_nul_characters() -> Any:
    """PostgreSQL cannot store U+0000 in text; no person types one. Refuse it at the
    door, for the path, the query and any form field, before anything is read
    (JSON bodies are checked by sync.http as they are parsed)."""
    sources = [request.args, request.form] if request.method == "POST" else [request.args]
    if "\x00" in request.path or any(
        "\x00" in key or "\x00" in value
        for source in sources
        for key, value in source.items(multi=True)
    ):
        return error_response(400, NUL_MESSAGE, reason="nul")
    return None


# While an account must choose its own password, only these answer as usual: the
# page to change it, signing out, and what holds no records (static files, the
# service worker and its offline pages, who is signed in).
PASSWORD_CHANGE_ALLOWS = frozenset(
    {
        "core.change_password",
        "core.logout",
        "core.login",
        "core.healthz",
        "static",
        "pwa.service_worker",
        "pwa.manifest",
        "pwa.offline",
        "pwa.saved",
        "sync.session_info",
    }
)
CHOOSE_OWN_FIRST = (
    "Choose your own password first: the one you signed in with was set by your "
    "manager. Open /account/password to change it; nothing else can be done until then."
)


def _password_change_first() -> Any:
    if request.endpoint in PASSWORD_CHANGE_ALLOWS or request.endpoint is None:
        return None
    if not current_user.is_authenticated or not current_user.must_change_password:
        return None
    if wants_json():
        return error_response(403, CHOOSE_OWN_FIRST, reason="password_change")
    target = url_for("core.change_password")
    if is_htmx_request():
        return Response(status=204, headers={"HX-Redirect": target})
    return redirect(target)


class QuietSessionInterface(SecureCookieSessionInterface):
    """The session cookie is sent back only when the session changed, or on a page
    the person opened (so a sign-in stays alive while they use it).

    Flask's default re-sends it on every answer. Then a background request (the
    service worker keeping pages, the outbox asking who is signed in) that began
    before a form was posted can answer after it and put back the older cookie:
    the "Note saved." message, or a sign-in or sign-out, is undone."""

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if session.modified:
            return True
        return bool(
            session.permanent
            and app.config["SESSION_REFRESH_EACH_REQUEST"]
            and request.headers.get("Sec-Fetch-Mode") == "navigate"
        )


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` in every route: a number the databases can hold (PostgreSQL's
    integer is 32-bit), so /actions/99999999999999999999 is a 404 like any other
    id that does not exist, not an overflow deep in the driver."""

    def __init__(self, url_map: Map, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, **kwargs)


def _csrf_refused(err: CSRFError) -> Any:
    # An API write from someone not signed in (a phone whose sign-in ended,
    # sending the old token or none) is told to sign in again: 401, which a
    # client can act on, not 400, which it cannot.
    if wants_json() and not current_user.is_authenticated:
        return error_response(401)
    return error_response(
        400,
        "This form has expired or was not sent from Candour. Go back, reload the "
        "page and try again: nothing has been saved.",
        reason="csrf",
    )


def init_app(app: Flask) -> None:
    # Before any blueprint adds a route, so that every `<int:…>` uses it.
    app.url_map.converters["int"] = DatabaseIdConverter
    app.session_interface = QuietSessionInterface()
    app.before_request(_refuse_nul_characters)
    app.before_request(_password_change_first)
    app.after_request(_security_headers)

    app.register_error_handler(CSRFError, _csrf_refused)

    # Services refuse with these wherever they are called from; pages and the
    # API answer alike. Out of scope is 404, never 403: existence is not revealed.
    @app.errorhandler(OutOfScope)
    def _out_of_scope(err: OutOfScope) -> Any:
        return error_response(404)

    @app.errorhandler(NotAllowed)
    def _not_allowed(err: NotAllowed) -> Any:
        return error_response(403)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Any:
        status = err.code or 500
        description = None
        if (
            status in (400, 409, 422)
            and err.description
            and not err.description.startswith("The browser (or proxy)")
        ):
            description = err.description
        return error_response(status, description)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Any:
        app.logger.exception("unhandled error")
        return error_response(500)

    login_manager.login_view = "core.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_user)

    @login_manager.unauthorized_handler
    def _unauthorized() -> Any:
        if wants_json() or is_htmx_request():
            if is_htmx_request() and not wants_json():
                resp = Response(status=401)
                resp.headers["HX-Redirect"] = url_for("core.login", next=request.full_path)
                return resp
            return error_response(401)
        return redirect(url_for("core.login", next=request.full_path))
