"""The real worker (`flask --app app worker`, a separate process) on both queue
backends, and what happens when it is killed in the middle of sending."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from core.models import User
from extensions import db
from notifications import queue
from notifications.dispatch import notify
from notifications.kinds import Kind
from notifications.models import Message, Preference, Status
from settings import ROOT
from tests.conftest import WORKER, _test_config
from tests.notifications.conftest import MailBox

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(params=["sqlite", "redis"])
def queue_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "redis":
        return REDIS_URL
    return f"sqlite:///{tmp_path / 'queue.db'}"


@pytest.fixture
def queue_name() -> str:
    # One name (Redis key prefix) per xdist worker and test: runs never collide.
    return f"candour-test-{WORKER or 'main'}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def web(
    database_url: str, queue_url: str, queue_name: str, seeded: Any, smtp_server: Any
) -> Iterator[Flask]:
    """The web side: an app that enqueues to the real queue (not immediately)."""
    _, port = smtp_server
    app = create_app(
        _test_config(database_url)
        | {"QUEUE_URL": queue_url, "QUEUE_NAME": queue_name}
        | _mail(port)
    )
    _only_escalations(app)
    yield app
    queue.huey(app).flush()
    with app.app_context():
        db.engine.dispose()


def _only_escalations(app: Flask) -> None:
    """The worker also runs the every-minute reminders (notifications.reminders):
    on a Monday from 08:00 the demo manager's weekly summary would be one more
    e-mail to the server these tests count. Everyone here turns the other kinds off."""
    with app.app_context():
        for user_id in db.session.scalars(select(User.id)):
            for kind in Kind:
                if kind is not Kind.ESCALATION:
                    for channel in ("email", "push"):
                        db.session.add(
                            Preference(user_id=user_id, kind=kind.value, channel=channel, on=False)
                        )
        db.session.commit()
        db.session.remove()


def _mail(port: int) -> dict[str, Any]:
    return {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_USE_TLS": False,
        "PUBLIC_URL": "https://candour.example",
    }


def _start_worker(
    database_url: str, queue_url: str, queue_name: str, port: int
) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "CANDOUR_ENV": "testing",
        "DATABASE_URL": database_url,
        "QUEUE_URL": queue_url,
        "QUEUE_NAME": queue_name,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAIL_USE_TLS": "false",
        "PUBLIC_URL": "https://candour.example",
        "MESSAGE_SENDING_LEASE_SECONDS": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker", "--threads", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _wait_for(check: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def _escalate(web: Flask, manager_id: int) -> int:
    with web.app_context():
        (message,) = notify(
            Kind.ESCALATION,
            event_key=f"escalation:{uuid.uuid4()}:1",
            recipients=[db.session.get_one(User, manager_id)],
            subject="Serious incident reported: NORTH",
            text="Reference INC-7 in North branch.",
            link_path="/incidents/7",
        )
        db.session.commit()
        message_id: int = message.id
        db.session.remove()
    return message_id


def _message(web: Flask, message_id: int) -> Message:
    with web.app_context():
        message = db.session.scalars(select(Message).where(Message.id == message_id)).one()
        db.session.expunge(message)
        db.session.remove()
    return message


def test_the_worker_sends_what_the_web_side_enqueued(
    web: Flask,
    database_url: str,
    queue_url: str,
    queue_name: str,
    smtp_server: tuple[MailBox, int],
    seeded: Any,
) -> None:
    box, port = smtp_server
    message_id = _escalate(web, seeded["manager"].id)
    assert box.received == []  # the web side only enqueued

    worker = _start_worker(database_url, queue_url, queue_name, port)
    try:
        _wait_for(lambda: _message(web, message_id).status == Status.SENT)
    finally:
        _stop(worker)
    assert [m["To"] for m in box.received] == ["manager@example.com"]


def test_a_worker_killed_while_sending_sends_once_when_restarted(
    web: Flask,
    database_url: str,
    queue_url: str,
    queue_name: str,
    smtp_server: tuple[MailBox, int],
    seeded: Any,
) -> None:
    box, port = smtp_server
    box.hold = threading.Event()  # the mail server is slow to answer
    worker = _start_worker(database_url, queue_url, queue_name, port)
    try:
        message_id = _escalate(web, seeded["manager"].id)
        assert box.rcpt_seen.wait(30)
        assert _message(web, message_id).status == Status.SENDING
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    finally:
        box.hold.set()
        _stop(worker)
    assert box.received == []  # it died before the mail server took the message
    box.hold = None

    restarted = _start_worker(database_url, queue_url, queue_name, port)
    try:
        _wait_for(lambda: _message(web, message_id).status == Status.SENT)
    finally:
        _stop(restarted)
    assert len(box.received) == 1
    assert _message(web, message_id).attempts == 2


def test_a_queue_that_cannot_be_reached_does_not_fail_the_request(
    database_url: str, seeded: Any, smtp_server: tuple[MailBox, int]
) -> None:
    _, port = smtp_server
    # Nothing listens on port 1: enqueueing fails after the commit.
    unreachable = create_app(
        _test_config(database_url) | {"QUEUE_URL": "redis://127.0.0.1:1/0"} | _mail(port)
    )
    message_id = _escalate(unreachable, seeded["manager"].id)

    message = _message(unreachable, message_id)
    assert (message.status, message.attempts) == (Status.QUEUED, 0)
    with unreachable.app_context():
        db.engine.dispose()
