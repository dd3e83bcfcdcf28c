"""Each export holds the records of the caller's branches only: a manager or
office account of SOUTH gets no NORTH row in any file, a branch that is not
theirs is 404 (as if it did not exist), and office staff never get a record that
may be safeguarding (managers only, as on every page)."""

from __future__ import annotations

import pytest

from tests.exports.conftest import JUNE, csv_rows, xlsx_rows

WHAT = ["incidents", "duties"]


@pytest.mark.parametrize("what", WHAT)
def test_a_south_manager_gets_no_north_rows(south_manager, two_branches, what):
    rows = csv_rows(south_manager.get(f"/exports/{what}.csv?{JUNE}"))
    assert rows
    assert {r["branch"] for r in rows} == {"SOUTH"}


def test_a_south_manager_gets_no_north_incident(south_manager, two_branches):
    rows = csv_rows(south_manager.get(f"/exports/incidents.csv?{JUNE}"))
    assert [r["id"] for r in rows] == [two_branches["south"][0]]


def test_the_workbook_is_scoped_as_the_csv_file(south_office, two_branches):
    rows = xlsx_rows(south_office.get(f"/exports/incidents.xlsx?{JUNE}"))
    assert [r["id"] for r in rows] == [two_branches["south"][0]]


@pytest.mark.parametrize("what", ["incidents", "actions", "audits", "duties"])
def test_another_branch_is_not_found(south_manager, two_branches, what):
    assert south_manager.get(f"/exports/{what}.csv?{JUNE}&branch=NORTH").status_code == 404


def test_a_branch_that_does_not_exist_is_not_found_either(south_manager):
    assert south_manager.get(f"/exports/incidents.csv?{JUNE}&branch=WEST").status_code == 404


def test_choosing_one_of_ones_branches_narrows_the_file(sign_in, two_branches):
    rows = csv_rows(sign_in("manager").get(f"/exports/incidents.csv?{JUNE}&branch=north"))
    assert [r["id"] for r in rows] == [two_branches["north"][0]]


def _safeguarding(make_incident):
    return make_incident(
        kind="incident",
        category="safeguarding",
        medication_error=None,
        harm="low",
        thresholds={"safeguarding": "yes", "clinical_escalation": "no", "family_contact": "no"},
    )


@pytest.mark.parametrize("what", WHAT)
def test_office_staff_get_no_record_that_may_be_safeguarding(sign_in, make_incident, what):
    make_incident()
    hidden, _ = _safeguarding(make_incident)
    rows = csv_rows(sign_in("office").get(f"/exports/{what}.csv?{JUNE}"))
    assert rows
    assert hidden not in {r.get("id") for r in rows} | {r.get("incident_id") for r in rows}


def test_managers_get_the_records_that_may_be_safeguarding(sign_in, make_incident):
    shown, _ = _safeguarding(make_incident)
    rows = csv_rows(sign_in("manager").get(f"/exports/incidents.csv?{JUNE}"))
    assert [r["id"] for r in rows] == [shown]
