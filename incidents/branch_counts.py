"""What incidents add to each branch's figures (core.branches): its open
incidents, which stop the branch being archived."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func

from core import branches
from extensions import db
from incidents.models import Incident, Status


def open_incidents_by_branch(branch_ids: list[int]) -> dict[int, int]:
    """Incidents not yet closed (any status before "closed"), per branch."""
    rows = db.session.execute(
        db.select(Incident.branch_id, func.count(Incident.id))
        .where(Incident.status != Status.CLOSED.value, Incident.branch_id.in_(branch_ids))
        .group_by(Incident.branch_id)
    )
    return {branch_id: int(n) for branch_id, n in rows}


def _refusal(code: str, number: int) -> str:
    incidents = "1 incident that is" if number == 1 else f"{number} incidents that are"
    return f"{code} has {incidents} not closed yet. Close them first, then archive the branch."


def init_app(app: Flask) -> None:
    branches.add_branch_count(
        app, "open_incidents", "Open incidents", open_incidents_by_branch,
        refusal=_refusal, order=10,
    )  # fmt: skip
