"""Invitations for many new accounts at once (an import of thousands of staff):
the same links, trail events and rules as core.invitations.issue_invitation,
made in a few statements instead of three per account. No request here."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta

from core import trail
from core.dates import utcnow
from core.invitations import IssuedLink, Purpose, _token_hash, announce, lifetime_days, path_for
from core.models import Invitation, User
from extensions import db

# Token hashes per query when reading the new invitations' ids back.
_CHUNK = 5000


def invite_new_accounts(users: Sequence[User], *, issued_by: User | None) -> dict[int, str]:
    """issue_invitation for each of `users`, accounts just made (flushed, so
    with ids, and with no earlier links to revoke): {user id: link path}. Added
    to the current transaction with one `invitation_issued` event each; the
    caller commits, so an import that fails issues none."""
    if not users:
        return {}
    now = utcnow()
    expires = now + timedelta(days=lifetime_days())
    tokens = {user.id: secrets.token_urlsafe(32) for user in users}
    hashes = {_token_hash(token): user_id for user_id, token in tokens.items()}
    issuer = issued_by.id if issued_by is not None else None
    db.session.execute(
        db.insert(Invitation),
        [
            {
                "token_hash": token_hash,
                "user_id": user_id,
                "issued_by_id": issuer,
                "purpose": Purpose.INVITATION.value,
                "created_at": now,
                "expires_at": expires,
            }
            for token_hash, user_id in hashes.items()
        ],
    )
    ids: dict[int, int] = {}
    keys = list(hashes)
    for start in range(0, len(keys), _CHUNK):
        stmt = db.select(Invitation.token_hash, Invitation.id).where(
            Invitation.token_hash.in_(keys[start : start + _CHUNK])
        )
        ids.update(
            {
                hashes[token_hash]: invitation_id
                for token_hash, invitation_id in db.session.execute(stmt)
            }
        )
    trail.record_many(
        issued_by,
        "invitation_issued",
        "user",
        (
            (
                user_id,
                {
                    "invitation": ids[user_id],
                    "purpose": Purpose.INVITATION.value,
                    "expires_at": expires.isoformat(),
                    "earlier_links_revoked": 0,
                },
            )
            for user_id in tokens
        ),
    )
    paths = {user_id: path_for(token) for user_id, token in tokens.items()}
    for user in users:
        announce(IssuedLink(user, paths[user.id], Purpose.INVITATION, ids[user.id]))
    return paths
