"""Keeping a person's push subscriptions: switched on and off on a device by
its owner, removed when the push service says one is gone. Every change is on
the audit trail (never the endpoint itself: it is a secret address)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from core import trail
from core.errors import OutOfScope
from core.models import User
from extensions import db
from notifications.push.models import PushSubscription

RECORD = "push_subscription"


def for_user(user: User) -> list[PushSubscription]:
    return list(
        db.session.scalars(
            db.select(PushSubscription)
            .where(PushSubscription.user_id == user.id)
            .order_by(PushSubscription.id)
        )
    )


def subscribe(user: User, data: dict[str, Any]) -> PushSubscription:
    """Keep this device's subscription for `user` (validated by
    SubscriptionInSchema). The same endpoint again updates its keys; a device
    someone else had switched on moves to `user`, who is signed in on it now."""
    try:
        return _subscribe(user, data)
    except IntegrityError:
        # The same device sent it twice at once and the other request made the
        # row first: update that one.
        db.session.rollback()
        return _subscribe(user, data)


def _subscribe(user: User, data: dict[str, Any]) -> PushSubscription:
    endpoint, keys = data["endpoint"], data["keys"]
    sub: PushSubscription | None = db.session.scalar(
        db.select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    )
    if sub is None:
        sub = PushSubscription(user_id=user.id, endpoint=endpoint)
        db.session.add(sub)
        action = "create"
    elif sub.user_id != user.id:
        trail.record(user, "delete", RECORD, sub.id, user_id=sub.user_id, reason="device_moved")
        sub.user_id = user.id
        action = "update"
    else:
        action = "update"
    sub.p256dh, sub.auth = keys["p256dh"], keys["auth"]
    db.session.flush()
    trail.record(user, action, RECORD, sub.id, user_id=user.id)
    db.session.commit()
    return sub


def unsubscribe(user: User, endpoint: str) -> None:
    """Switch alerts off on one of `user`'s own devices. Someone else's device,
    or one not known, is OutOfScope (404): nothing is removed or revealed."""
    sub = db.session.scalar(
        db.select(PushSubscription).where(
            PushSubscription.endpoint == endpoint, PushSubscription.user_id == user.id
        )
    )
    if sub is None:
        raise OutOfScope()
    trail.record(user, "delete", RECORD, sub.id, user_id=user.id, reason="switched_off")
    db.session.delete(sub)
    db.session.commit()


def remove_gone(sub: PushSubscription, status: int) -> None:
    """The push service says this subscription no longer exists (404/410: the
    app was uninstalled, notifications were blocked, the browser rotated it)."""
    trail.record(
        None, "delete", RECORD, sub.id, user_id=sub.user_id, reason=f"push_service_{status}"
    )
    db.session.delete(sub)
    db.session.commit()
