"""The denominators export: each branch's visits and people supported for every
month with a day in the period, within the caller's branches, as CSV and as a
workbook with typed numbers, on the audit trail."""

from __future__ import annotations

import pytest

from core.models import Branch, TrailEvent, User
from extensions import db
from governance.models import Denominator
from tests.exports.conftest import csv_rows, xlsx_rows

# May to July 2026: the middle of May to the middle of July touches all three.
PERIOD = "from=2026-05-15&to=2026-07-14"


@pytest.fixture
def entered(app, seeded):
    """NORTH and SOUTH figures for April to August 2026 (SOUTH without care hours)."""
    with app.app_context():
        manager_id = db.session.scalar(
            db.select(User.id).where(User.email == "manager@example.com")
        )
        for code, visits, hours in (("NORTH", 900, 480), ("SOUTH", 600, None)):
            branch = db.session.scalar(db.select(Branch).where(Branch.code == code))
            for month in ("2026-04", "2026-05", "2026-06", "2026-07", "2026-08"):
                db.session.add(
                    Denominator(
                        branch_id=branch.id,
                        month=month,
                        visits=visits + int(month[-1]),
                        people_supported=10,
                        care_hours=hours,
                        updated_by_id=manager_id,
                    )
                )
        db.session.commit()
        db.session.remove()


def test_the_months_touching_the_period_for_every_branch_in_order(sign_in, entered):
    rows = csv_rows(sign_in("manager").get(f"/exports/denominators.csv?{PERIOD}"))
    assert [(r["month"], r["branch"], r["visits"], r["care_hours"]) for r in rows] == [
        ("2026-05", "NORTH", "905", "480"),
        ("2026-05", "SOUTH", "605", ""),
        ("2026-06", "NORTH", "906", "480"),
        ("2026-06", "SOUTH", "606", ""),
        ("2026-07", "NORTH", "907", "480"),
        ("2026-07", "SOUTH", "607", ""),
    ]
    assert {r["people_supported"] for r in rows} == {"10"}


def test_the_workbook_agrees_with_the_csv_file_and_has_numbers(sign_in, entered):
    client = sign_in("office")
    from_csv = csv_rows(client.get(f"/exports/denominators.csv?{PERIOD}"))
    from_xlsx = xlsx_rows(client.get(f"/exports/denominators.xlsx?{PERIOD}"))
    assert [(r["month"], r["branch"], r["visits"]) for r in from_xlsx] == [
        (r["month"], r["branch"], int(r["visits"])) for r in from_csv
    ]


def test_a_south_manager_gets_no_north_rows_and_north_is_not_found(south_manager, entered):
    rows = csv_rows(south_manager.get(f"/exports/denominators.csv?{PERIOD}"))
    assert {r["branch"] for r in rows} == {"SOUTH"}
    assert len(rows) == 3
    url = f"/exports/denominators.csv?{PERIOD}&branch=NORTH"
    assert south_manager.get(url).status_code == 404


@pytest.mark.parametrize("role", ["carer1", "supervisor"])
def test_carers_and_supervisors_may_not(sign_in, entered, role):
    assert sign_in(role).get(f"/exports/denominators.csv?{PERIOD}").status_code == 403


def test_the_export_is_on_the_trail(app, sign_in, entered):
    csv_rows(sign_in("manager").get(f"/exports/denominators.csv?{PERIOD}&branch=NORTH"))
    with app.app_context():
        event = db.session.scalar(db.select(TrailEvent).where(TrailEvent.action == "export"))
        assert event.record_id == "denominators"
        assert event.detail["rows"] == 3
        assert event.detail["branch"] == "NORTH"


def test_the_exports_page_offers_it(sign_in):
    html = sign_in("manager").get("/exports").get_data(as_text=True)
    assert 'value="denominators"' in html
