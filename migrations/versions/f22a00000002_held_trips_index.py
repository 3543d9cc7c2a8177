"""Departure day's held trips have an index of their own

Revision ID: f22a00000002
Revises: f22a00000001
Create Date: 2026-12-02 22:50:00

The departure-day sweep reads the trips whose day came within the catch-up days and, apart,
the trips held there because their dossier was not cleared: a partial index on the few held
trips bounds the second read.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f22a00000002'
down_revision = 'f22a00000001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('trip', schema=None) as batch_op:
        batch_op.create_index(
            'ix_trip_held_departure',
            ['departure_on'],
            unique=False,
            postgresql_where=sa.text('uncleared_at IS NOT NULL'),
            sqlite_where=sa.text('uncleared_at IS NOT NULL'),
        )


def downgrade():
    with op.batch_alter_table('trip', schema=None) as batch_op:
        batch_op.drop_index(
            'ix_trip_held_departure',
            postgresql_where=sa.text('uncleared_at IS NOT NULL'),
            sqlite_where=sa.text('uncleared_at IS NOT NULL'),
        )
