"""The period is whole UK calendar days, both included: in summer (BST) a UK
day starts at 23:00 UTC the day before, in winter (GMT) at midnight UTC. And
the records are read a batch at a time by keyset, none repeated or skipped,
whatever ties there are in time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.dates import Period
from core.models import User
from exports.batches import in_batches
from exports.datasets import INCIDENTS
from extensions import db
from tests.exports.conftest import csv_rows

# (moment, a UK day it falls on): each just inside or outside a day's edge.
EDGES = [
    (datetime(2026, 6, 30, 22, 59, tzinfo=UTC), date(2026, 6, 30)),  # 23:59 BST
    (datetime(2026, 6, 30, 23, 0, tzinfo=UTC), date(2026, 7, 1)),  # midnight BST
    (datetime(2026, 7, 31, 22, 59, tzinfo=UTC), date(2026, 7, 31)),
    (datetime(2026, 7, 31, 23, 30, tzinfo=UTC), date(2026, 8, 1)),  # 00:30 BST
    (datetime(2026, 11, 30, 23, 59, tzinfo=UTC), date(2026, 11, 30)),  # GMT: UTC is UK time
    (datetime(2026, 12, 1, 0, 0, tzinfo=UTC), date(2026, 12, 1)),
]


@pytest.fixture
def on_the_edges(make_incident) -> dict[date, set[str]]:
    days: dict[date, set[str]] = {}
    for moment, day in EDGES:
        incident_id, _ = make_incident(at=moment)
        days.setdefault(day, set()).add(incident_id)
    return days


def _ids(client, first: str, last: str) -> set[str]:
    return {r["id"] for r in csv_rows(client.get(f"/exports/incidents.csv?from={first}&to={last}"))}


def test_july_in_summer_time_is_bst_days(sign_in, on_the_edges):
    july = on_the_edges[date(2026, 7, 1)] | on_the_edges[date(2026, 7, 31)]
    assert _ids(sign_in("manager"), "2026-07-01", "2026-07-31") == july


def test_a_single_day_is_that_uk_day_alone(sign_in, on_the_edges):
    assert _ids(sign_in("manager"), "2026-06-30", "2026-06-30") == on_the_edges[date(2026, 6, 30)]


def test_november_in_winter_is_gmt_days(sign_in, on_the_edges):
    november = on_the_edges[date(2026, 11, 30)]
    assert _ids(sign_in("manager"), "2026-11-01", "2026-11-30") == november


def test_the_times_in_the_file_are_uk_times(sign_in, on_the_edges):
    rows = csv_rows(sign_in("manager").get("/exports/incidents.csv?from=2026-07-01&to=2026-07-01"))
    assert [r["occurred_at"] for r in rows] == ["2026-07-01 00:00:00"]


def test_batches_read_every_record_once_in_order_despite_ties(app_ctx, staff, make_incident):
    same = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)
    made = [make_incident(at=same)[0] for _ in range(5)]
    made += [make_incident(at=datetime(2026, 6, 11, 8, n, tzinfo=UTC))[0] for n in range(4)]
    manager = db.session.get_one(User, staff["manager"].id)
    stmt = INCIDENTS.statement(manager, Period(date(2026, 6, 1), date(2026, 6, 30)), None)
    batches = list(in_batches(stmt, INCIDENTS.moment, INCIDENTS.key, INCIDENTS.key_of, size=2))
    assert [len(b) for b in batches] == [2, 2, 2, 2, 1]
    read = [i.id for batch in batches for i in batch]
    assert sorted(read) == sorted(made)
    assert read[:5] == sorted(made[:5])
