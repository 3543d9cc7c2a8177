"""The audit trail is hash-chained: ``flask audit verify`` finds an edited, removed, cut or
slipped-in row, and every decision, refusal and sensitive view is on it."""

from __future__ import annotations

from itertools import pairwise

import sqlalchemy as sa

from travel_app.core import audit
from travel_app.core.audit import AuditChainHead, AuditEvent


def _events(db):
    return db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)).all()


def _verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def _some_history(client, login_as, make_person):
    """Real requests that audit: logins, a language change, refusals."""
    login_as()
    client.post("/language", data={"language": "nl"})
    client.get("/admin/")  # refused: audited
    client.post("/logout")
    client.post("/login", data={"email": make_person().email, "password": "wrong"})


def test_the_chain_of_a_real_history_verifies(app, db, client, login_as, make_person):
    _some_history(client, login_as, make_person)
    events = _events(db)
    assert len(events) >= 6
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in pairwise(events))
    head = db.session.get(AuditChainHead, 1)
    assert (head.length, head.tip_hash) == (len(events), events[-1].hash)
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert f"{len(events)} rows" in result.output


def test_an_edited_row_is_found(app, db, client, login_as, make_person):
    _some_history(client, login_as, make_person)
    victim = _events(db)[2]
    db.session.execute(
        sa.update(AuditEvent).where(AuditEvent.id == victim.id).values(actor_id=None)
    )
    db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert f"row {victim.id}: content does not match" in result.output


def test_an_edit_that_also_rewrites_the_rows_hash_is_found_at_the_next_row(
    app, db, client, login_as, make_person
):
    _some_history(client, login_as, make_person)
    victim = _events(db)[2]
    forged = AuditEvent(
        at=victim.at,
        actor_id=None,
        action=victim.action,
        object_type=victim.object_type,
        object_id=victim.object_id,
        data=victim.data,
    )
    new_hash = audit.chain_hash(victim.prev_hash, forged)
    db.session.execute(
        sa.update(AuditEvent).where(AuditEvent.id == victim.id).values(actor_id=None, hash=new_hash)
    )
    db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert "does not follow the row before it" in result.output


def test_a_deleted_row_is_found(app, db, client, login_as, make_person):
    _some_history(client, login_as, make_person)
    victim = _events(db)[3]
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == victim.id))
    db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert "does not follow the row before it" in result.output


def test_a_cut_tail_is_found_by_the_head(app, db, client, login_as, make_person):
    _some_history(client, login_as, make_person)
    last = _events(db)[-1]
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == last.id))
    db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert "BROKEN head" in result.output


def test_a_row_slipped_in_with_sql_is_found(app, db, client, login_as, make_person):
    _some_history(client, login_as, make_person)
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO audit_event (at, action, object_type, object_id, data) "
                "VALUES (CURRENT_TIMESTAMP, 'trip.approve', 'trip', '1', '{}')"
            )
        )
    result = _verify(app)
    assert result.exit_code == 1
    assert "is not on the chain" in result.output


def test_a_rolled_back_transaction_leaves_the_chain_intact(app, db, make_person):
    person = make_person()
    audit.record("person.language", person, person, language="nl")
    db.session.rollback()
    audit.record("person.language", person, person, language="en")
    db.session.commit()
    assert _verify(app).exit_code == 0


def test_rows_added_in_sets_and_as_objects_share_the_chain_in_one_transaction(app, db, make_person):
    """Set-based writers' rows are inserted at commit on the chain, after the transaction's
    flushed rows; rows of a rolled-back transaction never reach it."""
    person = make_person()
    db.session.commit()
    before = len(_events(db))
    audit.add_rows([audit.row("trip.lost", "trip", 1, person.id)])
    db.session.rollback()
    audit.record("person.language", person, person, language="nl")
    audit.add_rows(
        [
            audit.row("trip.decision", "trip", 7, person.id, event=1, keyed={2: "b", 10: "a"}),
            audit.row("trip.decision", "trip", 8, None, event=2),
        ]
    )
    audit.record("person.language", person, person, language="en")
    db.session.commit()
    events = _events(db)[before:]
    assert [e.action for e in events] == [
        "person.language",
        "person.language",
        "trip.decision",
        "trip.decision",
    ]
    assert [e.seq for e in events] == [before + n for n in (1, 2, 3, 4)]
    assert all(b.prev_hash == a.hash for a, b in pairwise(_events(db)))
    assert events[2].data["keyed"] == {"2": "b", "10": "a"}  # as stored, as hashed
    head = db.session.get(AuditChainHead, 1)
    assert (head.length, head.tip_hash) == (before + 4, events[-1].hash)
    result = _verify(app)
    assert result.exit_code == 0, result.output
