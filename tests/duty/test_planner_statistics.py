"""The beat refreshes the query planner's statistics: without them SQLite reads who-is-where
through the trip states instead of the dates (four times slower at 100,000 trips)."""

from __future__ import annotations

import sqlalchemy as sa

from tests.duty.conftest import stay
from travel_app.core.tasks import statistics
from travel_app.extensions import db


def _analysed(table: str) -> bool:
    if db.engine.dialect.name == "sqlite":
        return bool(
            db.session.scalar(
                sa.text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = :t"), {"t": table}
            )
        )
    return (
        db.session.scalar(
            sa.text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = :t"),
            {"t": table},
        )
        is not None
    )


def test_the_daily_statistics_task_analyses_the_stays(app, world, make_person):
    for i in range(3):
        stay(world, make_person(name=f"P{i}"), "ML", None, -i, 5)
    statistics.run()  # the task body, in this test's application context
    db.session.rollback()
    assert _analysed("trip_leg") and _analysed("trip")


def test_beat_runs_it_daily(app):
    entry = app.extensions["celery"].conf.beat_schedule["statistics"]
    assert entry["task"] == "core.statistics"
    assert entry["schedule"].total_seconds() == 86400
