"""Advisory keeps the source's own wording

Nullable: earlier advisories were entered by internal level only.

Revision ID: 77857a83bf59
Revises: 72f2dc57b5b5
Create Date: 2026-11-28 12:52:52.862209

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '77857a83bf59'
down_revision = '72f2dc57b5b5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('advisory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_label', sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table('advisory', schema=None) as batch_op:
        batch_op.drop_column('source_label')
