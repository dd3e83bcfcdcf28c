"""Run the benchmarks and print ratios.

For each size of database (a small and a large volume of generated incidents) it
measures the pages and API calls staff use most, as the median of repeated
requests through the WSGI app, divided by the median of `GET /healthz` (one
trivial query) in the same run. It also counts SQL statements per request, which
must not grow with the number of incidents (no N+1, no unbounded lists), and the
peak Python memory allocated while rendering each page.

Imports of 5,000 people supported and of 5,000 staff accounts (each run a new
file, so every row is added; then the same file again, every row unchanged) are
timed on the small database against the same baseline.

    .venv/bin/python -m bench [--small 200] [--large 2000] [--repeat 15]
    BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python -m bench
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import statistics
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text

from app import create_app
from core import demo
from extensions import db
from imports import service as imports_service
from incidents.demo import seed_incidents

PASSWORD = "bench-password-123"  # noqa: S105 (a throwaway database)


@contextmanager
def statement_counter(app: Flask) -> Any:
    counts = {"n": 0}

    def count(*_: Any) -> None:
        counts["n"] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", count)


def signed_in(app: Flask, email: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert response.status_code == 302, response.status_code
    csrf = client.get("/api/v1/session").get_json()["csrf_token"]
    return client, csrf


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(fn: Callable[[], Any], baseline: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median seconds of `fn` and of `baseline`, sampled alternately so that load
    from other processes falls on both alike."""
    fn()  # warm up (template compilation, caches)
    baseline()
    ours, base = [], []
    for _ in range(repeat):
        ours.append(_timed(fn))
        base.append(_timed(baseline))
    return statistics.median(ours), statistics.median(base)


def peak_memory(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def new_incident(csrf: str) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    return {
        "id": str(uuid.uuid4()),
        "kind": "incident",
        "category": "fall",
        "medication_error": None,
        "time_critical": False,
        "occurred_at": (now - timedelta(minutes=30)).isoformat(),
        "reported_at": (now - timedelta(minutes=5)).isoformat(),
        "late_reason": None,
        "person_ref": "P-0003",
        "location": "hallway",
        "what_happened": "Found on the floor by the bed, said she slipped reaching for her glasses.",
        "immediate_actions": "Checked for injury, helped up with the stand aid, rang the office.",
        "harm": "low",
        "staff_injured": False,
        "people_informed": [],
        "thresholds": {"safeguarding": "no", "clinical_escalation": "no", "family_contact": "yes"},
    }


def build(url: str | None, incidents: int, workdir: Path) -> Flask:
    if url is None:
        url = f"sqlite:///{workdir / f'bench-{incidents}.db'}"
    elif url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "PASSWORD_HASH_FAST": True,
            "LOGIN_MAX_FAILURES": 1000,
        }
    )
    with app.app_context():
        upgrade()
        demo.seed_core(PASSWORD)
        seed_incidents(incidents, seed=7)
        db.session.commit()
        db.session.remove()
    return app


def run_size(app: Flask, repeat: int) -> dict[str, dict[str, float]]:
    manager, _ = signed_in(app, "manager@example.com")
    carer, carer_csrf = signed_in(app, "carer1@example.com")
    first = manager.get("/api/v1/incidents?limit=1").get_json()["items"][0]["id"]

    operations: dict[str, Callable[[], Any]] = {
        "healthz (baseline)": lambda: manager.get("/healthz"),
        "manager home": lambda: manager.get("/"),
        "review list, first page": lambda: manager.get("/incidents"),
        "review list, text filter": lambda: manager.get("/incidents?q=floor"),
        "review list, htmx partial": lambda: manager.get(
            "/incidents?category=fall", headers={"HX-Request": "true"}
        ),
        "incident record page": lambda: manager.get(f"/incidents/{first}"),
        "carer: my reports": lambda: carer.get("/incidents"),
        # The learning pages: patterns reads every incident of the look-back window.
        "patterns (manager)": lambda: manager.get("/patterns"),
        "actions, all open": lambda: manager.get("/actions"),
        "carer: bulletins": lambda: carer.get("/bulletins"),
        # Governance: a year of incidents, reviews, duties, actions, checks and patterns.
        "governance dashboard (12 months)": lambda: manager.get("/governance"),
        "API list, 50 newest": lambda: manager.get("/api/v1/incidents?limit=50"),
        "API create incident": lambda: carer.post(
            "/api/v1/incidents", json=new_incident(carer_csrf), headers={"X-CSRFToken": carer_csrf}
        ),
    }
    baseline = operations["healthz (baseline)"]
    results: dict[str, dict[str, float]] = {}
    for name, op in operations.items():
        seconds, base = measure(op, baseline, repeat)
        with statement_counter(app) as counts:
            op()
        results[name] = {
            "seconds": seconds,
            "baseline_seconds": base,
            "ratio": seconds / base,
            "statements": counts["n"],
            "peak_kib": peak_memory(op) / 1024,
        }
    return results


