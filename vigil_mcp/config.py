"""Settings, resolved once: CLI flags > VIGIL_* environment > vigil.toml > defaults."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from vigil_mcp.builtin import builtin_dir
from vigil_mcp.errors import InputError

CONFIG_FILE = "vigil.toml"
STORE_FILE = "knowledge.duckdb"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable; passed down explicitly, never read from the environment later."""

    home: Path
    store: Path  # the DuckDB file (unused when store_url is set)
    tools_dir: Path
    skills_dir: Path
    # The built-in diagnostics and starter skills, layered under tools_dir and skills_dir (None: none installed).
    builtin_tools_dir: Path | None = field(default_factory=lambda: builtin_dir("tools"))
    builtin_skills_dir: Path | None = field(default_factory=lambda: builtin_dir("skills"))
    host: str = "127.0.0.1"
    port: int = 8765
    log_level: str = "INFO"
    log_format: str = "text"
    # Diagnostic tools (tools/ folder): which are served, how far they may reach, how much they may say.
    tools: tuple[str, ...] = ()
    exclude_tools: tuple[str, ...] = ()
    enable_write_tools: bool = False
    read_only: bool = False  # serve no tool that is not read-only, on every transport
    egress_allow: tuple[str, ...] = ()
    egress_deny: tuple[str, ...] = ()
    prometheus_url: str | None = None
    tool_timeout: float = 30.0
    tool_output_chars: int = 32_000
    # The proactive engine: offline (deterministic, default) or anthropic (needs ANTHROPIC_API_KEY).
    engine: str = "offline"
    anthropic_model: str = "claude-sonnet-5"
    anthropic_api_key: str | None = field(default=None, repr=False)
    llm_timeout: float = 20.0
    suggest_threshold: float | None = None  # None: the judge's fitted threshold
    lesson_floor: float | None = None  # the keep-model confidence a found fix needs; None: the fitted floor
    # Embeddings: auto (the installed model package), none, or a folder with model.onnx + tokenizer.json.
    embedding_model: str = "auto"
    embedding_model_sha256: str | None = None  # the pinned digest of a folder's model.onnx
    # Learning skills from resolved cases (docs/learning.md).
    skill_min_cases: int = 2  # similar resolved cases, with no skill yet, that make a new draft skill
    skills_branch: str | None = None  # commit learned skills here (a review branch); None: the current branch
    skills_git_author: str = "vigil <vigil@localhost>"
    skills_commit: bool | None = None  # commit each skill write; None: when skills_dir is inside a git repository
    skills_repo: Path | None = None  # the git repository learned skills are committed to (it must hold skills_dir)
    serve_draft_skills: bool = False  # serve unreviewed drafts as prompts, skills/list entries and resources
    resolution_quiet_minutes: float = 30.0  # a confirmation with no new problem for this long resolves the ticket
    transcript_retention_days: int = 90  # raw customer text of resolved tickets is redacted in place after this
    # HTTP security: bearer tokens (role, token) and the webhook secret come from the environment or a
    # tokens file, never from vigil.toml values.
    tokens: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    tokens_file: Path | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    insecure_no_auth: bool = False
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    # Slow clients: a request's headers must arrive within header_timeout seconds of the connection
    # (or of the previous response), and its body within body_timeout seconds of its headers.
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    # A postgresql:// URL (from --store / VIGIL_STORE / store): replicas share that database instead of a file.
    store_url: str | None = field(default=None, repr=False)

    def store_location(self) -> Path | str:
        """What to open: the PostgreSQL URL when one is set, else the DuckDB file."""
        return self.store_url or self.store


