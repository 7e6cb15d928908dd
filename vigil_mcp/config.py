"""Settings, resolved once: CLI flags > VIGIL_* environment > vigil.toml > defaults."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from vigil_mcp.errors import InputError

CONFIG_FILE = "vigil.toml"
STORE_FILE = "knowledge.duckdb"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable; passed down explicitly, never read from the environment later."""

    home: Path
    store: Path
    tools_dir: Path
    skills_dir: Path
    host: str = "127.0.0.1"
    port: int = 8765
    log_level: str = "INFO"
    log_format: str = "text"


# name in vigil.toml / VIGIL_<NAME> -> Settings field
_KEYS: dict[str, str] = {
    "store": "store",
    "tools_dir": "tools_dir",
    "skills_dir": "skills_dir",
    "host": "host",
    "port": "port",
    "log_level": "log_level",
    "log_format": "log_format",
}
_PATH_FIELDS = frozenset({"store", "tools_dir", "skills_dir"})


def _coerce(name: str, value: Any, base: Path, origin: str) -> Any:
    if name in _PATH_FIELDS:
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{origin}: {name} must be a path string")
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


def load_settings(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Resolve settings; `overrides` come from CLI flags (None values are ignored)."""
    env = os.environ if environ is None else environ
    flags = {k: v for k, v in (overrides or {}).items() if v is not None}
    home_raw = flags.pop("home", None) or env.get("VIGIL_HOME") or os.getcwd()
    home = Path(str(home_raw)).expanduser().resolve()
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
    known_fields = {f.name for f in fields(Settings)}
    return replace(settings, **{k: v for k, v in values.items() if k in known_fields})