IMPORT_ROWS = 5000


def _import_file(kind: str, run: int) -> bytes:
    """A file as Excel saves it (byte-order mark, CRLF) of IMPORT_ROWS new rows."""
    if kind == "people":
        header = "ref,initials,branch"
        rows = [f"B{run}-{n:05d},AB,{'NORTH' if n % 2 else 'SOUTH'}" for n in range(IMPORT_ROWS)]
    else:
        header = "email,name,role,branches,team"
        rows = [
            f"b{run}.{n}@example.com,Bench Person {n},carer,NORTH;SOUTH,"
            for n in range(IMPORT_ROWS)
        ]
    return ("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode()


def _import_seconds(app: Flask, kind: str, data: bytes) -> float:
    with app.app_context():
        seconds = _timed(partial(imports_service.run, kind, data, None, source="bench"))
        db.session.remove()
    return seconds


def run_imports(app: Flask, repeat: int) -> dict[str, dict[str, float]]:
    """Seconds for one import of IMPORT_ROWS rows through the commands' service
    (a new file: every row added; then the same file again: every row
    unchanged), and as a ratio to the same baseline as the pages (the median of
    `GET /healthz` sampled between imports); SQL statements for one import."""
    client, _ = signed_in(app, "manager@example.com")
    results: dict[str, dict[str, float]] = {}
    for kind in ("people", "staff"):
        added, unchanged, base = [], [], []
        for run in range(repeat):
            data = _import_file(kind, run)
            added.append(_import_seconds(app, kind, data))
            unchanged.append(_import_seconds(app, kind, data))
            base.append(statistics.median(_timed(lambda: client.get("/healthz")) for _ in range(5)))
        with statement_counter(app) as counts:
            _import_seconds(app, kind, _import_file(kind, repeat))
        for label, samples in (("added", added), ("same file again", unchanged)):
            seconds, base_seconds = statistics.median(samples), statistics.median(base)
            results[f"import {IMPORT_ROWS} {kind}, {label}"] = {
                "seconds": seconds,
                "baseline_seconds": base_seconds,
                "ratio": seconds / base_seconds,
                "statements": counts["n"],
            }
    return results


def main() -> None:
    logging.getLogger("alembic").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--large", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--import-repeat", type=int, default=3)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL")

    report: dict[str, Any] = {"database": "postgresql" if url else "sqlite", "sizes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for size in (args.small, args.large):
            started = time.perf_counter()
            app = build(url, size, Path(tmp))
            seeded = time.perf_counter() - started
            report["sizes"][size] = run_size(app, args.repeat)
            report["sizes"][size]["_seed_seconds_per_incident"] = {"seconds": seeded / max(size, 1)}
            if size == args.small:
                report["imports"] = run_imports(app, args.import_repeat)
            with app.app_context():
                db.engine.dispose()

    small, large = report["sizes"][args.small], report["sizes"][args.large]
    print(
        f"Candour benchmarks on {report['database']} (median of {args.repeat}; "
        "ratio = time / healthz time, sampled alternately in the same run)"
    )
    print(
        f"{'operation':<28}{'ratio@' + str(args.small):>12}{'ratio@' + str(args.large):>12}"
        f"{'large/small':>13}{'SQL@small':>11}{'SQL@large':>11}{'peak KiB@large':>16}"
    )
    for name in small:
        if name.startswith("_"):
            continue
        s, g = small[name], large[name]
        # Growth with volume, as a ratio of ratios: the baseline cancels the noise.
        growth = g["ratio"] / s["ratio"]
        print(
            f"{name:<28}{s['ratio']:>12.2f}{g['ratio']:>12.2f}{growth:>13.2f}"
            f"{s['statements']:>11}{g['statements']:>11}{g['peak_kib']:>16.0f}"
        )
    print(
        f"\n{'import (median of ' + str(args.import_repeat) + ')':<34}{'seconds':>10}{'ratio':>12}"
        f"{'SQL (added)':>13}"
    )
    for name, figures in report["imports"].items():
        print(
            f"{name:<34}{figures['seconds']:>10.2f}{figures['ratio']:>12.0f}"
            f"{figures['statements']:>13}"
        )
    out = Path("bench/results")
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, indent=2, default=str))
    print(f"(full figures in {out / 'latest.json'})")


if __name__ == "__main__":
    main()
