"""One frozen `Settings`, built once from the environment at start-up and passed down by hand.

`.env` in the working directory is loaded with python-dotenv; real environment variables win.
Every problem names the variable and what is expected, so a deployer can fix it without reading
code.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cop_bot.core.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///cop_bot.db"
PlatformName = Literal["slack", "matrix", "console"]
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_HANDLE_RE = re.compile(r"^[^\s,]{1,80}$")
_MATRIX_USER_RE = re.compile(r"^@[^:\s]+:[^\s]+$")
_MATRIX_INVITER_RE = re.compile(r"^@[^:\s,]+:[^\s,]+$")
MAX_ENGINE_PROCESSES = 64
MAX_SECONDS = 3600
_SECONDS = {"db_connect_timeout": 2.0, "db_statement_timeout": 0.1, "db_pool_timeout": 0.1}
"""Settings given in seconds -> the least each accepts (libpq waits at least 2 s to connect)."""
MAX_COMMUNITY_NAME = 200
COMMUNITY_DEFAULTS = {
    "COP_BOT_COMMUNITY_NAME": "name",
    "COP_BOT_TIMEZONE": "timezone",
    "COP_BOT_LANGUAGE": "language",
}
"""Settings that only a new community takes (the variable -> its stored column and `/settings`
key); after that the community's own value, changed with `/settings`, wins."""
DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024
MIN_LOG_MAX_BYTES = 1024
MAX_LOG_BACKUPS = 100
_SIZE_RE = re.compile(r"([0-9]{1,15})\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib)", re.IGNORECASE | re.ASCII)
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
SECRET_FIELDS = frozenset(
    {
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "slack_client_secret",
        "matrix_access_token",
        "matrix_password",
    }
)


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    auto_migrate: bool = True
    admins: tuple[str, ...] = ()
    taxonomy_path: str | None = None
    timezone: str = "UTC"
    language: str = "en"
    community_name: str = "Community of practice"
    log_level: str = "INFO"
    log_file: str | None = None
    log_max_bytes: int = DEFAULT_LOG_MAX_BYTES
    log_backups: int = 5
    state_dir: str = ".cop-bot"
    platform: Literal["auto", "slack", "matrix", "console"] = "auto"
    http_host: str = "127.0.0.1"
    http_port: int = 3000
    public_url: str | None = None
    engine_processes: int = 0
    db_connect_timeout: float = 2.0
    db_statement_timeout: float = 10.0
    db_pool_timeout: float = 2.0
    slash_prefix: str = ""
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_authorize_url: str | None = None
    matrix_homeserver: str | None = None
    matrix_user_id: str | None = None
    matrix_access_token: str | None = None
    matrix_password: str | None = None
    matrix_command_prefix: str = "!"
    matrix_allowed_inviters: tuple[str, ...] = ()
    matrix_private_replies: bool = False
    matrix_facilitator_power_level: int = 50
    matrix_encryption: bool = False

    @property
    def slack_multi_workspace(self) -> bool:
        """Slack's OAuth install flow, one community per workspace (SLACK_CLIENT_ID/SECRET)."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def slack_socket_mode(self) -> bool:
        """One workspace over Socket Mode (SLACK_APP_TOKEN): no public URL, no signing secret."""
        return bool(self.slack_app_token and self.slack_bot_token)

    @property
    def slack_configured(self) -> bool:
        return self.slack_socket_mode or bool(
            self.slack_signing_secret and (self.slack_bot_token or self.slack_multi_workspace)
        )

    @property
    def matrix_configured(self) -> bool:
        return bool(
            self.matrix_homeserver
            and self.matrix_user_id
            and (self.matrix_access_token or self.matrix_password)
        )

    def chosen_platform(self) -> tuple[PlatformName, str]:
        """Which platform `cop-bot run` uses, and why (said out loud at start-up)."""
        if self.platform != "auto":
            return self.platform, "COP_BOT_PLATFORM says so"
        if self.slack_configured and self.slack_multi_workspace:
            return "slack", (
                "SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET are set: "
                "multi-workspace mode"
            )
        if self.slack_socket_mode:
            return "slack", "SLACK_BOT_TOKEN and SLACK_APP_TOKEN are set: Socket Mode"
        if self.slack_configured:
            return "slack", "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set"
        if self.matrix_configured:
            return "matrix", "MATRIX_HOMESERVER, MATRIX_USER_ID and a token or password are set"
        return "console", "no Slack or Matrix credentials are configured"

    def masked(self) -> dict[str, str]:
        """The effective configuration with secrets hidden, keyed by environment variable."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value == () or value == "":
                shown = "(not set)"
            elif f.name in SECRET_FIELDS:
                shown = mask(str(value))
            elif f.name == "database_url":
                from sqlalchemy.engine import make_url

                shown = make_url(str(value)).render_as_string(hide_password=True)
            elif isinstance(value, tuple):
                shown = ",".join(value)
            elif isinstance(value, bool):
                shown = "true" if value else "false"
            elif isinstance(value, float):
                shown = f"{value:g}"
            else:
                shown = str(value)
            out[ENV_NAMES[f.name]] = shown
        return out


