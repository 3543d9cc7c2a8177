"""Country pages: the safety office's notes and the Belgian embassy contact, versioned

Revision ID: f16b2c0e77a2
Revises: f16a1d0b5e11
Create Date: 2026-12-01 10:52:52.285022

Both tables are append-only: each save is a new row, the latest per country (and language) is
the one in force, and the ``*_latest`` indexes find it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f16b2c0e77a2'
down_revision = 'f16a1d0b5e11'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'country_note',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('country_code', sa.String(length=2), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('body', sa.Text(), server_default='', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("language IN ('nl', 'en')", name=op.f('ck_country_note_language')),
        sa.ForeignKeyConstraint(
            ['created_by_id'],
            ['person.id'],
            name=op.f('fk_country_note_created_by_id_person'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_country_note')),
    )
    with op.batch_alter_table('country_note', schema=None) as batch_op:
        batch_op.create_index('ix_country_note_latest', ['country_code', 'language', 'id'])

    op.create_table(
        'embassy_contact',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('country_code', sa.String(length=2), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('address', sa.String(length=500), server_default='', nullable=False),
        sa.Column('phone', sa.String(length=50), server_default='', nullable=False),
        sa.Column('email', sa.String(length=254), server_default='', nullable=False),
        sa.Column('website', sa.String(length=500), server_default='', nullable=False),
        sa.Column('notes', sa.Text(), server_default='', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['created_by_id'],
            ['person.id'],
            name=op.f('fk_embassy_contact_created_by_id_person'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_embassy_contact')),
    )
    with op.batch_alter_table('embassy_contact', schema=None) as batch_op:
        batch_op.create_index('ix_embassy_contact_latest', ['country_code', 'id'])


def downgrade():
    with op.batch_alter_table('embassy_contact', schema=None) as batch_op:
        batch_op.drop_index('ix_embassy_contact_latest')
    op.drop_table('embassy_contact')

    with op.batch_alter_table('country_note', schema=None) as batch_op:
        batch_op.drop_index('ix_country_note_latest')
    op.drop_table('country_note')
