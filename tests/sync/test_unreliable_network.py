"""Exactly once, whatever the network does: simulated phones send their outboxes
to a real server process (gunicorn) through a proxy that drops requests, drops
answers after the server acted, and duplicates requests, while the server is
killed (SIGKILL, mid-request) and restarted. Every acknowledged entry exists
exactly once, each has the reference it was acknowledged with, and no reference
is ever given to two entries.

Bounded: 6 phones x 8 entries, 3 kills, a 90 s deadline.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask

import settings
from extensions import db
from incidents.models import Incident
from tests.conftest import PASSWORD, StaffRef
from tests.factories import incident_payload

PHONES = {
    "carer1": "P-0001",
    "carer2": "P-0002",
    "carer3": "P-0011",
    "supervisor": "P-0003",
    "manager": "P-0012",
    "carer1-second-phone": "P-0004",
}
ENTRIES_PER_PHONE = 8
KILLS = 3
DEADLINE_S = 90.0
SECRET = "unreliable-network-test-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the server process ------------------------------------------------------------------


class ServerProcess:
    """gunicorn with two workers, started in its own process group so a kill takes
    the master and every worker at once, as a crash or an OOM kill would."""

    def __init__(self, database_url: str):
        self.port = _free_port()
        self.database_url = database_url
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        env = {
            **os.environ,
            "CANDOUR_ENV": "testing",
            "SECRET_KEY": SECRET,
            "DATABASE_URL": self.database_url,
            "SESSION_COOKIE_SECURE": "false",
        }
        # A fixed command line made here, not input.
        self.proc = subprocess.Popen(  # noqa: S603
            [
                str(settings.ROOT / ".venv" / "bin" / "gunicorn"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--log-level",
                "warning",
                "app:create_app()",
            ],
            cwd=settings.ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _, _ = _http(self.port, "GET", "/healthz", timeout=1)
                if status == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stderr.read().decode() if self.proc.stderr else "")
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.kills += 1

    def stop(self) -> None:
        self.kill()


def _http(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 5,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body, {"Connection": "close", **(headers or {})})
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    except http.client.HTTPException as exc:
        # An answer cut short (the server killed while answering, so the proxy
        # passed on part of it) is a broken connection to a phone, like OSError.
        raise ConnectionError(repr(exc)) from exc
    finally:
        conn.close()


# --- the proxy -----------------------------------------------------------------------------


@dataclass
class Fates:
    passed: int = 0
    dropped_request: int = 0
    dropped_answer: int = 0
    duplicated: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, fate: str) -> None:
        with self.lock:
            setattr(self, fate, getattr(self, fate) + 1)


class FaultyProxy:
    """An HTTP proxy on loopback, one request per connection. Writes to the sync API
    are dropped before the server (10%), answered by the server but the answer
    dropped (20%), or sent to the server twice at once (15%)."""

    def __init__(self, upstream: int, seed: int = 4):
        self.upstream = upstream
        self.random = random.Random(seed)
        self.random_lock = threading.Lock()
        self.fates = Fates()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.running = False
        self.sock.close()

    def _accept(self) -> None:
        while self.running:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    @staticmethod
    def _read_request(client: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = client.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        match = re.search(rb"content-length:\s*(\d+)", head, re.IGNORECASE)
        length = int(match.group(1)) if match else 0
        while len(body) < length:
            chunk = client.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body

    def _forward(self, request: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", self.upstream), timeout=10) as upstream:
            upstream.sendall(request)
            answer = b""
            while True:
                chunk = upstream.recv(65536)
                if not chunk:
                    return answer
                answer += chunk

    def _forward_quietly(self, request: bytes) -> None:
        try:
            self._forward(request)
        except OSError:
            return  # the twin met a killed server: as lost as any other request

    def _fate(self, request: bytes) -> str:
        if not request.startswith(b"POST /api/v1/incidents "):
            return "passed"
        with self.random_lock:
            roll = self.random.random()
        if roll < 0.10:
            return "dropped_request"
        if roll < 0.30:
            return "dropped_answer"
        if roll < 0.45:
            return "duplicated"
        return "passed"

    def _serve(self, client: socket.socket) -> None:
        with client:
            try:
                request = self._read_request(client)
                fate = self._fate(request)
                self.fates.note(fate)
                if fate == "dropped_request":
                    return
                if fate == "duplicated":
                    other = threading.Thread(target=self._forward_quietly, args=(request,))
                    other.start()
                    answer = self._forward(request)
                    other.join(timeout=15)
                else:
                    answer = self._forward(request)
                if fate == "dropped_answer":
                    return  # the server acted; the phone never hears
                client.sendall(answer)
            except OSError:
                return  # the server went away mid-request: the phone sees a broken connection


# --- the phones ------------------------------------------------------------------------------


@dataclass
class Phone:
    """A phone's outbox: sends each entry, in order, until the server confirms it
    (201 or 200 naming the same id), backing off with jitter in between."""

    name: str
    email: str
    server_port: int
    proxy_port: int
    person: str
    cookie: str = ""
    token: str = ""
    acknowledged: dict[str, tuple[int, str]] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""

    def _call(
        self, port: int, method: str, path: str, body: bytes | None = None, **headers: str
    ) -> tuple[int, dict[str, str], bytes]:
        if self.cookie:
            headers["Cookie"] = f"session={self.cookie}"
        status, answer_headers, data = _http(port, method, path, body, headers)
        cookie = answer_headers.get("set-cookie", "")
        if cookie.startswith("session="):
            self.cookie = cookie.split(";", 1)[0].split("=", 1)[1]
        return status, answer_headers, data

    def sign_in(self) -> None:
        _, _, page = self._call(self.server_port, "GET", "/login")
        match = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        assert match, page[:200]
        form = urlencode(
            {"email": self.email, "password": PASSWORD, "csrf_token": match.group(1).decode()}
        )
        status, _, _ = self._call(
            self.server_port,
            "POST",
            "/login",
            form.encode(),
            **{"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 302, status
        self.refresh_token()

    def refresh_token(self) -> None:
        status, _, data = self._call(self.proxy_port, "GET", "/api/v1/session")
        if status != 200:
            raise OSError(f"session {status}")
        self.token = json.loads(data)["csrf_token"]

    def make_entries(self, count: int) -> None:
        self.entries = [
            incident_payload(person_ref=self.person, what_happened=f"{self.name} entry {n}")
            for n in range(count)
        ]

    def send_all(self, deadline: float) -> None:
        rng = random.Random(self.name)
        try:
            for entry in self.entries:
                failures = 0
                while entry["id"] not in self.acknowledged:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{self.name}: {entry['id']} not acknowledged")
                    try:
                        status, _, data = self._call(
                            self.proxy_port,
                            "POST",
                            "/api/v1/incidents",
                            json.dumps(entry).encode(),
                            **{"Content-Type": "application/json", "X-CSRFToken": self.token},
                        )
                    except OSError:
                        status, data = 0, b""
                    body = _json(data)
                    if status in (200, 201) and body.get("id") == entry["id"]:
                        self.acknowledged[entry["id"]] = (status, body["reference"])
                        continue
                    assert status not in (409, 422, 403, 404), (status, body)
                    failures += 1
                    if status in (400, 401):
                        with contextlib.suppress(OSError):
                            self.refresh_token()
                    time.sleep(min(0.5, 0.02 * 2**failures) * (0.5 + rng.random() / 2))
        except Exception as exc:
            self.error = repr(exc)


def _json(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# --- the test --------------------------------------------------------------------------------


@pytest.fixture
def server(app: Flask, seeded: dict[str, StaffRef]) -> Iterator[ServerProcess]:
    process = ServerProcess(app.config["SQLALCHEMY_DATABASE_URI"])
    process.start()
    try:
        yield process
    finally:
        process.stop()


def test_every_acknowledged_entry_exists_exactly_once_through_drops_duplicates_and_kills(
    app: Flask, server: ServerProcess
):
    proxy = FaultyProxy(server.port)
    try:
        phones = [
            Phone(name, f"{name.split('-')[0]}@example.com", server.port, proxy.port, person)
            for name, person in PHONES.items()
        ]
        for phone in phones:
            phone.sign_in()
            phone.make_entries(ENTRIES_PER_PHONE)

        deadline = time.monotonic() + DEADLINE_S
        senders = [threading.Thread(target=p.send_all, args=(deadline,)) for p in phones]
        for sender in senders:
            sender.start()
        for _ in range(KILLS):
            time.sleep(1.0)
            server.kill()
            time.sleep(0.3)
            server.start()
        for sender in senders:
            sender.join(timeout=DEADLINE_S)
    finally:
        proxy.close()

    assert [p.error for p in phones if p.error] == []
    sent = {e["id"]: p for p in phones for e in p.entries}
    acknowledged = {i: ack for p in phones for i, ack in p.acknowledged.items()}
    assert set(acknowledged) == set(sent)  # every phone emptied its outbox

    with app.app_context():
        rows = db.session.execute(
            db.select(Incident.id, Incident.reference, Incident.author_id)
        ).all()
        db.session.remove()
    stored = {row.id: row.reference for row in rows}
    # Exactly once: every acknowledged entry is there, nothing else, no id twice.
    assert len(rows) == len(stored) == len(sent)
    assert set(stored) == set(acknowledged)
    # Each entry kept the reference it was first acknowledged with...
    assert {i: ref for i, (_, ref) in acknowledged.items()} == stored
    # ...and no reference was ever given to two entries.
    assert len(set(stored.values())) == len(stored)

    # The faults really happened.
    fates = proxy.fates
    assert fates.dropped_request > 0, fates
    assert fates.dropped_answer > 0, fates
    assert fates.duplicated > 0, fates
    assert server.kills == KILLS
    statuses = Counter(status for status, _ in acknowledged.values())
    assert statuses[200] > 0  # some acknowledgements were replays after a lost answer
    print(f"fates {fates}, acknowledged {dict(statuses)}, kills {server.kills}")