ENV_NAMES: dict[str, str] = {
    "database_url": "COP_BOT_DATABASE_URL",
    "auto_migrate": "COP_BOT_AUTO_MIGRATE",
    "admins": "COP_BOT_ADMINS",
    "taxonomy_path": "COP_BOT_TAXONOMY",
    "timezone": "COP_BOT_TIMEZONE",
    "language": "COP_BOT_LANGUAGE",
    "community_name": "COP_BOT_COMMUNITY_NAME",
    "log_level": "COP_BOT_LOG_LEVEL",
    "log_file": "COP_BOT_LOG_FILE",
    "log_max_bytes": "COP_BOT_LOG_MAX_BYTES",
    "log_backups": "COP_BOT_LOG_BACKUPS",
    "state_dir": "COP_BOT_STATE_DIR",
    "platform": "COP_BOT_PLATFORM",
    "http_host": "COP_BOT_HTTP_HOST",
    "http_port": "COP_BOT_HTTP_PORT",
    "public_url": "COP_BOT_PUBLIC_URL",
    "engine_processes": "COP_BOT_ENGINE_PROCESSES",
    "db_connect_timeout": "COP_BOT_DB_CONNECT_TIMEOUT",
    "db_statement_timeout": "COP_BOT_DB_STATEMENT_TIMEOUT",
    "db_pool_timeout": "COP_BOT_DB_POOL_TIMEOUT",
    "slash_prefix": "COP_BOT_SLASH_PREFIX",
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_app_token": "SLACK_APP_TOKEN",
    "slack_api_url": "SLACK_API_URL",
    "slack_client_id": "SLACK_CLIENT_ID",
    "slack_client_secret": "SLACK_CLIENT_SECRET",
    "slack_authorize_url": "SLACK_AUTHORIZE_URL",
    "matrix_homeserver": "MATRIX_HOMESERVER",
    "matrix_user_id": "MATRIX_USER_ID",
    "matrix_access_token": "MATRIX_ACCESS_TOKEN",
    "matrix_password": "MATRIX_PASSWORD",
    "matrix_command_prefix": "MATRIX_COMMAND_PREFIX",
    "matrix_allowed_inviters": "MATRIX_ALLOWED_INVITERS",
    "matrix_private_replies": "MATRIX_PRIVATE_REPLIES",
    "matrix_facilitator_power_level": "MATRIX_FACILITATOR_POWER_LEVEL",
    "matrix_encryption": "MATRIX_ENCRYPTION",
}

