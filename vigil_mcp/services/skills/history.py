"""A skill's history from git: the commits that changed its SKILL.md, with the version each one had."""

from __future__ import annotations

import shutil
from pathlib import Path

from vigil_mcp.errors import NotFoundError
from vigil_mcp.services.gitcmd import git
from vigil_mcp.services.skills import frontmatter
from vigil_mcp.services.skills.model import SKILL_FILE, SkillRevision

MAX_REVISIONS = 200
_RECORD = "\x1e"
_UNIT = "\x1f"


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    return git(cwd, *args, stdin=stdin, error=NotFoundError)


def _versions(top: Path, specs: list[str]) -> list[tuple[int | None, str | None]]:
    """(version, status) of SKILL.md at each `commit:path`, read in one `git cat-file --batch`."""
    out = _git(top, "cat-file", "--batch", stdin="".join(f"{s}\n" for s in specs).encode())
    results: list[tuple[int | None, str | None]] = []
    pos = 0
    for _ in specs:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[1] != b"blob":
            results.append((None, None))
            continue
        size = int(header[2])
        blob = out[pos : pos + size]
        pos += size + 1
        try:
            parsed = frontmatter.parse(blob.decode("utf-8"))
            meta = parsed.fields.get("metadata")
            meta = meta if isinstance(meta, dict) else {}
            version = meta.get("version", "")
            results.append((int(version) if version.isdigit() else None, meta.get("status")))
        except (frontmatter.FrontMatterError, UnicodeDecodeError):
            results.append((None, None))
    return results


def skill_history(folder: Path, limit: int = MAX_REVISIONS) -> list[SkillRevision]:
    """Commits that touched `folder`/SKILL.md, newest first, following renames."""
    if not folder.is_dir():
        raise NotFoundError(f"{folder} does not exist")
    if shutil.which("git") is None:
        raise NotFoundError("git is not installed, so there is no skill history to show")
    try:
        top = Path(_git(folder, "rev-parse", "--show-toplevel").decode().strip())
    except NotFoundError:
        raise NotFoundError(
            f"{folder} is not inside a git repository; history comes from git (git init and commit the skills)"
        ) from None
    fmt = f"{_RECORD}%H{_UNIT}%aI{_UNIT}%an{_UNIT}%s"
    log = _git(folder, "log", "--follow", f"-n{limit}", f"--format={fmt}", "--name-only", "--", SKILL_FILE)
    rows: list[tuple[str, str, str, str, str]] = []
    for record in log.decode("utf-8", "replace").split(_RECORD)[1:]:
        head, _, names = record.partition("\n")
        commit, date, author, subject = ([*head.split(_UNIT), "", "", ""])[:4]
        paths = [n for n in names.splitlines() if n.strip()]
        rows.append((commit, date, author, subject, paths[-1] if paths else ""))
    versions = _versions(top, [f"{c}:{p}" for c, _, _, _, p in rows]) if rows else []
    return [
        SkillRevision(commit=c, date=d, author=a, subject=s, version=v, status=st)
        for (c, d, a, s, _), (v, st) in zip(rows, versions, strict=True)
    ]
