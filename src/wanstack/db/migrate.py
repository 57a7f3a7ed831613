"""Bring a database to the newest schema (Alembic), safely from several processes at once."""

from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import make_url

from wanstack.db.engine import create_sync, is_sqlite

_MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade(url: str) -> None:
    """Apply every pending migration. Concurrent callers wait for each other."""
    with contextlib.ExitStack() as stack:
        if is_sqlite(url):
            database = make_url(url).database
            if database and database != ":memory:":
                path = Path(database)
                path.parent.mkdir(parents=True, exist_ok=True)
                # Two processes starting together must not both create the tables.
                lock = stack.enter_context(path.with_suffix(".migrate.lock").open("a"))
                fcntl.flock(lock, fcntl.LOCK_EX)
        _upgrade(url)


def _upgrade(url: str) -> None:
    engine = create_sync(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Same reason, across machines: the lock is held until this transaction ends.
                connection.execute(text("SELECT pg_advisory_xact_lock(728374611)"))
            config = Config()
            config.set_main_option("script_location", str(_MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()