DESCRIPTIONS: dict[str, str] = {
    "COP_BOT_DATABASE_URL": "SQLAlchemy URL of the database (default: SQLite file cop_bot.db)",
    "COP_BOT_AUTO_MIGRATE": "apply migrations on run/query/demo (true/false, default true)",
    "COP_BOT_ADMINS": "comma-separated handles that are admins from the start",
    "COP_BOT_TAXONOMY": "path to the taxonomy YAML (default config/taxonomy.yaml)",
    "COP_BOT_TIMEZONE": "the community's default IANA time zone (default UTC)",
    "COP_BOT_LANGUAGE": "the community's default language code (default en)",
    "COP_BOT_COMMUNITY_NAME": "the name shown in help and digests",
    "COP_BOT_LOG_LEVEL": "level of the log file: DEBUG, INFO, WARNING or ERROR (default INFO)",
    "COP_BOT_LOG_FILE": "the detailed log file (default .cop-bot/cop-bot.log); stderr gets short lines",
    "COP_BOT_LOG_MAX_BYTES": "size at which the log file is rotated, e.g. 10MB (default 10MB; "
    "units are binary; 0 never rotates)",
    "COP_BOT_LOG_BACKUPS": "rotated log files kept, cop-bot.log.1 and so on (default 5)",
    "COP_BOT_STATE_DIR": "folder for platform state such as sync tokens (default .cop-bot)",
    "COP_BOT_PLATFORM": "auto (default), slack, matrix or console",
    "COP_BOT_HTTP_HOST": "address of the HTTP server (default 127.0.0.1)",
    "COP_BOT_HTTP_PORT": "port of the HTTP server (default 3000)",
    "COP_BOT_PUBLIC_URL": "the address members reach the HTTP server at (calendar feed links), e.g. https://bot.example.org",
    "COP_BOT_ENGINE_PROCESSES": "run commands in this many worker processes, to use more than one "
    "core on a busy Slack workspace (default 0: in the bot's own process)",
    "COP_BOT_DB_CONNECT_TIMEOUT": "seconds to wait for PostgreSQL to accept a connection "
    "(default 2, also the least PostgreSQL allows)",
    "COP_BOT_DB_STATEMENT_TIMEOUT": "seconds one PostgreSQL query may take before it is "
    "cancelled (default 10; migrations have no limit)",
    "COP_BOT_DB_POOL_TIMEOUT": "seconds a command waits for a free database connection (default 2)",
    "COP_BOT_SLASH_PREFIX": "put before every command name, e.g. cop- for /cop-help and "
    "/cop-profile, so they do not clash with other Slack apps (default: none)",
    "SLACK_BOT_TOKEN": "Slack bot token (xoxb-...)",
    "SLACK_SIGNING_SECRET": "Slack signing secret (not needed in Socket Mode)",
    "SLACK_APP_TOKEN": "Slack app-level token for Socket Mode (xapp-...)",
    "SLACK_API_URL": "Slack Web API base URL (GovSlack, tests)",
    "SLACK_CLIENT_ID": "the app's client id, for multi-workspace mode (OAuth install at "
    "COP_BOT_PUBLIC_URL/slack/install; then SLACK_BOT_TOKEN is not used)",
    "SLACK_CLIENT_SECRET": "the app's client secret, for multi-workspace mode",
    "SLACK_AUTHORIZE_URL": "Slack's OAuth authorize page (default "
    "https://slack.com/oauth/v2/authorize; GovSlack, tests)",
    "MATRIX_HOMESERVER": "Matrix homeserver URL (https://matrix.example.org)",
    "MATRIX_USER_ID": "the bot's Matrix user id (@cop-bot:example.org)",
    "MATRIX_ACCESS_TOKEN": "the bot's Matrix access token",
    "MATRIX_PASSWORD": "the bot's Matrix password (when no access token is given)",
    "MATRIX_COMMAND_PREFIX": "prefix of commands in Matrix rooms (default !)",
    "MATRIX_ALLOWED_INVITERS": "comma-separated user-id patterns whose invites the bot accepts, "
    "e.g. @*:example.org (default: users of the bot's own homeserver)",
    "MATRIX_PRIVATE_REPLIES": "answer searches typed in group rooms by direct message (true/false, "
    "default false)",
    "MATRIX_FACILITATOR_POWER_LEVEL": "room power level that makes a member a facilitator in that "
    "room (default 50, moderators)",
    "MATRIX_ENCRYPTION": "read and answer in end-to-end encrypted rooms; needs matrix-nio[e2e] "
    "(true/false, default false)",
}


def parse_seconds(raw: str, least: float) -> float:
    """A duration in seconds, such as `2` or `0.5`, from `least` up to an hour.

    The `ValueError` completes a sentence that starts with the variable's name."""
    text = raw.strip()
    if not re.fullmatch(r"[0-9]{1,6}(\.[0-9]{1,3})?", text):
        raise ValueError(f"must be a number of seconds such as 2 or 0.5, got {raw!r}.")
    value = float(text)
    if not least <= value <= MAX_SECONDS:
        raise ValueError(f"must be from {least:g} to {MAX_SECONDS} seconds (e.g. 5), got {raw!r}.")
    return value


