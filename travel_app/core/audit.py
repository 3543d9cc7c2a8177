"""The audit trail: one row per change or sensitive view, never updated or deleted.

The rows form a hash chain: each row's hash covers its content and the previous row's hash,
and a one-row head keeps the newest hash and the length. ``flask audit verify`` recomputes the
chain, so a row edited, deleted or slipped in afterwards (even at the end) is found. Rows are
chained when they are flushed, under the head's row lock, so concurrent transactions queue
for the head and never fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from travel_app.core.db import UTCDateTime, utcnow
from travel_app.extensions import Model, db

if TYPE_CHECKING:
    from travel_app.org.models import Person


class AuditEvent(Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: Null when the system acted (a task, a command without a user).
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="SET NULL"))
    #: Dotted verb, e.g. ``advisory.set`` or ``role.grant``.
    action: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: The chain, set at commit: the row's place, the previous row's hash and its own.
    seq: Mapped[int | None] = mapped_column(unique=True)
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash: Mapped[str | None] = mapped_column(sa.String(64))

    actor: Mapped[Person | None] = relationship(foreign_keys=[actor_id])

    __table_args__ = (
        sa.Index("ix_audit_event_object", "object_type", "object_id"),
        # Reviews by kind of act, newest first (the break-glass log).
        sa.Index("ix_audit_event_action", "action", "id"),
    )


GENESIS = "0" * 64


class AuditChainHead(Model):
    """The newest hash and the number of rows: the end of the chain, so a cut tail shows."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS)
    length: Mapped[int] = mapped_column(default=0)


def canonical(event: Any) -> bytes:
    """The row's content as hashed: stable JSON, the time in UTC to the microsecond."""
    at = event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    content = {
        "at": at,
        "actor_id": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": event.data,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, event: Any) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(event)).hexdigest()


_PENDING = "audit_unchained"
#: The rows :func:`add_rows` holds for the commit, which inserts them on the chain.
_PENDING_ROWS = "audit_rows_unchained"


@sa.event.listens_for(Session, "before_flush")
def _note_new_events(session: Session, _context: Any, _instances: Any) -> None:
    """Remember the audit rows this transaction adds; they are chained at commit."""
    new = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if new:
        session.info.setdefault(_PENDING, []).extend(new)


@sa.event.listens_for(Session, "before_commit")
def _chain_at_commit(session: Session) -> None:
    """Link this transaction's audit rows onto the chain, in the order of their ids.

    The head is locked last, just before the commit: a transaction holding it waits for
    nothing else, so it cannot take part in a deadlock, and the chain is held for one short
    moment per transaction. Rows added as objects (:func:`add`, :func:`record`) were flushed
    and get their place by an UPDATE; rows from :func:`add_rows` are inserted here, already
    on the chain (one statement instead of an INSERT and an UPDATE), after the others.
    """
    session.flush()  # commit flushes after this hook: flush now, so every new row is noted
    objects = sorted(
        (e for e in session.info.pop(_PENDING, []) if sa.inspect(e).persistent),
        key=lambda e: e.id,
    )
    rows: list[_Row] = session.info.pop(_PENDING_ROWS, [])
    added = len(objects) + len(rows)
    if not added:
        return
    take_head, link_events, move_tip, insert_chained = _chain_statements()
    connection = session.connection()
    # The UPDATE takes the head's row lock (PostgreSQL) or the write lock (SQLite) before it
    # reads, so the tip it returns stays the tip until this transaction ends.
    tip, length = connection.execute(take_head, {"b_added": added}).one()
    seq = length - added
    links = []
    for event in objects:
        seq, prev, tip = seq + 1, tip, chain_hash(tip, event)
        links.append({"b_id": event.id, "seq": seq, "prev_hash": prev, "hash": tip})
        # Keep the objects in step without another flush.
        set_committed_value(event, "seq", seq)
        set_committed_value(event, "prev_hash", prev)
        set_committed_value(event, "hash", tip)
    inserts = []
    for one in rows:
        seq, prev, tip = seq + 1, tip, chain_hash(tip, one)
        inserts.append({**asdict(one), "seq": seq, "prev_hash": prev, "hash": tip})
    if links:
        connection.execute(link_events, links)
    if inserts:
        connection.execute(insert_chained, inserts)
    connection.execute(move_tip, {"b_tip": tip})


@cache
def _chain_statements() -> tuple[sa.Update, sa.Update, sa.Update, sa.Insert]:
    """The chain's statements, built once (each commit with an audit row runs them): take the
    head, adding to its length; link the flushed rows; move the tip; insert chained rows."""
    head = cast(sa.Table, AuditChainHead.__table__)
    events = cast(sa.Table, AuditEvent.__table__)
    take_head = (
        head.update()
        .where(head.c.id == 1)
        .values(length=head.c.length + sa.bindparam("b_added"))
        .returning(head.c.tip_hash, head.c.length)
    )
    link_events = (
        events.update()
        .where(events.c.id == sa.bindparam("b_id"))
        .values(
            seq=sa.bindparam("seq"), prev_hash=sa.bindparam("prev_hash"), hash=sa.bindparam("hash")
        )
    )
    move_tip = head.update().where(head.c.id == 1).values(tip_hash=sa.bindparam("b_tip"))
    return take_head, link_events, move_tip, events.insert()


@sa.event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_PENDING_ROWS, None)


