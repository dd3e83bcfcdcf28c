"""Import files written the way spreadsheets save them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from core.models import Branch, Team
from extensions import db

PEOPLE_HEADER = "ref,initials,branch"
STAFF_HEADER = "email,name,role,branches,team"


def excel_csv(header: str, *rows: str) -> bytes:
    """As Excel's "CSV UTF-8" writes it: a byte-order mark and CRLF line ends."""
    return ("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode("utf-8")


def plain_csv(header: str, *rows: str) -> bytes:
    """As Google Sheets writes it: no byte-order mark, LF line ends."""
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def add_team(app: Flask, code: str, name: str) -> int:
    """A team of the branch with this code (the demo world has none)."""
    with app.app_context():
        branch = db.session.scalar(db.select(Branch).where(Branch.code == code))
        team = Team(branch_id=branch.id, name=name)
        db.session.add(team)
        db.session.commit()
        team_id = team.id
        db.session.remove()
    return team_id


@pytest.fixture
def teams(app: Flask, seeded: dict[str, Any]) -> dict[str, int]:
    return {
        "Town centre": add_team(app, "NORTH", "Town centre"),
        "Harbour": add_team(app, "SOUTH", "Harbour"),
    }
