"""Password hashing with argon2id (argon2-cffi's default type)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

# The longest password a sign-in form accepts (anything longer is refused before
# hashing). What a new password must be is core.password_policy's.
LONGEST_ACCEPTED = 1024
# The stored "hash" of an account that has no password yet (invited, or reset by
# a manager): no password matches it. Not an argon2 hash, so making thousands of
# accounts (an import) costs nothing; verify_password still does the same work.
NO_PASSWORD = "!none"  # noqa: S105 (a marker that matches no password)


def has_password(stored_hash: str | None) -> bool:
    return bool(stored_hash) and not str(stored_hash).startswith("!")


# Parameters for tests only: still argon2id, but cheap enough to sign in hundreds
# of times in a test run. Production uses argon2-cffi's RFC 9106 defaults.


def _hasher() -> PasswordHasher:
    hasher = current_app.extensions.get("candour_hasher")
    if hasher is None:
        fast = current_app.config.get("PASSWORD_HASH_FAST", False)
        hasher = (
            PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
            if fast
            else PasswordHasher()
        )
        current_app.extensions["candour_hasher"] = hasher
    return hasher


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches. With no stored hash (unknown account, or one
    with no password yet) a dummy hash is checked instead, so every answer takes
    the same time."""
    if not has_password(stored_hash):
        stored_hash = None
    hasher = _hasher()
    dummy = current_app.extensions.get("candour_dummy_hash")
    if dummy is None:
        dummy = hasher.hash("not-a-real-password")
        current_app.extensions["candour_dummy_hash"] = dummy
    try:
        return hasher.verify(stored_hash or dummy, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
