"""The dashboard's summary of incidents per branch, UK month, kind, harm, category and
place (incidents/month_counts.py) equals the count of the incidents themselves after
the ways incidents are written: reports, triage changes, corrections of when, where
and which branch, a deletion, and a rebuild."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from core.buckets import month_of
from core.models import Branch
from extensions import db
from incidents import month_counts, triage
from incidents.models import Incident, IncidentMonthCount
from tests.learning.conftest import make_incident

# Around the end of British Summer Time and a month's end (UK midnight is 23:00 UTC
# in summer): the month is the UK month, not the UTC one.
MOMENTS = [
    datetime(2026, 3, 31, 22, 30, tzinfo=UTC),  # 31 Mar 23:30 UK (BST starts 29 Mar)
    datetime(2026, 3, 31, 23, 30, tzinfo=UTC),  # 1 Apr 00:30 UK
    datetime(2026, 10, 31, 23, 30, tzinfo=UTC),  # 31 Oct 23:30 UK (GMT again)
    datetime(2026, 11, 1, 0, 30, tzinfo=UTC),
]


def _summary() -> Counter[tuple[Any, ...]]:
    rows = db.session.execute(
        select(
            IncidentMonthCount.branch_id, IncidentMonthCount.month, IncidentMonthCount.kind,
            IncidentMonthCount.harm, IncidentMonthCount.category, IncidentMonthCount.place,
            IncidentMonthCount.n,
        )
    )  # fmt: skip
    return Counter({tuple(r[:-1]): r[-1] for r in rows if r[-1]})


def _slow_count() -> Counter[tuple[Any, ...]]:
    """The GROUP BY the summary stands for."""
    first, last = db.session.execute(
        select(func.min(Incident.occurred_at), func.max(Incident.occurred_at))
    ).one()
    month = month_of(Incident.occurred_at, month_counts._months(first, last))
    place = func.coalesce(Incident.place, "")
    columns = (Incident.branch_id, month, Incident.kind, Incident.harm, Incident.category, place)
    rows = db.session.execute(select(*columns, func.count()).group_by(*columns))
    return Counter({tuple(r[:-1]): r[-1] for r in rows})


def _report(user: Any, occurred: datetime | None = None, **changes: Any) -> Incident:
    return make_incident(user, occurred, **changes)


def _triage(manager: Any, incident: Incident, **changes: Any) -> None:
    values = {
        "kind": incident.kind,
        "category": incident.category,
        "medication_error": incident.medication_error,
        "harm": incident.harm,
        "reason": "Checked with the family.",
        "status": "triaged",
        "reviewer_id": None,
        "feedback": "",
        **changes,
    }
    triage.triage(manager, incident, version=incident.version, **values)
    db.session.commit()


def test_the_summary_equals_the_count_after_reports_triage_corrections_and_a_deletion(staff):
    carer, manager = staff["carer1"], staff["manager"]
    made = [_report(carer, occurred=m) for m in MOMENTS]
    made.append(_report(carer, category="fall", place="bathroom"))
    made.append(_report(carer, category="fall", kind="incident", harm="low"))
    assert _summary() == _slow_count()

    # Triage: the kind, harm and category as the manager finds them.
    _triage(manager, made[0], kind="incident", harm="moderate")
    _triage(manager, made[1], category="fall", medication_error=None)
    _triage(manager, made[4], harm="none")  # confirmed, nothing counted changes
    assert _summary() == _slow_count()

    # Corrections of when, where and which branch, on records not read first.
    db.session.expire_all()
    made[2].occurred_at = MOMENTS[0]
    made[4].place = None
    made[5].place = "kitchen"
    other = db.session.scalars(select(Branch).where(Branch.id != made[3].branch_id)).first()
    assert other is not None
    made[3].branch_id = other.id
    db.session.commit()
    assert _summary() == _slow_count()

    # Two changes in one transaction, flushed twice, then a deletion.
    made[0].harm = "low"
    db.session.flush()
    made[0].harm = "severe"
    db.session.delete(made[1])
    db.session.commit()
    assert _summary() == _slow_count()
    assert sum(_summary().values()) == len(made) - 1


def test_a_rolled_back_change_leaves_the_summary_as_it_was(staff):
    incident = _report(staff["carer1"])
    db.session.commit()
    before = _summary()
    incident.category = "fall"
    db.session.flush()
    db.session.rollback()
    assert _summary() == before == _slow_count()


def test_a_rebuild_makes_the_same_summary(staff):
    for moment in MOMENTS:
        _report(staff["carer1"], occurred=moment)
    db.session.commit()
    kept = _summary()
    db.session.execute(IncidentMonthCount.__table__.delete())
    assert _summary() == Counter()
    month_counts.rebuild()
    db.session.commit()
    assert _summary() == kept == _slow_count()


def test_the_rebuild_command_reports_the_rows(app, staff):
    _report(staff["carer1"])
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["rebuild-incident-counts"])
    assert result.exit_code == 0, result.output
    assert "Incident counts rebuilt: 1 rows." in result.output
