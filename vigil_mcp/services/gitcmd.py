"""Run git with a timeout, turning its failures into one readable VigilError."""

from __future__ import annotations

import subprocess
from pathlib import Path

from vigil_mcp.errors import VigilError

GIT_TIMEOUT = 20.0


def git(cwd: Path, *args: str, stdin: bytes | None = None, error: type[VigilError] = VigilError) -> bytes:
    """git's stdout; `error` (a VigilError) with git's last line of complaint when it fails."""
    verb = next((a for a in args if not a.startswith("-") and "=" not in a), "git")  # skip -c name=value
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, input=stdin, capture_output=True, timeout=GIT_TIMEOUT, check=False
        )
    except FileNotFoundError:
        raise error("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise error(f"git {verb} took more than {GIT_TIMEOUT:.0f} s in {cwd}; try again") from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise error(f"git {verb} failed in {cwd}: {lines[-1] if lines else f'exit {done.returncode}'}")
    return done.stdout


def work_tree_top(folder: Path) -> Path | None:
    """The root of the git work tree `folder` is in (it need not exist yet), or None."""
    probe = folder.resolve()
    while not probe.is_dir():
        if probe.parent == probe:
            return None
        probe = probe.parent
    try:
        return Path(git(probe, "rev-parse", "--show-toplevel").decode().strip()).resolve()
    except VigilError:
        return None


def skills_repository(skills_dir: Path, home: Path, configured: Path | None = None) -> Path | None:
    """The git work tree learned skills are committed to, or None.

    The configured repository (`skills_repo`) when it holds the skills folder; otherwise the work
    tree whose root is the skills folder itself, the folder that holds it (a project with its own
    `skills/`) or vigil's home. Never a repository that merely encloses them from further up: another
    project's history is not vigil's.
    """
    folder = skills_dir.resolve()
    if configured is not None:
        top = work_tree_top(configured)
        if top is None or top != configured.resolve() or not folder.is_relative_to(top):
            return None
        return top
    top = work_tree_top(folder)
    if top is not None and top in (folder, folder.parent, home.resolve()):
        return top
    return None


def is_ignored(top: Path, path: str) -> bool:
    """Whether the repository's ignore rules exclude `path` (relative to `top`)."""
    try:
        git(top, "check-ignore", "-q", "--no-index", "--", path)
    except VigilError:
        return False  # exit 1: not ignored
    return True


def last_author_email(top: Path, path: str) -> str | None:
    """The author e-mail of the last commit that touched `path`, or None when none did."""
    try:
        out = git(top, "log", "-1", "--format=%ae", "--", path).decode().strip()
    except VigilError:
        return None
    return out or None


def head_commit(top: Path) -> str | None:
    """The commit HEAD points at, or None (an unborn branch, not a repository)."""
    try:
        return git(top, "rev-parse", "-q", "--verify", "HEAD^{commit}").decode().strip() or None
    except VigilError:
        return None
