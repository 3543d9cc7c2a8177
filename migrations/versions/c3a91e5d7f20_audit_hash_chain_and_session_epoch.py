"""Audit trail as a hash chain with its head; a session epoch per person

Revision ID: c3a91e5d7f20
Revises: b2d42e2fd92d
Create Date: 2026-11-29 07:20:00.000000

"""
import hashlib
import json
from datetime import UTC

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a91e5d7f20'
down_revision = 'b2d42e2fd92d'
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def _hash(prev_hash, row):
    """The chain's hash as travel_app.core.audit computes it, frozen here for the backfill."""
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
    content = {
        "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": row.actor_id,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "data": row.data if row.data is not None else {},
    }
    body = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(prev_hash.encode() + b"\n" + body.encode()).hexdigest()


def upgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_audit_event_seq'), ['seq'])

    head = op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tip_hash', sa.String(length=64), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )

    # Chain the rows already there, oldest first.
    bind = op.get_bind()
    events = sa.table(
        'audit_event',
        sa.column('id', sa.Integer), sa.column('at', sa.DateTime(timezone=True)),
        sa.column('actor_id', sa.Integer), sa.column('action', sa.String),
        sa.column('object_type', sa.String), sa.column('object_id', sa.String),
        sa.column('data', sa.JSON), sa.column('seq', sa.Integer),
        sa.column('prev_hash', sa.String), sa.column('hash', sa.String),
    )
    tip, length = GENESIS, 0
    for row in bind.execute(sa.select(events).order_by(events.c.id)).all():
        new, length = _hash(tip, row), length + 1
        bind.execute(
            events.update().where(events.c.id == row.id).values(seq=length, prev_hash=tip, hash=new)
        )
        tip = new
    op.bulk_insert(head, [{'id': 1, 'tip_hash': tip, 'length': length}])


def downgrade():
    op.drop_table('audit_chain_head')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_event_seq'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
