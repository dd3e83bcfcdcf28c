"""What a browser sends to switch alerts on or off on a device: the JSON of its
PushSubscription (`subscription.toJSON()`), checked before anything is kept."""

from __future__ import annotations

import re
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from notifications.push.keys import b64url_decode

ENDPOINT_LENGTH = 1024
KEY_BYTES = 65  # an uncompressed P-256 point: 0x04, x, y (RFC 8291)
AUTH_BYTES = 16  # the auth secret (RFC 8291)
NOT_A_PUSH_SERVICE = "endpoint must be a push service's https:// address."
# Push services' addresses are plain ASCII URLs: no spaces, control characters
# (PostgreSQL cannot even hold U+0000) or anything a browser would have escaped.
_URL_CHARACTERS = re.compile(r"[\x21-\x7e]+")


def _plain(value: str) -> None:
    if not _URL_CHARACTERS.fullmatch(value):
        raise ValidationError(NOT_A_PUSH_SERVICE)


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(value: str) -> None:
    _plain(value)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (a port out of range raises)
    except ValueError:
        raise ValidationError(NOT_A_PUSH_SERVICE) from None
    if not parts.hostname or parts.username or parts.password:
        raise ValidationError(NOT_A_PUSH_SERVICE)
    if parts.scheme == "https":
        return
    # Tests run a push service of their own on this machine, over plain HTTP.
    if parts.scheme == "http" and current_app.testing and _loopback(parts.hostname):
        return
    raise ValidationError(NOT_A_PUSH_SERVICE)


def _key(value: str, size: int, name: str) -> None:
    try:
        raw = b64url_decode(value)
    except ValueError:
        raise ValidationError(f"{name} must be base64url.") from None
    if len(raw) != size or (size == KEY_BYTES and raw[0] != 0x04):
        raise ValidationError(f"{name} must be {size} bytes.")


class KeysSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    p256dh = fields.String(required=True, validate=validate.Length(max=100))
    auth = fields.String(required=True, validate=validate.Length(max=40))

    @validates("p256dh")
    def _p256dh(self, value: str, **kwargs: Any) -> None:
        _key(value, KEY_BYTES, "p256dh")

    @validates("auth")
    def _auth(self, value: str, **kwargs: Any) -> None:
        _key(value, AUTH_BYTES, "auth")


class SubscriptionInSchema(Schema):
    """`PushSubscription.toJSON()`: endpoint, expirationTime (ignored), keys."""

    class Meta:
        unknown = EXCLUDE

    endpoint = fields.String(
        required=True, validate=[validate.Length(min=1, max=ENDPOINT_LENGTH), check_endpoint]
    )
    keys = fields.Nested(KeysSchema, required=True)


class UnsubscribeInSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    endpoint = fields.String(
        required=True, validate=[validate.Length(min=1, max=ENDPOINT_LENGTH), _plain]
    )
