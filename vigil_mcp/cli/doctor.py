"""`vigil doctor`: one verdict per line (ok / warn / FAIL) on config, store, skills, tools and endpoints."""

from __future__ import annotations

import logging

import click

from vigil_mcp.cli.options import global_options, settings_of
from vigil_mcp.config import Settings
from vigil_mcp.errors import VigilError
from vigil_mcp.services import doctor as checks_of


@click.command()
@global_options
@click.pass_context
def doctor(ctx: click.Context) -> int:
    """Check config, home, store, skills, tools and endpoints.

    One verdict per line (ok, warn, FAIL); exits 1 on any FAIL.
    """
    try:
        settings = settings_of(ctx)
    except VigilError as exc:  # a broken configuration is doctor's finding, not its failure
        return run_unconfigured(exc)
    return run_checks(settings)


def run_checks(settings: Settings) -> int:
    """Run every check and print its verdict; 1 if any failed."""
    from vigil_mcp.app import build_skills
    from vigil_mcp.cli import out

    # The verdict lines say what the loaders would log; keep their warnings off the screen.
    for name in ("vigil_mcp.services.tools", "vigil_mcp.services.skills"):
        logging.getLogger(name).setLevel(logging.ERROR)
    checks = checks_of.check_config(settings)
    out(checks[0].line())
    out(checks[1].line())
    for check in (
        lambda: _check_store(settings),
        lambda: checks_of.check_skills(build_skills(settings)),
        lambda: _tools_check(settings),
        lambda: checks_of.check_embedding_model(settings.embedding_model, settings.embedding_model_sha256),
        lambda: checks_of.check_prometheus(settings.prometheus_url),
        lambda: checks_of.check_anthropic(settings),
    ):
        checks.append(check())
        out(checks[-1].line())  # one at a time: a slow probe should not hide the lines before it
    if checks_of.failed(checks):
        out("vigil doctor: something needs fixing (FAIL lines above)")
        return 1
    return 0


def _tools_check(settings: Settings) -> checks_of.Check:
    from vigil_mcp.app import build_tools

    try:
        return checks_of.check_tools(build_tools(settings))
    except VigilError as exc:  # an unknown --tools name: the server would refuse to start
        return checks_of.Check("tools", "FAIL", str(exc), "fix tools / exclude_tools (flags, VIGIL_*, vigil.toml)")


def _check_store(settings: Settings) -> checks_of.Check:
    """The DuckDB file, or the PostgreSQL database --store / VIGIL_STORE names."""
    from vigil_mcp.storage.inspect import inspect_store

    if settings.store_url is None:
        return checks_of.check_store(inspect_store(settings.store))
    try:
        from vigil_mcp.storage.postgres.inspect import inspect_database
    except ImportError:
        return checks_of.Check("store", "FAIL", "a PostgreSQL store needs psycopg, which is not installed",
                               'pip install "mcp-server-vigil[postgresql]"')  # fmt: skip
    return checks_of.check_database(inspect_database(settings.store_url))


def run_unconfigured(error: Exception) -> int:
    """What doctor says when the settings could not even be resolved (a broken vigil.toml, a bad VIGIL_*)."""
    from vigil_mcp.cli import out

    out(checks_of.check_broken_config(error).line())
    out("skip  store, skills, tools, endpoints: fix the configuration first")
    return 1
