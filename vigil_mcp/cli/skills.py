"""`vigil skills list|show|check|history|approve|retire`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from vigil_mcp.cli.options import F, global_options, json_option, setting_option, settings_of
from vigil_mcp.config import Settings

if TYPE_CHECKING:
    from vigil_mcp.services.skills import Skill, SkillLibrary
    from vigil_mcp.services.skills.model import Status

DESCRIPTION_COLUMN = 70


def _folders_of(paths: list[Path], root: Path) -> tuple[set[str], list[str]]:
    """Skill folder names under root for the given files/folders, and the paths outside root."""
    names: set[str] = set()
    outside: list[str] = []
    base = root.resolve()
    for path in paths:
        try:
            parts = path.resolve().relative_to(base).parts
        except ValueError:
            outside.append(str(path))
            continue
        if parts:
            names.add(parts[0])
        else:
            names.update(p.name for p in base.iterdir() if p.is_dir())
    return names, outside


@click.group()
def skills() -> None:
    """List, check and review skills.

    A skill is HOME/skills/<name>/SKILL.md in the Agent Skills format; git holds its history.
    """


def skills_dir_option(fn: F) -> F:
    """--skills-dir, on every skills command."""
    return setting_option("--skills-dir", metavar="DIR", help="the skills folder (default: HOME/skills)")(fn)


def _library(ctx: click.Context) -> tuple[Settings, SkillLibrary]:
    from vigil_mcp.app import build_skills

    settings = settings_of(ctx)
    return settings, build_skills(settings)


@skills.command("list")
@click.option("--status", type=click.Choice(["draft", "approved", "retired"]), help="only skills with this status")
@json_option("the list")
@skills_dir_option
@global_options
@click.pass_context
def list_command(ctx: click.Context, status: str | None, as_json: bool) -> int:
    """List skills with version, status and where each comes from.

    "built-in" skills are the starter skills vigil ships; a folder of the same name in your
    skills folder replaces one ("yours"). Approving or retiring a built-in skill copies it there first.
    """
    from vigil_mcp.cli import err, out
    from vigil_mcp.services.skills import summary_of

    settings, library = _library(ctx)
    library.load()
    found = library.all() if status is None else library.list(cast("Status", status))

    def origin(skill: Skill) -> str:
        return "built-in" if library.is_builtin(skill) else "yours"

    if as_json:
        out(json.dumps([{**summary_of(s).model_dump(), "origin": origin(s)} for s in found], indent=2))
    for skill in [] if as_json else found:
        text = " ".join(skill.front_matter.description.split())
        short = text if len(text) <= DESCRIPTION_COLUMN else text[: DESCRIPTION_COLUMN - 1] + "…"
        out(f"{skill.name:32} v{skill.version:<4} {skill.status:9} {origin(skill):8}  {short}")
    if not found and not as_json:
        out(f"no skills in {settings.skills_dir}")
    for problem in library.problems():
        if problem.severity == "error":
            err(f"invalid: {problem}")
    return 0


@skills.command()
@click.argument("name")
@json_option("the skill")
@skills_dir_option
@global_options
@click.pass_context
def show(ctx: click.Context, name: str, as_json: bool) -> int:
    """Print one skill's SKILL.md."""
    from vigil_mcp.cli import out
    from vigil_mcp.services.skills import detail_of

    _, library = _library(ctx)
    library.load()
    skill = library.get(name)
    out(detail_of(skill, library.problems(skill.name)).model_dump_json(indent=2) if as_json else skill.text)
    return 0


@skills.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="[PATH]...")
@skills_dir_option
@global_options
@click.pass_context
def check(ctx: click.Context, paths: tuple[Path, ...]) -> int:
    """Validate skills; exits 1 on any invalid one.

    Checks every skill, or only the given SKILL.md files or folders (pre-commit friendly).
    """
    from vigil_mcp.cli import err, out

    settings, library = _library(ctx)
    if paths:
        names, outside = _folders_of(list(paths), settings.skills_dir)
        for path in outside:
            err(f"{path}: not under the skills folder {settings.skills_dir}; skipped")
        report = library.refresh(names)
    else:
        report = library.load()
    problems = report.problems
    for problem in problems:
        err(str(problem))
    errors = [p for p in problems if p.severity == "error"]
    invalid = len({p.path for p in errors})
    out(f"{len(library.all())} skills valid, {invalid} invalid in {settings.skills_dir}")
    return 1 if errors else 0


@skills.command()
@click.argument("name")
@json_option("the history")
@skills_dir_option
@global_options
@click.pass_context
def history(ctx: click.Context, name: str, as_json: bool) -> int:
    """The git commits that changed a skill."""
    from vigil_mcp.cli import out
    from vigil_mcp.services.skills import skill_history

    _, library = _library(ctx)
    library.load()
    skill = library.get(name)
    revisions = skill_history(skill.folder)
    if as_json:
        out(json.dumps([r.model_dump() for r in revisions], indent=2))
    elif not revisions:
        out(f"{skill.name} has no commits yet")
    for r in [] if as_json else revisions:
        version = f"v{r.version}" if r.version is not None else "v?"
        out(f"{r.commit[:10]}  {r.date[:10]}  {version:5} {r.status or '?':9} {r.author}: {r.subject}")
    return 0


def _set_status(ctx: click.Context, name: str, status: Status) -> int:
    from vigil_mcp.cli import out

    _, library = _library(ctx)
    library.load()
    new, old = library.set_status(name, status)
    if old is None:
        out(f"{new.name} is already {status} (version {new.version}); nothing written")
    else:
        out(f"{new.name}: {old.status} -> {new.status}, version {old.version} -> {new.version}")
    return 0


@skills.command()
@click.argument("name")
@skills_dir_option
@global_options
@click.pass_context
def approve(ctx: click.Context, name: str) -> int:
    """Mark a skill approved (bumps its version)."""
    return _set_status(ctx, name, "approved")


@skills.command()
@click.argument("name")
@skills_dir_option
@global_options
@click.pass_context
def retire(ctx: click.Context, name: str) -> int:
    """Mark a skill retired (bumps its version)."""
    return _set_status(ctx, name, "retired")
