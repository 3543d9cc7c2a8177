"""The JSON API: personal tokens, and idempotent creation

Revision ID: f20a00000001
Revises: f19a00000004
Create Date: 2026-12-01 23:00:00

A token may now belong to a person (a personal token acts as its owner), so its name is unique
per owner. A POST that creates remembers its Idempotency-Key with the answer it gave, so a
retried request gets the same answer instead of a second trip.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f20a00000001'
down_revision = 'f19a00000004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('service_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint('uq_service_token_name', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_service_token_owner_id_name'), ['owner_id', 'name'])
        batch_op.create_index(batch_op.f('ix_service_token_owner_id'), ['owner_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_service_token_owner_id_person'), 'person', ['owner_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index('uq_service_token_service_name', ['name'], unique=True, sqlite_where=sa.text('owner_id IS NULL'), postgresql_where=sa.text('owner_id IS NULL'))
    op.create_table(
        'api_idempotent_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('headers', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['token_id'], ['service_token.id'], name=op.f('fk_api_idempotent_request_token_id_service_token'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_idempotent_request')),
        sa.UniqueConstraint('token_id', 'key', name=op.f('uq_api_idempotent_request_token_id_key')),
    )


def downgrade():
    op.drop_table('api_idempotent_request')
    with op.batch_alter_table('service_token', schema=None) as batch_op:
        batch_op.drop_index('uq_service_token_service_name')
        batch_op.drop_constraint(batch_op.f('fk_service_token_owner_id_person'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_service_token_owner_id'))
        batch_op.drop_constraint(batch_op.f('uq_service_token_owner_id_name'), type_='unique')
        batch_op.drop_column('owner_id')
        batch_op.create_unique_constraint('uq_service_token_name', ['name'])
