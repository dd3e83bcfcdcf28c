"""The exports' world: incidents made through the real service at chosen
moments, in NORTH (carer1, P-0001) and SOUTH (carer3, P-0011), accounts of
SOUTH only, and the files read back as the people who open them would (the csv
module, openpyxl)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import openpyxl
import pytest
from flask import Flask
from openpyxl.utils.escape import unescape

from tests.conftest import Client, StaffRef, report_as, sign_in_new_account
from tests.factories import incident_payload

# Summer time (BST) in the UK: midnight there is 23:00 UTC the day before.
JUNE = "from=2026-06-01&to=2026-06-30"
IN_JUNE = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)


@pytest.fixture
def make_incident(app: Flask, seeded: dict[str, StaffRef]) -> Any:
    """make_incident("carer1", at=moment, **payload changes) -> (id, reference)."""

    def make(author: str = "carer1", at: datetime = IN_JUNE, **changes: Any) -> tuple[str, str]:
        changes.setdefault("people_informed", [])
        body = incident_payload(
            occurred_at=at.isoformat(), reported_at=(at + timedelta(minutes=5)).isoformat()
        )
        body.update(changes)
        return report_as(app, seeded[author].id, body)

    return make


@pytest.fixture
def two_branches(make_incident: Any) -> dict[str, tuple[str, str]]:
    """An incident in June in each branch."""
    return {
        "north": make_incident("carer1"),
        "south": make_incident("carer3", person_ref="P-0011"),
    }


@pytest.fixture
def south_manager(app: Flask, seeded: dict[str, StaffRef]) -> Client:
    return sign_in_new_account(app, "south.manager@example.com", "Sol South", "manager", ["SOUTH"])


@pytest.fixture
def south_office(app: Flask, seeded: dict[str, StaffRef]) -> Client:
    return sign_in_new_account(app, "south.office@example.com", "Sam South", "office", ["SOUTH"])


def csv_rows(response: Any) -> list[dict[str, str]]:
    """The CSV file's rows by header, checking it is UTF-8 with a BOM."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def workbook(response: Any) -> Any:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return openpyxl.load_workbook(io.BytesIO(response.get_data()))


def _text(value: Any) -> Any:
    # A control character in a cell is stored escaped (a carriage return as
    # "_x000D_"), as the format says; Excel shows it, openpyxl leaves it escaped
    # in inline strings (the kind a constant-memory workbook writes).
    return unescape(value) if isinstance(value, str) else value


def xlsx_rows(response: Any) -> list[dict[str, Any]]:
    """The workbook's first sheet's rows by header."""
    sheet = workbook(response).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, map(_text, row), strict=True)) for row in rows[1:]]
