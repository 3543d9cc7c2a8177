"""Co-travellers' trips lose the emergency contact, phone and medical note copied from the
trip that filed their group, each removal on the trip's timeline and the audit chain

Revision ID: e5c1a7f3b920
Revises: d4b7e2a91c05
Create Date: 2026-12-01 07:10:00.000000

Filing a group used to copy the filer's own emergency contact, phone and medical note into
every co-traveller's trip. A value of a co-traveller's trip equal to the filing trip's is such
a copy (a co-traveller could only overwrite it with their own): it is cleared. The medical
note is encrypted with a fresh nonce each time, so the ciphertexts of a copy differ: the notes
are compared decrypted, with the application's keys (MEDICAL_NOTE_KEYS, which the application
needs to run at all). A note that none of the keys opens is left as it is and counted in a
warning. Nothing is restored on downgrade: the copies belonged to someone else.
"""
import hashlib
import json
import logging
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


# revision identifiers, used by Alembic.
revision = 'e5c1a7f3b920'
down_revision = 'd4b7e2a91c05'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

OLD_KINDS = (
    'created', 'edited', 'submitted', 'decision', 'resubmitted', 'rerouted', 'change_reopened',
    'change_notified', 'withdrawn', 'cancelled', 'suspended', 'flagged', 'level_lowered',
    'level_raised', 'purged', 'departed', 'returned', 'safe_return',
)
NEW_KINDS = OLD_KINDS + ('private_data_cleared',)
KIND = 'private_data_cleared'
PLAIN = ('emergency_name', 'emergency_phone', 'mobile_phone')


def _event_kinds(kinds):
    """Replace the CHECK on trip_event.kind (batch mode: SQLite rebuilds the table)."""
    with op.batch_alter_table('trip_event', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_trip_event_trip_event_kind'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_trip_event_trip_event_kind'), sa.column('kind').in_(kinds)
        )


