"""The anonymised option: no column of free text (what happened, what was done,
notes, feedback), and no person's reference or staff name anywhere in the file,
each replaced by a pseudonym that is the same for the same person throughout."""

from __future__ import annotations

import pytest

from core.models import PersonSupported, User
from exports.datasets import DATASETS
from extensions import db
from tests.exports.conftest import JUNE, csv_rows, xlsx_rows


@pytest.fixture
def reported(make_incident):
    """Two reports about P-0001 by carer1 and one about P-0011 by carer3."""
    make_incident(what_happened="Found on the floor by Mrs Smith's bed.")
    make_incident(location="14 Acacia Road")
    make_incident("carer3", person_ref="P-0011")


def _names_and_refs(app) -> set[str]:
    with app.app_context():
        names = set(db.session.scalars(db.select(User.name)))
        refs = set(db.session.scalars(db.select(PersonSupported.ref)))
        db.session.remove()
    return names | refs


@pytest.mark.parametrize("what", ["incidents", "actions", "audits", "duties"])
def test_no_column_of_free_text(sign_in, reported, what):
    free_text = {c.name for c in DATASETS[what].columns if c.free_text}
    response = sign_in("manager").get(f"/exports/{what}.csv?{JUNE}&anonymised=1")
    header = response.get_data(as_text=True).lstrip("\ufeff").splitlines()[0].split(",")
    assert free_text
    assert header
    assert not set(header) & free_text


def test_the_free_text_left_out_is_what_staff_write():
    free_text = {c.name for c in DATASETS["incidents"].columns if c.free_text}
    assert {"what_happened", "immediate_actions", "location", "feedback"} <= free_text


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_no_free_text_person_reference_or_staff_name_in_the_file(
    app, sign_in, reported, file_format
):
    response = sign_in("manager").get(f"/exports/incidents.{file_format}?{JUNE}&anonymised=1")
    rows = csv_rows(response) if file_format == "csv" else xlsx_rows(response)
    cells = {str(v) for row in rows for v in row.values() if v is not None}
    assert len(rows) == 3
    assert not cells & _names_and_refs(app)
    assert not [c for c in cells if "Smith" in c or "Acacia" in c or c.startswith("P-0")]


def test_the_same_person_has_the_same_pseudonym_throughout(sign_in, reported):
    manager = sign_in("manager")
    plain = {r["id"]: r for r in csv_rows(manager.get(f"/exports/incidents.csv?{JUNE}"))}
    hidden = csv_rows(manager.get(f"/exports/incidents.csv?{JUNE}&anonymised=1"))
    for column, named in (("person_ref", "Person"), ("reporter", "Staff")):
        pairs = {(plain[r["id"]][column], r[column]) for r in hidden}
        assert len(pairs) == 2, column  # two people, each always under one pseudonym
        assert {p for p, _ in pairs} != {q for _, q in pairs}
        assert {q for _, q in pairs} == {f"{named} 1", f"{named} 2"}


def test_without_the_option_the_file_has_them(sign_in, reported):
    rows = csv_rows(sign_in("manager").get(f"/exports/incidents.csv?{JUNE}"))
    assert sorted(r["person_ref"] for r in rows) == ["P-0001", "P-0001", "P-0011"]
    assert "Found on the floor by Mrs Smith's bed." in {r["what_happened"] for r in rows}


def test_the_anonymised_file_says_so_in_its_name(sign_in, reported):
    response = sign_in("manager").get(f"/exports/incidents.xlsx?{JUNE}&anonymised=1")
    assert (
        "incidents-2026-06-01-to-2026-06-30-anonymised.xlsx"
        in (response.headers["Content-Disposition"])
    )
