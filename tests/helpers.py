"""Small helpers more than one test package uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event

from extensions import db


def statements_for(app: Flask, client: Any, url: str) -> int:
    """How many SQL statements one GET of `url` runs (it must answer 200)."""
    with statements_during(app) as seen:
        assert client.get(url).status_code == 200
    return len(seen)


def statements_at_two_volumes(app: Flask, client: Any, url: str) -> tuple[int, int]:
    """Statements for one GET of `url` over 10 seeded incidents, then over 90."""
    from incidents.demo import seed_incidents

    counts = []
    for number, seed in ((10, 3), (80, 4)):
        with app.app_context():
            seed_incidents(number, seed=seed)
            db.session.commit()
        counts.append(statements_for(app, client, url))
    return counts[0], counts[1]


@contextmanager
def statements_during(app: Flask) -> Iterator[list[str]]:
    """The SQL statements run inside the `with` block, in order."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
