"""`flask seed-demo`: the schema, then the demo data of docs/api.md; safe twice."""

from __future__ import annotations

from pathlib import Path

from app import create_app
from core.models import Branch, PersonSupported, User
from extensions import db


def _counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(db.select(db.func.count(Branch.id))),
        db.session.scalar(db.select(db.func.count(PersonSupported.id))),
        db.session.scalar(db.select(db.func.count(User.id))),
    )


def test_seed_demo_on_a_fresh_folder_creates_the_database_and_is_safe_twice(tmp_path: Path):
    database = tmp_path / "new-folder" / "candour.db"  # the folder does not exist yet
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "PASSWORD_HASH_FAST": True,
        }
    )
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--password", "demo-password-1"])
    assert first.exit_code == 0, first.output
    assert "manager@example.com" in first.output
    with app.app_context():
        after_first = _counts()
        assert after_first == (2, 20, 6)
        people = {p.ref: p.branch.code for p in db.session.scalars(db.select(PersonSupported))}
        assert all(people[f"P-{n:04d}"] == "NORTH" for n in range(1, 11))
        assert all(people[f"P-{n:04d}"] == "SOUTH" for n in range(11, 21))
        db.session.remove()
    second = runner.invoke(args=["seed-demo", "--password", "demo-password-1"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert _counts() == after_first
        db.session.remove()
        db.engine.dispose()
    assert database.exists()
