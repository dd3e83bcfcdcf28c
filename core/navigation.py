"""Menus and home-page sections, contributed by each blueprint for the roles that
use them, so the core does not need to know what the other packages offer."""

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

    @property
    def url(self) -> str:
        return url_for(self.endpoint)


@dataclass
class Navigation:
    menu: list[Link] = field(default_factory=list)
    actions: list[Link] = field(default_factory=list)
    sections: list[tuple[int, str, frozenset[Role]]] = field(default_factory=list)


def _nav(app: Flask | None = None) -> Navigation:
    target = app or current_app
    return target.extensions.setdefault("candour_nav", Navigation())  # type: ignore[no-any-return]


def add_menu_link(app: Flask, label: str, endpoint: str, roles: set[Role], order: int = 50) -> None:
    _nav(app).menu.append(Link(label, endpoint, frozenset(roles), order))


def add_home_action(
    app: Flask, label: str, endpoint: str, roles: set[Role], order: int = 50
) -> None:
    """A big button on the home page (the first one shown is the primary)."""
    _nav(app).actions.append(Link(label, endpoint, frozenset(roles), order))


def add_home_section(app: Flask, template: str, roles: set[Role], order: int = 50) -> None:
    _nav(app).sections.append((order, template, frozenset(roles)))


def _mine(links: list[Link]) -> list[Link]:
    if not current_user.is_authenticated:
        return []
    role = Role(current_user.role)
    return sorted((link for link in links if role in link.roles), key=lambda link: link.order)


def menu_links() -> list[Link]:
    return _mine(_nav().menu)


def home_actions() -> list[Link]:
    return _mine(_nav().actions)


def home_sections(role: Role) -> list[str]:
    return [t for order, t, roles in sorted(_nav().sections) if role in roles]
