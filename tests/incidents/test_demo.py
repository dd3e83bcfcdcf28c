"""`flask seed-demo --incidents N --seed S`: generated incidents through the real
services, spread realistically, deterministic, and safe to run twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from app import create_app
from core.dates import UK
from core.models import Team, User
from extensions import db
from incidents.demo import MEDICATION_ERRORS, MEDICATION_TEXT, WHAT_HAPPENED
from incidents.models import Incident, IncidentDecision


def _app(path: Path) -> Flask:
    return create_app(
        {
            "ENV_NAME": "testing",
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "PASSWORD_HASH_FAST": True,
        }
    )


def _incidents(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        rows = [
            {
                "id": i.id,
                "reference": i.reference,
                "branch": i.branch.code,
                "category": i.category,
                "harm": i.harm,
                "status": i.status,
                "feedback": i.feedback,
                "hour": i.occurred_at.astimezone(UK).hour,
                "weekday": i.occurred_at.astimezone(UK).weekday(),
                "person": i.person.ref if i.person else None,
                "received_at": i.received_at,
            }
            for i in db.session.scalars(db.select(Incident))
        ]
        db.session.remove()
        db.engine.dispose()
    return rows


def test_generated_incidents_are_realistic_and_safe_to_generate_twice(tmp_path: Path):
    app = _app(tmp_path / "demo.db")
    runner = app.test_cli_runner()
    first = runner.invoke(
        args=["seed-demo", "--password", "demo-password-1", "--incidents", "80", "--seed", "3"]
    )
    assert first.exit_code == 0, first.output
    assert "Demo incidents: 80 created, 0 already there (seed 3)." in first.output
    rows = _incidents(app)
    assert len(rows) == 80
    assert {r["branch"] for r in rows} == {"NORTH", "SOUTH"}
    assert len({r["category"] for r in rows}) >= 6
    assert len({r["harm"] for r in rows}) >= 3
    assert len({r["hour"] for r in rows}) >= 8
    assert len({r["weekday"] for r in rows}) == 7
    assert len({r["person"] for r in rows}) >= 10
    assert len({r["reference"] for r in rows}) == 80
    # Older ones have been triaged, and some closed with what was learned.
    assert any(r["status"] == "closed" and r["feedback"] for r in rows)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(IncidentDecision.id))) > 0
        db.session.remove()
        db.engine.dispose()

    second = runner.invoke(
        args=["seed-demo", "--password", "demo-password-1", "--incidents", "80", "--seed", "3"]
    )
    assert second.exit_code == 0, second.output
    assert "Demo incidents: 0 created, 80 already there (seed 3)." in second.output
    assert len(_incidents(app)) == 80


def test_the_same_seed_gives_the_same_incidents(tmp_path: Path):
    runs = []
    for name in ("one.db", "two.db"):
        app = _app(tmp_path / name)
        result = app.test_cli_runner().invoke(
            args=["seed-demo", "--password", "demo-password-1", "--incidents", "15", "--seed", "9"]
        )
        assert result.exit_code == 0, result.output
        runs.append({(r["id"], r["category"], r["harm"], r["person"]) for r in _incidents(app)})
    assert runs[0] == runs[1]
    other = _app(tmp_path / "three.db")
    other.test_cli_runner().invoke(
        args=["seed-demo", "--password", "demo-password-1", "--incidents", "15", "--seed", "10"]
    )
    assert {r["id"] for r in _incidents(other)}.isdisjoint({row[0] for row in runs[0]})


def test_plain_seed_demo_makes_no_incidents(tmp_path: Path):
    app = _app(tmp_path / "plain.db")
    result = app.test_cli_runner().invoke(args=["seed-demo", "--password", "demo-password-1"])
    assert result.exit_code == 0, result.output
    assert "Demo incidents" not in result.output
    assert _incidents(app) == []


def test_a_negative_count_is_refused(tmp_path: Path):
    app = _app(tmp_path / "bad.db")
    result = app.test_cli_runner().invoke(
        args=["seed-demo", "--password", "demo-password-1", "--incidents", "-5"]
    )
    assert result.exit_code == 2
    assert "--incidents" in result.output


def test_demo_branches_have_two_teams_and_incidents_carry_the_reporters_team(tmp_path: Path):
    app = _app(tmp_path / "teams.db")
    runner = app.test_cli_runner()
    for _ in range(2):  # safe to run twice: no second set of teams
        result = runner.invoke(
            args=["seed-demo", "--password", "demo-password-1", "--incidents", "30", "--seed", "4"]
        )
        assert result.exit_code == 0, result.output
    with app.app_context():
        teams = {(t.branch.code, t.name) for t in db.session.scalars(db.select(Team))}
        assert sorted(code for code, _ in teams) == ["NORTH", "NORTH", "SOUTH", "SOUTH"]
        carers = db.session.scalars(db.select(User).where(User.role == "carer"))
        assert all(c.team is not None and c.team.branch_id == c.branches[0].id for c in carers)
        incidents = list(db.session.scalars(db.select(Incident)))
        assert incidents
        for incident in incidents:
            team = incident.author.team
            expected = team.id if team and team.branch_id == incident.branch_id else None
            assert incident.team_id == expected
        assert any(i.team_id is not None for i in incidents)
        db.session.remove()
        db.engine.dispose()


def test_every_generated_incident_agrees_with_itself(tmp_path: Path):
    """Category and medication error match the text; whatever a manager has
    triaged (closed included) has been seen by a manager. 120 with seed 1 is a
    superset of `make demo`'s set (60, seed 1): each entry has its own generator."""
    app = _app(tmp_path / "consistent.db")
    result = app.test_cli_runner().invoke(
        args=["seed-demo", "--password", "demo-password-1", "--incidents", "120", "--seed", "1"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        incidents = list(db.session.scalars(db.select(Incident)))
        assert len(incidents) == 120
        for i in incidents:
            text = i.what_happened.rsplit(" (demo ", 1)[0]
            when = i.occurred_at.astimezone(UK).strftime("%H:%M")
            if i.category == "medication":
                assert i.medication_error, i.reference
                written = [t.format(time=when) for t in MEDICATION_TEXT[i.medication_error]]
            else:
                assert i.medication_error is None, i.reference
                written = [t.format(time=when) for t in WHAT_HAPPENED[i.category]]
            assert text in written, (i.reference, i.category, i.medication_error, text)
            if i.status != "submitted":
                assert i.seen_at is not None, (i.reference, i.status)
        assert {i.status for i in incidents} >= {"submitted", "closed"}
        assert len({i.medication_error for i in incidents if i.medication_error}) >= 4
        db.session.remove()
        db.engine.dispose()


def test_no_other_category_writes_about_medicine_doses():
    for category, texts in WHAT_HAPPENED.items():
        assert category != "medication"
        assert not any("dose" in t or "tablet" in t or "MAR" in t for t in texts), category
    assert set(MEDICATION_TEXT) == set(MEDICATION_ERRORS)
