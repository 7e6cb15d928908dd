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
