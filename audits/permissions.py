"""Who may do what with spot checks, for routes and services alike."""

from __future__ import annotations

from core import scoping
from core.models import Role, User
from core.permissions import has_role

CONDUCTING_ROLES = frozenset({Role.SUPERVISOR, Role.MANAGER})


MANAGERS = frozenset({Role.MANAGER})


OBSERVABLE_ROLES = frozenset({Role.CARER, Role.SUPERVISOR, Role.MANAGER})


def may_edit_templates(user: User) -> bool:
    """Spot-check templates are organisation-wide: every branch checks against
    the same ones, so only a manager of every branch may change them (a manager
    of some branches would otherwise change what the others use)."""
    return has_role(user, MANAGERS) and scoping.holds_every_branch(user)
