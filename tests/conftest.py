"""Shared fixtures: the app on a real database, per-test isolation, clients and factories.

The database is SQLite in a temporary file by default, or ``TEST_DATABASE_URL`` (PostgreSQL in
CI). The schema comes from the Alembic migrations, so every run also proves that they apply.
Each test ends by emptying every table and restoring the reference rows the migration inserted,
so committed data (from requests, CLI commands or a real Celery worker) never leaks between tests.

``make test`` runs the suite over both cores (pytest-xdist). Each worker process has a database
of its own: a SQLite file in its own temporary directory, or on PostgreSQL ``<name>_gw0``,
``<name>_gw1``, … beside ``TEST_DATABASE_URL``'s (created when absent). Likewise its own Redis
databases, counted down from ``TEST_REDIS_URL``'s number: two per worker, the broker's and a
spare one (see ``worker_redis_url``). Servers started by tests listen on free ports.
"""

from __future__ import annotations

import email
import io
import itertools
import os
import socket
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from email import policy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import flask_migrate
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient

from config import TestingConfig
from travel_app import create_app
from travel_app.extensions import db as _db
from travel_app.extensions import limiter
from travel_app.org import operations as org_ops
from travel_app.org.models import Category, Person, Role, Unit, UnitKind
from travel_app.places import operations as place_ops
from travel_app.places.models import Advisory

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
PASSWORD = "correct horse battery"

#: The pytest-xdist worker this process is ("gw0", "gw1", …), "" in a serial run. A pytest run
#: started by a test inherits it, and so uses the databases of the worker that started it.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKER_INDEX = int(XDIST_WORKER[2:]) if XDIST_WORKER[2:].isdigit() else 0
REDIS_DBS_PER_WORKER = 2


