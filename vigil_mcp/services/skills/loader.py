"""Read one skill folder into a validated Skill, or into problems that say file, line and fix."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from vigil_mcp.services.skills import frontmatter
from vigil_mcp.services.skills.model import (
    BODY_LINES,
    MAX_BYTES,
    MAX_FILES,
    SKILL_FILE,
    Skill,
    SkillFile,
    SkillFrontMatter,
    SkillProblem,
)
from vigil_mcp.storage.files import UnsafeFileError, is_symlink, read_regular_file

# Editors' and our own temporary files: never part of a skill, and never a reason to reload one.
_TEMP = re.compile(r"(^\.|~$|\.swp$|\.swx$|\.tmp$|^#.*#$|^4913$|___jb_(tmp|old)___$)")
ALLOWED_FIELDS = ("name", "description", "license", "compatibility", "allowed-tools", "metadata")

_FIXES = {
    "name": "use lowercase letters, digits and single hyphens, the same as the folder name",
    "description": "say what the skill does and when to use it, in at most 1024 characters",
    "compatibility": "shorten it to at most 500 characters",
    "license": "give the license as one string, such as Apache-2.0",
    "allowed-tools": "list the tools as one space-separated string",
    "metadata": 'write metadata as indented `key: "value"` lines of strings',
}


class UnstableFile(Exception):
    """The file changed while it was read: a writer is still at work, and a later event will follow."""


@dataclass(slots=True)
class LoadResult:
    """A folder's skill (None when it is invalid or gone) and its problems (warnings included)."""

    skill: Skill | None
    problems: list[SkillProblem] = field(default_factory=list[SkillProblem])
    missing: bool = False  # no SKILL.md: the skill was deleted


def is_temporary(name: str) -> bool:
    """Whether a file name is an editor's (or our) temporary file."""
    return bool(_TEMP.search(name))


def read_stable(root: Path, relative: str) -> bytes:
    """The bytes of the regular file `root/relative`, provided it did not change while being read.

    Raises UnstableFile when it changed, UnsafeFileError for a symbolic link, `..` or anything that
    is not a regular file inside `root`, FileNotFoundError when it is gone.
    """
    data, before = read_regular_file(root, relative)
    after = os.stat(root / relative, follow_symlinks=False)
    key = (before.st_ino, before.st_size, before.st_mtime_ns)
    if key != (after.st_ino, after.st_size, after.st_mtime_ns) or len(data) != after.st_size:
        raise UnstableFile(str(root / relative))
    return data


def digest(data: bytes) -> str:
    """SEP-2640 digest of raw bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _supporting_files(folder: Path) -> tuple[list[str], list[str]]:
    """Relative paths of the regular files under the folder except SKILL.md, and of the links left out."""
    found: list[str] = []
    links: list[str] = []
    for top, dirs, files in os.walk(folder):
        for d in sorted(dirs):
            if os.path.islink(os.path.join(top, d)) and not d.startswith("."):
                links.append(Path(top, d).relative_to(folder).as_posix())
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not os.path.islink(os.path.join(top, d)))
        for name in sorted(files):
            path = Path(top, name)
            rel = path.relative_to(folder).as_posix()
            if is_temporary(name) or rel == SKILL_FILE:
                continue
            if path.is_symlink():
                links.append(rel)
            elif path.is_file():
                found.append(rel)
    return found, links


def _error(path: str, line: int | None, message: str, fix: str) -> SkillProblem:
    return SkillProblem(path=path, line=line, message=message, fix=fix)


def validation_problems(exc: ValidationError, lines: dict[str, int], path: str) -> list[SkillProblem]:
    """Pydantic errors as problems on the lines of the fields they concern."""
    problems: list[SkillProblem] = []
    for error in exc.errors():
        key = str(error["loc"][0]) if error["loc"] else ""
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            allowed = ", ".join(ALLOWED_FIELDS)
            problems.append(
                _error(
                    path,
                    lines.get(key),
                    f"{key} is not an Agent Skills field",
                    f"keep to {allowed}; put vigil's or your own fields under metadata as strings",
                )
            )
            continue
        if error["type"] == "missing":
            problems.append(_error(path, 2, f"{key} is missing", f"add a `{key}:` line; {_FIXES.get(key, '')}"))
            continue
        sub = re.match(r"(metadata\.[\w-]+)", message)
        line = lines.get(sub.group(1)) if sub else lines.get(key)
        problems.append(
            _error(path, line, f"{key}: {message}" if not sub else message, _FIXES.get(key, "fix the value"))
        )
    return problems


def parse_skill_text(
    text: str, folder_name: str, path: str
) -> tuple[Skill | None, frontmatter.ParsedFile | None, list[SkillProblem]]:
    """Validate SKILL.md text for a folder; the Skill has no files yet (see `load_skill`)."""
    try:
        parsed = frontmatter.parse(text)
    except frontmatter.FrontMatterError as exc:
        return None, None, [_error(path, exc.line, exc.message, exc.fix)]
    try:
        fm = SkillFrontMatter.model_validate(parsed.fields)
    except ValidationError as exc:
        return None, parsed, validation_problems(exc, parsed.lines, path)
    problems: list[SkillProblem] = []
    if fm.name != folder_name:
        problems.append(
            _error(
                path,
                parsed.lines.get("name"),
                f"name {fm.name!r} differs from its folder {folder_name!r}",
                f"rename the folder to {fm.name} or set name: {folder_name}",
            )
        )
    if not parsed.body.strip():
        problems.append(
            _error(
                path,
                parsed.body_line,
                "the body is empty",
                "after the front matter, say when the skill applies, the diagnosis steps and the answer",
            )
        )
    if problems:
        return None, parsed, problems
    warnings: list[SkillProblem] = []
    body_lines = len(parsed.body.splitlines())
    if body_lines > BODY_LINES:
        warnings.append(
            SkillProblem(
                path=path,
                line=parsed.body_line,
                message=f"the body is {body_lines} lines long; agents read skills best under {BODY_LINES}",
                fix="move detail into references/ files and link them from the body",
                severity="warning",
            )
        )
    if "version" not in fm.metadata:
        warnings.append(
            SkillProblem(
                path=path,
                line=parsed.lines.get("metadata", 2),
                message="metadata.version is missing; it counts as version 1",
                fix='add `version: "1"` under metadata, and raise it on every change',
                severity="warning",
            )
        )
    skill = Skill(
        name=fm.name,
        folder=Path(),
        front_matter=fm,
        raw_front_matter=parsed.fields,
        text=text,
        body=parsed.body,
        files=(),
    )
    return skill, parsed, warnings


_LINK_FIX = (
    "vigil loads only regular files inside the skill's folder: replace the link with the file itself "
    "(in git, commit the file rather than a symbolic link)"
)


def load_skill(folder: Path, display: str | None = None) -> LoadResult:
    """Load the skill in `folder`. A folder without SKILL.md is `missing`; UnstableFile propagates.

    Only regular files inside the folder are read: a folder, SKILL.md or supporting file that is a
    symbolic link is never followed (it could point anywhere on the machine).
    """
    path_text = display or str(folder / SKILL_FILE)
    if is_symlink(folder):
        return LoadResult(None, [_error(str(folder), None, "the skill folder is a symbolic link", _LINK_FIX)])
    try:
        raw = read_stable(folder.parent, f"{folder.name}/{SKILL_FILE}")
    except FileNotFoundError:
        return LoadResult(None, missing=True)
    except (IsADirectoryError, NotADirectoryError):
        return LoadResult(None, missing=True)
    except UnsafeFileError as exc:
        return LoadResult(None, [_error(path_text, None, f"not loaded: {exc}", _LINK_FIX)])
    except OSError as exc:
        return LoadResult(None, [_error(path_text, None, f"cannot read: {exc.strerror or exc}", "check permissions")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return LoadResult(None, [_error(path_text, None, f"not UTF-8 (byte {exc.start})", "save the file as UTF-8")])
    skill, _, problems = parse_skill_text(text, folder.name, path_text)
    if skill is None:
        return LoadResult(None, problems)
    files = [SkillFile(SKILL_FILE, len(raw), digest(raw))]
    total = len(raw)
    supporting, links = _supporting_files(folder)
    for rel in links:
        problems.append(
            SkillProblem(
                path=str(folder / rel), message="a symbolic link, not served", fix=_LINK_FIX, severity="warning"
            )
        )
    for rel in supporting:
        try:
            data = read_stable(folder.parent, f"{folder.name}/{rel}")
        except FileNotFoundError:
            continue  # deleted while we looked: the next event reloads the skill without it
        except UnsafeFileError as exc:  # swapped for a link while we looked
            problems.append(SkillProblem(path=str(folder / rel), message=str(exc), fix=_LINK_FIX, severity="warning"))
            continue
        except OSError as exc:
            problems.append(_error(str(folder / rel), None, f"cannot read: {exc.strerror or exc}", "check permissions"))
            continue
        files.append(SkillFile(rel, len(data), digest(data)))
        total += len(data)
    if len(files) > MAX_FILES or total > MAX_BYTES:
        problems.append(
            _error(
                path_text,
                None,
                f"the skill has {len(files)} files and {total} bytes; hosts only promise {MAX_FILES} files and 16 MiB",
                "move large or generated files out of the skill folder",
            )
        )
        return LoadResult(None, problems)
    return LoadResult(
        Skill(
            name=skill.name,
            folder=folder,
            front_matter=skill.front_matter,
            raw_front_matter=skill.raw_front_matter,
            text=text,
            body=skill.body,
            files=tuple(files),
        ),
        problems,
    )
