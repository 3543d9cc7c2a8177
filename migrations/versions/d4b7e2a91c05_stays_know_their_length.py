"""Stays know their length, indexed: who-is-where reads days around the date, not years;
trip events indexed by kind and time for the inbox's news

Revision ID: d4b7e2a91c05
Revises: c3a91e5d7f20
Create Date: 2026-11-29 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4b7e2a91c05'
down_revision = 'c3a91e5d7f20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('trip_leg', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nights', sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('UPDATE trip_leg SET nights = leaves_on - arrives_on')
    else:
        op.execute(
            'UPDATE trip_leg SET nights = CAST(julianday(leaves_on) - julianday(arrives_on) AS INTEGER)'
        )
    with op.batch_alter_table('trip_leg', schema=None) as batch_op:
        batch_op.alter_column('nights', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index('ix_trip_leg_nights', ['nights'], unique=False)
        batch_op.create_check_constraint(op.f('ck_trip_leg_nights'), 'nights >= 0')
    with op.batch_alter_table('trip_event', schema=None) as batch_op:
        batch_op.create_index('ix_trip_event_kind_at', ['kind', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('trip_event', schema=None) as batch_op:
        batch_op.drop_index('ix_trip_event_kind_at')
    with op.batch_alter_table('trip_leg', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_trip_leg_nights'), type_='check')
        batch_op.drop_index('ix_trip_leg_nights')
        batch_op.drop_column('nights')
