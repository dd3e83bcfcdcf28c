"""Two app instances behind one address: two gunicorn processes on two ports that
share the database and the job queue (Redis), as two machines behind a proxy
would. Each simulated device sends its requests to one instance, then the other,
in turn, and everything behaves as on one instance: sign-in and sign-out, CSRF,
sign-in limits, two-step codes used once, the same entry sent to both saved
once, its receipt, an import previewed on one and confirmed on the other, and
one e-mail for a serious report however often it is sent.

Nothing here may be kept in one process's memory or on one machine's disk: the
sign-in session, the limits, the used codes, the entries and an upload waiting
for its confirm are rows in the database; the session
cookie and CSRF tokens are signed with the SECRET_KEY both share; jobs go
through the shared queue to one worker (docs/operations.md#several-instances).

The servers start once for the module (about two seconds each); each test puts
the demo data back (the `seeded` fixture) underneath them. On SQLite both
instances open the same database file, which is how SQLite serves several
processes on one machine; on PostgreSQL (CI) they share the server.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyotp
import pytest
import redis
import requests
from aiosmtpd.controller import Controller
from flask import Flask

from core.models import PersonSupported, User
from core.two_factor_models import TwoFactor
from extensions import db
from incidents.models import Incident
from notifications.models import Message
from settings import ROOT
from tests.conftest import PASSWORD, WORKER, StaffRef
from tests.factories import audit_payload, incident_payload
from tests.notifications.conftest import MailBox, free_port

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SECRET = "two-instances-test-secret"
PUBLIC_URL = "https://candour.example"
BIN = ROOT / ".venv" / "bin"


# --- the processes --------------------------------------------------------------------------


def _environment(database_url: str, queue_name: str, smtp_port: int) -> dict[str, str]:
    """What every process of the deployment shares (docs/operations.md)."""
    return os.environ | {
        "CANDOUR_ENV": "testing",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": database_url,
        "SESSION_COOKIE_SECURE": "false",
        "QUEUE_URL": REDIS_URL,
        "QUEUE_NAME": queue_name,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_USE_TLS": "false",
        "MAIL_FROM": "candour@care.example",
        "PUBLIC_URL": PUBLIC_URL,
        # Accounts need no second step unless they switched one on (as carer1
        # does in the two-step test).
        "TWO_FACTOR_ROLES": "",
    }


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # A fixed command line made here, not input; its own process group, so one
    # signal stops gunicorn's master and its workers.
    return subprocess.Popen(  # noqa: S603
        command,
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_up(process: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode() if process.stderr else "exited")
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn at {base} did not start")


@dataclass
class Deployment:
    bases: list[str]
    mailbox: MailBox
    queue_name: str


@pytest.fixture(scope="module")
def deployment(app: Flask, database_url: str) -> Iterator[Deployment]:
    """Two gunicorn instances and one worker process, sharing
    the test database, a Redis queue and a real SMTP server on loopback."""
    mailbox = MailBox()
    smtp_port = free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    queue_name = f"candour-two-instances-{WORKER or 'main'}-{uuid.uuid4().hex[:8]}"
    env = _environment(database_url, queue_name, smtp_port)
    ports = [free_port(), free_port()]
    # One worker each: every request then goes to another process than the one
    # before it (the alternation), and each start costs one import of the app.
    gunicorn = [str(BIN / "gunicorn"), "--workers", "1", "--log-level", "warning"]
    processes = [
        _start([*gunicorn, "--bind", f"127.0.0.1:{port}", "app:create_app()"], env)
        for port in ports
    ]
    processes.append(_start([str(BIN / "flask"), "--app", "app", "worker", "--threads", "1"], env))
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for process, base in zip(processes, bases, strict=False):
            _wait_until_up(process, base)
        yield Deployment(bases, mailbox, queue_name)
    finally:
        for process in processes:
            _stop(process)
        smtp.stop()
        connection = redis.Redis.from_url(REDIS_URL)
        for key in connection.scan_iter(f"*{queue_name}*"):
            connection.delete(key)
        connection.close()


# --- a device that alternates between the instances ----------------------------------------


@dataclass
class Device:
    """A browser or phone behind a proxy that sends each request to the next
    instance in turn. `served` notes which instance answered each request."""

    bases: list[str]
    http: requests.Session = field(default_factory=requests.Session)
    served: list[int] = field(default_factory=list)
    token: str = ""
    _turn: Iterator[int] = field(init=False)

    def __post_init__(self) -> None:
        self._turn = itertools.cycle(range(len(self.bases)))

    def _next(self, on: int | None) -> str:
        index = next(self._turn) if on is None else on
        self.served.append(index)
        return self.bases[index]

    def get(self, path: str, on: int | None = None) -> requests.Response:
        return self.http.get(self._next(on) + path, allow_redirects=False, timeout=30)

    def post_form(
        self, path: str, data: dict[str, str], on: int | None = None
    ) -> requests.Response:
        return self.http.post(self._next(on) + path, data=data, allow_redirects=False, timeout=30)

    def post_json(
        self, path: str, body: dict[str, Any], on: int | None = None, token: str | None = None
    ) -> requests.Response:
        headers = {"X-CSRFToken": self.token if token is None else token}
        return self.http.post(
            self._next(on) + path, json=body, headers=headers, allow_redirects=False, timeout=30
        )

    def sign_in(self, email: str, password: str = PASSWORD) -> requests.Response:
        page = self.get("/login")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert match, page.text[:300]
        response = self.post_form(
            "/login", {"email": email, "password": password, "csrf_token": match.group(1)}
        )
        if response.status_code == 302 and response.headers["Location"] == "/":
            self.token = self.get("/api/v1/session").json()["csrf_token"]
        return response


@pytest.fixture
def device(deployment: Deployment, seeded: dict[str, StaffRef]) -> Callable[[], Device]:
    return lambda: Device(deployment.bases)


# --- sign-in, sessions and CSRF ------------------------------------------------------------


def test_signed_in_on_one_instance_is_signed_in_on_the_other(device: Callable[[], Device]):
    carer = device()
    assert carer.sign_in("carer1@example.com").status_code == 302
    pages = [carer.get(path) for path in ("/incidents/new", "/outbox", "/", "/incidents/new")]
    assert [page.status_code for page in pages] == [200, 200, 200, 200]
    assert carer.get("/api/v1/session").json()["user"]["email"] == "carer1@example.com"
    assert set(carer.served) == {0, 1}


def test_signing_out_on_one_instance_signs_out_on_the_other(device: Callable[[], Device]):
    carer = device()
    carer.sign_in("carer1@example.com")
    form = carer.get("/incidents/new", on=0)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    assert carer.post_form("/logout", {"csrf_token": token.group(1)}, on=0).status_code in (
        302,
        303,
    )
    # The same cookie (as a copy kept by a thief would be) is no longer signed in.
    assert carer.get("/api/v1/session", on=1).status_code == 401
    assert carer.get("/incidents/new", on=1).status_code == 302


def test_a_token_from_one_instance_is_accepted_by_the_other(device: Callable[[], Device]):
    carer = device()
    carer.sign_in("carer1@example.com")
    token = carer.get("/api/v1/session", on=0).json()["csrf_token"]
    sent = carer.post_json("/api/v1/incidents", incident_payload(), on=1, token=token)
    assert sent.status_code == 201, sent.text


@pytest.mark.parametrize("token", ["", "not-a-token"])
def test_a_write_without_a_good_token_is_refused_by_both(device: Callable[[], Device], token: str):
    carer = device()
    carer.sign_in("carer1@example.com")
    answers = [
        carer.post_json("/api/v1/incidents", incident_payload(), on=on, token=token)
        for on in (0, 1)
    ]
    assert [answer.status_code for answer in answers] == [400, 400]


def test_failed_sign_ins_on_both_instances_count_together(device: Callable[[], Device]):
    guesser = device()
    # Five failures, alternating (the limit is five to one account)...
    statuses = [
        guesser.sign_in("carer2@example.com", "wrong-password").status_code for _ in "12345"
    ]
    assert statuses == [422] * 5
    assert set(guesser.served) == {0, 1}
    # ...so even the right password waits, on either instance, from any device.
    for on in (0, 1):
        owner = device()
        owner._turn = itertools.repeat(on)
        limited = owner.sign_in("carer2@example.com")
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) > 0


def test_a_two_step_code_used_on_one_instance_is_refused_on_the_other(
    app: Flask, device: Callable[[], Device], seeded: dict[str, StaffRef]
):
    secret = pyotp.random_base32()
    with app.app_context():
        factor = db.session.get(TwoFactor, seeded["carer1"].id) or TwoFactor(
            user_id=seeded["carer1"].id
        )
        factor.exempt, factor.secret, factor.enabled_at = False, secret, datetime.now(UTC)
        db.session.add(factor)
        db.session.commit()
        db.session.remove()
    code = pyotp.TOTP(secret).now()
    first, second = device(), device()
    for phone in (first, second):
        response = phone.sign_in("carer1@example.com")
        assert response.headers["Location"] == "/login/code"
    accepted = _enter_code(first, code, on=0)
    refused = _enter_code(second, code, on=1)
    assert accepted.status_code == 302
    assert refused.status_code == 422
    assert "used already" in refused.text


def _enter_code(phone: Device, code: str, on: int) -> requests.Response:
    page = phone.get("/login/code", on=on)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    return phone.post_form("/login/code", {"code": code, "csrf_token": token.group(1)}, on=on)


# --- the same entry to both: once -----------------------------------------------------------


def _stored(app: Flask, entry_ids: list[str]) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(
            db.select(Incident.id, Incident.reference).where(Incident.id.in_(entry_ids))
        ).all()
        db.session.remove()
    return {str(row.id): row.reference for row in rows}


def test_an_entry_sent_to_both_instances_is_one_incident_with_one_reference(
    app: Flask, device: Callable[[], Device]
):
    phone = device()
    phone.sign_in("carer1@example.com")
    entry = incident_payload()
    first = phone.post_json("/api/v1/incidents", entry, on=0)
    again = phone.post_json("/api/v1/incidents", entry, on=1)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert _stored(app, [entry["id"]]) == {entry["id"]: first.json()["reference"]}
    # The same id with other content is a conflict on the other instance too.
    changed = phone.post_json("/api/v1/incidents", {**entry, "location": "hall"}, on=0)
    assert changed.status_code == 409


def test_entries_sent_to_both_instances_at_the_same_moment_are_saved_once(
    app: Flask, device: Callable[[], Device]
):
    phone = device()
    phone.sign_in("carer1@example.com")
    entries = [incident_payload(what_happened=f"Entry {n} sent twice at once.") for n in range(6)]
    answers: list[tuple[str, int, str]] = []
    lock = threading.Lock()

    def send(entry: dict[str, Any], on: int) -> None:
        # A session each (requests.Session is not for sharing between threads).
        twin = Device(phone.bases, token=phone.token)
        twin.http.cookies.update(phone.http.cookies)
        response = twin.post_json("/api/v1/incidents", entry, on=on)
        with lock:
            answers.append((entry["id"], response.status_code, response.json()["reference"]))

    threads = [
        threading.Thread(target=send, args=(entry, on)) for entry in entries for on in (0, 1)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(answers) == 12
    for entry in entries:
        mine = sorted((status, ref) for i, status, ref in answers if i == entry["id"])
        # One instance made it (201), the other answered with the same record (200).
        assert [status for status, _ in mine] == [200, 201]
        assert mine[0][1] == mine[1][1]
    stored = _stored(app, [e["id"] for e in entries])
    assert len(stored) == len(entries)
    assert len(set(stored.values())) == len(entries)  # no reference given twice


def test_a_spot_check_sent_to_both_instances_is_recorded_once(
    device: Callable[[], Device], templates: dict[str, StaffRef]
):
    supervisor = device()
    supervisor.sign_in("supervisor@example.com")
    check = audit_payload(templates["carer1"].id, fail=("mar-signed",))
    first = supervisor.post_json("/api/v1/audits", check, on=1)
    again = supervisor.post_json("/api/v1/audits", check, on=0)
    assert (first.status_code, again.status_code) == (201, 200), first.text
    assert again.json() == first.json()
    listed = supervisor.get("/api/v1/audits").json()["items"]
    assert [item["id"] for item in listed].count(check["id"]) == 1


def test_the_receipt_of_a_form_sent_to_one_instance_opens_on_the_other(
    device: Callable[[], Device],
):
    carer = device()
    carer.sign_in("carer1@example.com")
    entry = incident_payload()
    receipt = carer.post_json("/api/v1/incidents", entry, on=0).json()
    page = carer.get(f"/incidents/{entry['id']}/sent", on=1)
    assert page.status_code == 200
    assert receipt["reference"] in page.text
    record = carer.get(f"/api/v1/incidents/{entry['id']}", on=0)
    assert record.json()["reference"] == receipt["reference"]


# --- an import previewed on one instance, confirmed on the other ---------------------------


def test_an_import_previewed_on_one_instance_is_confirmed_on_the_other(
    app: Flask, device: Callable[[], Device]
):
    manager = device()
    manager.sign_in("manager@example.com")
    page = manager.get("/imports", on=0)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    data = b"ref,initials,branch\nP-9001,AB,NORTH\n"
    preview = manager.http.post(
        f"{manager.bases[0]}/imports/people",
        data={"csrf_token": token.group(1)},
        files={"file": ("people.csv", data, "text/csv")},
        timeout=30,
    )
    assert preview.status_code == 200, preview.text[:500]
    upload = re.search(r'name="upload" value="([0-9a-f]+)"', preview.text)
    assert upload
    done = manager.post_form(
        "/imports/people/confirm",
        {"upload": upload.group(1), "csrf_token": token.group(1)},
        on=1,
    )
    assert done.status_code == 200, done.text[:500]
    assert "1 added" in done.text
    with app.app_context():
        assert db.session.scalar(
            db.select(PersonSupported.id).where(PersonSupported.ref == "P-9001")
        )
        db.session.remove()


# --- alerts: one e-mail, through the shared queue -------------------------------------------


def _wait_for(check: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def test_a_serious_report_sent_to_both_instances_emails_the_manager_once(
    app: Flask, deployment: Deployment, device: Callable[[], Device]
):
    phone = device()
    phone.sign_in("carer1@example.com")
    entry = incident_payload(kind="incident", harm="severe")
    answers = [phone.post_json("/api/v1/incidents", entry, on=on) for on in (0, 1, 0, 1)]
    assert [answer.status_code for answer in answers] == [201, 200, 200, 200]
    reference = answers[0].json()["reference"]

    def about_it() -> list[Any]:
        return [m for m in deployment.mailbox.received if reference in m.get_content()]

    _wait_for(lambda: len(about_it()) >= 1)
    # Then until every message made for it has been sent, so a second e-mail
    # would have arrived by now.
    with app.app_context():
        manager = db.session.scalar(db.select(User).where(User.email == "manager@example.com"))
        assert manager is not None

        def all_sent() -> bool:
            db.session.expire_all()
            statuses = db.session.scalars(
                db.select(Message.status).where(
                    Message.event_key.like(f"%{entry['id']}%"), Message.channel == "email"
                )
            ).all()
            return bool(statuses) and all(status == "sent" for status in statuses)

        _wait_for(all_sent)
        db.session.remove()
    (mail,) = about_it()
    assert mail["To"] == "manager@example.com"
    assert f"{PUBLIC_URL}/incidents/{entry['id']}" in mail.get_content()
