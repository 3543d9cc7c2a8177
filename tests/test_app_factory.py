"""The factory, the settings profiles, and production's refusal of unsafe settings."""

from __future__ import annotations

import subprocess
import sys

import pytest

import config
from config import ConfigError, ProductionConfig
from travel_app import create_app
from travel_app.access_policy import public

ROOT = config.BASE_DIR


def run_wsgi(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": config.DEFAULT_SECRET_KEY}, "SECRET_KEY"),
        ({"SECRET_KEY": "x" * 40}, "DATABASE_URL"),
        (
            {"SECRET_KEY": "x" * 40, "DATABASE_URL": "postgresql+psycopg://u@h/db"},
            "CELERY_BROKER_URL or REDIS_URL",
        ),
        (
            {
                "SECRET_KEY": "x" * 40,
                "DATABASE_URL": "postgresql+psycopg://u@h/db",
                "REDIS_URL": "redis://127.0.0.1:6379/0",
            },
            "MAIL_SERVER",
        ),
        (
            {
                "SECRET_KEY": "x" * 40,
                "DATABASE_URL": "postgresql+psycopg://u@h/db",
                "REDIS_URL": "redis://127.0.0.1:6379/0",
                "MAIL_SERVER": "smtp.uni.example",
            },
            "MEDICAL_NOTE_KEYS",
        ),
        (
            {
                "SECRET_KEY": "x" * 40,
                "DATABASE_URL": "postgresql+psycopg://u@h/db",
                "CELERY_BROKER_URL": "amqp://guest@127.0.0.1//",
                "MAIL_SERVER": "smtp.uni.example",
            },
            "REDIS_URL or RATELIMIT_STORAGE_URI",
        ),
    ],
)
def test_production_refuses_to_start_and_names_the_missing_variable(tmp_path, env, variable):
    result = run_wsgi(
        {"SAFE_PASSAGE_ENV": "production", "SAFE_PASSAGE_INSTANCE": str(tmp_path), **env}
    )
    assert_refused_in_one_line(result, f"Set {variable}")


def assert_refused_in_one_line(result: subprocess.CompletedProcess[str], words: str) -> None:
    """The process stopped with one line naming what to set, and no traceback."""
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("ConfigError: ")
    assert words in line


FERNET_KEY = "3q2-7wJ0m1cKQn3R5Y8pXk6bX9f0QZ1t2v4w6y8z0Ac="


def _production_env(tmp_path) -> dict[str, str]:
    return {
        "SAFE_PASSAGE_ENV": "production",
        "SAFE_PASSAGE_INSTANCE": str(tmp_path),
        "SECRET_KEY": "x" * 40,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "MAIL_SERVER": "smtp.uni.example",
        "MEDICAL_NOTE_KEYS": FERNET_KEY,
        "ALLOWED_HOSTS": "travel.uni.example",
        "PUBLIC_URL": "https://travel.uni.example",
    }


def test_production_starts_with_its_variables_set(tmp_path):
    result = run_wsgi(_production_env(tmp_path))
    assert result.returncode == 0, result.stderr


def test_production_refuses_debug_mode(tmp_path):
    result = run_wsgi({**_production_env(tmp_path), "FLASK_DEBUG": "1"})
    assert_refused_in_one_line(result, "production refuses the debugger")


@pytest.mark.parametrize("length", [1, 16, 31])
def test_production_refuses_a_secret_key_shorter_than_32_bytes(tmp_path, length):
    result = run_wsgi({**_production_env(tmp_path), "SECRET_KEY": "k" * length})
    assert_refused_in_one_line(result, "Set SECRET_KEY to at least 32 bytes")


def test_production_counts_the_secret_key_in_bytes_and_takes_32(tmp_path):
    assert run_wsgi({**_production_env(tmp_path), "SECRET_KEY": "é" * 16}).returncode == 0
    assert run_wsgi({**_production_env(tmp_path), "SECRET_KEY": "k" * 32}).returncode == 0


@pytest.mark.parametrize(
    ("keys", "entry"),
    [
        ("not-a-fernet-key", "entry 1 of 1"),
        (f"{FERNET_KEY},{FERNET_KEY[:-2]}", "entry 2 of 2"),  # cut short
        (f"{FERNET_KEY}, {'A' * 43}!", "entry 2 of 2"),  # not base64
        (f"{'x' * 44}", "entry 1 of 1"),
    ],
)
def test_production_refuses_a_medical_note_key_that_is_not_a_fernet_key(tmp_path, keys, entry):
    result = run_wsgi({**_production_env(tmp_path), "MEDICAL_NOTE_KEYS": keys})
    assert_refused_in_one_line(result, "Set MEDICAL_NOTE_KEYS to valid Fernet keys")
    assert entry in result.stderr
    assert "not-a-fernet-key" not in result.stderr and "x" * 44 not in result.stderr


def test_production_takes_several_fernet_keys_and_ignores_empty_entries(tmp_path):
    keys = f"{FERNET_KEY}, {FERNET_KEY.replace('3q2', 'Zq2')},"
    assert run_wsgi({**_production_env(tmp_path), "MEDICAL_NOTE_KEYS": keys}).returncode == 0


def test_production_refuses_to_start_without_its_host_names(tmp_path):
    env = _production_env(tmp_path)
    del env["ALLOWED_HOSTS"]
    assert_refused_in_one_line(run_wsgi(env), "Set ALLOWED_HOSTS (or SERVER_NAME)")
    assert run_wsgi({**env, "SERVER_NAME": "travel.uni.example"}).returncode == 0


