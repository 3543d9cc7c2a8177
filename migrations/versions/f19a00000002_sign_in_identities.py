"""Sign-in with the university's account: external identities, replay guard, external ids

Revision ID: f19a00000002
Revises: f19a00000001
Create Date: 2026-12-01 19:40:00

A person may be known at identity providers by a stable subject (external_identity), and in
the university's systems by an external id (SCIM externalId, the HR export's number). Used
SAML assertions are remembered until they expire (used_assertion). A deactivated person keeps
their trips; deactivated_at says since when.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f19a00000002'
down_revision = 'f19a00000001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_person_external_id'), ['external_id'])
    op.create_table(
        'external_identity',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=64), nullable=False),
        sa.Column('issuer', sa.String(length=255), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('attributes', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_external_identity_person_id_person'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_external_identity')),
        sa.UniqueConstraint('issuer', 'subject', name='uq_external_identity'),
    )
    with op.batch_alter_table('external_identity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_identity_person_id'), ['person_id'], unique=False)
    op.create_table(
        'used_assertion',
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_used_assertion')),
    )
    with op.batch_alter_table('used_assertion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_assertion_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('used_assertion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_used_assertion_expires_at'))
    op.drop_table('used_assertion')
    with op.batch_alter_table('external_identity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_external_identity_person_id'))
    op.drop_table('external_identity')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_person_external_id'), type_='unique')
        batch_op.drop_column('deactivated_at')
        batch_op.drop_column('external_id')
