"""Outbox rows may be queued as data and rendered by the worker when it sends them

Revision ID: f22a00000001
Revises: f21a00000001
Create Date: 2026-12-02 12:40:00

``render`` holds what the mail's kind needs to write it (a trip's id, say) while its subject,
text and HTML are still empty; the worker fills them in and clears ``render`` before sending.
Rows queued before stay as they are (rendered, ``render`` empty).
"""
import logging

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f22a00000001'
down_revision = 'f21a00000001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('render', sa.JSON(), nullable=True))


def downgrade():
    # Rows never rendered cannot be sent by the code before this revision: render them first
    # (let the worker drain the outbox), or they are removed here with a count in the log.
    bind = op.get_bind()
    left = bind.execute(sa.text("SELECT count(*) FROM outbox_message WHERE render IS NOT NULL"))
    count = left.scalar_one()
    if count:
        logging.getLogger("alembic").warning(
            "outbox: %s unrendered message(s) removed by the downgrade", count
        )
        op.execute("DELETE FROM outbox_message WHERE render IS NOT NULL")
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('render')
