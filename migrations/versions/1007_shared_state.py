"""import_upload: an upload waiting for its confirm, in the database (issue 17)

A CSV file kept between its preview and confirm, in the database rather than on
one server's disk, so the confirm may reach another app instance.

Revision ID: 1007_shared_state
Revises: 1004_denominators
Create Date: 2026-12-07 19:10:00

Self-contained: it only adds its own table, so it can be re-chained after another
migration without changes. Uploads waiting in instance/imports when it is applied
(an hour at most) are not carried over: their owners upload the file again.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "1007_shared_state"
down_revision = "1004_denominators"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_upload",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_upload")),
    )
    with op.batch_alter_table("import_upload") as batch:
        batch.create_index(batch.f("ix_import_upload_created_at"), ["created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("import_upload") as batch:
        batch.drop_index(batch.f("ix_import_upload_created_at"))
    op.drop_table("import_upload")
