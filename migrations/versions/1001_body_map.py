"""incident_body_mark: the body map's marks on an incident (issue 15)

Revision ID: 1001_body_map
Revises: 0920_place
Create Date: 2026-12-07 19:20:00

Self-contained: it only adds its own table, so it can be re-chained after another
migration without changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1001_body_map'
down_revision = '0920_place'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'incident_body_mark',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.String(length=36), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('region', sa.String(length=40), nullable=False),
        sa.Column('side', sa.String(length=10), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('pressure_category', sa.String(length=20), nullable=True),
        sa.Column('developed_in_care', sa.Boolean(), nullable=True),
        sa.Column('size', sa.String(length=40), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_incident_body_mark_incident_id', 'incident_body_mark', ['incident_id'])
    op.create_index('ix_incident_body_mark_kind', 'incident_body_mark', ['kind'])


def downgrade():
    op.drop_index('ix_incident_body_mark_kind', table_name='incident_body_mark')
    op.drop_index('ix_incident_body_mark_incident_id', table_name='incident_body_mark')
    op.drop_table('incident_body_mark')
