"""Reports: each decision keeps its working days; indexes that answer a year from the index

Revision ID: f21a00000001
Revises: f20a00000002
Create Date: 2026-12-02 03:00:00

A decision now records, as it is taken, its working days since its step last opened and, on a
trip's first final decision, since the request was submitted (by the trip's procedure's
calendar). Decisions taken before are filled in here, counting Monday to Friday: the holidays
of the procedure they were taken under are not read back by a migration.

The reports group a year's trips, stays, decisions and steps. Each index below holds every
column its statement reads, so SQLite reads the index instead of the rows (PostgreSQL gains
little: its planner reads the rows in bulk either way). The event index replaces the (kind, at)
one it starts with.
"""
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f21a00000001'
down_revision = 'f20a00000002'
branch_labels = None
depends_on = None


FINAL = ("approved", "approved_with_conditions", "rejected")


def _day(value):
    """A day from a DATE or a stored timestamp (SQLite hands back text)."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value[:19])
    return value.date()


def _weekdays_after(start, end):
    """Monday-to-Friday days after ``start`` up to and including ``end``."""
    if start is None or end is None or end <= start:
        return 0 if start is not None and end is not None else None
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for i in range(1, rest + 1):
        if (start + timedelta(days=weeks * 7 + i)).weekday() < 5:
            count += 1
    return count


def _backfill(bind):
    """Each past decision's working days, from its trip's tasks and submission."""
    opened = {}
    for trip_id, round_, step_id, opened_on in bind.execute(
        sa.text("SELECT trip_id, round, step_id, opened_on FROM trip_task")
    ):
        opened.setdefault((trip_id, round_, step_id), []).append(_day(opened_on))
    decided = set()
    updates = []
    rows = bind.execute(
        sa.text(
            "SELECT e.id, e.trip_id, e.round, e.step_id, e.at, e.to_state, t.submitted_at"
            " FROM trip_event e JOIN trip t ON t.id = e.trip_id"
            " WHERE e.kind = 'decision' ORDER BY e.id"
        )
    )
    for event_id, trip_id, round_, step_id, at, to_state, submitted_at in rows:
        day = _day(at)
        starts = [d for d in opened.get((trip_id, round_, step_id), []) if d <= day]
        step_days = _weekdays_after(max(starts), day) if starts else None
        request_days = None
        if to_state in FINAL and trip_id not in decided:
            decided.add(trip_id)
            request_days = _weekdays_after(_day(submitted_at), day)
        if step_days is not None or request_days is not None:
            updates.append({"b_id": event_id, "s": step_days, "r": request_days})
    for i in range(0, len(updates), 5000):
        bind.execute(
            sa.text(
                "UPDATE trip_event SET step_working_days = :s, request_working_days = :r"
                " WHERE id = :b_id"
            ),
            updates[i : i + 5000],
        )


def upgrade():
    with op.batch_alter_table('trip_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('step_working_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('request_working_days', sa.Integer(), nullable=True))
    _backfill(op.get_bind())
    with op.batch_alter_table('trip', schema=None) as batch_op:
        batch_op.create_index(
            'ix_trip_report',
            [
                'departure_on',
                'state',
                'level',
                'faculty_id',
                'is_late',
                'uncleared_at',
                'return_on',
            ],
            unique=False,
        )
    with op.batch_alter_table('trip_leg', schema=None) as batch_op:
        batch_op.create_index(
            'ix_trip_leg_trip_place', ['trip_id', 'country_code', 'region_code'], unique=False
        )
    with op.batch_alter_table('trip_task', schema=None) as batch_op:
        batch_op.create_index(
            'ix_trip_task_due',
            ['due_on', 'waiting_for', 'closed_at', 'trip_id', 'round', 'step_id'],
            unique=False,
        )
    with op.batch_alter_table('trip_event', schema=None) as batch_op:
        batch_op.drop_index('ix_trip_event_kind_at')
        batch_op.create_index(
            'ix_trip_event_kind_at',
            [
                'kind',
                'at',
                'step_id',
                'step_working_days',
                'request_working_days',
                'on_behalf_of_id',
                'trip_id',
            ],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('trip_event', schema=None) as batch_op:
        batch_op.drop_index('ix_trip_event_kind_at')
        batch_op.create_index('ix_trip_event_kind_at', ['kind', 'at'], unique=False)
        batch_op.drop_column('request_working_days')
        batch_op.drop_column('step_working_days')
    with op.batch_alter_table('trip_task', schema=None) as batch_op:
        batch_op.drop_index('ix_trip_task_due')
    with op.batch_alter_table('trip_leg', schema=None) as batch_op:
        batch_op.drop_index('ix_trip_leg_trip_place')
    with op.batch_alter_table('trip', schema=None) as batch_op:
        batch_op.drop_index('ix_trip_report')
