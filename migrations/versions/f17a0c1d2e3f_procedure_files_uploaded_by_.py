"""Procedure files uploaded by administrators, and the one in force

Revision ID: f17a0c1d2e3f
Revises: f16b2c0e77a2
Create Date: 2026-12-01 11:56:10.143319

An administrator uploads a procedure file, previews it and activates it; at most one upload is
in force (``uq_procedure_upload_activated``), and without one the PROCEDURE setting is.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f17a0c1d2e3f'
down_revision = 'f16b2c0e77a2'
branch_labels = None
depends_on = None

STATES = ('uploaded', 'activated', 'superseded', 'withdrawn')
IN_FORCE = sa.text("state = 'activated'")


def upgrade():
    op.create_table(
        'procedure_upload',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('procedure_id', sa.String(length=100), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=255), server_default='', nullable=False),
        sa.Column(
            'state',
            sa.Enum(
                *STATES,
                name='procedure_upload_state',
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default='uploaded',
            nullable=False,
        ),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('activated_by_id', sa.Integer(), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['uploaded_by_id'],
            ['person.id'],
            name=op.f('fk_procedure_upload_uploaded_by_id_person'),
            ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['activated_by_id'],
            ['person.id'],
            name=op.f('fk_procedure_upload_activated_by_id_person'),
            ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['ended_by_id'],
            ['person.id'],
            name=op.f('fk_procedure_upload_ended_by_id_person'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_procedure_upload')),
    )
    with op.batch_alter_table('procedure_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procedure_upload_digest'), ['digest'], unique=False)
        batch_op.create_index(
            'uq_procedure_upload_activated',
            ['state'],
            unique=True,
            sqlite_where=IN_FORCE,
            postgresql_where=IN_FORCE,
        )


def downgrade():
    with op.batch_alter_table('procedure_upload', schema=None) as batch_op:
        batch_op.drop_index(
            'uq_procedure_upload_activated', sqlite_where=IN_FORCE, postgresql_where=IN_FORCE
        )
        batch_op.drop_index(batch_op.f('ix_procedure_upload_digest'))
    op.drop_table('procedure_upload')
