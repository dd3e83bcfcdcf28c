"""Who may import what: managers import people supported and staff, office staff
people supported, each within their own branches. Commands run as the provider
(no user) and may name any branch."""

from __future__ import annotations

from core.models import Role, User
from core.permissions import has_role

IMPORTERS = {
    "people": frozenset({Role.MANAGER, Role.OFFICE}),
    "staff": frozenset({Role.MANAGER}),
}
ANY_IMPORTER = IMPORTERS["people"] | IMPORTERS["staff"]


def may_import(user: User, kind: str) -> bool:
    return has_role(user, IMPORTERS[kind])


def kinds_for(user: User) -> list[str]:
    return [kind for kind in IMPORTERS if may_import(user, kind)]
