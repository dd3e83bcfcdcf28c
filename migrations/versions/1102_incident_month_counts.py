"""incident_month_count: incidents per branch, UK month, kind, harm, category and
place, the governance dashboard's counts (issue 17; incidents/month_counts.py keeps it)

Revision ID: 1102_incident_month_counts
Revises: 1005_indexes
Create Date: 2026-12-07 20:30:00

Self-contained: it adds its own table and fills it from the incidents already there
(the same figures as `flask rebuild-incident-counts`), with the UK months' first
moments in UTC worked out here, so neither database needs time-zone support.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "1102_incident_month_counts"
down_revision = "1005_indexes"
branch_labels = None
depends_on = None

UK = ZoneInfo("Europe/London")


def _next(first: date) -> date:
    return date(first.year + (first.month == 12), first.month % 12 + 1, 1)


def _fill() -> None:
    conn = op.get_bind()
    first, last = conn.execute(
        sa.text("SELECT min(occurred_at), max(occurred_at) FROM incident")
    ).one()
    if first is None:
        return
    if isinstance(first, str):  # SQLite without the model's type
        first, last = datetime.fromisoformat(first), datetime.fromisoformat(last)
    first, last = (m if m.tzinfo else m.replace(tzinfo=UTC) for m in (first, last))
    month = first.astimezone(UK).date().replace(day=1)
    end = last.astimezone(UK).date()
    cases: list[str] = []
    params: list[sa.BindParameter] = []
    while month <= end:
        after = _next(month)
        moment = datetime(after.year, after.month, 1, tzinfo=UK).astimezone(UTC)
        params.append(sa.bindparam(f"m{len(cases)}", moment, type_=sa.DateTime(timezone=True)))
        cases.append(f"WHEN occurred_at < :m{len(cases)} THEN '{month:%Y-%m}'")
        month = after
    bucket = f"CASE {' '.join(cases)} ELSE '{end:%Y-%m}' END"
    conn.execute(
        sa.text(
            "INSERT INTO incident_month_count "
            "(branch_id, month, kind, harm, category, place, n) "
            f"SELECT branch_id, {bucket}, kind, harm, category, coalesce(place, ''), count(*) "
            f"FROM incident GROUP BY branch_id, {bucket}, kind, harm, category, "
            "coalesce(place, '')"
        ).bindparams(*params)
    )


def upgrade():
    op.create_table(
        "incident_month_count",
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("harm", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("place", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_incident_month_count_branch_id_branch")
        ),
        sa.PrimaryKeyConstraint(
            "branch_id", "month", "kind", "harm", "category", "place",
            name=op.f("pk_incident_month_count"),
        ),
    )  # fmt: skip
    _fill()


def downgrade():
    op.drop_table("incident_month_count")
