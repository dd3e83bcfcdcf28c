"""What a service raises when it cannot do what was asked. Every package's services
raise these same exceptions, so pages and the sync API answer alike: each class says
the HTTP status it maps to. A package may subclass one to carry more (the record
that changed, for a 409 page that shows it)."""

from __future__ import annotations

from typing import Any


class NotAllowed(Exception):
    """This role (or this person) may not do that: 403."""


class OutOfScope(Exception):
    """A record or person the caller may not see: 404, never 403, so that its
    existence is not revealed."""


class IdConflict(Exception):
    """The device's id was already used for different content: 409. `existing` is
    the stored record (only its author may be shown it)."""

    def __init__(self, existing: Any):
        super().__init__(existing.id)
        self.existing = existing


class Stale(Exception):
    """Someone else changed the record since the form was opened: 409; nothing was
    saved."""


class Invalid(Exception):
    """What was sent breaks a rule (one that needs the database, or a rule of the
    service itself): 422, with messages per field."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors
