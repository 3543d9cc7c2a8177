"""A person's category is a code of the procedure in force, no longer one of the framework's five

Revision ID: f17c3a4b5c6d
Revises: f17b1e2d3c4a
Create Date: 2026-12-02 09:00:00

A procedure file may declare its own traveller categories (staff, student, ...), so
person.category holds any code up to 40 characters (the length of a procedure file's ids) and
loses the CHECK that allowed only professor, postdoc, phd, student and atp.

The downgrade refuses, before changing anything, while a person has a code outside those five:
it names the codes and how many people have each. It does not map them onto one of the five,
which would silently change whose approval those people's trips need; give them one of the five
first (Administration → People), then downgrade.
"""
from alembic import context, op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f17c3a4b5c6d'
down_revision = 'f17b1e2d3c4a'
branch_labels = None
depends_on = None

FRAMEWORK = ('professor', 'postdoc', 'phd', 'student', 'atp')


def upgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_person_person_category'), type_='check')
        batch_op.alter_column(
            'category',
            existing_type=sa.String(length=32),
            type_=sa.String(length=40),
            existing_nullable=False,
        )


def downgrade():
    if not context.is_offline_mode():
        person = sa.table('person', sa.column('category', sa.String))
        others = op.get_bind().execute(
            sa.select(person.c.category, sa.func.count())
            .where(person.c.category.not_in(FRAMEWORK))
            .group_by(person.c.category)
            .order_by(person.c.category)
        ).all()
        if others:
            found = ', '.join(
                f"{code!r} ({count} {'person' if count == 1 else 'people'})"
                for code, count in others
            )
            raise RuntimeError(
                f'Cannot downgrade below {revision}: people have categories outside the'
                f" framework's five ({', '.join(FRAMEWORK)}): {found}. Give them one of the"
                ' five first; this step changed nothing.'
            )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.alter_column(
            'category',
            existing_type=sa.String(length=40),
            type_=sa.String(length=32),
            existing_nullable=False,
        )
        batch_op.create_check_constraint(
            op.f('ck_person_person_category'), sa.column('category').in_(FRAMEWORK)
        )
