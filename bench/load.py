"""`make load`: simulated devices against real gunicorn servers, from outside.

Each device is a thread with its own cookies that signs in through the sign-in
page, then, with a pause between requests (`--think`), does what its role does
all day: a carer opens the report form, sends incidents through the sync API
(now and then the same entry again, as a phone does when an answer is lost),
looks at the outbox and the receipt; a supervisor sends spot checks; a manager
opens the home page, the review list, a record, the governance dashboard,
patterns and actions. Every device signs out and in again now and then.

Any answer other than the one expected (a 4xx or 5xx, a connection refused or
cut, a timeout) is an error; the run exits non-zero on any. It prints p50, p95
and p99 of the response times and the throughput, for all requests and for each
kind, then searches the server's log for errors and "database is locked".

Runs, unless `--only` says otherwise:
1. PostgreSQL (`LOAD_DATABASE_URL`, emptied first), gunicorn with 4 workers;
2. SQLite (a new file), gunicorn with 2 workers.

    .venv/bin/python -m bench.load [--devices 200] [--duration 60] [--only sqlite]

It also prints the server's own CPU time per request (gunicorn's processes, from
/proc): on a machine shared with other work, response times say how long requests
waited for a core, CPU per request what the app itself costs.

Passwords: a production sign-in checks the password with argon2id at RFC 9106's
cost (64 MiB, about 0.1-0.7 s of CPU here, on purpose), so 200 devices signing in
at once measure mostly that. By default the devices' accounts are hashed at the
test suite's cost (still argon2id) and the production cost is printed on its
own; `--production-hashing` uses it for every sign-in.

The server runs with production's settings (CANDOUR_ENV=production, HTTPS-only
cookies off as there is no TLS here), with
TWO_FACTOR_ROLES empty (as where sign-in goes through the provider's own SSO:
a load driver cannot read an authenticator app) and the queue in a SQLite file
beside the database. The driver, the server and the database share one machine.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from argon2 import PasswordHasher
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, select, text

from app import create_app
from core import demo
from core.models import Branch, Role, User
from core.passwords import hash_password
from extensions import db
from settings import ROOT

PASSWORD = "load-test-password-2026"  # noqa: S105 (a throwaway database)
SECRET = "load-test-secret-key-not-for-production"  # noqa: S105
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/candour_load_run"
# Of every ten devices: seven carers, one supervisor, two managers.
ROLE_MIX = [Role.CARER] * 7 + [Role.SUPERVISOR] + [Role.MANAGER] * 2
# Between two requests a device signs out (and signs in again) this often.
SIGN_OUT_SHARE = 0.02


# --- the database and the server ------------------------------------------------------------


def _create_database(url: str) -> None:
    """The PostgreSQL database named in `url`, made when it does not exist yet."""
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def prepare(
    url: str, devices: int, incidents: int, production_hashing: bool
) -> list[tuple[str, str]]:
    """An emptied database with the schema, the demo data, generated incidents,
    and one account per device: [(email, role)]. Passwords are hashed with
    argon2id's production cost when `production_hashing`, else with the test
    suite's (see `argon2_cost`)."""
    if url.startswith("postgresql"):
        _create_database(url)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": url,
            "SESSION_COOKIE_SECURE": False,
            "PASSWORD_HASH_FAST": not production_hashing,
        }
    )
    accounts = []
    with app.app_context():
        logging.disable(logging.INFO)  # alembic's line per migration
        upgrade()
        logging.disable(logging.NOTSET)
        demo.seed(PASSWORD, incidents=incidents)
        branches = list(db.session.scalars(select(Branch).order_by(Branch.code)))
        password_hash = hash_password(PASSWORD)  # one hash for all
        for n in range(devices):
            role = ROLE_MIX[n % len(ROLE_MIX)]
            email = f"load-{role.value}-{n:03d}@example.com"
            mine = branches if role is Role.MANAGER else [branches[n % len(branches)]]
            db.session.add(
                User(
                    email=email,
                    name=f"Load {role.value.title()} {n:03d}",
                    role=role.value,
                    password_hash=password_hash,
                    branches=mine,
                )
            )
            accounts.append((email, role.value))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return accounts


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    url: str
    workers: int
    log: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, workdir: Path) -> None:
        env = os.environ | {
            "CANDOUR_ENV": "production",
            "SECRET_KEY": SECRET,
            "DATABASE_URL": self.url,
            "SESSION_COOKIE_SECURE": "false",
            "TWO_FACTOR_ROLES": "",
            "QUEUE_URL": f"sqlite:///{workdir / 'queue.db'}",
        }
        command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", str(self.workers)]
        command += ["--bind", f"127.0.0.1:{self.port}", "--log-level", "info"]
        command += ["--error-logfile", str(self.log), "app:create_app()"]
        # A fixed command line made here, not input.
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, start_new_session=True, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start; see {self.log}")

    def cpu_seconds(self) -> float:
        """CPU time used so far by gunicorn's master and workers (Linux /proc)."""
        if self.process is None:
            return 0.0
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(pid) for pid in children.read_text().split()]
        ticks = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)


