"""Trips: requests, legs, review tasks, timeline

Revision ID: 0e6999be5919
Revises: 77857a83bf59
Create Date: 2026-11-28 15:24:55.691213

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0e6999be5919'
down_revision = '77857a83bf59'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('procedure_text',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('procedure_id', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('first_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_procedure_text'))
    )
    op.create_table('trip',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('traveller_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('faculty_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('draft', 'in_review', 'changes_requested', 'approved', 'approved_with_conditions', 'registered', 'rejected', 'suspended', 'withdrawn', 'cancelled', 'revoked', name='trip_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('purpose', sa.String(length=500), nullable=False),
    sa.Column('why_not_remote', sa.Text(), server_default='', nullable=False),
    sa.Column('why_not_later', sa.Text(), server_default='', nullable=False),
    sa.Column('impact_if_cancelled', sa.Text(), server_default='', nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('co_traveller_ids', sa.JSON(), nullable=False),
    sa.Column('emergency_name', sa.String(length=200), server_default='', nullable=False),
    sa.Column('emergency_phone', sa.String(length=40), server_default='', nullable=False),
    sa.Column('cost_centre', sa.String(length=40), server_default='', nullable=False),
    sa.Column('departure_on', sa.Date(), nullable=True),
    sa.Column('return_on', sa.Date(), nullable=True),
    sa.Column('level', sa.Integer(), nullable=True),
    sa.Column('route', sa.JSON(), nullable=True),
    sa.Column('procedure_digest', sa.String(length=64), nullable=True),
    sa.Column('round', sa.Integer(), server_default='0', nullable=False),
    sa.Column('is_late', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('needs_attention', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('attention_reason', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['faculty_id'], ['unit.id'], name=op.f('fk_trip_faculty_id_unit')),
    sa.ForeignKeyConstraint(['group_id'], ['trip.id'], name=op.f('fk_trip_group_id_trip')),
    sa.ForeignKeyConstraint(['procedure_digest'], ['procedure_text.digest'], name=op.f('fk_trip_procedure_digest_procedure_text')),
    sa.ForeignKeyConstraint(['traveller_id'], ['person.id'], name=op.f('fk_trip_traveller_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trip'))
    )
    with op.batch_alter_table('trip', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trip_departure_on'), ['departure_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_trip_faculty_id'), ['faculty_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trip_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trip_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_trip_needs_attention'), ['needs_attention'], unique=False)
        batch_op.create_index('ix_trip_state_departure', ['state', 'departure_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_trip_traveller_id'), ['traveller_id'], unique=False)

    op.create_table('trip_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trip_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.Enum('created', 'edited', 'submitted', 'decision', 'resubmitted', 'rerouted', 'change_reopened', 'change_notified', 'withdrawn', 'cancelled', 'suspended', 'flagged', 'level_lowered', 'level_raised', 'purged', name='trip_event_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('on_behalf_of_id', sa.Integer(), nullable=True),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.String(length=100), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('comment', sa.Text(), server_default='', nullable=False),
    sa.Column('conditions', sa.JSON(), nullable=False),
    sa.Column('from_state', sa.String(length=32), nullable=True),
    sa.Column('to_state', sa.String(length=32), nullable=True),
    sa.Column('level', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['person.id'], name=op.f('fk_trip_event_actor_id_person')),
    sa.ForeignKeyConstraint(['on_behalf_of_id'], ['person.id'], name=op.f('fk_trip_event_on_behalf_of_id_person')),
    sa.ForeignKeyConstraint(['trip_id'], ['trip.id'], name=op.f('fk_trip_event_trip_id_trip'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trip_event'))
    )
    with op.batch_alter_table('trip_event', schema=None) as batch_op:
        batch_op.create_index('ix_trip_event_round', ['trip_id', 'round'], unique=False)
        batch_op.create_index(batch_op.f('ix_trip_event_trip_id'), ['trip_id'], unique=False)

    op.create_table('trip_leg',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trip_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('city', sa.String(length=200), server_default='', nullable=False),
    sa.Column('arrives_on', sa.Date(), nullable=False),
    sa.Column('leaves_on', sa.Date(), nullable=False),
    sa.Column('accommodation', sa.String(length=500), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['trip_id'], ['trip.id'], name=op.f('fk_trip_leg_trip_id_trip'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trip_leg'))
    )
    with op.batch_alter_table('trip_leg', schema=None) as batch_op:
        batch_op.create_index('ix_trip_leg_place', ['country_code', 'region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_trip_leg_trip_id'), ['trip_id'], unique=False)

    op.create_table('trip_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trip_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.String(length=100), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=40), nullable=True),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['person.id'], name=op.f('fk_trip_task_assignee_id_person')),
    sa.ForeignKeyConstraint(['trip_id'], ['trip.id'], name=op.f('fk_trip_task_trip_id_trip'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trip_task'))
    )
    with op.batch_alter_table('trip_task', schema=None) as batch_op:
        batch_op.create_index('ix_trip_task_open_assignee', ['assignee_id', 'closed_at'], unique=False)
        batch_op.create_index('ix_trip_task_open_role', ['role', 'closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_trip_task_trip_id'), ['trip_id'], unique=False)



def downgrade():
    with op.batch_alter_table('trip_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trip_task_trip_id'))
        batch_op.drop_index('ix_trip_task_open_role')
        batch_op.drop_index('ix_trip_task_open_assignee')

    op.drop_table('trip_task')
    with op.batch_alter_table('trip_leg', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trip_leg_trip_id'))
        batch_op.drop_index('ix_trip_leg_place')

    op.drop_table('trip_leg')
    with op.batch_alter_table('trip_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trip_event_trip_id'))
        batch_op.drop_index('ix_trip_event_round')

    op.drop_table('trip_event')
    with op.batch_alter_table('trip', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trip_traveller_id'))
        batch_op.drop_index('ix_trip_state_departure')
        batch_op.drop_index(batch_op.f('ix_trip_needs_attention'))
        batch_op.drop_index(batch_op.f('ix_trip_level'))
        batch_op.drop_index(batch_op.f('ix_trip_group_id'))
        batch_op.drop_index(batch_op.f('ix_trip_faculty_id'))
        batch_op.drop_index(batch_op.f('ix_trip_departure_on'))

    op.drop_table('trip')
    op.drop_table('procedure_text')