# name in vigil.toml / VIGIL_<NAME> -> Settings field
_KEYS: dict[str, str] = {
    "store": "store",
    "tools_dir": "tools_dir",
    "skills_dir": "skills_dir",
    "host": "host",
    "port": "port",
    "log_level": "log_level",
    "log_format": "log_format",
    "tools": "tools",
    "exclude_tools": "exclude_tools",
    "enable_write_tools": "enable_write_tools",
    "read_only": "read_only",
    "egress_allow": "egress_allow",
    "egress_deny": "egress_deny",
    "prometheus_url": "prometheus_url",
    "tool_timeout": "tool_timeout",
    "tool_output_chars": "tool_output_chars",
    "engine": "engine",
    "anthropic_model": "anthropic_model",
    "llm_timeout": "llm_timeout",
    "suggest_threshold": "suggest_threshold",
    "lesson_floor": "lesson_floor",
    "embedding_model": "embedding_model",
    "embedding_model_sha256": "embedding_model_sha256",
    "tokens_file": "tokens_file",
    "insecure_no_auth": "insecure_no_auth",
    "allowed_hosts": "allowed_hosts",
    "allowed_origins": "allowed_origins",
    "header_timeout": "header_timeout",
    "body_timeout": "body_timeout",
    "skill_min_cases": "skill_min_cases",
    "skills_branch": "skills_branch",
    "skills_git_author": "skills_git_author",
    "skills_commit": "skills_commit",
    "skills_repo": "skills_repo",
    "serve_draft_skills": "serve_draft_skills",
    "resolution_quiet_minutes": "resolution_quiet_minutes",
    "transcript_retention_days": "transcript_retention_days",
}
_PATH_FIELDS = frozenset({"store", "tools_dir", "skills_dir", "tokens_file", "skills_repo"})
_LIST_FIELDS = frozenset({"tools", "exclude_tools", "egress_allow", "egress_deny", "allowed_hosts", "allowed_origins"})
_TOOL_FIELDS = _LIST_FIELDS | {"enable_write_tools", "read_only", "prometheus_url", "tool_timeout", "tool_output_chars"}
_ENGINE_FIELDS = frozenset(
    {
        "engine",
        "anthropic_model",
        "llm_timeout",
        "suggest_threshold",
        "lesson_floor",
        "embedding_model",
        "embedding_model_sha256",
    }
)
_LEARN_FIELDS = frozenset(
    {
        "skill_min_cases",
        "skills_branch",
        "skills_git_author",
        "skills_commit",
        "serve_draft_skills",
        "resolution_quiet_minutes",
        "transcript_retention_days",
    }
)
_MAX_MIN_CASES = 1000
_TIMEOUT_FIELDS = frozenset({"header_timeout", "body_timeout"})
_MAX_HTTP_TIMEOUT = 300.0
_AUTHOR = re.compile(r"^[^<>\n]*[^<>\s][^<>\n]* <[^<>@\s]+@[^<>\s]*>$")
_BAD_BRANCH = re.compile(r"(^[-/.])|(\.\.)|(//)|(@\{)|([/.]$)|(\.lock$)|(\.lock/)|(/\.)|[\x00-\x20~^:?*\[\\\x7f]")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


TOKEN_ROLES = ("reader", "analyst")
MIN_TOKEN_CHARS = 16
_SECRET_KEYS = frozenset({"tokens", "token", "webhook_secret", "anthropic_api_key"})


def parse_tokens(text: str, origin: str) -> tuple[tuple[str, str], ...]:
    """`role:token` entries separated by commas or new lines (`#` starts a comment); errors never echo a token."""
    entries: list[tuple[str, str]] = []
    for n, line in enumerate(text.splitlines(), 1):
        for item in line.split("#", 1)[0].split(","):
            item = item.strip()
            if not item:
                continue
            role, sep, token = item.partition(":")
            role, token = role.strip(), token.strip()
            where = f"{origin} (entry {len(entries) + 1}, line {n})"
            if not sep or role not in TOKEN_ROLES:
                raise InputError(f"{where}: write role:token with role reader or analyst")
            if len(token) < MIN_TOKEN_CHARS or any(c.isspace() for c in token):
                raise InputError(
                    f"{where}: a token must be at least {MIN_TOKEN_CHARS} characters without spaces; "
                    "make one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
                )
            entries.append((role, token))
    return tuple(entries)


def _coerce_list(name: str, value: Any, origin: str) -> tuple[str, ...]:
    """A TOML array of strings, or one comma-separated string (environment, flags)."""
    items: list[Any] = [None]
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list):
        items = cast(list[Any], value)
    if not all(isinstance(item, str) for item in items):
        raise InputError(f"{origin}: {name} must be a list of strings or one comma-separated string")
    return tuple(stripped for item in items if (stripped := str(item).strip()))


def _coerce_tool_setting(name: str, value: Any, origin: str) -> Any:
    if name in _LIST_FIELDS:
        return _coerce_list(name, value, origin)
    if name in {"enable_write_tools", "read_only"}:
        text = str(value).lower()
        if isinstance(value, bool) or text in _TRUE | _FALSE:
            return value if isinstance(value, bool) else text in _TRUE
        raise InputError(f"{origin}: {name} must be true or false, got {value!r}")
    if name == "prometheus_url":
        url = str(value).strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise InputError(f"{origin}: prometheus_url must start with http:// or https://, got {value!r}")
        return url
    if name == "tool_timeout":
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            seconds = 0.0
        if not 0 < seconds <= 600:
            raise InputError(f"{origin}: tool_timeout must be a number of seconds from 0 to 600, got {value!r}")
        return seconds
    try:
        chars = int(value)
    except (TypeError, ValueError):
        chars = 0
    if chars < 1000:
        raise InputError(f"{origin}: tool_output_chars must be a whole number of at least 1000, got {value!r}")
    return chars


