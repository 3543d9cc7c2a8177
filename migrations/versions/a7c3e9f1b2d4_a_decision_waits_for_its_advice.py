"""A decision's task waits for the advice before it opens; departure day without clearance
is flagged once

Revision ID: a7c3e9f1b2d4
Revises: 08d49f60231b
Create Date: 2026-12-01 07:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9f1b2d4'
down_revision = '08d49f60231b'
branch_labels = None
depends_on = None

OLD_KINDS = ('created', 'edited', 'submitted', 'decision', 'resubmitted', 'rerouted', 'change_reopened', 'change_notified', 'withdrawn', 'cancelled', 'suspended', 'flagged', 'level_lowered', 'level_raised', 'purged', 'departed', 'returned', 'safe_return', 'private_data_cleared')
NEW_KINDS = OLD_KINDS + ('uncleared',)


def _event_kinds(kinds):
    """Replace the CHECK on trip_event.kind (batch mode: SQLite rebuilds the table)."""
    with op.batch_alter_table('trip_event', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_trip_event_trip_event_kind'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_trip_event_trip_event_kind'), sa.column('kind').in_(kinds)
        )


def upgrade():
    with op.batch_alter_table('trip_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting_for', sa.String(length=100), nullable=True))
    with op.batch_alter_table('trip', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uncleared_at', sa.DateTime(timezone=True), nullable=True))
    _event_kinds(NEW_KINDS)


def downgrade():
    op.execute(sa.text("DELETE FROM trip_event WHERE kind = 'uncleared'"))
    _event_kinds(OLD_KINDS)
    with op.batch_alter_table('trip', schema=None) as batch_op:
        batch_op.drop_column('uncleared_at')
    with op.batch_alter_table('trip_task', schema=None) as batch_op:
        batch_op.drop_column('waiting_for')