# --- the devices ---------------------------------------------------------------------------


@dataclass
class Results:
    """Every request's kind, seconds and whether it was what was expected."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.times[kind].append(seconds)
            if error is not None:
                self.errors.append(f"{kind}: {error}")


class Failed(Exception):
    """A request the device cannot go on from (it signs in again)."""


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


class Device:
    def __init__(self, email: str, role: str, base: str, results: Results, rng: random.Random):
        self.email, self.role, self.base = email, role, base
        self.results, self.rng = results, rng
        self.http = requests.Session()
        self.token = ""
        self.people: list[str] = []
        self.staff: list[int] = []
        self.templates: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.signed_in = False

    def call(self, kind: str, method: str, path: str, expect: tuple[int, ...], **kw: Any) -> Any:
        start = time.perf_counter()
        error = None
        response = None
        try:
            response = self.http.request(
                method, self.base + path, timeout=60, allow_redirects=False, **kw
            )
            if response.status_code not in expect:
                error = f"{method} {path} answered {response.status_code}: {response.text[:300]!r}"
        except requests.RequestException as exc:
            error = f"{method} {path}: {type(exc).__name__}"
        self.results.note(kind, time.perf_counter() - start, error)
        if error is not None or response is None:
            raise Failed(error)
        return response

    def sign_in(self) -> None:
        page = self.call("sign-in page", "GET", "/login", (200,))
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if token is None:
            self.results.note("sign-in page", 0, "no CSRF field on /login")
            raise Failed("no CSRF field")
        form = {"email": self.email, "password": PASSWORD, "csrf_token": token.group(1)}
        self.call("sign in", "POST", "/login", (302,), data=form)
        self.token = self.call("session", "GET", "/api/v1/session", (200,)).json()["csrf_token"]
        reference = self.call("reference", "GET", "/api/v1/reference", (200,)).json()
        self.people = [p["ref"] for p in reference["people"]]
        self.staff = [s["id"] for s in reference["staff"] if s["role"] == "carer"]
        self.templates = reference["audit_templates"]

    def sign_out(self) -> None:
        self.call("sign out", "POST", "/logout", (302,), headers={"X-CSRFToken": self.token})
        self.http.cookies.clear()

    # What each role does.

    def carer_step(self) -> None:
        roll = self.rng.random()
        if roll < 0.3:
            self.call("page: report form", "GET", "/incidents/new", (200,))
        elif roll < 0.65:
            self.send_incident()
        elif roll < 0.75 and self.sent:
            entry = self.rng.choice(self.sent)  # a phone that never heard the answer
            self._post("sync: incident again", "/api/v1/incidents", entry, (200,))
        elif roll < 0.85:
            self.call("page: outbox", "GET", "/outbox", (200,))
        elif self.sent:
            entry = self.rng.choice(self.sent)
            self.call("page: receipt", "GET", f"/incidents/{entry['id']}/sent", (200,))
        else:
            self.call("page: home", "GET", "/", (200,))

    def supervisor_step(self) -> None:
        roll = self.rng.random()
        if roll < 0.5 and self.templates and self.staff:
            self.send_spot_check()
        elif roll < 0.75:
            self.call("page: start a spot check", "GET", "/audits/new", (200,))
        else:
            self.call("page: home", "GET", "/", (200,))

    def manager_step(self) -> None:
        pages = [
            ("page: manager home", "/"),
            ("page: review list", "/incidents"),
            ("page: governance", "/governance"),
            ("page: patterns", "/patterns"),
            ("page: actions", "/actions"),
        ]
        if self.rng.random() < 0.25:
            listed = self.call("sync: incidents list", "GET", "/api/v1/incidents?limit=20", (200,))
            items = listed.json()["items"]
            if items:
                one = self.rng.choice(items)["id"]
                self.call("page: incident record", "GET", f"/incidents/{one}", (200,))
            return
        kind, path = self.rng.choice(pages)
        self.call(kind, "GET", path, (200,))

    def _post(self, kind: str, path: str, body: dict[str, Any], expect: tuple[int, ...]) -> Any:
        return self.call(kind, "POST", path, expect, json=body, headers={"X-CSRFToken": self.token})

    def send_incident(self) -> None:
        now = datetime.now(UTC)
        entry: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "kind": "incident",
            "category": "fall",
            "medication_error": None,
            "time_critical": False,
            "occurred_at": _iso(now - timedelta(minutes=30)),
            "reported_at": _iso(now - timedelta(minutes=2)),
            "late_reason": None,
            "person_ref": self.rng.choice(self.people) if self.people else None,
            "location": "hallway",
            "what_happened": "Found on the floor by the bed; said she slipped reaching for her glasses.",
            "immediate_actions": "Checked for injury, helped up with the stand aid, rang the office.",
            "harm": "low",
            "staff_injured": False,
            "people_informed": [],
            "thresholds": {
                "safeguarding": "no",
                "clinical_escalation": "no",
                "family_contact": "yes",
            },
        }
        self._post("sync: incident", "/api/v1/incidents", entry, (201,))
        self.sent.append(entry)

    def send_spot_check(self) -> None:
        template = self.rng.choice(self.templates)
        answers = [{"item": item["key"], "answer": "yes", "note": ""} for item in template["items"]]
        check = {
            "id": str(uuid.uuid4()),
            "template": template["slug"],
            "template_version": template["version"],
            "conducted_at": _iso(datetime.now(UTC) - timedelta(minutes=20)),
            "observed_user_id": self.rng.choice(self.staff),
            "person_ref": self.rng.choice(self.people) if self.people else None,
            "answers": answers,
            "reaudit_of_action": None,
        }
        self._post("sync: spot check", "/api/v1/audits", check, (201,))

    def first_sign_in(self, spread: float) -> None:
        """The morning: every device signs in once, over `spread` seconds."""
        time.sleep(self.rng.uniform(0, spread))
        try:
            self.sign_in()
            self.signed_in = True
        except Failed:
            self.http.cookies.clear()

    def run(self, until: float, think: tuple[float, float]) -> None:
        """The day: the role's steps, signing out and in again now and then."""
        step: Callable[[], None] = {
            "carer": self.carer_step,
            "supervisor": self.supervisor_step,
            "manager": self.manager_step,
        }[self.role]
        time.sleep(self.rng.uniform(*think))
        while time.monotonic() < until:
            try:
                if not self.signed_in:
                    self.sign_in()
                    self.signed_in = True
                elif self.rng.random() < SIGN_OUT_SHARE:
                    self.sign_out()
                    self.signed_in = False
                else:
                    step()
            except Failed:
                self.http.cookies.clear()
                self.signed_in = False
            time.sleep(self.rng.uniform(*think))


