"""The migrations build exactly the schema that ``db/tables.py`` describes, on both dialects."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from wanstack.db.engine import create_sync
from wanstack.db.migrate import upgrade
from wanstack.db.tables import metadata


def test_migrated_schema_matches_the_tables(database_url: str) -> None:
    upgrade(database_url)  # a second run is a no-op
    engine = create_sync(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert diff == []
