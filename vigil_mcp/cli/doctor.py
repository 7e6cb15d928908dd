"""`vigil doctor`: one verdict per line (ok / warn / FAIL) on config, store, skills, tools and endpoints."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from vigil_mcp.config import Settings


def register(groups: Any, common: argparse.ArgumentParser) -> None:
    """Add the `doctor` parser."""
    groups.add_parser(
        "doctor",
        parents=[common],
        help="check configuration, store, skills, tools and endpoints; exits 1 on any FAIL",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run every check and print its verdict; 1 if any failed."""
    from vigil_mcp.app import build_tools
    from vigil_mcp.cli import out
    from vigil_mcp.services import doctor
    from vigil_mcp.services.skills import SkillLibrary
    from vigil_mcp.storage.inspect import inspect_store

    # The verdict lines say what the loaders would log; keep their warnings off the screen.
    for name in ("vigil_mcp.services.tools", "vigil_mcp.services.skills"):
        logging.getLogger(name).setLevel(logging.ERROR)
    checks = doctor.check_config(settings)
    out(checks[0].line())
    out(checks[1].line())
    for check in (
        lambda: doctor.check_store(inspect_store(settings.store)),
        lambda: doctor.check_skills(SkillLibrary(settings.skills_dir)),
        lambda: doctor.check_tools(build_tools(settings)),
        lambda: doctor.check_prometheus(settings.prometheus_url),
        lambda: doctor.check_anthropic(settings),
    ):
        checks.append(check())
        out(checks[-1].line())  # one at a time: a slow probe should not hide the lines before it
    if doctor.failed(checks):
        out("vigil doctor: something needs fixing (FAIL lines above)")
        return 1
    return 0


def run_unconfigured(error: Exception) -> int:
    """What doctor says when the settings could not even be resolved (a broken vigil.toml, a bad VIGIL_*)."""
    from vigil_mcp.cli import out
    from vigil_mcp.services import doctor

    out(doctor.check_broken_config(error).line())
    out("skip  store, skills, tools, endpoints: fix the configuration first")
    return 1
