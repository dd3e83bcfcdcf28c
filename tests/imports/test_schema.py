"""The 1007_shared_state migration makes exactly the table the model describes."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from extensions import db


def test_the_migration_matches_the_model(app_ctx: Flask) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    ours = [diff for diff in differences if "import_upload" in repr(diff)]
    assert ours == [], differences
