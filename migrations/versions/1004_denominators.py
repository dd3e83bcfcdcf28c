"""denominator: visits, people supported and care hours per branch per month (issue 16)

Revision ID: 1004_denominators
Revises: 1001_body_map
Create Date: 2026-12-07 19:05:00

Self-contained: it only adds its own table, so it can be re-chained after another
migration without changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1004_denominators'
down_revision = '1001_body_map'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'denominator',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('visits', sa.Integer(), nullable=False),
        sa.Column('people_supported', sa.Integer(), nullable=False),
        sa.Column('care_hours', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['branch_id'], ['branch.id']),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('branch_id', 'month'),
    )
    op.create_index('ix_denominator_branch_id', 'denominator', ['branch_id'])
    op.create_index('ix_denominator_updated_by_id', 'denominator', ['updated_by_id'])


def downgrade():
    op.drop_index('ix_denominator_updated_by_id', table_name='denominator')
    op.drop_index('ix_denominator_branch_id', table_name='denominator')
    op.drop_table('denominator')
