"""Settings for Safe Passage, chosen by environment variables.

``SAFE_PASSAGE_ENV`` picks the profile: ``development`` (the embedded default: SQLite and a
SQLite-backed Celery transport under ``instance/``, no server needed), ``production`` (everything
from the environment, refuses insecure defaults) or ``testing``.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("SAFE_PASSAGE_INSTANCE", BASE_DIR / "instance"))

#: The development key; production refuses to start with it.
DEFAULT_SECRET_KEY = "dev-only-insecure-key-change-me"


#: The shortest SECRET_KEY production accepts, in bytes (sessions and crisis links are signed
#: with it; a short key can be guessed offline from one signed cookie).
MIN_SECRET_KEY_BYTES = 32


class ConfigError(SystemExit):
    """A setting is missing or unsafe; the message names the variable to set.

    A ``SystemExit``: whatever starts the app (gunicorn, celery, flask, ``import wsgi``) stops
    with this one line on stderr and exit status 1, not a traceback that buries it.
    """

    def __init__(self, message: str) -> None:
        super().__init__(f"ConfigError: {message}")


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}.") from None


def _sso_file() -> dict:
    """The identity providers' settings: the YAML file named by SSO_CONFIG_FILE (docs/deploy.md)."""
    path = os.environ.get("SSO_CONFIG_FILE")
    if not path:
        return {}
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"SSO_CONFIG_FILE={path} cannot be read: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("providers", []), list):
        raise ConfigError(f"SSO_CONFIG_FILE={path} must hold a mapping with a 'providers' list.")
    return data


_SSO = _sso_file()


def _json_dict(name: str, default: dict) -> dict:
    """A JSON object from the environment variable ``name``, else ``default``."""
    value = os.environ.get(name)
    if not value:
        return default
    import json

    try:
        data = json.loads(value)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ConfigError(f"{name} must be a JSON object, such as {json.dumps(default)}.")
    return data


def dev_server_address() -> tuple[str, str]:
    """Return the host and port ``make run`` serves the web app on: HOST and PORT."""
    return os.environ.get("HOST") or "127.0.0.1", os.environ.get("PORT") or "5000"


def development_url() -> str:
    """Return the address of the development web server, for links in e-mails."""
    host, port = dev_server_address()
    # Listening on every interface is not an address to link to; this machine is. (A
    # comparison, nothing binds here.)
    if host in {"0.0.0.0", "::"}:  # nosec B104
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


