"""Timeline kinds added by "Rules hold": the missed safe-return answer and the others

Revision ID: e15a0c0ffee1
Revises: a7c3e9f1b2d4
Create Date: 2026-12-01 07:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e15a0c0ffee1'
down_revision = 'a7c3e9f1b2d4'
branch_labels = None
depends_on = None

OLD_KINDS = (
    'created', 'edited', 'submitted', 'decision', 'resubmitted', 'rerouted', 'change_reopened',
    'change_notified', 'withdrawn', 'cancelled', 'suspended', 'flagged', 'level_lowered',
    'level_raised', 'purged', 'departed', 'returned', 'safe_return', 'private_data_cleared', 'uncleared',
)
NEW_KINDS = OLD_KINDS + ('safe_return_overdue',)


def _event_kinds(kinds):
    """Replace the CHECK on trip_event.kind (batch mode: SQLite rebuilds the table)."""
    with op.batch_alter_table('trip_event', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_trip_event_trip_event_kind'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_trip_event_trip_event_kind'), sa.column('kind').in_(kinds)
        )


def upgrade():
    _event_kinds(NEW_KINDS)


def downgrade():
    op.execute(
        sa.text("DELETE FROM trip_event WHERE kind NOT IN :kinds").bindparams(
            sa.bindparam('kinds', OLD_KINDS, expanding=True)
        )
    )
    _event_kinds(OLD_KINDS)