# --- one run and its report ---------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(name: str, results: Results, seconds: float) -> list[str]:
    every = [t for times in results.times.values() for t in times]
    lines = [
        f"== {name}: {len(every)} requests in {seconds:.0f} s, "
        f"{len(every) / seconds:.1f} requests/s, {len(results.errors)} errors",
        f"{'':32} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}",
    ]
    rows = [("all requests", every), *sorted(results.times.items())]
    for kind, times in rows:
        if times:
            lines.append(
                f"{kind:32} {len(times):7d} {statistics.median(times) * 1000:8.0f} "
                f"{_percentile(times, 0.95) * 1000:8.0f} {_percentile(times, 0.99) * 1000:8.0f}"
            )
    for error in sorted(set(results.errors))[:20]:
        lines.append(f"ERROR {error} (x{results.errors.count(error)})")
    return lines


def server_log_problems(log: Path) -> list[str]:
    text_ = log.read_text(errors="replace") if log.exists() else ""
    problems = [
        line
        for line in text_.splitlines()
        if "database is locked" in line
        or "Traceback" in line
        or "[ERROR]" in line
        or "WORKER TIMEOUT" in line
    ]
    locked = text_.count("database is locked")
    return [f"server log: {locked} 'database is locked'", *problems[:20]]


def run(name: str, url: str, workers: int, args: argparse.Namespace, workdir: Path) -> bool:
    print(
        f"== {name}: preparing the database ({args.incidents} incidents, {args.devices} accounts)"
    )
    accounts = prepare(url, args.devices, args.incidents, args.production_hashing)
    server = Server(url, workers, workdir / f"{name.split()[0].lower()}-server.log")
    server.start(workdir)
    print(f"machine: {os.cpu_count()} CPUs, load average before the run: {_load()}", flush=True)
    morning, day = Results(), Results()
    try:
        # Random choices of what to do next, not secrets.
        rng = random.Random(args.seed)  # noqa: S311
        devices = [
            Device(email, role, server.base, morning, random.Random(rng.random()))  # noqa: S311
            for email, role in accounts
        ]
        cpu_before = server.cpu_seconds()
        storm = _in_threads([(d.first_sign_in, (args.sign_in_spread,)) for d in devices])
        cpu_storm = server.cpu_seconds() - cpu_before
        for device in devices:
            device.results = day
        until = time.monotonic() + args.duration
        think = (args.think_min, args.think_max)
        seconds = _in_threads([(d.run, (until, think)) for d in devices])
        cpu_day = server.cpu_seconds() - cpu_before - cpu_storm
    finally:
        server.stop()
    title = f"{name}, gunicorn {workers} workers, {args.devices} devices"
    print(f"machine load average after the run: {_load()}")
    lines = report(f"{title}: every device signs in", morning, storm)
    lines.append(_cpu_line(cpu_storm, morning))
    lines += report(f"{title}: {args.duration:.0f} s of work", day, seconds)
    lines.append(_cpu_line(cpu_day, day))
    log_lines = server_log_problems(server.log)
    print("\n".join(lines + log_lines), flush=True)
    locked = "database is locked" in server.log.read_text(errors="replace")
    return not morning.errors and not day.errors and not locked and len(log_lines) == 1


