"""The Alembic migrations and the models describe the same schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from travel_app.core.db import alembic_render_item


def test_models_and_migrations_agree(app, db):
    # The session's schema was built by running the migrations (see conftest).
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_item": alembic_render_item}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_the_migration_inserts_the_reference_data(db):
    from travel_app.places.models import AdvisorySource, RiskLevel
    from travel_app.places.queries import risk_levels

    assert [(r.level, r.name_en) for r in risk_levels()] == [
        (0, "no specific risk"),
        (1, "increased vigilance"),
        (2, "essential travel only"),
        (3, "do not travel"),
    ]
    assert db.session.get(RiskLevel, 2).name_nl == "enkel noodzakelijke reizen"
    nl = db.session.get(AdvisorySource, "nl_bz")
    assert {s.label: s.level for s in nl.levels} == {"groen": 0, "geel": 1, "oranje": 2, "rood": 3}
    us = db.session.get(AdvisorySource, "us_state")
    assert {s.level for s in us.levels} == {0, 1, 2, 3}