@dataclass
class ChainReport:
    checked: int
    #: (row id or None for the head, what is wrong), in chain order.
    problems: list[tuple[int | None, str]]

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_chain(batch: int = 5000) -> ChainReport:
    """Recompute every row's hash in chain order and compare the end with the head."""
    problems: list[tuple[int | None, str]] = []
    tip, checked, chained = GENESIS, 0, 0
    for event in _events_in_order(batch):
        checked += 1
        if event.seq is None:
            problems.append((event.id, "is not on the chain (a row was slipped in)"))
            continue
        chained += 1
        if event.seq != chained:
            problems.append((event.id, f"is number {event.seq} where {chained} was due"))
            chained = event.seq  # report the gap once, not for every row after it
        if event.prev_hash != tip:
            problems.append((event.id, "does not follow the row before it (a row was removed)"))
        if event.hash != chain_hash(event.prev_hash, event):
            problems.append((event.id, "content does not match its hash (the row was edited)"))
        tip = event.hash
    head = db.session.get(AuditChainHead, 1)
    if head is None:
        problems.append((None, "the chain head is missing"))
    else:
        if head.length != chained:
            problems.append(
                (None, f"the head counts {head.length} rows, the chain holds {chained}")
            )
        if head.tip_hash != tip:
            problems.append((None, "the newest row is not the one the head recorded"))
    return ChainReport(checked=checked, problems=problems)


def _events_in_order(batch: int) -> Iterator[Any]:
    """Plain rows, those off the chain first, then the chain in order, in batches: a long trail
    fills neither memory nor the session."""
    table = cast(sa.Table, AuditEvent.__table__)
    yield from db.session.execute(
        sa.select(table).where(table.c.seq.is_(None)).order_by(table.c.id)
    )
    last = 0
    while True:
        query = sa.select(table).where(table.c.seq > last).order_by(table.c.seq).limit(batch)
        rows = list(db.session.execute(query))
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def record(
    action: str,
    obj: Any,
    actor: Person | None = None,
    **data: Any,
) -> AuditEvent:
    """Add an audit event for ``obj`` to the session; the caller owns the commit."""
    db.session.flush()  # so new objects have their id
    return add(action, obj, actor, **data)


def _via_token() -> int | None:
    """The id of the access token the current request came in with, if any: every change made
    through the API names the token in its audit entry."""
    from flask import g, has_request_context

    if not has_request_context():
        return None
    token = g.get("service_token")
    return token.id if token is not None else None


def add(action: str, obj: Any, actor: Person | None = None, **data: Any) -> AuditEvent:
    """:func:`record` without the flush, for an ``obj`` that has its id: set-based callers
    add many events and let one flush insert them together."""
    if obj.id is None:
        raise ValueError(f"{type(obj).__name__} has no id yet: use audit.record")
    via = _via_token()
    if via is not None:
        data.setdefault("via_token", via)
    event = AuditEvent(
        action=action,
        object_type=type(obj).__name__.lower(),
        object_id=str(obj.id),
        actor_id=actor.id if actor is not None else None,
        data={k: _jsonable(v) for k, v in data.items()},
        at=utcnow(),
    )
    db.session.add(event)
    return event


@dataclass(frozen=True)
class _Row:
    """An audit row from :func:`add_rows`, held until the commit inserts it on the chain."""

    at: datetime
    actor_id: int | None
    action: str
    object_type: str
    object_id: str
    data: dict[str, Any]


def row(
    action: str, object_type: str, object_id: int | str, actor_id: int | None, **data: Any
) -> dict[str, Any]:
    """One audit row for :func:`add_rows`, its data made JSON the way the chain hashes it."""
    via = _via_token()
    if via is not None:
        data.setdefault("via_token", via)
    return {
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "actor_id": actor_id,
        "data": {k: _jsonable(v) for k, v in data.items()},
    }


def add_rows(rows: list[dict[str, Any]], at: datetime | None = None) -> None:
    """Add many audit rows (from :func:`row`), inserted at commit in one statement already on
    the chain, so set-based writers put every step on the chain at a fixed cost."""
    if rows:
        at = at or utcnow()
        held = db.session().info.setdefault(_PENDING_ROWS, [])
        held.extend(_Row(at=at, **r) for r in rows)


def record_refusal(
    actor: Person | None,
    endpoint: str | None,
    method: str,
    path: str,
    view_args: dict[str, Any] | None,
) -> AuditEvent:
    """Add an ``access.refused`` event: who knocked where, and on which objects."""
    event = AuditEvent(
        action="access.refused",
        object_type="route",
        object_id=(endpoint or "-")[:64],
        actor_id=actor.id if actor is not None else None,
        data={"method": method, "path": path[:500], **_jsonable(view_args or {})},
        at=utcnow(),
    )
    db.session.add(event)
    return event


def _jsonable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):  # keys as JSON stores them, so the hash is of what is stored
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return str(value)
