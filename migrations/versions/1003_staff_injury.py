"""The staff injury (RIDDOR), staff involved and witnesses, police involvement
found at triage, and what started each duty's clock (issue 15)

Revision ID: 1003_staff_injury
Revises: 1002_attachments
Create Date: 2026-12-07 19:15:00

Self-contained: it only adds its own columns, so it can be re-chained after another
migration without changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1003_staff_injury'
down_revision = '1002_attachments'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incident') as batch:
        batch.add_column(sa.Column('injured_staff_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('staff_injury', sa.Text(), nullable=False, server_default=''))
        batch.add_column(sa.Column('specified_injury', sa.String(length=20), nullable=True))
        batch.add_column(
            sa.Column('non_worker_hospital', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column('days_off_work', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('other_staff_ids', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('witness_ids', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(
            sa.Column('police_involved', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_index('ix_incident_injured_staff_id', ['injured_staff_id'])
        batch.create_foreign_key(
            'fk_incident_injured_staff_id_user', 'user', ['injured_staff_id'], ['id']
        )
    with op.batch_alter_table('incident_decision') as batch:
        batch.add_column(sa.Column('clock_started_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column('clock_started_by', sa.String(length=200), nullable=False, server_default='')
        )
        batch.add_column(sa.Column('added_by_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(
            'fk_incident_decision_added_by_id_user', 'user', ['added_by_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('incident_decision') as batch:
        batch.drop_constraint('fk_incident_decision_added_by_id_user', type_='foreignkey')
        batch.drop_column('added_by_id')
        batch.drop_column('clock_started_by')
        batch.drop_column('clock_started_at')
    with op.batch_alter_table('incident') as batch:
        batch.drop_constraint('fk_incident_injured_staff_id_user', type_='foreignkey')
        batch.drop_index('ix_incident_injured_staff_id')
        batch.drop_column('police_involved')
        batch.drop_column('witness_ids')
        batch.drop_column('other_staff_ids')
        batch.drop_column('days_off_work')
        batch.drop_column('non_worker_hospital')
        batch.drop_column('specified_injury')
        batch.drop_column('staff_injury')
        batch.drop_column('injured_staff_id')
