"""governance meetings: the record of a meeting and a frozen copy of its figures

Revision ID: 0701_governance
Revises: 0602_sign_in_sessions
Create Date: 2026-11-27 06:45:00

Self-contained: it only creates its own tables, so it can be re-chained after
another migration without changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0701_governance'
down_revision = '0602_sign_in_sessions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('governance_meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('attendees', sa.Text(), nullable=False),
    sa.Column('minutes', sa.Text(), nullable=False),
    sa.Column('decisions', sa.Text(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_governance_meeting_author_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_governance_meeting'))
    )
    with op.batch_alter_table('governance_meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_governance_meeting_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_governance_meeting_held_on'), ['held_on'], unique=False)

    op.create_table('governance_meeting_branch',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_governance_meeting_branch_branch_id_branch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['governance_meeting.id'], name=op.f('fk_governance_meeting_branch_meeting_id_governance_meeting'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('meeting_id', 'branch_id', name=op.f('pk_governance_meeting_branch'))
    )


def downgrade():
    op.drop_table('governance_meeting_branch')
    with op.batch_alter_table('governance_meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governance_meeting_held_on'))
        batch_op.drop_index(batch_op.f('ix_governance_meeting_author_id'))

    op.drop_table('governance_meeting')