class Config:
    ENV_NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'safe_passage.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    BABEL_DEFAULT_LOCALE = os.environ.get("BABEL_DEFAULT_LOCALE", "nl")
    BABEL_DEFAULT_TIMEZONE = os.environ.get("BABEL_DEFAULT_TIMEZONE", "Europe/Brussels")
    LANGUAGES = ("nl", "en")

    #: How many reverse proxies in front of the app set X-Forwarded-* headers (0: trust none).
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)

    #: Sign-in with the university's account: the identity providers (a button each on the
    #: login page), whether someone unknown to the service gets an account at first sign-in,
    #: and whether e-mail and password still work beside them (administrators' break-glass).
    SSO_PROVIDERS: list = _SSO.get("providers", [])
    SSO_SELF_REGISTRATION = _bool(
        "SSO_SELF_REGISTRATION", bool(_SSO.get("self_registration", True))
    )
    LOCAL_LOGIN_ENABLED = _bool("LOCAL_LOGIN_ENABLED", bool(_SSO.get("local_login", True)))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: Argon2id parameters for new password hashes (travel_app.auth.passwords.PROFILES).
    PASSWORD_HASH_PROFILE = "default"
    #: A session ends after this long without a request, and this long after login whatever.
    SESSION_IDLE_MINUTES = _int("SESSION_IDLE_MINUTES", 30)
    SESSION_ABSOLUTE_HOURS = _int("SESSION_ABSOLUTE_HOURS", 12)
    #: Failed logins allowed per account and per client address (limits' syntax), and where
    #: the counts live: shared (Redis) in production so every web process sees them.
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes")
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "30 per 15 minutes")
    RATELIMIT_STORAGE_URI = (
        os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "memory://"
    )
    RATELIMIT_STRATEGY = "moving-window"
    #: Local accounts (travel_app.auth): hours a password-reset link works (it also dies once
    #: used or once the password changes), whether administrators who log in with a password
    #: must use two-step verification (TOTP; development turns it off for the demo accounts),
    #: and the name authenticator apps show beside the account.
    PASSWORD_RESET_HOURS = _int("PASSWORD_RESET_HOURS", 2)
    ADMIN_TOTP_REQUIRED = _bool("ADMIN_TOTP_REQUIRED", True)
    TOTP_ISSUER = os.environ.get("TOTP_ISSUER", "Safe Passage")
    RATELIMIT_HEADERS_ENABLED = False
    #: Requests one API token may send (flask-limiter's notation); over it: 429, Retry-After.
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600/minute")
    REMEMBER_COOKIE_HTTPONLY = True

    #: Where mail goes when MAIL_SERVER is unset: one .eml file per message.
    MAIL_FILE_DIR = os.environ.get("MAIL_FILE_DIR", str(INSTANCE_DIR / "mail"))
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 30)
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Safe Passage <safe-passage@localhost>"
    )

    #: The procedure trips are routed under: a name in workflows/procedures/ or a file path.
    PROCEDURE = os.environ.get("SAFE_PASSAGE_PROCEDURE", "vlir-framework")

    #: Seconds between beat heartbeats, and the age after which the admin page warns.
    HEARTBEAT_INTERVAL_SECONDS = _int("HEARTBEAT_INTERVAL_SECONDS", 60)
    #: The outbox: how often beat drains it, rows per claim, how long a claim holds (a worker
    #: that died mid-send is taken over after this), retries and their first delay.
    #: The host names the service answers to (the Host header), comma-separated; production
    #: refuses any other host with a 400 (and refuses to start without one).
    ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS") or os.environ.get("SERVER_NAME", "")
    #: Where people reach the service: e-mails link to pages under this address. Unset, it is
    #: where ``make run`` serves (HOST and PORT); production refuses to start without it.
    PUBLIC_URL = os.environ.get("PUBLIC_URL") or development_url()
    #: Printed on every crisis sheet: the university's 24/7 number and the insurer's alarm centre.
    UNIVERSITY_EMERGENCY_PHONE = os.environ.get("UNIVERSITY_EMERGENCY_PHONE", "")
    INSURER_ALARM_PHONE = os.environ.get("INSURER_ALARM_PHONE", "")
    #: Evidence uploads: where they are kept (outside the web root) and how large they may be.
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    UPLOAD_MAX_BYTES = _int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
    #: The request limit: one upload plus the form around it.
    MAX_CONTENT_LENGTH = UPLOAD_MAX_BYTES + 64 * 1024
    #: Days after return after which the emergency contact is removed, and how often to look.
    RETENTION_DAYS = _int("RETENTION_DAYS", 30)
    RETENTION_SWEEP_SECONDS = _int("RETENTION_SWEEP_SECONDS", 3600)
    #: How often the query planner's statistics are refreshed (ANALYZE; SQLite needs it).
    STATISTICS_SECONDS = _int("STATISTICS_SECONDS", 86400)
    #: How often beat looks for review steps to remind or escalate.
    REMINDER_SWEEP_SECONDS = _int("REMINDER_SWEEP_SECONDS", 300)
    #: How often beat runs the journey's sweeps (dossier reminders, departure, return, debrief).
    FOLLOWUP_SWEEP_SECONDS = _int("FOLLOWUP_SWEEP_SECONDS", 300)
    #: Fernet keys for the medical note, comma-separated: the first encrypts, all decrypt.
    #: Development and tests derive one from SECRET_KEY; production must set its own.
    MEDICAL_NOTE_KEYS = os.environ.get("MEDICAL_NOTE_KEYS", "")
    #: How far ahead a trip may end, in years (a later date is a typo, not a plan).
    TRIP_MAX_YEARS_AHEAD = _int("TRIP_MAX_YEARS_AHEAD", 3)
    #: How long the "I am safe" / "I need help" links of a crisis message work.
    CRISIS_ANSWER_HOURS = _int("CRISIS_ANSWER_HOURS", 72)
    #: An evidence file no dossier item points at is deleted once it is this old.
    ORPHAN_UPLOAD_HOURS = _int("ORPHAN_UPLOAD_HOURS", 24)
    #: Official advice feeds (travel_app.advice): how often beat looks for a due source, the
    #: fetch's timeouts, retries (with exponential backoff from ADVICE_BACKOFF_SECONDS) and size
    #: limit, and the silence after which the safety officers hear that a source is stale.
    ADVICE_SWEEP_SECONDS = _int("ADVICE_SWEEP_SECONDS", 900)
    ADVICE_TIMEOUT_SECONDS = float(os.environ.get("ADVICE_TIMEOUT_SECONDS", "20"))
    ADVICE_RETRIES = _int("ADVICE_RETRIES", 3)
    ADVICE_BACKOFF_SECONDS = float(os.environ.get("ADVICE_BACKOFF_SECONDS", "2"))
    ADVICE_MAX_BYTES = _int("ADVICE_MAX_BYTES", 20 * 1024 * 1024)
    ADVICE_STALE_HOURS = _int("ADVICE_STALE_HOURS", 48)
    OUTBOX_INTERVAL_SECONDS = _int("OUTBOX_INTERVAL_SECONDS", 15)
    #: How often the beat sends the webhook deliveries that are due (travel_app/webhooks).
    WEBHOOK_SWEEP_SECONDS = _int("WEBHOOK_SWEEP_SECONDS", 15)
    OUTBOX_BATCH = _int("OUTBOX_BATCH", 50)
    OUTBOX_LEASE_SECONDS = _int("OUTBOX_LEASE_SECONDS", 300)
    OUTBOX_MAX_ATTEMPTS = _int("OUTBOX_MAX_ATTEMPTS", 8)
    OUTBOX_RETRY_BASE_SECONDS = _int("OUTBOX_RETRY_BASE_SECONDS", 60)
    HEARTBEAT_STALE_AFTER_SECONDS = _int("HEARTBEAT_STALE_AFTER_SECONDS", 300)
    #: SCIM provisioning (/scim/v2, travel_app.scim): a User's userType to a traveller category
    #: (JSON, keys without case), the category when none applies, and the largest request body.
    SCIM_CATEGORY_MAP: dict = _json_dict(
        "SCIM_CATEGORY_MAP",
        {
            "staff": "atp",
            "employee": "atp",
            "faculty": "professor",
            "professor": "professor",
            "postdoc": "postdoc",
            "phd": "phd",
            "student": "student",
        },
    )
    SCIM_DEFAULT_CATEGORY = os.environ.get("SCIM_DEFAULT_CATEGORY", "atp")
    SCIM_MAX_BYTES = _int("SCIM_MAX_BYTES", 1024 * 1024)

    CELERY: dict = {
        "broker_url": os.environ.get("CELERY_BROKER_URL")
        or os.environ.get("REDIS_URL")
        or f"sqla+sqlite:///{INSTANCE_DIR / 'celery-broker.db'}",
        "task_ignore_result": True,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "timezone": "UTC",
        "enable_utc": True,
        # A task is acknowledged after it ran, so a worker that dies mid-task leaves it queued.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        "beat_schedule_filename": str(INSTANCE_DIR / "celerybeat-schedule"),
    }


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    #: The demo's administrator logs in with the shared demo password, without an authenticator.
    ADMIN_TOTP_REQUIRED = _bool("ADMIN_TOTP_REQUIRED", False)


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret"
    WTF_CSRF_ENABLED = False
    #: Cheap hashing keeps thousands of test accounts fast; the algorithm is the same.
    PASSWORD_HASH_PROFILE = "cheapest-for-tests"
    #: Administrators log in with a password alone, except in the tests of two-step verification.
    ADMIN_TOTP_REQUIRED = False
    BABEL_DEFAULT_LOCALE = "en"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    #: Recorded feeds are served locally: short timeouts and backoff keep fault tests quick.
    ADVICE_TIMEOUT_SECONDS = 2.0
    ADVICE_BACKOFF_SECONDS = 0.01


