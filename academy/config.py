"""Settings: defaults, then ACADEMY_* environment variables, then explicit overrides."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent

ENVIRONMENTS = ("development", "production")
LOG_FORMATS = ("json", "text")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MAIL_BACKENDS = ("log", "smtp", "memory")
SCHEDULER_MODES = ("off", "inline")


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


def _as_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"ACADEMY_{name} must be true or false, not {raw!r}")


def _as_choice(name: str, raw: str, choices: tuple[str, ...]) -> str:
    if raw not in choices:
        raise ConfigError(f"ACADEMY_{name} must be one of {', '.join(choices)}, not {raw!r}")
    return raw


def _as_proxy_count(raw: str) -> int:
    if not raw.isdigit() or int(raw) > 5:
        raise ConfigError(f"ACADEMY_PROXY_COUNT must be a number of proxies from 0 to 5, "
                          f"not {raw!r}")
    return int(raw)


def _as_port(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"ACADEMY_SMTP_PORT must be a port number, not {raw!r}")
    return int(raw)


def _secret_key(instance_path: Path) -> str:
    """Read the instance's generated key, creating it on first run (never a built-in default)."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load_config(
    environ: Mapping[str, str], instance_path: Path, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return the Flask config mapping for this process.

    Overrides win over the environment, which wins over the defaults; types are converted here so
    a typo fails at start-up with the variable's name instead of deep inside a request.
    """
    overrides = dict(overrides or {})
    env = {key.removeprefix("ACADEMY_"): value for key, value in environ.items()
           if key.startswith("ACADEMY_")}

    environment = _as_choice("ENV", env.get("ENV", "development"), ENVIRONMENTS)
    production = environment == "production"
    config: dict[str, Any] = {
        "ENV_NAME": environment,
        "DATABASE_URL": env.get("DATABASE_URL", f"sqlite:///{instance_path / 'academy.db'}"),
        "COURSES_DIR": env.get("COURSES_DIR", str(PROJECT_ROOT / "courses")),
        "CJK_FONT": env.get("CJK_FONT", ""),
        "SECURE_COOKIES": _as_bool("SECURE_COOKIES", env.get("SECURE_COOKIES", str(production))),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust: without
        # this, behind a proxy every client has the proxy's address (one sign-in throttle for
        # all); with it and no proxy, clients could invent their address.
        "PROXY_COUNT": _as_proxy_count(env.get("PROXY_COUNT", "0")),
        "LOAD_DEMO_DATA": not production,
        "TESTING": False,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": 14 * 24 * 3600,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        # One JSON object per line for log collectors in production; readable lines otherwise.
        "LOG_FORMAT": _as_choice("LOG_FORMAT", env.get("LOG_FORMAT",
                                                       "json" if production else "text"),
                                 LOG_FORMATS),
        "LOG_LEVEL": _as_choice("LOG_LEVEL", env.get("LOG_LEVEL", "INFO").upper(), LOG_LEVELS),
        # Notifications: "log" writes each mail to the log; "smtp" uses the SMTP_* settings.
        "MAIL_BACKEND": _as_choice("MAIL_BACKEND", env.get("MAIL_BACKEND", "log"), MAIL_BACKENDS),
        "SMTP_HOST": env.get("SMTP_HOST", "localhost"),
        "SMTP_PORT": _as_port(env.get("SMTP_PORT", "587")),
        "SMTP_USER": env.get("SMTP_USER", ""),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD", ""),
        "SMTP_FROM": env.get("SMTP_FROM", "Live Academy <noreply@localhost>"),
        "SMTP_STARTTLS": _as_bool("SMTP_STARTTLS", env.get("SMTP_STARTTLS", "true")),
        # "inline" runs the scheduler inside `academy serve`; production runs `academy scheduler`.
        "SCHEDULER": _as_choice("SCHEDULER", env.get("SCHEDULER", "off"), SCHEDULER_MODES),
    }
    if "SECRET_KEY" in env:
        config["SECRET_KEY"] = env["SECRET_KEY"]
    elif "SECRET_KEY" not in overrides:
        if production:
            raise ConfigError("ACADEMY_SECRET_KEY must be set when ACADEMY_ENV=production")
        config["SECRET_KEY"] = _secret_key(instance_path)

    config.update(overrides)
    config["SESSION_COOKIE_SECURE"] = config["REMEMBER_COOKIE_SECURE"] = config["SECURE_COOKIES"]
    return config
