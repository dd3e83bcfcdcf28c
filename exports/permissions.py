"""Who may export records: managers and office staff, each within their own
branches (which records is `core.scoping`'s rule, as on every page)."""

from __future__ import annotations

from core.models import Role

EXPORTERS = (Role.MANAGER, Role.OFFICE)
