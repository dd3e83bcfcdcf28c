"""archiving: archived branches, and archived people supported with the reason

Revision ID: 0803_archiving
Revises: 0802_two_factor
Create Date: 2026-12-07 16:40:00

Self-contained: it only adds columns, so it can be re-chained after another
migration without changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0803_archiving'
down_revision = '0802_two_factor'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('branch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('person_supported', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('archive_reason', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('archive_note', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('person_supported', schema=None) as batch_op:
        batch_op.drop_column('archive_note')
        batch_op.drop_column('archive_reason')
        batch_op.drop_column('archived_at')

    with op.batch_alter_table('branch', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
