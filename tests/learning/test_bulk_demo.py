"""`seed-demo --incidents N` from 1,000 up: incidents, duties, spot checks, reviews
and actions inserted in bulk, deterministic for a seed and safe to run twice."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import func

from actions.models import Action
from app import create_app
from audits.models import Audit, AuditAnswer
from core.demo import BULK_FROM
from extensions import db
from incidents import month_counts
from incidents.models import Incident, IncidentDecision, IncidentMonthCount, ReferenceCounter
from learning.models import LearningReview

ARGS = ["seed-demo", "--password", "demo-password-1", "--incidents", str(BULK_FROM)]


def _app(path: Path) -> Flask:
    return create_app(
        {
            "ENV_NAME": "testing",
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "PASSWORD_HASH_FAST": True,
        }
    )


def _counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        counts = {
            model.__name__: db.session.scalar(db.select(func.count()).select_from(model)) or 0
            for model in (Incident, IncidentDecision, Audit, AuditAnswer, LearningReview, Action)
        }
        db.session.remove()
    return counts


def _summary(app: Flask, *, rebuild: bool) -> dict[tuple[object, ...], int]:
    with app.app_context():
        if rebuild:
            month_counts.rebuild()
        rows = db.session.execute(db.select(IncidentMonthCount)).scalars()
        found: dict[tuple[object, ...], int] = {
            (r.branch_id, r.month, r.kind, r.harm, r.category, r.place): r.n for r in rows if r.n
        }
        db.session.rollback()
        db.session.remove()
    return found


def test_bulk_seed_makes_everything_in_proportion_and_adds_nothing_the_second_time(
    tmp_path: Path,
):
    app = _app(tmp_path / "bulk.db")
    first = app.test_cli_runner().invoke(args=ARGS)
    assert first.exit_code == 0, first.output
    assert f"Demo incidents in bulk: {BULK_FROM} created, 0 already there" in first.output
    made = _counts(app)
    # A spot check for every 10 incidents, a review for every 20 (and the demo's
    # own), five actions for each generated review (and the demo's two).
    assert made["Incident"] == BULK_FROM
    assert made["Audit"] == BULK_FROM // 10
    assert made["LearningReview"] == BULK_FROM // 20 + 1
    assert made["Action"] == 5 * (BULK_FROM // 20) + 2
    assert made["IncidentDecision"] > 0
    assert made["AuditAnswer"] > made["Audit"]
    # The dashboard's summary counts what was inserted (as a rebuild from the rows).
    assert _summary(app, rebuild=False) == _summary(app, rebuild=True)
    assert sum(_summary(app, rebuild=False).values()) == BULK_FROM
    again = app.test_cli_runner().invoke(args=ARGS)
    assert again.exit_code == 0, again.output
    assert f"0 created, {BULK_FROM} already there" in again.output
    assert _counts(app) == made


def test_bulk_incidents_are_the_same_for_a_seed_with_unique_references(tmp_path: Path):
    rows = []
    for name in ("a.db", "b.db"):
        app = _app(tmp_path / name)
        assert app.test_cli_runner().invoke(args=[*ARGS, "--seed", "4"]).exit_code == 0
        with app.app_context():
            found = db.session.execute(
                db.select(
                    Incident.id, Incident.category, Incident.harm, Incident.reference
                ).order_by(Incident.received_at, Incident.id)
            ).all()
            counters = {c.year: c.last for c in db.session.scalars(db.select(ReferenceCounter))}
            db.session.remove()
        rows.append([tuple(r[:3]) for r in found])
        references = [r[3] for r in found]
        assert len(set(references)) == len(references)
        # Each year's counter continues from the last reference given.
        for year, last in counters.items():
            assert max(int(r.split("-")[2]) for r in references if f"-{year}-" in r) == last
    assert rows[0] == rows[1]
