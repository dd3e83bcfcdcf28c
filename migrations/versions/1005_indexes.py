"""indexes for the pages at 200,000 incidents: the dashboard, patterns, home pages, the
review list, actions and exports (issue 17; plans in docs/scale.md)

Revision ID: 1005_indexes
Revises: 1003_staff_injury
Create Date: 2026-12-07 19:15:00

Self-contained: it only adds indexes, so it can be re-chained after another migration
without changes. INCLUDE columns (covering, for index-only scans) are PostgreSQL's;
SQLite gets the same keys without them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1005_indexes'
down_revision = '1003_staff_injury'
branch_labels = None
depends_on = None

OPEN = sa.text("status <> 'closed'")
UNDONE = sa.text("done_at IS NULL AND status <> 'does_not_apply'")

INDEXES = [
    # Counts by month, kind, harm, category and place (governance), the look-back of
    # patterns, and exports of a period: one branch's incidents in time order.
    ('ix_incident_branch_occurred', 'incident', ['branch_id', 'occurred_at'],
     {'postgresql_include': ['kind', 'harm', 'category', 'place', 'person_id', 'team_id',
                             'occurred_offset']}),
    # The review list filtered by category, newest first, and its count (index-only,
    # with the branch among the included columns). Unfiltered, the list (and the
    # API's keyset pages) walk ix_incident_received_at backwards.
    ('ix_incident_category_received_id', 'incident', ['category', 'received_at', 'id'],
     {'postgresql_include': ['branch_id']}),
    # The office's work: open incidents, newest first.
    ('ix_incident_open_received', 'incident', ['received_at'],
     {'postgresql_where': OPEN, 'sqlite_where': OPEN}),
    # Overdue duties (manager's home page, the list's overdue filter, reminders).
    ('ix_incident_decision_undone_due', 'incident_decision', ['due_at'],
     {'postgresql_where': UNDONE, 'sqlite_where': UNDONE,
      'postgresql_include': ['incident_id']}),
    # Duties due in a period (governance).
    ('ix_incident_decision_due_incident', 'incident_decision', ['due_at', 'incident_id'],
     {'postgresql_include': ['status', 'done_at']}),
    # Actions lists and home pages: a branch's actions of a status, by due date.
    ('ix_action_branch_status_due', 'action', ['branch_id', 'status', 'due', 'id'], {}),
    # Spot checks by month (governance).
    ('ix_audit_branch_conducted', 'audit', ['branch_id', 'conducted_at'],
     {'postgresql_include': ['template_id', 'score']}),
    # Completed reviews by month (governance themes).
    ('ix_learning_review_branch_completed', 'learning_review',
     ['branch_id', 'status', 'completed_at'], {}),
]


def upgrade():
    for name, table, columns, options in INDEXES:
        op.create_index(name, table, columns, **options)


def downgrade():
    for name, table, _columns, _options in reversed(INDEXES):
        op.drop_index(name, table_name=table)
