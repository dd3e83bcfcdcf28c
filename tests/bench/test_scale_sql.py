"""`make bench` times each page against hand-written SQL (bench/scale_sql.py): these
tests prove, on a small generated database, that the SQL computes the same figures as
the page, so the bench compares like with like."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from actions import due
from bench import scale_sql
from core.dates import last_months, uk_today, utcnow
from core.models import Branch, User
from extensions import db
from governance.figures import dashboard_figures
from incidents import decisions, office_work
from incidents.search import IncidentFilters, search
from incidents.services import visible_incidents
from learning import bulk_demo, patterns
from tests.conftest import StaffRef

SIZE = 240


@pytest.fixture
def world(app: Flask, templates: dict[str, StaffRef]) -> Iterator[dict[str, Any]]:
    """A generated database of SIZE incidents (in bulk, as `seed-demo` makes
    thousands), with the manager and office accounts and the SQL's view of them."""
    with app.app_context():
        bulk_demo.seed_bulk(SIZE, seed=5)
        yield {
            "manager": db.session.scalar(
                db.select(User).where(User.email == "manager@example.com")
            ),
            "office": db.session.scalar(db.select(User).where(User.email == "office@example.com")),
            "me": scale_sql.who(db.session.connection()),
            "today": uk_today(),
        }
        db.session.rollback()


def test_governance_sql_counts_what_the_dashboard_counts(world: dict[str, Any]):
    branches = list(db.session.scalars(db.select(Branch).order_by(Branch.code)))
    page = dashboard_figures(world["manager"], branches, last_months(world["today"], 12))
    sql = scale_sql.governance(db.session.connection(), world["me"], world["today"])
    months: Counter[tuple[str, str]] = Counter()
    harm: Counter[str] = Counter()
    for month, kind, harm_level, _category, _place, n in sql["incidents"]:
        months[(month, kind)] += n
        harm[harm_level] += n
    assert page["incidents"]["total"] == sum(months.values()) > 0
    assert {(m["month"], "incident"): m["incidents"] for m in page["incidents"]["months"]} == {
        (m["month"], "incident"): months[(m["month"], "incident")]
        for m in page["incidents"]["months"]
    }
    assert {h["value"]: h["count"] for h in page["incidents"]["harm"]} == {
        h["value"]: harm[h["value"]] for h in page["incidents"]["harm"]
    }
    duties = page["duties"]
    assert (duties["due"], duties["on_time"], duties["late"], duties["overdue"]) == sql["duties"]
    actions = page["actions"]
    assert (
        actions["raised"],
        actions["done"],
        actions["verified_effective"],
        actions["not_effective"],
        actions["overdue"],
    ) == sql["actions"]
    assert sorted((r["template"], r["month"], r["count"]) for r in page["spot_checks"]) == sorted(
        (slug, month, n) for slug, month, n, _ in sql["spot_checks"]
    )
    assert page["themes"]["reviews"] == sql["themes"]


def _band(hour: int) -> int:
    return next(
        n
        for n, (_, start, end) in enumerate(patterns.TIME_BANDS)
        if (start < end and start <= hour < end) or (start > end and (hour >= start or hour < end))
    )


def test_patterns_sql_counts_the_incidents_each_hotspot_and_repeat_holds(world: dict[str, Any]):
    report = patterns.find_patterns(world["manager"], patterns.PatternSettings())
    sql = scale_sql.patterns(db.session.connection(), world["me"], world["today"])
    postgres = db.session.get_bind().dialect.name == "postgresql"
    bands: Counter[tuple[str, int]] = Counter()
    for category, hour, n in sql["hours"]:
        bands[(category, _band(int(hour)))] += n
    days = Counter(
        {
            (category, (int(day) - 1) if postgres else (int(day) + 6) % 7): n
            for category, day, n in sql["weekdays"]
        }
    )
    found = [p for p in report.hotspots if p.kind in ("time_of_day", "weekday")]
    assert found
    for pattern in found:
        _, category, n = pattern.key.split(":")
        counts = bands if pattern.kind == "time_of_day" else days
        assert len(pattern.incidents) == counts[(category, int(n))], pattern.key
    repeated = {(p.incidents[0].person_id, p.incidents[0].category) for p in report.repeats}
    assert repeated == {(person, category) for person, category, n in sql["repeats"] if n >= 3}


def test_manager_home_sql_finds_the_same_duties_and_actions(world: dict[str, Any]):
    manager, today = world["manager"], world["today"]
    overdue, total = decisions.overdue_decisions(visible_incidents(manager), utcnow(), limit=10)
    home = due.home_actions(manager, today, 7)
    sql = scale_sql.manager_home(db.session.connection(), world["me"], today)
    assert (total, [d.id for d in overdue]) == (
        sql["overdue_duties"],
        [r[0] for r in sql["first_overdue"]],
    )
    for view in ("overdue", "due_soon", "to_verify"):
        count, first = sql[view]
        assert (home.counts[view], [a.id for a in getattr(home, view)]) == (
            count,
            [r[0] for r in first],
        ), view


def test_office_home_sql_counts_the_same_work(world: dict[str, Any]):
    office = world["office"]
    page = office_work.office_home(visible_incidents(office), office, utcnow())
    sql = scale_sql.office_home(db.session.connection(), world["me"], world["today"])
    newest = sql.pop("newest")
    assert {i.work.value: (i.count, [x.id for x in i.incidents]) for i in page.items} == {
        work: (count, [r[0] for r in rows]) for work, (count, rows) in sql.items()
    }
    assert page.newest is not None
    assert page.newest.isoformat()[:19] == str(newest).replace(" ", "T")[:19]


def test_review_list_sql_lists_the_same_falls(world: dict[str, Any]):
    page = search(world["manager"], IncidentFilters(category="fall"), 25)
    sql = scale_sql.review_list(db.session.connection(), world["me"], world["today"])
    assert (page.total, [i.id for i in page.items]) == (sql["total"], sql["ids"])


def test_actions_sql_lists_the_same_open_actions(world: dict[str, Any]):
    page = due.page_of_actions(world["manager"], "open", world["today"], 7, 1, 50)
    total, first = scale_sql.actions_list(db.session.connection(), world["me"], world["today"])
    assert (page.total, [a.id for a in page.items]) == (total, [r[0] for r in first])
    assert page.items


def test_export_sql_selects_the_rows_the_export_writes(world: dict[str, Any], sign_in: Any):
    first, last = scale_sql.export_window(world["today"])
    sql = scale_sql.incidents_export(db.session.connection(), world["me"], world["today"])
    db.session.commit()
    client = sign_in("manager")
    response = client.get(f"/exports/incidents.csv?from={first}&to={last}")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(r["reference"] for r in rows) == sorted(r.reference for r in sql) != []
    # Every value the file has: its columns, one for one.
    assert len(sql[0]) == len(rows[0]) == 30
