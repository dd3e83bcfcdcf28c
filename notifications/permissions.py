"""Who may see which message pages: everyone their own preferences; managers the
messages not delivered to the staff of their branches."""

from __future__ import annotations

from core.models import Role

UNDELIVERED_READERS = (Role.MANAGER,)
