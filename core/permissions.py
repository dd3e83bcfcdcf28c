"""Role checks for routes. Scoping of records lives in core.scoping."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from core.models import Role

F = TypeVar("F", bound=Callable[..., Any])


def role_required(*roles: Role) -> Callable[[F], F]:
    """Signed in, and in one of `roles`; otherwise 403 (401/redirect if signed out)."""
    allowed = {r.value for r in roles}

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def has_role(*roles: Role) -> bool:
    return bool(current_user.is_authenticated and current_user.role in {r.value for r in roles})
