"""Unique university-wide role per person

The unique constraint on (person_id, role, unit_id) lets duplicates through when unit_id is
NULL, since NULLs are distinct; a partial unique index closes that gap.

Revision ID: 72f2dc57b5b5
Revises: 2795debcc5e3
Create Date: 2026-11-28 12:45:28.498740

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '72f2dc57b5b5'
down_revision = '2795debcc5e3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.create_index('uq_role_assignment_university_wide', ['person_id', 'role'], unique=True, sqlite_where=sa.text('unit_id IS NULL'), postgresql_where=sa.text('unit_id IS NULL'))


def downgrade():
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.drop_index('uq_role_assignment_university_wide', sqlite_where=sa.text('unit_id IS NULL'), postgresql_where=sa.text('unit_id IS NULL'))
