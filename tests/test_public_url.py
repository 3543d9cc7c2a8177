"""E-mail links point where the service answers: HOST and PORT in development, else PUBLIC_URL."""

from __future__ import annotations

import subprocess
import sys

import pytest

import config
from config import ConfigError, ProductionConfig
from tests.test_app_factory import FERNET_KEY, assert_refused_in_one_line, run_wsgi
from travel_app import create_app

ROOT = config.BASE_DIR


def public_url_of_wsgi(env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi; print(wsgi.app.config['PUBLIC_URL'])"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_development_links_follow_the_port_the_dev_server_uses(tmp_path):
    env = {"SAFE_PASSAGE_INSTANCE": str(tmp_path), "PORT": "5055"}
    assert public_url_of_wsgi(env) == "http://127.0.0.1:5055"
    assert public_url_of_wsgi({**env, "HOST": "localhost"}) == "http://localhost:5055"
    assert public_url_of_wsgi({**env, "PUBLIC_URL": "https://x.example"}) == "https://x.example"


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        (None, None, "http://127.0.0.1:5000"),
        ("localhost", "8080", "http://localhost:8080"),
        ("0.0.0.0", "5055", "http://127.0.0.1:5055"),  # every interface: link to this machine
        ("::1", "5055", "http://[::1]:5055"),
    ],
)
def test_the_development_url_is_the_dev_servers_address(monkeypatch, host, port, url):
    for name, value in (("HOST", host), ("PORT", port)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert config.development_url() == url


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


def test_production_starts_with_a_public_url_and_links_to_it(tmp_path):
    env = {**_production_env(tmp_path), "PORT": "5055"}
    assert public_url_of_wsgi(env) == "https://travel.uni.example"


@pytest.mark.parametrize("value", [None, "", "travel.uni.example", "ftp://travel.uni.example"])
def test_production_refuses_to_start_without_a_public_url(tmp_path, value):
    env = _production_env(tmp_path)
    if value is None:
        del env["PUBLIC_URL"]
    else:
        env["PUBLIC_URL"] = value
    assert_refused_in_one_line(run_wsgi(env), "Set PUBLIC_URL to the address people reach")


def test_the_factory_refuses_production_without_a_public_url(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigError, match="Set PUBLIC_URL"):
        create_app(
            ProductionConfig,
            SECRET_KEY="x" * 40,
            MAIL_SERVER="smtp.uni.example",
            RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/1",
            MEDICAL_NOTE_KEYS=FERNET_KEY,
            ALLOWED_HOSTS="travel.uni.example",
            PUBLIC_URL="",
        )
