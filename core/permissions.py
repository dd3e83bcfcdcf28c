"""Who may do what, by role: one way to say it for routes and for services.

Each package keeps its own rules in its `permissions.py` (which roles triage, who
may verify an action), built from these, and both its routes and its services
ask them, so a page never restates a service's rule. Which records a person may
see is a different question, answered by `core.scoping`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from core.errors import NotAllowed
from core.models import Role, User

F = TypeVar("F", bound=Callable[..., Any])


def has_role(user: User, roles: Collection[Role]) -> bool:
    return user.role in {r.value for r in roles}


def require(allowed: bool) -> None:
    """For services: refuse (403) what the caller may not do."""
    if not allowed:
        raise NotAllowed()


def require_role(user: User, roles: Collection[Role]) -> None:
    """For services: the caller has one of `roles`, or a 403."""
    require(has_role(user, roles))


def role_required(*roles: Role) -> Callable[[F], F]:
    """For routes: signed in (else a redirect to sign in, or 401), and in one of
    `roles` (else 403)."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not has_role(current_user, roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
