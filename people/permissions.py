"""Who may keep the list of people supported: managers and office staff, each
within their own branches (core.scoping says which records those are)."""

from __future__ import annotations

from core.models import Role, User
from core.permissions import has_role

KEEPING_THE_LIST = frozenset({Role.MANAGER, Role.OFFICE})


def can_keep_the_list(user: User) -> bool:
    return has_role(user, KEEPING_THE_LIST)
