"""What every `vigil` command shares: the setting options and turning them into Settings once.

An option made with `setting_option` names a Settings key (`--tools-dir` is `tools_dir`). When the
user gives it, its value is remembered for `settings_of`, which resolves flags > VIGIL_* > vigil.toml
> defaults; nothing else lists the flags. The global options (`--home`, `--store`, `--log-level`,
`--log-format`) are accepted before the command (`vigil --home X doctor`) and after it
(`vigil doctor --home X`); the one nearer the end wins.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from vigil_mcp.config import Settings, load_settings
from vigil_mcp.logs import setup_logging

F = TypeVar("F", bound=Callable[..., Any])

_FLAGS = "vigil.flags"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if ctx.get_parameter_source(param.name) is ParameterSource.COMMANDLINE:
        flags: dict[str, Any] = ctx.meta.setdefault(_FLAGS, {})
        flags[param.name] = str(value) if isinstance(value, Path) else value
    return value


def setting_option(*decls: str, **attrs: Any) -> Callable[[F], F]:
    """A click option whose value, when given, overrides the Settings key of the same name."""
    attrs.setdefault("expose_value", False)
    attrs.setdefault("callback", _remember)
    return click.option(*decls, **attrs)


def flag_option(*decls: str, help: str) -> Callable[[F], F]:
    """A boolean setting switch (`--enable-write-tools`): True when given, the configured value otherwise."""
    return setting_option(*decls, is_flag=True, default=None, help=help)


def global_options(fn: F) -> F:
    """--home, --store, --log-level and --log-format, on the root group and on every command."""
    for option in reversed(
        [
            setting_option(
                "--home",
                metavar="DIR",
                help="the vigil home: knowledge.duckdb, vigil.toml, tools/, skills/ (default: $VIGIL_HOME, else .)",
            ),
            setting_option(
                "--store",
                metavar="FILE|URL",
                help="the DuckDB store file, or postgresql://... for replicas (default: HOME/knowledge.duckdb)",
            ),
            setting_option(
                "--log-level", type=click.Choice(LOG_LEVELS, case_sensitive=False), help="log level (stderr)"
            ),
            setting_option("--log-format", type=click.Choice(["text", "json"]), help="log lines as text or JSON"),
        ]
    ):
        fn = option(fn)
    return fn


def tool_selection_options(fn: F) -> F:
    """--tools-dir, --tools, --exclude-tools, --enable-write-tools, --read-only, --prometheus-url."""
    for option in reversed(
        [
            setting_option(
                "--tools-dir", metavar="DIR", help="folder of your diagnostic tool files (default: HOME/tools)"
            ),
            setting_option(
                "--tools",
                metavar="NAMES",
                help='serve only the tools matching these patterns ("search_*,check_*,lookup_dns")',
            ),
            setting_option(
                "--exclude-tools",
                metavar="NAMES",
                help='never serve the tools matching these patterns ("resolve_ticket,query_*")',
            ),
            flag_option("--enable-write-tools", help="also serve diagnostic tools that are not read-only"),
            flag_option("--read-only", help="serve no tool that changes anything (observe, feedback, resolve, add)"),
            setting_option("--prometheus-url", metavar="URL", help="Prometheus base URL for query_prometheus"),
        ]
    ):
        fn = option(fn)
    return fn


def given(ctx: click.Context) -> dict[str, Any]:
    """The setting options the user gave on the command line, by Settings key."""
    return dict(ctx.meta.get(_FLAGS, {}))


def settings_of(ctx: click.Context, *, serving: bool = False) -> Settings:
    """Resolve the settings for this command and set up logging on stderr.

    Commands other than `serve` log only warnings unless --log-level is given: their output is the answer.
    """
    flags = given(ctx)
    if "log_level" in flags:
        flags["log_level"] = str(flags["log_level"]).upper()
    settings = load_settings(flags)
    quiet = not serving and "log_level" not in flags
    setup_logging("WARNING" if quiet else settings.log_level, settings.log_format)
    return settings


def json_option(what: str) -> Callable[[F], F]:
    """--json: print `what` as JSON instead of lines for people."""
    return click.option("--json", "as_json", is_flag=True, help=f"print {what} as JSON")
