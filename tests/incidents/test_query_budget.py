"""SQL statements per request must not grow with the number of incidents: a
list that loads a relation per row (N+1) would show up here. Counts, not times,
so this is exact on any machine (timings live in `make bench`)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import event

from extensions import db
from incidents.demo import seed_incidents


def _statements(app: Flask, client, url: str) -> int:
    seen = {"n": 0}

    def count(*_):
        seen["n"] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen["n"]


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("manager", "/incidents"),
        ("manager", "/incidents?category=fall"),
        ("manager", "/api/v1/incidents?limit=50"),
        ("carer1", "/incidents"),
        ("manager", "/"),
    ],
)
def test_statements_per_request_do_not_grow_with_volume(app: Flask, sign_in, who, url):
    client = sign_in(who)
    with app.app_context():
        seed_incidents(10, seed=3)
        db.session.commit()
    few = _statements(app, client, url)
    with app.app_context():
        seed_incidents(80, seed=4)
        db.session.commit()
    many = _statements(app, client, url)
    assert many <= few + 1, (few, many)
