"""Who may read the audit trail: managers, within their branches (which events
are theirs is oversight.trail_search's rule)."""

from __future__ import annotations

from core.models import Role

TRAIL_READERS = (Role.MANAGER,)
