"""Who may do what with spot checks, for routes and services alike."""

from __future__ import annotations

from core.models import Role

CONDUCTING_ROLES = frozenset({Role.SUPERVISOR, Role.MANAGER})


MANAGERS = frozenset({Role.MANAGER})


OBSERVABLE_ROLES = frozenset({Role.CARER, Role.SUPERVISOR, Role.MANAGER})
