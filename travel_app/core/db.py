"""Database helpers shared by every feature's models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database.

    SQLite stores no zone, so values are normalised to UTC on the way in and marked UTC on the
    way out; PostgreSQL keeps ``timestamptz``.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_cls: type[enum.Enum], **kwargs: Any) -> sa.Enum:
    """Store an enum by its value as VARCHAR + CHECK, never a native enum type.

    Native PostgreSQL enums need their own migrations for every new member; a CHECK constraint
    is altered like any other.
    """
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        **kwargs,
    )


def configure_sqlite(engine: Engine) -> None:
    """Give SQLite real foreign keys, a busy timeout and WAL, so web and worker can share it."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def refresh_statistics(connection: sa.Connection) -> None:
    """Let the query planner know how the data is spread (ANALYZE).

    PostgreSQL's autovacuum does this by itself; SQLite never does, and without statistics it
    reads who-is-where through the trip states (most trips) instead of the dates (a few days'
    stays): 180 ms instead of 40 at 100,000 trips. The beat runs this daily.
    """
    connection.execute(sa.text("ANALYZE"))


def alembic_render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render :class:`UTCDateTime` as a plain ``sa.DateTime(timezone=True)`` in migrations."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
