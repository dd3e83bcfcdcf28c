"""Who may do what in the learning loop, for its routes and services alike."""

from __future__ import annotations

from core.models import Role

REVIEW_ROLES = frozenset({Role.SUPERVISOR, Role.MANAGER})


MANAGERS = frozenset({Role.MANAGER})