def _coerce_engine_setting(name: str, value: Any, origin: str) -> Any:
    if name == "engine":
        engine = str(value).lower()
        if engine not in {"offline", "anthropic"}:
            raise InputError(f"{origin}: engine must be offline or anthropic, got {value!r}")
        return engine
    if name == "embedding_model":
        model = str(value).strip()
        if not model:
            raise InputError(f"{origin}: embedding_model must be auto, none, or a folder with model.onnx")
        return model
    if name == "embedding_model_sha256":
        digest = str(value).strip().lower()
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise InputError(f"{origin}: embedding_model_sha256 must be 64 hex digits (sha256sum model.onnx)")
        return digest
    if name == "anthropic_model":
        model = str(value).strip()
        if not model:
            raise InputError(f"{origin}: anthropic_model must name a Claude model, e.g. claude-sonnet-5")
        return model
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if name == "llm_timeout" and not 0 < number <= 300:
        raise InputError(f"{origin}: llm_timeout must be seconds from 0 to 300, got {value!r}")
    if name in ("suggest_threshold", "lesson_floor") and not 0 <= number <= 1:
        raise InputError(f"{origin}: {name} must be a number from 0 to 1, got {value!r}")
    return number


def _coerce_learn_setting(name: str, value: Any, origin: str) -> Any:
    if name == "skill_min_cases":
        try:
            cases = int(value)
        except (TypeError, ValueError):
            cases = 0
        if isinstance(value, bool) or not 2 <= cases <= _MAX_MIN_CASES:
            raise InputError(
                f"{origin}: skill_min_cases must be a whole number from 2 to {_MAX_MIN_CASES} "
                f"(a skill is never made from one ticket), got {value!r}"
            )
        return cases
    if name == "skills_branch":
        branch = str(value).strip().removeprefix("refs/heads/")
        if not branch or _BAD_BRANCH.search(branch):
            raise InputError(f"{origin}: skills_branch must be a git branch name such as vigil/learned, got {value!r}")
        return branch
    if name == "resolution_quiet_minutes":
        try:
            minutes = float(value)
        except (TypeError, ValueError):
            minutes = -1.0
        if isinstance(value, bool) or not 0 <= minutes <= 7 * 24 * 60:
            raise InputError(f"{origin}: resolution_quiet_minutes must be minutes from 0 to 10080, got {value!r}")
        return minutes
    if name == "transcript_retention_days":
        try:
            days = int(value)
        except (TypeError, ValueError):
            days = -1
        if isinstance(value, bool) or not 0 <= days <= 36_500:
            raise InputError(
                f"{origin}: transcript_retention_days must be whole days from 0 (keep raw text) to 36500, got {value!r}"
            )
        return days
    if name == "skills_git_author":
        author = str(value).strip()
        if not _AUTHOR.match(author):
            raise InputError(f'{origin}: skills_git_author must look like "Name <email>", got {value!r}')
        return author
    text = str(value).lower()
    if isinstance(value, bool) or text in _TRUE | _FALSE:
        return value if isinstance(value, bool) else text in _TRUE
    raise InputError(f"{origin}: {name} must be true or false, got {value!r}")


def _coerce(name: str, value: Any, base: Path, origin: str) -> Any:
    if name in _LEARN_FIELDS:
        return _coerce_learn_setting(name, value, origin)
    if name in _TIMEOUT_FIELDS:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            seconds = 0.0
        if isinstance(value, bool) or not 0 < seconds <= _MAX_HTTP_TIMEOUT:
            raise InputError(f"{origin}: {name} must be seconds from 0 to {_MAX_HTTP_TIMEOUT:g}, got {value!r}")
        return seconds
    if name == "insecure_no_auth":
        text = str(value).lower()
        if isinstance(value, bool) or text in _TRUE | _FALSE:
            return value if isinstance(value, bool) else text in _TRUE
        raise InputError(f"{origin}: insecure_no_auth must be true or false, got {value!r}")
    if name in _ENGINE_FIELDS:
        return _coerce_engine_setting(name, value, origin)
    if name in _TOOL_FIELDS:
        return _coerce_tool_setting(name, value, origin)
    if name in _PATH_FIELDS:
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{origin}: {name} must be a path string")
        if name == "store":
            return _coerce_store(value.strip(), base, origin)
        path = Path(value).expanduser()
        return path if path.is_absolute() else base / path
    if name == "port":
        try:
            port = int(value)
        except (TypeError, ValueError):
            raise InputError(f"{origin}: port must be a number from 1 to 65535, got {value!r}") from None
        if not 0 <= port <= 65535:
            raise InputError(f"{origin}: port must be a number from 0 to 65535, got {port}")
        return port
    if name == "log_level":
        level = str(value).upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise InputError(f"{origin}: log_level must be DEBUG, INFO, WARNING or ERROR, got {value!r}")
        return level
    if name == "log_format":
        fmt = str(value).lower()
        if fmt not in {"text", "json"}:
            raise InputError(f"{origin}: log_format must be text or json, got {value!r}")
        return fmt
    return str(value)


