"""What every response gets: security headers, error pages (HTML or JSON), and
the sign-in plumbing for flask-login."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Config,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from core import https_check
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
SURROGATE_MESSAGE = (
    "What was sent contains half of a character (a lone surrogate, usually half of "
    "an emoji cut off by another program). Remove it and try again: nothing was saved."
)
# No form or phone of Candour's sends JSON more than a few levels deep.
MAX_NESTING = 32
NESTING_MESSAGE = (
    f"What was sent is nested more than {MAX_NESTING} levels deep, which no Candour "
    "form or phone sends. Nothing was saved."
)
NEXT_MESSAGE = (
    "The address to return to after signing in is not valid. Open the sign-in page "
    "again from Candour."
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f]")


NAMELESS_MESSAGE = (
    "A part of the form sent has no name, which no Candour form sends. Nothing was saved."
)
BodyLimit = Callable[[Config], int]


def allow_larger_body(app: Flask, endpoint: str, limit: BodyLimit) -> None:
    """Let `endpoint` take a multipart body (files) of up to `limit(config)` bytes,
    where everything else keeps MAX_CONTENT_LENGTH (256 KB)."""
    app.extensions.setdefault("candour_body_limits", {})[endpoint] = limit


def _before_the_body_is_read(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A URL value preprocessor, so it runs before every before_request (CSRF
    protection reads the form): the body limit of an endpoint that takes files,
    refused at once with a 413 when the request says it is larger; and a
    multipart part with no name (Werkzeug files it under None, which breaks
    whatever reads the form next) refused with a 400."""
    if request.method != "POST" or request.mimetype != "multipart/form-data":
        return
    limit = current_app.extensions.get("candour_body_limits", {}).get(endpoint or "")
    if limit is not None:
        # Files may be larger; each text field keeps the app's limit (256 KB).
        request.max_form_memory_size = current_app.config["MAX_CONTENT_LENGTH"]
        request.max_content_length = most = limit(current_app.config)
        if request.content_length is not None and request.content_length > most:
            abort(
                413, description=f"That was too large to accept (the limit is {most // 2**20} MB)."
            )
    if None in request.form or None in request.files:
        abort(400, description=NAMELESS_MESSAGE)


def _refuse_unreadable_input() -> Any:
    """Strict input at one place: what no person types is refused with a 400 and
    a reason before any route reads the request. PostgreSQL cannot store U+0000;
    a lone surrogate cannot be written as UTF-8 at all; JSON nested hundreds deep
    exhausts the stack; control characters in `next` would end up in a header.
    (A browser's form or query cannot carry a lone surrogate: Werkzeug keeps
    invalid UTF-8 as its %-escapes. They are checked anyway.)"""
    sources = [request.args, request.form] if request.method == "POST" else [request.args]
    pairs = [pair for source in sources for pair in source.items(multi=True)]
    if "\x00" in request.path or any("\x00" in key or "\x00" in value for key, value in pairs):
        return error_response(400, NUL_MESSAGE, reason="nul")
    if any(_SURROGATE.search(key) or _SURROGATE.search(value) for key, value in pairs):
        return error_response(400, SURROGATE_MESSAGE, reason="surrogate")
    if any(_CONTROL.search(target) for target in request.args.getlist("next")):
        return error_response(400, NEXT_MESSAGE, reason="next")
    problem = _json_problem()
    if problem == "nesting":
        return error_response(400, NESTING_MESSAGE, reason="nesting")
    if problem == "surrogate":
        return error_response(400, SURROGATE_MESSAGE, reason="surrogate")
    return None


def _json_problem() -> str | None:
    """ "nesting" or "surrogate" for a JSON body that has one; None otherwise (a
    body that is not JSON at all is for sync.http to name)."""
    if not request.is_json:
        return None
    try:
        body = json.loads(request.get_data(cache=True).decode("utf-8"))
    except RecursionError:
        return "nesting"
    except ValueError:  # not UTF-8, or not JSON
        return None
    # Without recursion: the depth is what is being checked.
    pending: list[tuple[Any, int]] = [(body, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return "surrogate"
        elif isinstance(value, dict | list):
            if depth > MAX_NESTING:
                return "nesting"
            inner = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in inner)
    return None


def safe_next(target: str | None) -> str:
    """Where to go after signing in: `next` only when it is a path within this
    site (no open redirects), else the home page. A backslash counts as a slash
    to browsers, so "/\\evil.example" is another site; control characters were
    refused by the request guard before this."""
    if target and "\\" not in target and not _CONTROL.search(target):
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target.rstrip("?") or "/"
    return url_for("core.home")


# While an account must choose its own password, only these answer as usual: the
# page to change it, signing out, and what holds no records (static files, the
# service worker and its offline pages, who is signed in).
PASSWORD_CHANGE_ALLOWS = frozenset(
    {
        "core.change_password",
        "core.invitation",
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
    if https_check.refused_over_http(current_app.config, is_secure=request.is_secure):
        # The HTTPS-only session cookie never came back: no form can pass here.
        current_app.logger.warning(
            "A form was sent over plain HTTP and refused: %s", https_check.FOR_ADMIN
        )
        return render_template("core/plain_http.html", plain_http=https_check), 400
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
    app.url_value_preprocessor(_before_the_body_is_read)
    app.before_request(_refuse_unreadable_input)
    app.before_request(_password_change_first)
    app.after_request(_security_headers)

    app.register_error_handler(CSRFError, _csrf_refused)
    for warning in https_check.startup_warnings(app.config):
        app.logger.warning(warning)

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
            status in (400, 409, 413, 422)
            and err.description
            and err.description != type(err).description
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
