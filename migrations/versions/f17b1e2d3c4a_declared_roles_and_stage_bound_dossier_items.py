"""Roles the procedure file declares, held by people; dossier items due before a stage

Revision ID: f17b1e2d3c4a
Revises: f17a0c1d2e3f
Create Date: 2026-12-01 14:10:00

The second edition of the procedure format lets a university declare its own roles and bodies
(a risk committee, a provost), held university-wide or per unit of a kind; and dossier items
due with the request or before a stage, optionally holding that stage's decisions up.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f17b1e2d3c4a'
down_revision = 'f17a0c1d2e3f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'declared_role_assignment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('person_id', 'code', 'unit_id', name='uq_declared_role_scope'),
    )
    op.create_index(
        'uq_declared_role_university_wide',
        'declared_role_assignment',
        ['person_id', 'code'],
        unique=True,
        sqlite_where=sa.text('unit_id IS NULL'),
        postgresql_where=sa.text('unit_id IS NULL'),
    )
    op.create_index(
        'ix_declared_role_code_unit', 'declared_role_assignment', ['code', 'unit_id']
    )
    with op.batch_alter_table('dossier_item') as batch:
        batch.add_column(sa.Column('before_stage', sa.String(length=100), nullable=True))
        batch.add_column(
            sa.Column('blocking', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('dossier_item') as batch:
        batch.drop_column('blocking')
        batch.drop_column('before_stage')
    op.drop_index('ix_declared_role_code_unit', table_name='declared_role_assignment')
    op.drop_index('uq_declared_role_university_wide', table_name='declared_role_assignment')
    op.drop_table('declared_role_assignment')
