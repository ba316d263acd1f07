"""Run the shipped Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

__all__ = [
    "MigrationIntegrityError",
    "alembic_config",
    "current_revision",
    "downgrade",
    "head_revision",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    """An Alembic config pointing at the migrations shipped in this package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


class MigrationIntegrityError(RuntimeError):
    """A migration left rows whose foreign keys point nowhere (nothing was committed)."""


def _run(engine: Engine, step: Callable[[Config], None]) -> None:
    """Run ``step`` in one transaction; on SQLite with foreign-key enforcement off.

    SQLite cannot ALTER most constraints, so Alembic's batch mode rebuilds a table (copy,
    DROP, rename). With ``PRAGMA foreign_keys=ON`` the DROP of a table that other rows
    reference fails ("FOREIGN KEY constraint failed") as soon as the database holds data.
    Alembic's documented remedy (batch migrations, "Dealing with Constraints"; SQLite's
    ALTER TABLE page, "other kinds of table schema changes") is to switch enforcement off
    on the migration connection *outside* a transaction (the PRAGMA is a no-op inside one),
    run the migrations, then run ``PRAGMA foreign_key_check`` before committing and refuse
    (roll back) if any row is left dangling; enforcement is switched back on afterwards.
    """
    cfg = alembic_config()
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            _set_foreign_keys(conn, on=False)
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                step(cfg)
                if sqlite:
                    _check_foreign_keys(conn)
        finally:
            if sqlite:
                _set_foreign_keys(conn, on=True)


def _set_foreign_keys(conn: Connection, *, on: bool) -> None:
    # on the raw driver connection: through SQLAlchemy it would open a transaction first
    raw = conn.connection.dbapi_connection
    assert raw is not None
    raw.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


def _check_foreign_keys(conn: Connection) -> None:
    rows = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    if rows:
        shown = ", ".join(f"{r[0]} rowid {r[1]} -> {r[2]}" for r in rows[:10])
        raise MigrationIntegrityError(
            f"migration left {len(rows)} row(s) with a dangling foreign key ({shown}); "
            "rolled back, nothing changed"
        )


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision``."""
    _run(engine, lambda cfg: command.upgrade(cfg, revision))


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Downgrade the database behind ``engine`` to ``revision`` (``base`` drops everything)."""
    _run(engine, lambda cfg: command.downgrade(cfg, revision))


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped in this package."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
