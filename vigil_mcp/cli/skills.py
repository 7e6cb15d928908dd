"""`vigil skills list|show|check|history|approve|retire`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from vigil_mcp.config import Settings

DESCRIPTION_COLUMN = 70


def register(groups: Any, common: argparse.ArgumentParser) -> None:
    """Add the `skills` parsers."""
    skills = groups.add_parser("skills", help="list, check and review the skills in skills/")
    actions = skills.add_subparsers(dest="action", metavar="ACTION", required=True)
    local = argparse.ArgumentParser(add_help=False)
    local.add_argument("--skills-dir", help="the skills folder (default: HOME/skills)")
    parents = [common, local]
    listing = actions.add_parser("list", parents=parents, help="list skills with version and status")
    listing.add_argument("--status", choices=["draft", "approved", "retired"], help="only skills with this status")
    listing.add_argument("--json", action="store_true", help="print the list as JSON")
    show = actions.add_parser("show", parents=parents, help="print one skill's SKILL.md")
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="print the skill as JSON")
    check = actions.add_parser(
        "check", parents=parents, help="validate skills; exits 1 on any invalid one (usable as a pre-commit hook)"
    )
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="only these SKILL.md files or folders")
    history = actions.add_parser("history", parents=parents, help="the git commits that changed a skill")
    history.add_argument("name")
    history.add_argument("--json", action="store_true", help="print the history as JSON")
    approve = actions.add_parser("approve", parents=parents, help="mark a skill approved (bumps its version)")
    approve.add_argument("name")
    retire = actions.add_parser("retire", parents=parents, help="mark a skill retired (bumps its version)")
    retire.add_argument("name")


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


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Do one skills action (no store, no server: the files are the truth)."""
    from vigil_mcp.cli import err, out
    from vigil_mcp.services.skills import SkillLibrary, detail_of, skill_history, summary_of

    library = SkillLibrary(settings.skills_dir)
    if args.action == "check":
        if args.paths:
            names, outside = _folders_of(args.paths, settings.skills_dir)
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
    library.load()
    if args.action == "list":
        skills = library.all() if args.status is None else library.list(args.status)
        if args.json:
            out(json.dumps([summary_of(s).model_dump() for s in skills], indent=2))
        for skill in [] if args.json else skills:
            text = " ".join(skill.front_matter.description.split())
            short = text if len(text) <= DESCRIPTION_COLUMN else text[: DESCRIPTION_COLUMN - 1] + "…"
            out(f"{skill.name:32} v{skill.version:<4} {skill.status:9} {short}")
        if not skills and not args.json:
            out(f"no skills in {settings.skills_dir}")
        for problem in library.problems():
            if problem.severity == "error":
                err(f"invalid: {problem}")
        return 0
    if args.action == "show":
        skill = library.get(args.name)
        out(detail_of(skill, library.problems(skill.name)).model_dump_json(indent=2) if args.json else skill.text)
        return 0
    if args.action == "history":
        skill = library.get(args.name)
        revisions = skill_history(skill.folder)
        if args.json:
            out(json.dumps([r.model_dump() for r in revisions], indent=2))
        elif not revisions:
            out(f"{skill.name} has no commits yet")
        for r in [] if args.json else revisions:
            version = f"v{r.version}" if r.version is not None else "v?"
            out(f"{r.commit[:10]}  {r.date[:10]}  {version:5} {r.status or '?':9} {r.author}: {r.subject}")
        return 0
    status = "approved" if args.action == "approve" else "retired"
    new, old = library.set_status(args.name, status)
    if old is None:
        out(f"{new.name} is already {status} (version {new.version}); nothing written")
    else:
        out(f"{new.name}: {old.status} -> {new.status}, version {old.version} -> {new.version}")
    return 0
