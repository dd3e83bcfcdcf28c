"""on_call: the on-call rota and escalations of serious reports

Revision ID: 0902_on_call
Revises: 0901_messages (on this branch; 0804_records_seen as given, re-chained by the lead)
Create Date: 2026-12-07 17:30:00

Self-contained: it only adds its own tables, so it can be re-chained after another
migration without changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0902_on_call'
down_revision = '0901_messages'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'on_call_shift',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['branch_id'], ['branch.id']),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_on_call_shift_branch_id', 'on_call_shift', ['branch_id'])
    op.create_index('ix_on_call_shift_user_id', 'on_call_shift', ['user_id'])
    op.create_index('ix_on_call_shift_starts_at', 'on_call_shift', ['starts_at'])
    op.create_index('ix_on_call_shift_ends_at', 'on_call_shift', ['ends_at'])
    op.create_table(
        'escalation',
        sa.Column('incident_id', sa.String(length=36), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('last_alert_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('next_step_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('alerted_ids', sa.JSON(), nullable=False),
        sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['branch_id'], ['branch.id']),
        sa.ForeignKeyConstraint(['acknowledged_by_id'], ['user.id']),
        sa.PrimaryKeyConstraint('incident_id'),
    )
    op.create_index('ix_escalation_branch_id', 'escalation', ['branch_id'])
    op.create_index('ix_escalation_next_step_at', 'escalation', ['next_step_at'])


def downgrade():
    op.drop_table('escalation')
    op.drop_table('on_call_shift')
