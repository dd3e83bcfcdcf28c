"""incident.place: where it happened, as a choice (issue 15)

Revision ID: 0920_place
Revises: 0911_spc
Create Date: 2026-12-07 17:45:00

Self-contained: it only adds its own column, so it can be re-chained after another
migration without changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0920_place'
down_revision = '0911_spc'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incident') as batch:
        batch.add_column(sa.Column('place', sa.String(length=20), nullable=True))
        batch.create_index('ix_incident_place', ['place'])


def downgrade():
    with op.batch_alter_table('incident') as batch:
        batch.drop_index('ix_incident_place')
        batch.drop_column('place')
