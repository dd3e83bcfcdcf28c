"""Channels: the ways a message reaches someone ("email", "push", …).

A package registers its channel from its `init_app` with `register_channel`. A
channel's `send(message)` delivers one Message or raises:
- TemporaryFailure: try again later (back-off, for up to MESSAGE_RETRY_HOURS);
- Gone: the address or subscription no longer exists (not retried).
Any other exception counts as a temporary failure too, so a bug never loses a
message silently (it ends "not delivered" on the managers' page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask, current_app

from core.models import User

if TYPE_CHECKING:
    from notifications.models import Message

_KEY = "notifications.channels"


class TemporaryFailure(Exception):
    """Retry with back-off (up to MESSAGE_RETRY_HOURS, then "not delivered")."""


class Gone(Exception):
    """The address or subscription no longer exists: do not retry."""


@dataclass(frozen=True)
class Channel:
    name: str
    label: str
    send: Callable[[Message], None]
    available: Callable[[User], bool]


def register_channel(
    app: Flask,
    name: str,
    send: Callable[[Message], None],
    available: Callable[[User], bool],
    *,
    label: str | None = None,
) -> None:
    """Make channel `name` available: `available(user)` says whether `user` can
    receive by it now (an e-mail address and mail configured; a push subscription)."""
    registry: dict[str, Channel] = app.extensions.setdefault(_KEY, {})
    registry[name] = Channel(name, label or name.capitalize(), send, available)


def channels(app: Flask | None = None) -> dict[str, Channel]:
    """The registered channels, by name, in registration order."""
    registry: dict[str, Channel] = (app or current_app).extensions.get(_KEY, {})
    return registry


def channel(name: str) -> Channel | None:
    return channels().get(name)
