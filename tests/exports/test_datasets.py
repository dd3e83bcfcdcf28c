"""What the incidents file's rows name, read a batch at a time (exports/datasets.py):
a reporter no longer in the exporter's branches, who was informed."""

from __future__ import annotations

from collections import namedtuple
from datetime import UTC, datetime, timedelta

from core.models import Branch, User
from exports.columns import Batch
from exports.datasets import _people_informed
from extensions import db
from tests.exports.conftest import IN_JUNE, JUNE, csv_rows


def _move(app, email: str, code: str) -> str:
    """Move an account to one branch only; its name."""
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        user.branches = [db.session.scalar(db.select(Branch).where(Branch.code == code))]
        name = user.name
        db.session.commit()
        db.session.remove()
    return name


def test_a_reporter_since_moved_to_another_branch_is_named(app, south_manager, make_incident):
    make_incident("carer3", person_ref="P-0011")
    name = _move(app, "carer3@example.com", "NORTH")
    [row] = csv_rows(south_manager.get(f"/exports/incidents.csv?{JUNE}"))
    assert (row["reporter"], row["branch"]) == (name, "SOUTH")


def test_a_reporter_since_moved_has_a_pseudonym_when_anonymised(app, south_manager, make_incident):
    make_incident("carer3", person_ref="P-0011")
    _move(app, "carer3@example.com", "NORTH")
    rows = csv_rows(south_manager.get(f"/exports/incidents.csv?{JUNE}&anonymised=1"))
    assert [r["reporter"] for r in rows] == ["Staff 1"]


def test_who_was_informed_is_listed_in_order(sign_in, make_incident):
    at = (IN_JUNE + timedelta(minutes=10)).isoformat()
    told = [{"who": w, "at": at, "method": "phone"} for w in ("manager", "family")]
    make_incident(people_informed=told)
    make_incident(at=IN_JUNE + timedelta(hours=1))
    rows = csv_rows(sign_in("manager").get(f"/exports/incidents.csv?{JUNE}"))
    assert [r["people_informed"] for r in rows] == ["manager; family", ""]


Row = namedtuple("Row", ["people_informed"])


def test_who_was_informed_when_a_row_holds_none():
    texts = ['[{"who": "gp"}]', None, "[]", '[{"who": "family"}, {"who": 3}]']
    batch = Batch([Row(t) for t in texts], datetime.now(UTC))
    assert _people_informed(batch) == ["gp", "", "", "family; 3"]