def _hash(prev_hash, row):
    """The chain's hash as travel_app.core.audit computes it, frozen here."""
    content = {
        "at": row["at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": row["actor_id"],
        "action": row["action"],
        "object_type": row["object_type"],
        "object_id": row["object_id"],
        "data": row["data"],
    }
    body = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(prev_hash.encode() + b"\n" + body.encode()).hexdigest()


def _opener():
    """Decrypt a medical note with the application's keys; None when no key opens it."""
    keys = [k.strip() for k in current_app.config.get("MEDICAL_NOTE_KEYS", "").split(",")]
    keys = [k for k in keys if k]
    fernet = MultiFernet([Fernet(k) for k in keys]) if keys else None

    def open_(token):
        if token is None or fernet is None:
            return None
        try:
            return fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            return None

    return open_


TRIP = sa.table(
    'trip',
    sa.column('id', sa.Integer), sa.column('group_id', sa.Integer),
    sa.column('state', sa.String), sa.column('level', sa.Integer),
    sa.column('round', sa.Integer), sa.column('version', sa.Integer),
    sa.column('emergency_name', sa.String), sa.column('emergency_phone', sa.String),
    sa.column('mobile_phone', sa.String), sa.column('medical_note', sa.Text),
    sa.column('updated_at', sa.DateTime(timezone=True)),
)
EVENT = sa.table(
    'trip_event',
    sa.column('trip_id', sa.Integer), sa.column('at', sa.DateTime(timezone=True)),
    sa.column('kind', sa.String), sa.column('actor_id', sa.Integer),
    sa.column('on_behalf_of_id', sa.Integer), sa.column('round', sa.Integer),
    sa.column('step_id', sa.String), sa.column('outcome', sa.String),
    sa.column('comment', sa.Text), sa.column('conditions', sa.JSON),
    sa.column('from_state', sa.String), sa.column('to_state', sa.String),
    sa.column('level', sa.Integer), sa.column('data', sa.JSON),
)
AUDIT = sa.table(
    'audit_event',
    sa.column('at', sa.DateTime(timezone=True)), sa.column('actor_id', sa.Integer),
    sa.column('action', sa.String), sa.column('object_type', sa.String),
    sa.column('object_id', sa.String), sa.column('data', sa.JSON),
    sa.column('seq', sa.Integer), sa.column('prev_hash', sa.String), sa.column('hash', sa.String),
)
HEAD = sa.table(
    'audit_chain_head',
    sa.column('id', sa.Integer), sa.column('tip_hash', sa.String), sa.column('length', sa.Integer),
)


def _copies(bind):
    """(trip row, names of the fields that hold the filing trip's value), per co-traveller."""
    member, filing = TRIP.alias('member'), TRIP.alias('filing')
    rows = bind.execute(
        sa.select(member, *(filing.c[f].label(f'filing_{f}') for f in (*PLAIN, 'medical_note')))
        .join(filing, filing.c.id == member.c.group_id)
        .where(member.c.group_id.is_not(None), member.c.id != member.c.group_id)
        .order_by(member.c.id)
    ).mappings().all()
    open_ = _opener()
    found, unreadable = [], 0
    for row in rows:
        fields = [f for f in PLAIN if row[f] and row[f] == row[f'filing_{f}']]
        if row['medical_note'] is not None and row['filing_medical_note'] is not None:
            mine, theirs = open_(row['medical_note']), open_(row['filing_medical_note'])
            if mine is None or theirs is None:
                unreadable += 1
            elif mine == theirs:
                fields.append('medical_note')
        if fields:
            found.append((row, fields))
    if unreadable:
        log.warning(
            "%d co-travellers' medical notes could not be decrypted with MEDICAL_NOTE_KEYS and"
            " were left as they are: compare them by hand", unreadable,
        )
    return found


def upgrade():
    _event_kinds(NEW_KINDS)
    bind = op.get_bind()
    found = _copies(bind)
    if not found:
        return
    now = datetime.now(UTC)
    audits = []
    for row, fields in found:
        version = row['version'] + 1
        bind.execute(
            TRIP.update()
            .where(TRIP.c.id == row['id'])
            .values(
                version=version,
                updated_at=now,
                **{f: (None if f == 'medical_note' else '') for f in fields},
            )
        )
        bind.execute(
            EVENT.insert().values(
                trip_id=row['id'], at=now, kind=KIND, actor_id=None, on_behalf_of_id=None,
                round=row['round'], step_id=None, outcome=None, comment='', conditions=[],
                from_state=row['state'], to_state=row['state'], level=row['level'],
                data={'fields': fields},
            )
        )
        audits.append({
            'at': now, 'actor_id': None, 'action': f'trip.{KIND}', 'object_type': 'trip',
            'object_id': str(row['id']),
            'data': {
                'from_state': row['state'], 'to_state': row['state'], 'round': row['round'],
                'version': version, 'step': None, 'outcome': None, 'on_behalf_of': None,
                'fields': fields,
            },
        })
    # Onto the chain as the application's commit hook does it: the UPDATE takes the head's
    # lock before it reads, so the tip it returns stays the tip until this migration commits.
    tip, length = bind.execute(
        HEAD.update()
        .where(HEAD.c.id == 1)
        .values(length=HEAD.c.length + len(audits))
        .returning(HEAD.c.tip_hash, HEAD.c.length)
    ).one()
    seq = length - len(audits)
    for audit in audits:
        seq += 1
        prev, tip = tip, _hash(tip, audit)
        bind.execute(AUDIT.insert().values(**audit, seq=seq, prev_hash=prev, hash=tip))
    bind.execute(HEAD.update().where(HEAD.c.id == 1).values(tip_hash=tip))
    log.info("Cleared copied private data on %d co-travellers' trips", len(found))


def downgrade():
    op.execute(sa.text(f"DELETE FROM trip_event WHERE kind = '{KIND}'"))
    _event_kinds(OLD_KINDS)
