"""Jinja globals and filters every template may use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, current_app, get_flashed_messages, request, url_for
from flask_login import current_user

from core import navigation, services, static_files
from core.dates import UK
from core.models import Role


def uk_time(value: datetime | None, fmt: str = "%d %b %Y, %H:%M") -> str:
    """A moment shown in UK local time (GMT or BST), as staff read clocks."""
    if value is None:
        return ""
    return value.astimezone(UK).strftime(fmt)


def asset_revision(filename: str) -> str:
    """A short content hash of a static file as served, so a deploy changes its URL
    (and such a URL may be cached for good: core/static_files.py)."""
    return static_files.asset_revision(current_app, filename)


def asset_url(filename: str) -> str:
    return url_for("static", filename=filename, v=asset_revision(filename))


def bundle_scripts(bundle: str) -> list[str]:
    """The files a page names for a bundle of scripts (core/static_build.py
    BUNDLES): the bundle itself once built, else its sources in order."""
    return static_files.bundle_scripts(current_app, bundle)


# The service worker fetches pages to keep them on the phone with this header.
# Such a fetch is not the person looking at the page: it must neither take the
# messages waiting for their next page ("Note saved.") nor keep them in the copy.
KEEP_HEADER = "X-Candour-Keep"


def page_flashes() -> list[tuple[str, str]]:
    if request.headers.get(KEEP_HEADER):
        return []
    messages: list[tuple[str, str]] = get_flashed_messages(with_categories=True)  # type: ignore[assignment]
    return messages


def sign_in_seconds_left() -> int:
    return services.sign_in_seconds_left(
        current_user, current_app.config["PERMANENT_SESSION_LIFETIME"]
    )


def init_app(app: Flask) -> None:
    app.jinja_env.filters["uk_time"] = uk_time
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals.update(
        asset_url=asset_url,
        bundle_scripts=bundle_scripts,
        nav_items=navigation.menu_links,
        home_buttons=navigation.home_buttons,
        page_sections=navigation.page_sections,
        sign_in_seconds_left=sign_in_seconds_left,
    )
    navigation.add_section(app, "home", "core/_home_staff.html", set(Role), order=0)
    navigation.add_section(app, "home", "core/_home_manager.html", {Role.MANAGER}, order=90)
    navigation.add_menu_link(app, "Staff", "core.users", {Role.MANAGER}, order=90)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        role = Role(current_user.role) if current_user.is_authenticated else None
        return {"Role": Role, "current_role": role, "page_flashes": page_flashes}
