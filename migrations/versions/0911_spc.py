"""spc: recalculated control limits after a known change; the case study text a manager checked

Revision ID: 0911_spc
Revises: 0903_push
Create Date: 2026-12-07 17:45:00

Self-contained: it only adds its own table and one column, so it can be re-chained
after another migration without changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0911_spc'
down_revision = '0903_push'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'spc_recalculation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('branch_key', sa.String(length=400), nullable=False),
        sa.Column('chart', sa.String(length=40), nullable=False),
        sa.Column('from_month', sa.String(length=7), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('branch_key', 'chart', 'from_month'),
    )
    op.create_index('ix_spc_recalculation_branch_key', 'spc_recalculation', ['branch_key'])
    op.create_index('ix_spc_recalculation_author_id', 'spc_recalculation', ['author_id'])
    with op.batch_alter_table('case_study') as batch:
        batch.add_column(sa.Column('checked_hash', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('case_study') as batch:
        batch.drop_column('checked_hash')
    op.drop_index('ix_spc_recalculation_author_id', table_name='spc_recalculation')
    op.drop_index('ix_spc_recalculation_branch_key', table_name='spc_recalculation')
    op.drop_table('spc_recalculation')
