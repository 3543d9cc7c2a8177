"""Foundation: organisation, places, advisories, audit, heartbeat

The internal risk scale, the advisory sources with their own wording mapped onto it, and the
four standard country lists are reference data every installation needs, so they are inserted
here rather than by the demo loader.

Revision ID: 2795debcc5e3
Revises: 
Create Date: 2026-11-28 12:09:48.357915

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2795debcc5e3'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('advisory_source',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_advisory_source'))
    )
    op.create_table('country_list',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_nl', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_country_list')),
    sa.UniqueConstraint('code', name=op.f('uq_country_list_code'))
    )
    op.create_table('heartbeat',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('worker', sa.String(length=200), nullable=False),
    sa.Column('run_count', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_heartbeat'))
    )
    op.create_table('risk_level',
    sa.Column('level', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name_nl', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('colour', sa.String(length=7), nullable=False),
    sa.CheckConstraint('level BETWEEN 0 AND 3', name=op.f('ck_risk_level_range')),
    sa.PrimaryKeyConstraint('level', name=op.f('pk_risk_level'))
    )
    op.create_table('unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('university', 'faculty', 'department', name='unit_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_nl', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('head_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['unit.id'], name=op.f('fk_unit_parent_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit')),
    sa.UniqueConstraint('code', name=op.f('uq_unit_code'))
    )
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_parent_id'), ['parent_id'], unique=False)

    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=2), server_default='nl', nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.Enum('professor', 'postdoc', 'phd', 'student', 'atp', name='person_category', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('nationalities', sa.JSON(), nullable=False),
    sa.Column('promoter_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("language IN ('nl', 'en')", name=op.f('ck_person_language')),
    sa.ForeignKeyConstraint(['promoter_id'], ['person.id'], name=op.f('fk_person_promoter_id_person')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_person_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person')),
    sa.UniqueConstraint('email', name=op.f('uq_person_email'))
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_unit_id'), ['unit_id'], unique=False)

    # unit.head_id and person.unit_id point at each other: add the head's key once both exist.
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f('fk_unit_head_id_person'), 'person', ['head_id'], ['id'], ondelete='SET NULL'
        )

    op.create_table('source_level',
    sa.Column('source_code', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['level'], ['risk_level.level'], name=op.f('fk_source_level_level_risk_level')),
    sa.ForeignKeyConstraint(['source_code'], ['advisory_source.code'], name=op.f('fk_source_level_source_code_advisory_source')),
    sa.PrimaryKeyConstraint('source_code', 'label', name=op.f('pk_source_level'))
    )
    op.create_table('advisory',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('source_code', sa.String(length=16), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_advisory_created_by_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['level'], ['risk_level.level'], name=op.f('fk_advisory_level_risk_level')),
    sa.ForeignKeyConstraint(['source_code'], ['advisory_source.code'], name=op.f('fk_advisory_source_code_advisory_source')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advisory'))
    )
    with op.batch_alter_table('advisory', schema=None) as batch_op:
        batch_op.create_index('ix_advisory_place_current', ['country_code', 'region_code', 'effective_on', 'id'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['person.id'], name=op.f('fk_audit_event_actor_id_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_event_object', ['object_type', 'object_id'], unique=False)

    op.create_table('country_list_entry',
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=False),
    sa.Column('note', sa.String(length=500), server_default='', nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['added_by_id'], ['person.id'], name=op.f('fk_country_list_entry_added_by_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['list_id'], ['country_list.id'], name=op.f('fk_country_list_entry_list_id_country_list'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('list_id', 'country_code', name=op.f('pk_country_list_entry'))
    )
    op.create_table('deputy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('deputy_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=500), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('deputy_id <> person_id', name=op.f('ck_deputy_not_self')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_deputy_dates_ordered')),
    sa.ForeignKeyConstraint(['deputy_id'], ['person.id'], name=op.f('fk_deputy_deputy_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_deputy_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deputy'))
    )
    with op.batch_alter_table('deputy', schema=None) as batch_op:
        batch_op.create_index('ix_deputy_deputy_dates', ['deputy_id', 'starts_on', 'ends_on'], unique=False)
        batch_op.create_index('ix_deputy_person_dates', ['person_id', 'starts_on', 'ends_on'], unique=False)

    op.create_table('role_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('safety_officer', 'faculty_authority', 'executive', 'crisis_team', 'admin', name='role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_role_assignment_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_role_assignment_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_assignment')),
    sa.UniqueConstraint('person_id', 'role', 'unit_id', name='uq_role_assignment_scope')
    )
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.create_index('ix_role_assignment_role_unit', ['role', 'unit_id'], unique=False)

    _insert_reference_data()


RISK_LEVELS = [
    (0, "geen specifiek risico", "no specific risk", "#2e7d32"),
    (1, "verhoogde waakzaamheid", "increased vigilance", "#f9a825"),
    (2, "enkel noodzakelijke reizen", "essential travel only", "#ef6c00"),
    (3, "niet reizen", "do not travel", "#c62828"),
]

SOURCES = [
    ("university", "University (own assessment)"),
    ("be_fps", "Belgium: FPS Foreign Affairs"),
    ("nl_bz", "Netherlands: Ministry of Foreign Affairs (BZ)"),
    ("uk_fcdo", "United Kingdom: FCDO"),
    ("us_state", "United States: State Department"),
    ("fr_meae", "France: Ministry for Europe and Foreign Affairs"),
]

# The Belgian wording is configurable and its legend unverified (see DOMAIN.md).
SOURCE_LEVELS = [
    ("university", "0", 0), ("university", "1", 1), ("university", "2", 2), ("university", "3", 3),
    ("be_fps", "geen bijzonder advies", 0), ("be_fps", "waakzaamheid", 1),
    ("be_fps", "afgeraden tenzij noodzakelijk", 2), ("be_fps", "formeel afgeraden", 3),
    ("nl_bz", "groen", 0), ("nl_bz", "geel", 1), ("nl_bz", "oranje", 2), ("nl_bz", "rood", 3),
    ("uk_fcdo", "advise against all but essential travel", 2),
    ("uk_fcdo", "advise against all travel", 3),
    ("us_state", "1 exercise normal precautions", 0), ("us_state", "2 exercise increased caution", 1),
    ("us_state", "3 reconsider travel", 2), ("us_state", "4 do not travel", 3),
    ("fr_meae", "vert", 0), ("fr_meae", "jaune", 1), ("fr_meae", "orange", 2), ("fr_meae", "rouge", 3),
]

COUNTRY_LISTS = [
    ("heat_required", "HEAT-training verplicht", "HEAT training required",
     "Travellers need a HEAT certificate of at most five years old."),
    ("insurer_excluded", "Uitgesloten door de verzekeraar", "Excluded by the insurer",
     "The university's travel insurance does not cover these countries: extra cover is needed."),
    ("committee_only", "Enkel na beslissing van het comité", "Committee decision only",
     "Travel needs a decision of the risk committee, whatever the level."),
    ("forbidden", "Verboden bestemmingen", "Forbidden destinations",
     "The university does not approve travel to these countries."),
]


def _insert_reference_data():
    level = sa.table("risk_level", sa.column("level", sa.Integer), sa.column("name_nl", sa.String),
                     sa.column("name_en", sa.String), sa.column("colour", sa.String))
    source = sa.table("advisory_source", sa.column("code", sa.String), sa.column("name", sa.String))
    source_level = sa.table("source_level", sa.column("source_code", sa.String),
                            sa.column("label", sa.String), sa.column("level", sa.Integer))
    country_list = sa.table("country_list", sa.column("code", sa.String), sa.column("name_nl", sa.String),
                            sa.column("name_en", sa.String), sa.column("description", sa.String))
    op.bulk_insert(level, [dict(level=l, name_nl=nl, name_en=en, colour=c) for l, nl, en, c in RISK_LEVELS])
    op.bulk_insert(source, [dict(code=c, name=n) for c, n in SOURCES])
    op.bulk_insert(source_level, [dict(source_code=s, label=l, level=v) for s, l, v in SOURCE_LEVELS])
    op.bulk_insert(country_list, [dict(code=c, name_nl=nl, name_en=en, description=d) for c, nl, en, d in COUNTRY_LISTS])


def downgrade():
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_unit_head_id_person'), type_='foreignkey')
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.drop_index('ix_role_assignment_role_unit')

    op.drop_table('role_assignment')
    with op.batch_alter_table('deputy', schema=None) as batch_op:
        batch_op.drop_index('ix_deputy_person_dates')
        batch_op.drop_index('ix_deputy_deputy_dates')

    op.drop_table('deputy')
    op.drop_table('country_list_entry')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_object')
        batch_op.drop_index(batch_op.f('ix_audit_event_at'))

    op.drop_table('audit_event')
    with op.batch_alter_table('advisory', schema=None) as batch_op:
        batch_op.drop_index('ix_advisory_place_current')

    op.drop_table('advisory')
    op.drop_table('source_level')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_unit_id'))

    op.drop_table('person')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_parent_id'))

    op.drop_table('unit')
    op.drop_table('risk_level')
    op.drop_table('heartbeat')
    op.drop_table('country_list')
    op.drop_table('advisory_source')
