"""Escalation without a deputy reassigns the step

Revision ID: f19a00000004
Revises: f19a00000003
Create Date: 2026-12-01 19:40:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f19a00000004'
down_revision = 'f19a00000003'
branch_labels = None
depends_on = None

OLD_KINDS = (
    'created', 'edited', 'submitted', 'decision', 'resubmitted', 'rerouted', 'change_reopened',
    'change_notified', 'withdrawn', 'cancelled', 'suspended', 'flagged', 'level_lowered',
    'level_raised', 'purged', 'departed', 'returned', 'safe_return', 'safe_return_overdue',
    'private_data_cleared', 'uncleared',
)
NEW_KINDS = OLD_KINDS + ('reassigned',)


def _event_kinds(kinds):
    """Replace the CHECK on trip_event.kind (batch mode: SQLite rebuilds the table)."""
    with op.batch_alter_table('trip_event', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_trip_event_trip_event_kind'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_trip_event_trip_event_kind'), sa.column('kind').in_(kinds)
        )


def upgrade():
    with op.batch_alter_table('trip_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reassigned_at', sa.DateTime(timezone=True), nullable=True))
    _event_kinds(NEW_KINDS)


def downgrade():
    op.execute(sa.text("DELETE FROM trip_event WHERE kind = 'reassigned'"))
    _event_kinds(OLD_KINDS)
    with op.batch_alter_table('trip_task', schema=None) as batch_op:
        batch_op.drop_column('reassigned_at')
