"""records_seen: when office staff last looked at the new records

Revision ID: 0804_records_seen
Revises: 0803_archiving
Create Date: 2026-12-07 16:45:00

Self-contained: it only adds its own table, so it can be re-chained after another
migration without changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0804_records_seen'
down_revision = '0803_archiving'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'records_seen',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
    )


def downgrade():
    op.drop_table('records_seen')