def _cpu_line(cpu: float, results: Results) -> str:
    """The server's own CPU per request: what the other work on a shared
    machine does not change (only how long each request waits for a core)."""
    count = sum(len(times) for times in results.times.values())
    per = cpu / count * 1000 if count else 0.0
    return f"server CPU: {cpu:.1f} s for {count} requests, {per:.0f} ms a request"


def argon2_cost() -> str:
    """One production sign-in's password check (argon2id, RFC 9106's defaults:
    64 MiB, 3 passes, 4 lanes) on this machine now, against the test suite's."""
    production, fast = (
        PasswordHasher(),
        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
    )
    timings = []
    for hasher in (production, fast):
        stored = hasher.hash(PASSWORD)
        started = time.perf_counter()
        for _ in range(3):
            hasher.verify(stored, PASSWORD)
        timings.append((time.perf_counter() - started) / 3 * 1000)
    return (
        f"argon2id password check: {timings[0]:.0f} ms at production cost, "
        f"{timings[1]:.1f} ms at the test suite's"
    )


def _load() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def _in_threads(calls: list[tuple[Callable[..., None], tuple[Any, ...]]]) -> float:
    """Run each call in a thread of its own; the seconds until the last ends."""
    started = time.monotonic()
    # Daemon threads: Ctrl-C ends the run (and `run` stops the server) at once.
    threads = [
        threading.Thread(target=call, args=call_args, daemon=True) for call, call_args in calls
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--devices", type=int, default=int(os.environ.get("LOAD_DEVICES", 200)))
    parser.add_argument("--duration", type=float, default=float(os.environ.get("LOAD_SECONDS", 60)))
    parser.add_argument("--think-min", type=float, default=5.0, help="seconds between requests")
    parser.add_argument("--think-max", type=float, default=15.0)
    parser.add_argument(
        "--sign-in-spread",
        type=float,
        default=60.0,
        help="seconds over which devices first sign in",
    )
    parser.add_argument("--incidents", type=int, default=300, help="generated incidents to start")
    parser.add_argument("--only", choices=["postgresql", "sqlite"])
    parser.add_argument(
        "--production-hashing",
        action="store_true",
        help="hash the devices' passwords at argon2id's production cost (default: the "
        "test suite's, so that sign-ins measure the app rather than the hash)",
    )
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args(argv)
    pg_url = os.environ.get("LOAD_DATABASE_URL", DEFAULT_PG)
    print(argon2_cost())
    print(
        "devices' passwords: "
        + ("argon2id, production cost" if args.production_hashing else "argon2id, test cost")
    )
    ok = True
    with tempfile.TemporaryDirectory(prefix="candour-load-") as folder:
        workdir = Path(folder)
        if args.only in (None, "postgresql"):
            ok &= run("PostgreSQL", pg_url, 4, args, workdir)
        if args.only in (None, "sqlite"):
            ok &= run("SQLite", f"sqlite:///{workdir / 'load.db'}", 2, args, workdir)
    print("load: OK" if ok else "load: FAILED (see the errors above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