#: Tests under this folder drive Chromium; over several processes they all run in one.
BROWSER_TESTS = "tests/e2e/"


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With ``--dist loadgroup`` (pyproject.toml), the browser tests run in one process, in order.

    One Chromium instead of one per process, and the screenshots under ``docs/screenshots`` come
    out the same each run (two journeys photograph the same page: the later one's is kept). The
    other process runs the rest meanwhile. Grouped by path here because pytest-xdist 3.8's own
    ``xdist_group`` marks are ignored under pytest 9.2 (pytest-dev/pytest-xdist#1386).
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class BrowserTestsTogether(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith(BROWSER_TESTS):
                return BROWSER_TESTS
            return str(super()._split_scope(nodeid))

    return BrowserTestsTogether(config, log)


class IsolatedClient(FlaskClient):
    """Run every request in its own app context, as a real server does.

    Without this, requests would share the test's app context: its ``g`` (where Flask-Login
    caches the user) and its database session.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


def worker_database_url(url: str) -> str:
    """This worker's PostgreSQL database beside ``url``'s (``test_gw1``), created if absent."""
    if not XDIST_WORKER:
        return url
    base = sa.make_url(url)
    name = f"{base.database}_{XDIST_WORKER}"
    server = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            # One creation at a time: CREATE DATABASE copies template1, and runs outside a
            # transaction, so workers starting together take turns.
            conn.execute(
                sa.text("SELECT pg_advisory_lock(hashtext('safe-passage-test-databases'))")
            )
            exists = conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            conn.execute(
                sa.text("SELECT pg_advisory_unlock(hashtext('safe-passage-test-databases'))")
            )
    except sa.exc.SQLAlchemyError as exc:
        pytest.fail(f"cannot create the test database {name} beside {url}: {exc}", pytrace=False)
    finally:
        server.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def worker_redis_url(spare: bool = False) -> str:
    """This worker's Redis database: the broker's, or (``spare``) one a test may fill and empty.

    Counted down from ``TEST_REDIS_URL``'s number: a serial run uses 15 and 14, worker gw0
    also 15 and 14, gw1 13 and 12, and so on.
    """
    assert TEST_REDIS_URL, "only with TEST_REDIS_URL"
    parts = urlsplit(TEST_REDIS_URL)
    number = int(parts.path.strip("/") or 0) - REDIS_DBS_PER_WORKER * WORKER_INDEX - int(spare)
    if number < 0:
        pytest.fail(
            f"TEST_REDIS_URL={TEST_REDIS_URL} leaves worker {XDIST_WORKER} no Redis database of"
            " its own: use a higher database number (15) or fewer workers",
            pytrace=False,
        )
    return urlunsplit(parts._replace(path=f"/{number}"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_DATABASE_URL:
        # Commits need not wait for the disk: a test server's crash loses nothing of value.
        url = sa.make_url(worker_database_url(TEST_DATABASE_URL))
        url = url.update_query_dict({"options": "-c synchronous_commit=off"})
        return url.render_as_string(hide_password=False)
    return f"sqlite:///{memory_dir(tmp_path_factory, 'db') / 'test.db'}"


def memory_dir(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A directory for a SQLite file: in RAM (/dev/shm) where the machine has it, since each
    test's commits would otherwise wait for the disk (a test file's durability is worth
    nothing); else the test's temporary directory. Removed at the end of the session."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        return tmp_path_factory.mktemp(name)
    import atexit
    import shutil
    import tempfile

    path = Path(tempfile.mkdtemp(prefix=f"safe-passage-{name}-", dir=shm))
    atexit.register(shutil.rmtree, path, True)
    return path


@pytest.fixture(scope="session")
def broker_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_REDIS_URL:
        import redis

        url = worker_redis_url()
        try:
            redis.Redis.from_url(url, socket_connect_timeout=5).ping()
        except redis.RedisError as exc:
            pytest.fail(f"TEST_REDIS_URL={url} is unreachable: {exc}", pytrace=False)
        return url
    return f"sqla+sqlite:///{memory_dir(tmp_path_factory, 'broker') / 'broker.db'}"


def make_app(database_url: str, broker_url: str, mail_dir: Path, **overrides: Any) -> Flask:
    celery = dict(TestingConfig.CELERY, broker_url=broker_url)
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        MAIL_FILE_DIR=str(mail_dir),
        UPLOAD_DIR=str(mail_dir.parent / "uploads"),
        MAIL_SERVER="",
        CELERY=celery,
        **overrides,
    )
    app.test_client_class = IsolatedClient
    return app


def _drop_everything(engine: sa.Engine) -> None:
    meta = sa.MetaData()
    meta.reflect(bind=engine)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for name in meta.tables:  # CASCADE: the order does not matter
                conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
        else:
            conn.execute(sa.text("PRAGMA foreign_keys=OFF"))
            for name in meta.tables:  # foreign keys are off: the order does not matter
                conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
            conn.execute(sa.text("PRAGMA foreign_keys=ON"))


@pytest.fixture(scope="session")
def _session_app(
    database_url: str, broker_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Flask, dict[str, list[dict[str, Any]]], dict[str, tuple[str, str]]]]:
    app = make_app(database_url, broker_url, tmp_path_factory.mktemp("mail"))
    with app.app_context():
        _drop_everything(_db.engine)
        flask_migrate.upgrade()
        with _db.engine.connect() as conn:
            reference = {
                table.name: [dict(r) for r in conn.execute(sa.select(table)).mappings()]
                for table in _db.metadata.sorted_tables
            }
        reference = {name: rows for name, rows in reference.items() if rows}
        sequences = _table_sequences(_db.engine) if _db.engine.dialect.name == "postgresql" else {}
        _keep_insertion_order(_db.engine)
    yield app, reference, sequences
    with app.app_context():
        _db.engine.dispose()


def _keep_insertion_order(engine: sa.Engine) -> None:
    """PostgreSQL: no autovacuum on the test tables. Emptied by DELETE, a table would otherwise
    be vacuumed now and then and take new rows into the freed space, and a query without ORDER
    BY (many a test's ``.all()``) would see them out of the order they were written."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in _db.metadata.sorted_tables:
            conn.execute(sa.text(f'ALTER TABLE "{table.name}" SET (autovacuum_enabled = false)'))


def _table_sequences(engine: sa.Engine) -> dict[str, tuple[str, str]]:
    """PostgreSQL: each table's id sequence, as {sequence: (table, column)}."""
    found: dict[str, tuple[str, str]] = {}
    with engine.connect() as conn:
        for table in _db.metadata.sorted_tables:
            column = table.autoincrement_column
            if column is None:
                continue
            name = conn.scalar(
                sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                {"t": table.name, "c": column.name},
            )
            if name:
                found[name.split(".")[-1].strip('"')] = (table.name, column.name)
    return found


def _reset_tables(
    engine: sa.Engine,
    reference: dict[str, list[dict[str, Any]]],
    sequences: dict[str, tuple[str, str]],
) -> None:
    """Every table back to what the migrations left, ids counting from the start again.

    On PostgreSQL only the tables holding rows are emptied: a TRUNCATE of all forty tables
    rewrote their files after every test (about 0.1 s each, 5 minutes a run). A few rows go by
    DELETE; a bulk load (over a thousand rows) by TRUNCATE, which leaves no dead rows behind.
    Autovacuum is off for the test tables (:func:`_keep_insertion_order`), so rows come back
    in the order they were written, as after a TRUNCATE.
    """
    tables = _db.metadata.sorted_tables
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            probe = " UNION ALL ".join(
                f"SELECT '{t.name}', (SELECT count(*) FROM (SELECT 1 FROM \"{t.name}\" LIMIT 1001)"
                " AS r) AS n"
                for t in tables
            )
            counts = {name: n for name, n in conn.execute(sa.text(probe)) if n}
            bulky = [f'"{name}"' for name, n in counts.items() if n > 1000]
            if bulky:
                conn.execute(sa.text(f"TRUNCATE {', '.join(bulky)} CASCADE"))
            for table in reversed(tables):  # children before the rows they refer to
                if table.name in counts and counts[table.name] <= 1000:
                    conn.execute(table.delete())
        else:
            conn.execute(sa.text("PRAGMA foreign_keys=OFF"))
            for table in tables:
                conn.execute(table.delete())
            conn.execute(sa.text("PRAGMA foreign_keys=ON"))
        for table in tables:
            rows = reference.get(table.name)
            if rows:
                conn.execute(table.insert(), rows)
        if engine.dialect.name == "postgresql":
            used = conn.scalars(
                sa.text(
                    "SELECT sequencename FROM pg_sequences"
                    " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
                )
            ).all()
            for name in used:
                if name not in sequences:
                    continue
                table_name, column = sequences[name]
                # Restored rows carry their ids: the sequence continues after them.
                conn.execute(
                    sa.text(
                        f"SELECT setval('\"{name}\"', "
                        f'COALESCE((SELECT max("{column}") FROM "{table_name}"), 0) + 1, false)'
                    )
                )


@pytest.fixture
def app(
    _session_app: tuple[Flask, dict[str, list[dict[str, Any]]], dict[str, tuple[str, str]]],
) -> Iterator[Flask]:
    """The app with an app context pushed; every table and the login throttle are reset after."""
    flask_app, reference, sequences = _session_app
    ctx = flask_app.app_context()
    ctx.push()
    try:
        yield flask_app
    finally:
        _db.session.remove()
        _reset_tables(_db.engine, reference, sequences)
        limiter.reset()
        ctx.pop()


@pytest.fixture
def other_app(database_url: str, broker_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build another app on the same database with config overrides; its pool is closed after."""
    built: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        built.append(make_app(database_url, broker_url, tmp_path, **overrides))
        return built[-1]

    yield build
    for extra in built:
        with extra.app_context():
            _db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Any:
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- factories -----------------------------------------------------------------------------------

_seq = itertools.count(1)


@pytest.fixture
def make_unit(db: Any) -> Callable[..., Unit]:
    def make(
        kind: UnitKind = UnitKind.DEPARTMENT,
        parent: Unit | None = None,
        head: Person | None = None,
        code: str | None = None,
    ) -> Unit:
        n = next(_seq)
        if parent is None and kind is not UnitKind.UNIVERSITY:
            parent_kind = UnitKind.FACULTY if kind is UnitKind.DEPARTMENT else UnitKind.UNIVERSITY
            parent = make(parent_kind)
        unit = org_ops.create_unit(
            kind=kind,
            code=code or f"{kind.value[:3].upper()}{n}",
            name_nl=f"Eenheid {n}",
            name_en=f"Unit {n}",
            parent=parent,
            head=head,
            actor=None,
        )
        db.session.commit()
        return unit

    return make


@pytest.fixture
def make_person(db: Any) -> Callable[..., Person]:
    def make(
        *,
        email: str | None = None,
        name: str | None = None,
        category: Category | str = Category.PROFESSOR,
        unit: Unit | None = None,
        roles: tuple[Role | tuple[Role, Unit], ...] = (),
        language: str = "en",
        nationalities: tuple[str, ...] = ("BE",),
        password: str = PASSWORD,
        is_active: bool = True,
    ) -> Person:
        n = next(_seq)
        person = org_ops.create_person(
            email=email or f"person{n}@uni.example",
            name=name or f"Person {n}",
            category=category,
            unit=unit,
            language=language,
            nationalities=list(nationalities),
            password=password or None,
        )
        person.is_active_account = is_active
        for role in roles:
            role, scope = role if isinstance(role, tuple) else (role, None)
            org_ops.grant_role(person, role, scope, actor=None)
        db.session.commit()
        return person

    return make


@pytest.fixture
def make_advisory(db: Any) -> Callable[..., Advisory]:
    def make(
        country: str = "ML",
        region: str | None = None,
        level: int = 3,
        source: str = "be_fps",
        effective_on: date | None = None,
        summary: str = "Test advice",
        tags: tuple[str, ...] = (),
    ) -> Advisory:
        advisory = place_ops.set_advisory(
            country_code=country,
            region_code=region,
            level=level,
            source_code=source,
            effective_on=effective_on or date(2026, 1, 1),
            summary=summary,
            tags=list(tags),
            actor=None,
        )
        db.session.commit()
        return advisory

    return make


def readable(response: Any) -> str:
    """What a response says, as text: a page as it is; a spreadsheet (a zip of XML parts) by
    the text of its parts; a PDF as its bytes read one to a character."""
    body = response.get_data()
    if response.mimetype == "application/pdf":
        return body.decode("latin-1")
    if body[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(body)) as parts:
            return "\n".join(
                parts.read(name).decode("utf-8")
                for name in parts.namelist()
                if name.endswith((".xml", ".rels"))
            )
    return str(response.get_data(as_text=True))


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture
def login_as(
    client: FlaskClient, make_person: Callable[..., Person], make_unit: Callable[..., Unit]
) -> Callable[..., Person]:
    """Log ``client`` in as a new person holding ``role`` (None: a plain traveller)."""

    def do(role: Role | None = None, **kwargs: Any) -> Person:
        roles: tuple[Any, ...] = ()
        if role is Role.FACULTY_AUTHORITY:
            roles = ((role, make_unit(UnitKind.FACULTY)),)
        elif role is not None:
            roles = (role,)
        person = make_person(roles=roles, **kwargs)
        response = login(client, person.email)
        assert response.status_code == 302, response.data
        return person

    return do


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], Any]:
    """Count the SQL statements run inside a ``with count_queries() as counter:`` block."""
    from contextlib import contextmanager

    @contextmanager
    def counting() -> Iterator[list[str]]:
        statements: list[str] = []

        def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        sa.event.listen(_db.engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            sa.event.remove(_db.engine, "before_cursor_execute", before)

    return counting


class SmtpInbox:
    """What a real (in-process aiosmtpd) SMTP server received: (from, to, raw bytes)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "451 Try again later"
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[SmtpInbox, int]]:
    """A real SMTP server on 127.0.0.1 for the test; yields its inbox and port."""
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def worker_env(database_url: str, broker_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment for a real ``celery`` worker or beat on the tests' database and broker."""
    env = dict(os.environ)
    env.update(
        SAFE_PASSAGE_ENV="development",
        SAFE_PASSAGE_INSTANCE=str(tmp_path),
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        HEARTBEAT_INTERVAL_SECONDS="1",
    )
    env.pop("REDIS_URL", None)
    return env


@pytest.fixture
def delivered(
    app: Flask, smtp_server: tuple[SmtpInbox, int]
) -> Callable[[], dict[str, list[email.message.EmailMessage]]]:
    """Drain the outbox to the test's SMTP server; return the parsed messages by recipient."""
    from travel_app.outbox import delivery

    inbox, port = smtp_server

    def do() -> dict[str, list[email.message.EmailMessage]]:
        config = {**app.config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port}
        delivery.drain(config)
        _db.session.expire_all()
        got: dict[str, list[email.message.EmailMessage]] = {}
        for _, rcpts, raw in inbox.messages:
            parsed = email.message_from_bytes(raw, policy=policy.default)
            for rcpt in rcpts:
                got.setdefault(rcpt, []).append(parsed)
        return got

    return do


def outbox_rows(kind: str) -> list[Any]:
    """The queued e-mails of ``kind``: recipient, subject, day, text (a fresh read; mails
    queued as data written first, as the worker writes them before sending)."""
    from travel_app.outbox import delivery
    from travel_app.outbox.models import OutboxMessage

    delivery.render_queued()
    _db.session.expire_all()
    return list(
        _db.session.execute(
            sa.select(
                OutboxMessage.recipient,
                OutboxMessage.subject,
                OutboxMessage.due_on,
                OutboxMessage.text,
            )
            .where(OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)
        ).all()
    )


def tampered(token: str) -> str:
    """Return the signed token with one signature character changed: its signature no longer fits.

    The last base64 character of a signature carries padding bits: changing only it may decode to
    the same bytes and leave the signature valid, so the character changed is one well inside.
    """
    at = len(token) - 6
    return token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1 :]
