"""Who may raise and manage actions, for routes and services alike."""

from __future__ import annotations

from core.models import Role

ACTION_ROLES = frozenset({Role.SUPERVISOR, Role.MANAGER})
