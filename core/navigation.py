"""Menus, home-page buttons and page sections, contributed by each package for
the roles that use them, so that a page of a lower package (core's home page, an
incident's record) shows what the packages above it add without importing them."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, current_app, url_for
from flask_login import current_user

from core.models import Role


@dataclass(frozen=True)
class Link:
    label: str
    endpoint: str
    roles: frozenset[Role]
    order: int = 50
    # The roles for whom this is the main task: first in their menu, whatever the order.
    first_for: frozenset[Role] = frozenset()

    @property
    def url(self) -> str:
        return url_for(self.endpoint)


@dataclass
class Navigation:
    menu: list[Link] = field(default_factory=list)
    buttons: list[Link] = field(default_factory=list)
    # page -> (order, template, roles)
    sections: dict[str, list[tuple[int, str, frozenset[Role]]]] = field(default_factory=dict)


def _nav(app: Flask | None = None) -> Navigation:
    target = app or current_app
    return target.extensions.setdefault("candour_nav", Navigation())  # type: ignore[no-any-return]


def add_menu_link(
    app: Flask,
    label: str,
    endpoint: str,
    roles: set[Role],
    order: int = 50,
    *,
    first_for: set[Role] | None = None,
) -> None:
    """A link in the header's menu. On a phone the menu opens as a list, so each
    role's main task (`first_for`) comes first in it."""
    _nav(app).menu.append(
        Link(label, endpoint, frozenset(roles), order, frozenset(first_for or ()))
    )


def add_home_button(
    app: Flask, label: str, endpoint: str, roles: set[Role], order: int = 50
) -> None:
    """A big button on the home page (the first one shown is the primary)."""
    _nav(app).buttons.append(Link(label, endpoint, frozenset(roles), order))


def add_section(app: Flask, page: str, template: str, roles: set[Role], order: int = 50) -> None:
    """A partial that `page` includes for these roles ("home": the home page;
    "incident": an incident's record, inside its staff-only part)."""
    _nav(app).sections.setdefault(page, []).append((order, template, frozenset(roles)))


def _mine(links: list[Link]) -> list[Link]:
    if not current_user.is_authenticated:
        return []
    role = Role(current_user.role)
    return sorted(
        (link for link in links if role in link.roles),
        key=lambda link: (role not in link.first_for, link.order),
    )


def menu_links() -> list[Link]:
    return _mine(_nav().menu)


def home_buttons() -> list[Link]:
    return _mine(_nav().buttons)


def page_sections(page: str, role: Role) -> list[str]:
    return [t for _order, t, roles in sorted(_nav().sections.get(page, [])) if role in roles]