def parse_size(raw: str) -> int | None:
    """A size in bytes: `10485760`, `512KB`, `10MB`, `1 GiB` (binary units, any case); None
    when it is not one."""
    match = _SIZE_RE.fullmatch(raw.strip())
    if match is None:
        return None
    return int(match.group(1)) * _SIZE_UNITS[match.group(2)[:1].lower()]


def mask(secret: str) -> str:
    if len(secret) <= 8:
        return "****"
    return f"{secret[:4]}…{secret[-2:]} ({len(secret)} chars)"


def read_environment(
    cwd: Path | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`.env` values overlaid by the real environment (which wins)."""
    env_file = (cwd or Path.cwd()) / ".env"
    merged: dict[str, str] = {}
    if env_file.is_file():
        from dotenv import dotenv_values  # only when there is a .env to read

        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    return merged


def load_settings(
    environ: Mapping[str, str] | None = None, *, overrides: Mapping[str, str] | None = None
) -> Settings:
    """Build and validate the settings; raises `ConfigError` listing every problem at once."""
    env = dict(read_environment() if environ is None else environ)
    env.update(overrides or {})
    problems: list[str] = []
    values: dict[str, object] = {}
    defaults = Settings()

    def get(name: str) -> str | None:
        raw = env.get(ENV_NAMES[name])
        return raw.strip() if raw is not None and raw.strip() != "" else None

    for f in fields(Settings):
        raw = get(f.name)
        if raw is None:
            continue
        var = ENV_NAMES[f.name]
        if f.name in {"auto_migrate", "matrix_private_replies", "matrix_encryption"}:
            if raw.lower() in _TRUE:
                values[f.name] = True
            elif raw.lower() in _FALSE:
                values[f.name] = False
            else:
                problems.append(f"{var} must be true or false, got {raw!r}.")
        elif f.name == "http_port":
            if raw.isdigit() and 0 < int(raw) < 65536:
                values[f.name] = int(raw)
            else:
                problems.append(f"{var} must be a port number between 1 and 65535, got {raw!r}.")
        elif f.name == "engine_processes":
            if raw.isdigit() and int(raw) <= MAX_ENGINE_PROCESSES:
                values[f.name] = int(raw)
            else:
                problems.append(
                    f"{var} must be a whole number from 0 to {MAX_ENGINE_PROCESSES} "
                    f"(e.g. 2 on a machine with 4 cores), got {raw!r}."
                )
        elif f.name in _SECONDS:
            try:
                values[f.name] = parse_seconds(raw, _SECONDS[f.name])
            except ValueError as exc:
                problems.append(f"{var} {exc}")
        elif f.name == "slash_prefix":
            from cop_bot.core.slash import parse_prefix

            try:
                values[f.name] = parse_prefix(raw)
            except ValueError as exc:
                problems.append(str(exc))
        elif f.name == "log_max_bytes":
            size = parse_size(raw)
            if size is not None and (size == 0 or size >= MIN_LOG_MAX_BYTES):
                values[f.name] = size
            else:
                problems.append(
                    f"{var} must be a size of at least 1KB, such as 10MB, or 0 to never "
                    f"rotate the log; got {raw!r}."
                )
        elif f.name == "log_backups":
            if re.fullmatch(r"[0-9]{1,3}", raw) and 1 <= int(raw) <= MAX_LOG_BACKUPS:
                values[f.name] = int(raw)
            else:
                problems.append(
                    f"{var} must be a whole number from 1 to {MAX_LOG_BACKUPS}, such as 5; "
                    f"got {raw!r}."
                )
        elif f.name == "matrix_facilitator_power_level":
            if re.fullmatch(r"-?[0-9]{1,9}", raw):
                values[f.name] = int(raw)
            else:
                problems.append(f"{var} must be a whole number such as 50, got {raw!r}.")
        elif f.name == "matrix_allowed_inviters":
            patterns = tuple(p.strip() for p in raw.split(",") if p.strip())
            bad = [p for p in patterns if not _MATRIX_INVITER_RE.match(p)]
            if bad:
                problems.append(
                    f"{var} must be comma-separated user-id patterns such as @*:example.org or "
                    f"@alice:example.org; got {', '.join(repr(b) for b in bad)}."
                )
            values[f.name] = patterns
        elif f.name == "admins":
            handles = tuple(h.strip().lstrip("@").lower() for h in raw.split(",") if h.strip())
            bad = [h for h in handles if not _HANDLE_RE.match(h)]
            if bad:
                problems.append(
                    f"{var} must be comma-separated handles, e.g. alice,bob; got {raw!r}."
                )
            values[f.name] = handles
        elif f.name == "language":
            values[f.name] = raw.lower()  # as `/settings language: FR` reads it
        else:
            values[f.name] = raw

    settings = Settings(
        **{**{f.name: getattr(defaults, f.name) for f in fields(Settings)}, **values}
    )
    problems.extend(_validate(settings, env))
    if problems:
        raise ConfigError("\n".join(problems))
    return settings


def _validate(s: Settings, env: Mapping[str, str]) -> list[str]:
    """Every problem at once, in a fixed order, so one run of `config check` lists them all."""
    return [
        *_validate_basics(s),
        *_validate_slack_oauth(s),
        *_validate_slack_tokens(s),
        *_validate_urls(s),
        *_validate_matrix(s),
        *_validate_platform(s),
    ]


def _validate_basics(s: Settings) -> list[str]:
    # SQLAlchemy is imported here, not at the top: `cop-bot --help` reads no settings.
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    problems: list[str] = []
    try:
        url = make_url(s.database_url)
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            problems.append(
                "COP_BOT_DATABASE_URL must be a SQLite or PostgreSQL URL, e.g. "
                "sqlite:///cop_bot.db or postgresql+psycopg://user@host:5432/copbot; "
                f"got {url.get_backend_name()!r}."
            )
    except ArgumentError:
        problems.append(
            "COP_BOT_DATABASE_URL must be a database URL such as sqlite:///cop_bot.db or "
            f"postgresql+psycopg://user@host:5432/copbot; got {s.database_url!r}."
        )
    try:
        ZoneInfo(s.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            f"COP_BOT_TIMEZONE must be an IANA time zone such as Europe/Rome; got {s.timezone!r}."
        )
    if not re.fullmatch(r"[a-z]{2}", s.language):
        problems.append(
            f"COP_BOT_LANGUAGE must be a two-letter language code such as en; got {s.language!r}."
        )
    if len(s.community_name) > MAX_COMMUNITY_NAME:
        problems.append(
            f"COP_BOT_COMMUNITY_NAME must be at most {MAX_COMMUNITY_NAME} characters, as in "
            f"`/settings name:`; it has {len(s.community_name)}."
        )
    if s.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        problems.append(
            f"COP_BOT_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR; got {s.log_level!r}."
        )
    if s.platform not in {"auto", "slack", "matrix", "console"}:
        problems.append(
            f"COP_BOT_PLATFORM must be auto, slack, matrix or console; got {s.platform!r}."
        )
    if s.taxonomy_path and not Path(s.taxonomy_path).is_file():
        problems.append(
            f"COP_BOT_TAXONOMY must name an existing YAML file; {s.taxonomy_path!r} does not exist."
        )
    return problems


def language_problem(language: str, languages: tuple[str, ...]) -> str | None:
    """COP_BOT_LANGUAGE is checked like `/settings language:`: it must be one of the taxonomy's
    languages (known once the taxonomy is loaded, so `build_app` and `config check` ask)."""
    if language in languages:
        return None
    return (
        f"COP_BOT_LANGUAGE must be a language the taxonomy has labels in "
        f"({', '.join(languages)}), as `/settings language:` requires; got {language!r}."
    )


def _validate_slack_tokens(s: Settings) -> list[str]:
    """One workspace: a bot token with a signing secret (HTTP) or an app token (Socket Mode)."""
    problems: list[str] = []
    if bool(s.slack_bot_token) != bool(s.slack_signing_secret or s.slack_app_token) and not (
        s.slack_client_id or s.slack_client_secret
    ):
        missing = "SLACK_SIGNING_SECRET" if s.slack_bot_token else "SLACK_BOT_TOKEN"
        present = "SLACK_BOT_TOKEN" if s.slack_bot_token else "SLACK_SIGNING_SECRET"
        problems.append(f"{missing} is required when {present} is set (Slack needs both).")
    if s.slack_bot_token and not s.slack_bot_token.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb-.")
    if s.slack_app_token and not s.slack_app_token.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN must be an app-level token starting with xapp-.")
    return problems


def _validate_urls(s: Settings) -> list[str]:
    return [
        f"{var} must be an http(s) URL such as https://example.org; got {value!r}."
        for var, value in (
            ("SLACK_API_URL", s.slack_api_url),
            ("SLACK_AUTHORIZE_URL", s.slack_authorize_url),
            ("COP_BOT_PUBLIC_URL", s.public_url),
            ("MATRIX_HOMESERVER", s.matrix_homeserver),
        )
        if value and not re.match(r"^https?://[^\s/]+", value)
    ]


def _validate_matrix(s: Settings) -> list[str]:
    problems: list[str] = []
    matrix_vars = [
        s.matrix_homeserver,
        s.matrix_user_id,
        s.matrix_access_token or s.matrix_password,
    ]
    if any(matrix_vars) and not all(matrix_vars):
        problems.append(
            "Matrix needs MATRIX_HOMESERVER, MATRIX_USER_ID and MATRIX_ACCESS_TOKEN or "
            "MATRIX_PASSWORD together; some are missing."
        )
    if s.matrix_user_id and not _MATRIX_USER_RE.match(s.matrix_user_id):
        problems.append(
            f"MATRIX_USER_ID must look like @cop-bot:example.org; got {s.matrix_user_id!r}."
        )
    return problems


def _validate_platform(s: Settings) -> list[str]:
    """A platform chosen by name must have its settings."""
    problems: list[str] = []
    if s.platform == "slack" and not s.slack_configured:
        problems.append(
            "COP_BOT_PLATFORM=slack needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (one "
            "workspace), SLACK_BOT_TOKEN and SLACK_APP_TOKEN (one workspace, Socket Mode), or "
            "SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET (multi-workspace)."
        )
    if s.platform == "matrix" and not s.matrix_configured:
        problems.append("COP_BOT_PLATFORM=matrix needs the MATRIX_* settings.")
    return problems


def _validate_slack_oauth(s: Settings) -> list[str]:
    """Multi-workspace mode: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET instead of SLACK_BOT_TOKEN."""
    problems: list[str] = []
    if bool(s.slack_client_id) != bool(s.slack_client_secret):
        missing = "SLACK_CLIENT_SECRET" if s.slack_client_id else "SLACK_CLIENT_ID"
        present = "SLACK_CLIENT_ID" if s.slack_client_id else "SLACK_CLIENT_SECRET"
        problems.append(
            f"{missing} is required when {present} is set (multi-workspace mode needs both; "
            "they are on the app's Basic Information page, under App Credentials)."
        )
    if s.slack_client_id and not re.fullmatch(r"[0-9]+\.[0-9]+", s.slack_client_id):
        problems.append(
            "SLACK_CLIENT_ID must be the app's client id, digits with a dot such as "
            f"1234567890.1234567890123; got {s.slack_client_id!r}."
        )
    if not (s.slack_client_id or s.slack_client_secret):
        return problems
    if s.slack_bot_token:
        problems.append(
            "Set either SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET (multi-workspace: each workspace installs the app), not both."
        )
    if not s.slack_signing_secret:
        problems.append(
            "SLACK_SIGNING_SECRET is required in multi-workspace mode (SLACK_CLIENT_ID is set): "
            "Slack signs every request with it."
        )
    if not s.public_url:
        problems.append(
            "COP_BOT_PUBLIC_URL is required in multi-workspace mode: Slack sends installers back "
            "to COP_BOT_PUBLIC_URL/slack/oauth_redirect, which must also be among the app's "
            "Redirect URLs (`cop-bot slack manifest --url COP_BOT_PUBLIC_URL` lists it)."
        )
    return problems