class ProductionConfig(Config):
    ENV_NAME = "production"
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 1)
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    #: A failed statement's log line shows the SQL, never the values (names, phones, notes).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    #: No guess from HOST and PORT: behind a proxy the service answers on another address.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "")


PROFILES: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def profile_from_env() -> type[Config]:
    """Return the settings class named by SAFE_PASSAGE_ENV (default: development)."""
    name = os.environ.get("SAFE_PASSAGE_ENV", "development").strip().lower()
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(
            f"SAFE_PASSAGE_ENV={name!r} is not one of {', '.join(sorted(PROFILES))}"
        ) from None


def check_production(settings: dict) -> None:
    """Refuse to run production with settings that would be unsafe or silently wrong."""
    if settings.get("SECRET_KEY") in (None, "", DEFAULT_SECRET_KEY):
        raise ConfigError(
            "Set SECRET_KEY to a long random value: production refuses the default secret key."
        )
    if len(str(settings["SECRET_KEY"]).encode()) < MIN_SECRET_KEY_BYTES:
        raise ConfigError(
            f"Set SECRET_KEY to at least {MIN_SECRET_KEY_BYTES} bytes of random (python3 -c "
            "'import secrets; print(secrets.token_urlsafe(48))'): a shorter key can be guessed."
        )
    if not os.environ.get("DATABASE_URL"):
        raise ConfigError(
            "Set DATABASE_URL (e.g. postgresql+psycopg://user@host/db): "
            "production does not fall back to SQLite."
        )
    if not (os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL")):
        raise ConfigError(
            "Set CELERY_BROKER_URL or REDIS_URL (e.g. redis://host:6379/0): "
            "production does not fall back to the SQLite transport."
        )
    if not settings.get("MAIL_SERVER"):
        raise ConfigError(
            "Set MAIL_SERVER (and MAIL_PORT, MAIL_USE_TLS, ...): production does not write "
            "duty-of-care mail to files."
        )
    if settings.get("PASSWORD_HASH_PROFILE") != "default":
        raise ConfigError("Production hashes passwords with the default Argon2id profile only.")
    if settings.get("DEBUG") or _bool("FLASK_DEBUG"):
        raise ConfigError(
            "Unset FLASK_DEBUG and DEBUG: production refuses the debugger (it runs any code)."
        )
    if str(settings.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://"):
        raise ConfigError(
            "Set REDIS_URL or RATELIMIT_STORAGE_URI (e.g. redis://host:6379/1): failed logins "
            "must be counted across every web process."
        )
    keys = [k.strip() for k in str(settings.get("MEDICAL_NOTE_KEYS") or "").split(",")]
    keys = [k for k in keys if k]
    if not keys:
        raise ConfigError(
            "Set MEDICAL_NOTE_KEYS to a Fernet key (python -c 'from cryptography.fernet import"
            " Fernet; print(Fernet.generate_key().decode())'): medical notes are encrypted with it."
        )
    for number, key in enumerate(keys, 1):
        if not _is_fernet_key(key):
            raise ConfigError(  # the position, never the key: this line ends up in logs
                f"Set MEDICAL_NOTE_KEYS to valid Fernet keys: entry {number} of {len(keys)} is "
                "not 32 url-safe base64-encoded bytes (python -c 'from cryptography.fernet "
                "import Fernet; print(Fernet.generate_key().decode())')."
            )
    if not allowed_hosts(settings):
        raise ConfigError(
            "Set ALLOWED_HOSTS (or SERVER_NAME) to the host names people reach the service by, "
            "comma-separated (e.g. safe-passage.example.be): production refuses other Host "
            "headers."
        )
    public_url = urlsplit(str(settings.get("PUBLIC_URL") or ""))
    if public_url.scheme not in ("http", "https") or not public_url.netloc:
        raise ConfigError(
            "Set PUBLIC_URL to the address people reach the service at (e.g. "
            "https://safe-passage.example.be): e-mails link to pages under it."
        )


def allowed_hosts(settings: dict) -> list[str]:
    """The host names of ALLOWED_HOSTS, else of SERVER_NAME (empty: any host is answered)."""
    value = settings.get("ALLOWED_HOSTS") or settings.get("SERVER_NAME") or ""
    return [h.strip().lower() for h in str(value).split(",") if h.strip()]


def _is_fernet_key(key: str) -> bool:
    from cryptography.fernet import Fernet

    try:
        Fernet(key)
    except ValueError:  # binascii.Error included
        return False
    return True
