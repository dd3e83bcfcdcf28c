"""Signing in needs HTTPS wherever the session cookie is Secure (production's
default, with the __Host- name; settings.py). Over plain HTTP the browser does
not keep that cookie, so the sign-in form's CSRF check can never pass and the
person would only be told the form "has expired". This says what is really
wrong instead: on the sign-in page, on the refusal, and in the log at start-up
when the settings make it likely. No request here: callers pass what they know.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HEADING = "Signing in needs a secure connection (HTTPS)"
FOR_STAFF = (
    "This page was opened over plain HTTP, so your browser cannot keep you signed "
    "in. Check that the address starts with https://, or ask whoever runs Candour "
    "for its https:// address."
)
FOR_ADMIN = (
    "For whoever runs Candour: serve it over HTTPS. Behind a proxy or load balancer "
    "that handles HTTPS, set PROXY_HOPS to the number of proxies in front of the app "
    "(usually 1), so that Candour trusts the X-Forwarded-Proto: https the proxy sends."
)


def needs_https(config: Mapping[str, Any]) -> bool:
    """True when the session cookie is sent over HTTPS only."""
    return bool(config.get("SESSION_COOKIE_SECURE"))


def refused_over_http(config: Mapping[str, Any], *, is_secure: bool) -> bool:
    """True when this request cannot sign anybody in: HTTPS-only cookies, and a
    request the app sees as plain HTTP (directly, or as the trusted proxy says)."""
    return needs_https(config) and not is_secure


def startup_warnings(config: Mapping[str, Any]) -> list[str]:
    """Settings that will make signing in fail over plain HTTP, in plain words."""
    if not needs_https(config):
        return []
    warnings = []
    public_url = str(config.get("PUBLIC_URL") or "")
    if public_url.lower().startswith("http://"):
        warnings.append(
            f"PUBLIC_URL is {public_url}, plain HTTP, but the session cookie is sent over "
            "HTTPS only (SESSION_COOKIE_SECURE): nobody can sign in at that address. "
            "Serve Candour over HTTPS and set PUBLIC_URL to its https:// address."
        )
    if not config.get("PROXY_HOPS"):
        warnings.append(
            "PROXY_HOPS is 0 and the session cookie is sent over HTTPS only: unless this "
            "server itself serves HTTPS (gunicorn with certfile and keyfile), every "
            "request looks like plain HTTP and signing in fails. Behind a proxy or load "
            "balancer that handles HTTPS, set PROXY_HOPS to the number of proxies in "
            "front of the app (usually 1)."
        )
    return warnings
