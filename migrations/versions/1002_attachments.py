"""incident_attachment and stored_file: photos of an incident (issue 15)

Revision ID: 1002_attachments
Revises: 1007_shared_state
Create Date: 2026-12-07 19:20:00

Self-contained: it only adds its own tables, so it can be re-chained after another
migration without changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1002_attachments'
down_revision = '1007_shared_state'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stored_file',
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('stored_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_stored_file')),
    )
    op.create_table(
        'incident_attachment',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('incident_id', sa.String(length=36), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('content_type', sa.String(length=40), nullable=False),
        sa.Column('bytes', sa.Integer(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('consent_by', sa.String(length=200), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('storage_key', sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_incident_attachment_incident_id_incident')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_incident_attachment_uploaded_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_attachment')),
    )
    op.create_index('ix_incident_attachment_incident_id', 'incident_attachment', ['incident_id'])
    op.create_index('ix_incident_attachment_uploaded_by_id', 'incident_attachment', ['uploaded_by_id'])


def downgrade():
    op.drop_index('ix_incident_attachment_uploaded_by_id', table_name='incident_attachment')
    op.drop_index('ix_incident_attachment_incident_id', table_name='incident_attachment')
    op.drop_table('incident_attachment')
    op.drop_table('stored_file')
