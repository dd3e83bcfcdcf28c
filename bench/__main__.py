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

Exports (exports/): the peak Python memory (tracemalloc) while a manager
downloads every incident of a year as CSV and as Excel, at two volumes (2,000
and 20,000 incidents, copies of generated ones inserted in bulk), read a chunk
at a time as a browser would. Memory that is bounded stays about the same: the
ratio of the two peaks is near 1 while the rows grow tenfold.

    .venv/bin/python -m bench [--small 200] [--large 2000] [--repeat 15]
    .venv/bin/python -m bench --only-exports [--export-sizes 2000 20000]
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
from sqlalchemy import event

from bench import databases
from core import demo
from extensions import db
from imports import service as imports_service
from incidents import month_counts
from incidents.demo import seed_incidents
from incidents.models import Incident

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


def signed_in(app: Flask, email: str, password: str = PASSWORD) -> tuple[FlaskClient, str]:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token.group(1)}
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
        databases.emptied(url)
    app = databases.bench_app(url)
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


EXPORT_SEED = 200  # generated incidents (through the services) copied in bulk


def _copies(app: Flask, count: int) -> None:
    """`count` incidents more, copies of the generated ones with new ids and
    references, over the last year, inserted in bulk (the services would take
    minutes for 20,000)."""
    with app.app_context():
        columns = [c.key for c in Incident.__table__.columns]
        models = [
            {k: getattr(i, k) for k in columns} for i in db.session.scalars(db.select(Incident))
        ]
        now = datetime.now(UTC)
        rows = []
        for n in range(count):
            row = dict(models[n % len(models)])
            moment = now - timedelta(minutes=(n * 26) % (360 * 24 * 60) + 60)
            row.update(
                id=str(uuid.UUID(int=n + 1, version=4)),
                reference=f"BEN-{n + 1:07d}",
                occurred_at=moment,
                reported_at=moment + timedelta(minutes=10),
                received_at=moment + timedelta(minutes=11),
                version=1,
            )
            rows.append(row)
            if len(rows) == 5000:
                db.session.execute(db.insert(Incident), rows)
                rows = []
        if rows:
            db.session.execute(db.insert(Incident), rows)
        month_counts.rebuild()  # the dashboard's summary (bulk inserts bypass the ORM)
        db.session.commit()
        db.session.remove()


def _download(client: FlaskClient, url: str) -> int:
    """The file's size, read a chunk at a time and let go (as a browser saves it)."""
    response = client.get(url, buffered=False)
    assert response.status_code == 200, response.status_code
    size = 0
    for chunk in response.response:
        size += len(chunk)
    response.close()
    return size


def run_exports(url: str | None, sizes: list[int], workdir: Path) -> dict[str, dict[str, float]]:
    """Peak memory (and, for information, seconds) of exporting a year of
    incidents as CSV and Excel at each size."""
    today = datetime.now(UTC).date()
    query = f"from={(today - timedelta(days=366)).isoformat()}&to={today.isoformat()}"
    results: dict[str, dict[str, float]] = {}
    for size in sizes:
        folder = workdir / f"exports-{size}"
        folder.mkdir()
        app = build(url, EXPORT_SEED, folder)
        _copies(app, size - EXPORT_SEED)
        client, _ = signed_in(app, "manager@example.com")
        for file_format in ("csv", "xlsx"):
            download = partial(_download, client, f"/exports/incidents.{file_format}?{query}")
            results[f"{file_format}@{size}"] = {
                "incidents": size,
                "seconds": _timed(download),
                "bytes": download(),
                "peak_kib": peak_memory(download) / 1024,
            }
        with app.app_context():
            db.engine.dispose()
    return results


def print_exports(results: dict[str, dict[str, float]], sizes: list[int]) -> None:
    print(f"\n{'export of a year of incidents':<34}{'MiB':>8}{'seconds':>9}{'peak KiB':>10}")
    for name, figures in results.items():
        print(
            f"{name:<34}{figures['bytes'] / 2**20:>8.1f}{figures['seconds']:>9.1f}"
            f"{figures['peak_kib']:>10.0f}"
        )
    small, large = min(sizes), max(sizes)
    for file_format in ("csv", "xlsx"):
        ratio = (
            results[f"{file_format}@{large}"]["peak_kib"]
            / results[f"{file_format}@{small}"]["peak_kib"]
        )
        print(
            f"{file_format}: peak memory at {large} / at {small} = {ratio:.2f} "
            f"(rows x{large / small:.0f}; bounded memory stays near 1)"
        )


def main() -> None:
    logging.getLogger("alembic").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--large", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--import-repeat", type=int, default=3)
    parser.add_argument("--export-sizes", type=int, nargs=2, default=[2000, 20000])
    parser.add_argument("--only-exports", action="store_true")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL")
    if args.only_exports:
        with tempfile.TemporaryDirectory() as tmp:
            print_exports(run_exports(url, args.export_sizes, Path(tmp)), args.export_sizes)
        return

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
    with tempfile.TemporaryDirectory() as tmp:
        report["exports"] = run_exports(url, args.export_sizes, Path(tmp))
    print_exports(report["exports"], args.export_sizes)
    out = Path("bench/results")
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, indent=2, default=str))
    print(f"(full figures in {out / 'latest.json'})")


if __name__ == "__main__":
    main()
