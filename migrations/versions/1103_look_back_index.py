"""ix_incident_branch_occurred also covers id and reference: the patterns' look-back
(repeats for one person, the reviewed incidents, the incidents a pattern lists) read
by index-only scans (issue 17; docs/scale.md, "Patterns at 200,000, second pass")

Revision ID: 1103_look_back_index
Revises: 1102_incident_month_counts
Create Date: 2026-12-08 00:15:00

Self-contained. INCLUDE columns are PostgreSQL's: on SQLite the index (branch_id,
occurred_at) is the same before and after, so nothing is done there.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "1103_look_back_index"
down_revision = "1102_incident_month_counts"
branch_labels = None
depends_on = None

NAME, TABLE, KEYS = "ix_incident_branch_occurred", "incident", ["branch_id", "occurred_at"]
BEFORE = ["kind", "harm", "category", "place", "person_id", "team_id", "occurred_offset"]
AFTER = [*BEFORE, "id", "reference"]


def _replace(include: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(NAME, table_name=TABLE)
    op.create_index(NAME, TABLE, KEYS, postgresql_include=include)


def upgrade():
    _replace(AFTER)


def downgrade():
    _replace(BEFORE)
