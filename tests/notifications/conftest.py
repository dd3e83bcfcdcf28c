"""A real SMTP server in the test process (aiosmtpd) for the e-mail channel."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from notifications.push import keys
from tests.notifications.push_service import PushService


@dataclass
class MailBox:
    """What the server received; `refuse` answers the next DATA commands with
    451 (try later) while it is above zero."""

    received: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    refuse: int = 0
    # Addresses the server says do not exist (550).
    unknown: set[str] = field(default_factory=set)
    # Set: the server waits for this event before answering RCPT (a slow server).
    hold: threading.Event | None = None
    rcpt_seen: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd names its hooks so)
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.rcpt_seen.set()
        if address in self.unknown:
            return "550 No such user here"
        envelope.rcpt_tos.append(address)
        if self.hold is not None:
            self.hold.wait(30)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refuse > 0:
            self.refuse -= 1
            return "451 Try again later"
        raw = bytes(envelope.original_content or envelope.content)
        self.raw.append(raw)
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def smtp_server() -> Iterator[tuple[MailBox, int]]:
    box = MailBox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
def mail(app: Flask, smtp_server: tuple[MailBox, int], monkeypatch: pytest.MonkeyPatch) -> MailBox:
    """E-mail configured for the test's app, to the in-process server."""
    box, port = smtp_server
    for key, value in {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_USE_TLS": False,
        "MAIL_FROM": "candour@care.example",
        "PUBLIC_URL": "https://candour.example",
    }.items():
        monkeypatch.setitem(app.config, key, value)
    return box


PUSH_SUBJECT = "mailto:it@care.example"


@pytest.fixture
def service() -> Iterator[PushService]:
    push = PushService()
    push.start()
    yield push
    push.stop()


@pytest.fixture
def vapid(app: Flask, monkeypatch: pytest.MonkeyPatch) -> str:
    """Push set up on the test's app; returns the public key."""
    public, private = keys.new_key_pair()
    monkeypatch.setitem(app.config, "VAPID_PUBLIC_KEY", public)
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", private)
    monkeypatch.setitem(app.config, "VAPID_SUBJECT", PUSH_SUBJECT)
    return public