def test_production_refuses_a_request_for_another_host_name(tmp_path):
    script = (
        "import wsgi; c = wsgi.app.test_client();"
        "print(*(c.get('/login', headers={'Host': h}).status_code for h in"
        " ('travel.uni.example', 'TRAVEL.uni.example:443', 'evil.example', 'uni.example')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **_production_env(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "200", "400", "400"]


def test_only_the_allowed_host_names_are_answered(other_app):
    guarded = other_app(ALLOWED_HOSTS="travel.uni.example, .travel.uni.example")
    client = guarded.test_client()
    assert client.get("/login", headers={"Host": "travel.uni.example"}).status_code == 200
    assert client.get("/login", headers={"Host": "nl.travel.uni.example"}).status_code == 200
    refused = client.get("/login", headers={"Host": "travel.uni.example.evil.example"})
    assert refused.status_code == 400
    assert "The request was not valid" in refused.get_data(as_text=True)
    # Behind a trusted proxy the forwarded host is the one checked.
    proxied = other_app(ALLOWED_HOSTS="travel.uni.example", TRUSTED_PROXIES=1).test_client()
    forged = {"Host": "travel.uni.example", "X-Forwarded-Host": "evil.example"}
    assert proxied.get("/login", headers=forged).status_code == 400
    # Without the setting (development, tests) any host is answered.
    assert other_app().test_client().get("/login", headers={"Host": "x.example"}).status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_scheme_and_host_are_used(
    other_app,
):
    from flask import request

    proxied = other_app(TRUSTED_PROXIES=1)

    proxied.extensions["access_policy"]["where"] = public("GET")

    @proxied.get("/where")
    def where() -> str:
        return f"{request.scheme} {request.host} {request.remote_addr}"

    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "travel.uni.example",
        "X-Forwarded-For": "203.0.113.7",
    }
    body = proxied.test_client().get("/where", headers=headers).get_data(as_text=True)
    assert body == "https travel.uni.example 203.0.113.7"

    direct = other_app()  # trusts no proxy by default

    direct.extensions["access_policy"]["where_direct"] = public("GET")

    @direct.get("/where")
    def where_direct() -> str:
        return f"{request.scheme} {request.host}"

    assert direct.test_client().get("/where", headers=headers).get_data(as_text=True) == (
        "http localhost"
    )


def test_the_embedded_default_needs_no_server(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import wsgi; print(wsgi.app.config['SQLALCHEMY_DATABASE_URI']);"
            "print(wsgi.celery.conf.broker_url)",
        ],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "SAFE_PASSAGE_INSTANCE": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    db_url, broker = result.stdout.split()
    assert db_url == f"sqlite:///{tmp_path / 'safe_passage.db'}"
    assert broker == f"sqla+sqlite:///{tmp_path / 'celery-broker.db'}"


def test_an_unknown_profile_is_refused(monkeypatch):
    monkeypatch.setenv("SAFE_PASSAGE_ENV", "staging")
    with pytest.raises(ConfigError, match="SAFE_PASSAGE_ENV"):
        config.profile_from_env()


def test_check_production_is_applied_by_the_factory():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(ProductionConfig, SECRET_KEY=config.DEFAULT_SECRET_KEY)


def test_templates_come_from_the_top_level_folder(app):
    assert app.template_folder == str(ROOT / "templates")


def test_celery_is_configured_from_flask_config(app):
    celery = app.extensions["celery"]
    assert celery.conf.task_serializer == "json"
    assert celery.conf.accept_content == ["json"]
    assert "core.heartbeat" in celery.tasks
    assert celery.conf.beat_schedule["heartbeat"]["task"] == "core.heartbeat"


def test_a_constraint_violation_is_a_409_and_saves_nothing(other_app, db):
    from travel_app.extensions import db as ext_db
    from travel_app.org.models import Category, Person

    conflict_app = other_app()

    conflict_app.extensions["access_policy"]["race"] = public("POST")

    @conflict_app.post("/race")
    def race() -> str:
        for name in ("first", "second"):
            ext_db.session.add(Person(email="same@uni.example", name=name, category=Category.ATP))
        ext_db.session.commit()
        return "saved"

    response = conflict_app.test_client().post("/race")
    assert response.status_code == 409
    assert "Nothing was saved" in response.get_data(as_text=True)
    assert db.session.query(Person).count() == 0


def test_a_malformed_number_setting_names_the_variable(tmp_path):
    result = run_wsgi({"SAFE_PASSAGE_INSTANCE": str(tmp_path), "MAIL_PORT": "twenty-five"})
    assert_refused_in_one_line(result, "MAIL_PORT must be a whole number, not 'twenty-five'")


def test_a_refusal_no_view_caught_answers_with_its_reason_in_the_readers_language(app):
    from flask_babel import refresh

    from travel_app.dossier.operations import ItemRefused
    from travel_app.trips.operations import ActionRefused
    from workflows.model import Text

    for error, language, status, words in (
        (ActionRefused(Text("Niet nu.", "Not now.")), "en", 400, "Not now."),
        (ItemRefused(Text("Niet van u.", "Not yours."), 403), "nl", 403, "Niet van u."),
    ):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            refresh()  # the locale is kept per app context, which the fixture holds open
            response = app.make_response(app.handle_user_exception(error))
        assert response.status_code == status
        page = response.get_data(as_text=True)
        assert words in page and "Traceback" not in page
