"""Provisioning: SCIM tokens and groups, CSV import of units and people

Revision ID: f19a00000003
Revises: f19a00000002
Create Date: 2026-12-01 19:40:00

Machines present service tokens (only their SHA-256 is kept), each good for a few scopes. The
identity provider's SCIM records sit beside the people they provision (scim_user), with the
groups it keeps (scim_group, scim_group_member).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f19a00000003'
down_revision = 'f19a00000002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'service_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('scopes', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_service_token_created_by_id_person'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_service_token')),
        sa.UniqueConstraint('name', name=op.f('uq_service_token_name')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_service_token_token_hash')),
    )
    op.create_table(
        'scim_user',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('user_name', sa.String(length=255), nullable=False),
        sa.Column('user_name_key', sa.String(length=255), nullable=False),
        sa.Column('attributes', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_scim_user_person_id_person'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('person_id', name=op.f('pk_scim_user')),
        sa.UniqueConstraint('user_name_key', name=op.f('uq_scim_user_user_name_key')),
    )
    op.create_table(
        'scim_group',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('display_name', sa.String(length=255), nullable=False),
        sa.Column('external_id', sa.String(length=255), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scim_group')),
    )
    op.create_table(
        'scim_group_member',
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['group_id'], ['scim_group.id'], name=op.f('fk_scim_group_member_group_id_scim_group'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['person_id'], ['scim_user.person_id'], name=op.f('fk_scim_group_member_person_id_scim_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('group_id', 'person_id', name=op.f('pk_scim_group_member')),
    )
    with op.batch_alter_table('scim_group_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_group_member_person_id'), ['person_id'], unique=False)


def downgrade():
    with op.batch_alter_table('scim_group_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scim_group_member_person_id'))
    op.drop_table('scim_group_member')
    op.drop_table('scim_group')
    op.drop_table('scim_user')
    op.drop_table('service_token')
