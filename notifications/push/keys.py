"""VAPID (RFC 8292): the key pair that identifies this server to the push
services. Made once by `flask --app app push-keys` and kept in the environment
(VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY, VAPID_SUBJECT): a new pair makes every
existing subscription useless (each was made for the public key)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

# A P-256 public key, uncompressed (0x04, x, y), and a private key's 32 bytes.
PUBLIC_KEY_BYTES = 65
PRIVATE_KEY_BYTES = 32


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Base64url with or without padding; ValueError for anything else."""
    if not text or any(c not in _B64URL for c in text.rstrip("=")):
        raise ValueError("not base64url")
    body = text.rstrip("=")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def new_key_pair() -> tuple[str, str]:
    """(public, private), base64url: the public key as browsers take it for
    `applicationServerKey`, the private key as its raw 32 bytes."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(public), b64url(private.private_numbers().private_value.to_bytes(32, "big"))


def public_key_of(private_key: str) -> str:
    """The public key that belongs to a base64url private key."""
    raw = b64url_decode(private_key)
    if len(raw) != PRIVATE_KEY_BYTES:
        raise ValueError("a VAPID private key is 32 bytes")
    private = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    return b64url(
        private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def configured(config: Mapping[str, Any]) -> bool:
    """Push is on when both keys are set (the app checks they match at start)."""
    return bool(config.get("VAPID_PUBLIC_KEY") and config.get("VAPID_PRIVATE_KEY"))


def subject(config: Mapping[str, Any]) -> str:
    """Who a push service may contact about this server: VAPID_SUBJECT, else
    PUBLIC_URL (an https: address is allowed by RFC 8292)."""
    return str(config.get("VAPID_SUBJECT") or config.get("PUBLIC_URL") or "")


def problems(config: Mapping[str, Any]) -> list[str]:
    """What is wrong with the push settings, in plain words (empty: fine or off)."""
    public, private = config.get("VAPID_PUBLIC_KEY"), config.get("VAPID_PRIVATE_KEY")
    if not public and not private:
        return []
    if not (public and private):
        return ["Set both VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY (flask --app app push-keys)."]
    try:
        matches = public_key_of(str(private)) == str(public).rstrip("=")
    except ValueError:
        return ["VAPID_PRIVATE_KEY is not a key made by flask --app app push-keys."]
    found = []
    if not matches:
        found.append("VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY.")
    if not subject(config).startswith(("mailto:", "https://")):
        found.append("Set VAPID_SUBJECT to a mailto: or https: address the push services may use.")
    return found