def _coerce_store(text: str, base: Path, origin: str) -> Path | str:
    """A DuckDB path (plain or duckdb://) or a postgresql:// URL (kept as text)."""
    if text.startswith(POSTGRES_SCHEMES):
        if origin.endswith(CONFIG_FILE) and urlsplit(text).password:
            raise InputError(
                f"{origin}: store must not carry a password in vigil.toml (it ends up in backups and git); "
                "set PGPASSWORD or use ~/.pgpass, or give the URL in VIGIL_STORE"
            )
        return text
    if "://" in text and not text.startswith("duckdb://"):  # never a file named "mysql:/..."
        raise InputError(
            f"{origin}: store {text.split('://')[0]}:// is not known; use a file path, duckdb:// or postgresql://"
        )
    path = Path(text.removeprefix("duckdb://")).expanduser()
    return path if path.is_absolute() else base / path


def load_settings(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Resolve settings; `overrides` come from CLI flags (None values are ignored)."""
    env = os.environ if environ is None else environ
    flags = {k: v for k, v in (overrides or {}).items() if v is not None}
    origin = "--home" if flags.get("home") else "VIGIL_HOME" if env.get("VIGIL_HOME") else None
    home_raw = flags.pop("home", None) or env.get("VIGIL_HOME") or os.getcwd()
    home = Path(str(home_raw)).expanduser().resolve()
    # A mistyped home must not silently become a new, empty one.
    if origin is not None and not home.is_dir():
        what = "is not a folder" if home.exists() else "does not exist"
        raise InputError(f"{origin} {home} {what}; check the spelling, or create the folder first: mkdir -p {home}")
    settings = Settings(home=home, store=home / STORE_FILE, tools_dir=home / "tools", skills_dir=home / "skills")
    values: dict[str, Any] = {}
    config_path = home / CONFIG_FILE
    if config_path.is_file():
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{config_path}: not valid TOML ({exc}); fix or remove the file") from exc
        section: Any = data.get("vigil", data)
        if not isinstance(section, dict):
            raise InputError(f"{config_path}: [vigil] must be a table")
        for key, value in section.items():  # pyright: ignore[reportUnknownVariableType]
            if key in _SECRET_KEYS:
                raise InputError(
                    f"{config_path}: {key} must not be written in vigil.toml (it ends up in backups and git); "
                    "set VIGIL_TOKENS, VIGIL_WEBHOOK_SECRET or ANTHROPIC_API_KEY in the environment, "
                    "or point tokens_file at a file only the server can read"
                )
            if key not in _KEYS:
                known = ", ".join(sorted(_KEYS))
                raise InputError(f"{config_path}: unknown setting {key!r}; known settings: {known}")
            values[_KEYS[key]] = _coerce(_KEYS[key], value, home, str(config_path))
    for key, name in _KEYS.items():
        raw = env.get(f"VIGIL_{key.upper()}")
        if raw:
            values[name] = _coerce(name, raw, Path.cwd(), f"VIGIL_{key.upper()}")
    for key, value in flags.items():
        if key not in _KEYS:
            continue
        values[_KEYS[key]] = _coerce(_KEYS[key], value, Path.cwd(), f"--{key.replace('_', '-')}")
    # The API key comes from the environment only: a key in a config file ends up in backups and git.
    if env.get("ANTHROPIC_API_KEY"):
        values["anthropic_api_key"] = env["ANTHROPIC_API_KEY"]
    tokens: tuple[tuple[str, str], ...] = ()
    if env.get("VIGIL_TOKENS"):
        tokens += parse_tokens(env["VIGIL_TOKENS"], "VIGIL_TOKENS")
    tokens_file = values.get("tokens_file")
    if isinstance(tokens_file, Path):
        try:
            tokens += parse_tokens(tokens_file.read_text(encoding="utf-8"), str(tokens_file))
        except OSError as exc:
            raise InputError(f"tokens_file {tokens_file}: cannot read it ({exc.strerror})") from None
    if tokens:
        values["tokens"] = tokens
    if env.get("VIGIL_WEBHOOK_SECRET"):
        values["webhook_secret"] = env["VIGIL_WEBHOOK_SECRET"]
    if isinstance(values.get("store"), str):  # the last source that set the store named a database
        values["store_url"] = values.pop("store")
    known_fields = {f.name for f in fields(Settings)}
    return replace(settings, **{k: v for k, v in values.items() if k in known_fields})
