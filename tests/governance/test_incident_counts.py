"""The dashboard's incident counts come from the summary table for a manager's
whole months (and from the incidents for a meeting's part-months): the same figures
as counting the incidents, safeguarding ones included."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from core import dates, scoping
from extensions import db
from governance import figures
from incidents.models import IncidentMonthCount
from tests.governance.conftest import in_month, month_start, twelve_months
from tests.learning.conftest import make_incident


def _seed(staff):
    north, south = staff["carer1"], staff["carer3"]
    make_incident(north, in_month(1), kind="near_miss", harm="none")
    make_incident(north, in_month(2, day=1, hour=0), kind="incident", category="fall", harm="low")
    make_incident(north, in_month(3, day=28), category="safeguarding", kind="incident", harm="low")
    make_incident(
        south, in_month(2), kind="near_miss", harm="none", place="kitchen", person_ref="P-0011"
    )
    make_incident(north, in_month(13), kind="near_miss", harm="none")


@pytest.mark.parametrize(
    "period",
    [
        pytest.param(twelve_months, id="twelve whole months"),
        pytest.param(
            lambda: dates.Period(
                month_start(3) + timedelta(days=20), month_start(1) + timedelta(days=5)
            ),
            id="a meeting's part-months",
        ),
    ],
)
def test_a_managers_counts_from_the_summary_equal_the_incidents(staff, period):
    _seed(staff)
    manager, chosen = staff["manager"], scoping.branches_for(staff["manager"])
    ids = [b.id for b in chosen]
    wanted = period()
    summary = Counter({tuple(r[:-1]): r[-1] for r in figures._incident_rows(manager, ids, wanted)})
    live = figures._live_rows(manager, ids, wanted.months, wanted.starts_at, wanted.ends_at)
    assert summary == Counter({tuple(r[:-1]): r[-1] for r in live})
    assert sum(summary.values()) >= 2


def test_the_dashboard_reads_the_summary_for_whole_months(staff):
    """What the summary says is what the dashboard shows (proof it is read)."""
    _seed(staff)
    db.session.execute(IncidentMonthCount.__table__.update().values(n=IncidentMonthCount.n * 10))
    branches = scoping.branches_for(staff["manager"])
    shown = figures.dashboard_figures(staff["manager"], branches, twelve_months())
    assert shown["incidents"]["total"] == 40
