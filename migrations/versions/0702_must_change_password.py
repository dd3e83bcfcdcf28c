"""must_change_password: a password a manager typed is changed at first sign-in

Revision ID: 0702_must_change_password
Revises: 0701_governance
Create Date: 2026-12-07 14:40:00

Self-contained: it only adds one column, so it can be re-chained after another
migration without changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0702_must_change_password'
down_revision = '0701_governance'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
