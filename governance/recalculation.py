"""Recalculated control limits (Making Data Count): after a known change, such as a
new medicines process, a manager says from which month a chart's limits are worked
out again. One list per set of branches, as the dashboard shows them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from core import dates, scoping, trail
from core.dates import month_label, uk_today
from core.errors import Invalid, OutOfScope
from core.models import Branch, Role, User
from core.permissions import require_role
from extensions import db
from governance.models import SpcRecalculation

CHART = "incidents"
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def branch_key_of(branches: Sequence[Branch]) -> str:
    return ",".join(sorted(b.code for b in branches))


def months_for(branches: Sequence[Branch], chart: str = CHART) -> list[str]:
    """The months (YYYY-MM) the chart of exactly these branches is recalculated from."""
    return list(
        db.session.scalars(
            db.select(SpcRecalculation.from_month)
            .where(SpcRecalculation.branch_key == branch_key_of(branches))
            .where(SpcRecalculation.chart == chart)
            .order_by(SpcRecalculation.from_month)
        )
    )


def list_for(branches: Sequence[Branch], chart: str = CHART) -> list[SpcRecalculation]:
    return list(
        db.session.scalars(
            db.select(SpcRecalculation)
            .where(SpcRecalculation.branch_key == branch_key_of(branches))
            .where(SpcRecalculation.chart == chart)
            .order_by(SpcRecalculation.from_month)
        )
    )


def add(
    user: User, branches: Sequence[Branch], from_month: str, reason: str, allowed: Sequence[str]
) -> SpcRecalculation:
    """Recalculate the limits of these branches' chart from `from_month`, one of
    the `allowed` months (the chart's whole months after its first)."""
    require_role(user, {Role.MANAGER})
    errors: dict[str, list[str]] = {}
    if not MONTH.match(from_month or "") or from_month not in allowed:
        errors["from_month"] = ["Choose a month from the list."]
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        errors["reason"] = ["Say what changed that month (up to 500 characters)."]
    key = branch_key_of(branches)
    if not errors and from_month in months_for(branches):
        errors["from_month"] = ["The limits are already recalculated from that month."]
    if errors:
        raise Invalid(errors)
    row = SpcRecalculation(
        branch_key=key, chart=CHART, from_month=from_month, reason=reason, author_id=user.id
    )
    db.session.add(row)
    db.session.flush()
    trail.record(user, "create", "spc_recalculation", row.id, branches=key, month=from_month)
    db.session.commit()
    return row


def remove(user: User, recalculation_id: int) -> None:
    """Take a recalculation away (only one of the manager's own branch sets)."""
    require_role(user, {Role.MANAGER})
    row = db.session.get(SpcRecalculation, recalculation_id)
    mine = {b.code for b in scoping.branches_for(user)}
    if row is None or not set(row.branch_key.split(",")) <= mine:
        raise OutOfScope
    trail.record(
        user, "delete", "spc_recalculation", row.id, branches=row.branch_key, month=row.from_month
    )
    db.session.delete(row)
    db.session.commit()


def recalculation_months(months: int) -> list[str]:
    """The months a chart of the last `months` months may be recalculated from:
    its whole months, except the first (a step needs months before it)."""
    period = dates.last_months(uk_today(), months)
    whole = period.complete_months(dates.utcnow())
    return whole[1:]


def recalculation_form(
    branches: Sequence[Branch],
    figures: dict[str, Any],
    filters: dict[str, Any],
    values: dict[str, Any],
    errors: dict[str, list[str]],
) -> dict[str, Any]:
    """What the dashboard's "recalculate the limits" section shows."""
    whole = [m for m in figures["incidents"]["months"] if m["complete"]][1:]
    return {
        "rows": [
            {"id": r.id, "label": month_label(r.from_month), "reason": r.reason}
            for r in list_for(branches)
        ],
        "choices": [(m["month"], m["label"]) for m in whole],
        "branch": filters.get("branch") or "",
        "months_value": filters.get("months"),
        "values": values,
        "errors": errors,
    }
