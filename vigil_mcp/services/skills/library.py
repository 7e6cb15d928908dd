"""The skill library: every valid skill under one folder, kept current, and written atomically.

The library holds the last good version of each skill. Reloading a folder whose SKILL.md is
half-written or invalid records the problem and keeps serving what was there; a folder whose
SKILL.md is gone drops the skill.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from vigil_mcp.errors import InputError, NotFoundError
from vigil_mcp.services.skills import frontmatter
from vigil_mcp.services.skills.loader import UnstableFile, is_temporary, load_skill, parse_skill_text
from vigil_mcp.services.skills.model import (
    SKILL_FILE,
    GeneratedBy,
    Skill,
    SkillProblem,
    Status,
    name_problem,
)
from vigil_mcp.storage.files import UnsafeFileError, atomic_write_text, read_regular_file

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(slots=True)
class RefreshReport:
    """What one reload changed: skills now serving a new version, skills gone, and current problems."""

    changed: list[str] = field(default_factory=list[str])
    removed: list[str] = field(default_factory=list[str])
    problems: list[SkillProblem] = field(default_factory=list[SkillProblem])
    unstable: list[str] = field(default_factory=list[str])  # being written: a later event reloads them
    seconds: float = 0.0

    @property
    def any_change(self) -> bool:
        """Whether clients need to hear about it."""
        return bool(self.changed or self.removed)


def check_name(name: str) -> str:
    """A skill name as given by a caller, or InputError (path traversal, look-alikes, bad case)."""
    problem = name_problem(name)
    if problem:
        raise InputError(f"{problem}; skill names are folder names such as tls-certificate-expiring")
    return name


atomic_write = atomic_write_text  # skill files are written like every other file vigil writes


class SkillLibrary:
    """Skills under `root` (one folder each), loaded strictly; safe to read from any thread.

    `base` is a read-only lower layer (the starter skills vigil ships): a skill folder in `root`
    replaces the base skill of the same name. Changing a base skill (approve, retire, a learned
    version) first copies its folder into `root`, so package data is never written.
    """

    def __init__(self, root: Path, clock: Clock | None = None, *, base: Path | None = None) -> None:
        self.root = root
        self.base = base if base is not None and base.resolve() != root.resolve() else None
        self._clock = clock or (lambda: datetime.now(UTC))
        self._skills: dict[str, Skill] = {}
        self._problems: dict[str, list[SkillProblem]] = {}  # folder name -> problems (warnings too)
        self._lock = threading.RLock()
        self.load_seconds: float | None = None
        # Set while a watcher keeps the library current (the server's hot reload).
        self.live = threading.Event()
        # Whether a skill is served (prompts, skills/list, resources, knowledge); None: every skill in use.
        self.review: Callable[[Skill], bool] | None = None

    # ---- loading -------------------------------------------------------------------------
    def folders(self) -> list[str]:
        """Names of the skill folders under root and base that are not hidden or temporary."""
        names: set[str] = set()
        for layer in (self.root, self.base):
            try:
                entries = list(os.scandir(layer)) if layer is not None else []
            except FileNotFoundError:
                continue
            names.update(e.name for e in entries if e.is_dir(follow_symlinks=False) and not is_temporary(e.name))
        return sorted(names)

    def folder_of(self, name: str) -> Path:
        """Where skill folder `name` is read from: root, unless only the base layer has it."""
        mine = self.root / name
        if self.base is not None and not mine.exists() and (self.base / name).is_dir():
            return self.base / name
        return mine

    def is_builtin(self, skill: Skill) -> bool:
        """Whether `skill` is served from the base layer (not overridden in root)."""
        return self.base is not None and skill.folder.resolve().parent == self.base.resolve()

    def _own(self, name: str) -> None:
        """Copy a base-only skill folder into root before it is changed."""
        source = self.folder_of(name)
        if source != self.root / name:
            shutil.copytree(source, self.root / name)

    def load(self) -> RefreshReport:
        """(Re)load every skill folder; skills whose folder vanished are dropped."""
        started = time.perf_counter()
        with self._lock:
            report = self.refresh(set(self.folders()) | set(self._skills) | set(self._problems))
        self.load_seconds = time.perf_counter() - started
        log.info("skills: %d loaded from %s in %.3f s", len(self._skills), self.root, self.load_seconds)
        return report

    def refresh(self, names: Iterable[str]) -> RefreshReport:
        """Reload the given skill folders (names under root)."""
        started = time.perf_counter()
        report = RefreshReport()
        with self._lock:
            # Copy on write: readers on other threads always see one whole, consistent state.
            skills, problems = dict(self._skills), dict(self._problems)
            for folder_name in sorted(set(names)):
                self._refresh_one(folder_name, report, skills, problems)
            self._skills, self._problems = skills, problems
        report.problems = self.problems()
        report.seconds = time.perf_counter() - started
        return report

    def _refresh_one(
        self,
        folder_name: str,
        report: RefreshReport,
        skills: dict[str, Skill],
        problems: dict[str, list[SkillProblem]],
    ) -> None:
        folder = self.folder_of(folder_name)
        bad_name = name_problem(folder_name)
        if bad_name is not None and folder_name not in skills:
            if (folder / SKILL_FILE).exists():
                problems[folder_name] = [
                    SkillProblem(
                        path=str(folder),
                        message=f"folder name {folder_name!r} cannot be a skill name ({bad_name})",
                        fix="rename the folder (and the name field) to lowercase letters, digits and hyphens",
                    )
                ]
            else:
                problems.pop(folder_name, None)
            return
        try:
            result = load_skill(folder, display=self._display(folder_name))
        except UnstableFile:
            report.unstable.append(folder_name)
            return
        if result.missing:
            problems.pop(folder_name, None)
            if skills.pop(folder_name, None) is not None:
                report.removed.append(folder_name)
            return
        if result.problems:
            problems[folder_name] = result.problems
        else:
            problems.pop(folder_name, None)
        if result.skill is None:
            kept = skills.get(folder_name)
            log.warning(
                "skill %s is invalid%s: %s",
                folder_name,
                f"; version {kept.version} keeps serving" if kept else "",
                result.problems[0] if result.problems else "?",
            )
            return
        old = skills.get(folder_name)
        if old is None or old.files != result.skill.files:
            skills[folder_name] = result.skill
            report.changed.append(folder_name)

    def _display(self, folder_name: str) -> str:
        path = self.folder_of(folder_name) / SKILL_FILE
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    # ---- reading -------------------------------------------------------------------------
    def list(self, status: Status | None = None) -> list[Skill]:
        """Skills by name; `status` None means every skill that is not retired."""
        skills = sorted(self._skills.values(), key=lambda s: s.name)
        if status is None:
            return [s for s in skills if s.status != "retired"]
        return [s for s in skills if s.status == status]

    def served(self) -> list[Skill]:
        """The skills served to clients: in use and, for drafts, reviewed (see `review.Review`)."""
        review = self.review
        return [s for s in self.list() if review is None or review(s)]

    def is_served(self, skill: Skill) -> bool:
        """Whether this skill is served to clients."""
        return skill.status != "retired" and (self.review is None or self.review(skill))

    def all(self) -> list[Skill]:
        """Every loaded skill, retired ones included."""
        return sorted(self._skills.values(), key=lambda s: s.name)

    def get(self, name: str) -> Skill:
        """One skill by name (InputError for a malformed name, NotFoundError for an unknown one)."""
        check_name(name)
        skills = self._skills
        skill = skills.get(name)
        if skill is None:
            known = ", ".join(sorted(skills)) or "none yet"
            broken = " (its SKILL.md is invalid: run `vigil skills check`)" if name in self._problems else ""
            raise NotFoundError(f"no skill named {name!r}{broken}; known skills: {known}")
        return skill

    def problems(self, name: str | None = None) -> list[SkillProblem]:
        """Current problems (errors and warnings), of one folder or of all."""
        problems = self._problems
        if name is not None:
            return list(problems.get(name, []))
        return [p for key in sorted(problems) for p in problems[key]]

    def read_file(self, name: str, path: str) -> bytes:
        """One file of a skill, by its path in the skill's manifest; anything else is NotFoundError.

        SKILL.md is the last good version (the one served), even while the file on disk is broken.
        """
        skill = self.get(name)
        if path == SKILL_FILE:
            return skill.text.encode("utf-8")
        if path not in {f.path for f in skill.files}:
            raise NotFoundError(
                f"skill {name!r} has no file {path!r}; its files: {', '.join(f.path for f in skill.files)}"
            )
        try:
            return read_regular_file(skill.folder.parent, f"{name}/{path}")[0]  # root, or base for a built-in
        except UnsafeFileError as exc:
            raise NotFoundError(f"skill {name!r}: {path} is not served ({exc})") from None
        except OSError as exc:
            raise NotFoundError(f"skill {name!r}: {path} cannot be read now ({exc.strerror or exc})") from None

    # ---- writing -------------------------------------------------------------------------
    def write(
        self,
        name: str,
        *,
        description: str,
        body: str,
        status: Status = "draft",
        generated_by: GeneratedBy = "human",
        source_tickets: Sequence[str] = (),
        extra: dict[str, str] | None = None,
    ) -> Skill:
        """Create or update a skill; the version goes up by one on every write. Returns the written skill."""
        check_name(name)
        self._own(name)
        current = self._disk_version(name)
        metadata: dict[str, str] = dict(current[1]) if current else {}
        metadata.update(extra or {})
        metadata.update(
            {
                "version": str((current[0] if current else 0) + 1),
                "status": status,
                "generated-by": generated_by,
                "updated": self._clock().date().isoformat(),
            }
        )
        if source_tickets:
            metadata["source-tickets"] = ", ".join(source_tickets)
        fields: dict[str, frontmatter.Value] = {"name": name, "description": description.strip()}
        if current:
            fields.update({k: v for k, v in current[2].items() if k not in fields and k != "metadata"})
        fields["metadata"] = metadata
        return self._write(name, frontmatter.dump(fields) + "\n" + body.strip("\n") + "\n")

    def set_status(self, name: str, status: Status) -> tuple[Skill, Skill | None]:
        """Change metadata.status (and bump the version); returns (new, old) or (same, None) if unchanged."""
        check_name(name)
        if self._skills.get(name) is not None and self._skills[name].status == status:
            return self.get(name), None
        self._own(name)
        current = self._disk_version(name)
        if current is None:
            self.get(name)  # the precise NotFoundError
            raise NotFoundError(f"skill {name!r} has no SKILL.md on disk")
        version, metadata, fields, body = current
        old = self._skills.get(name)
        if metadata.get("status") == status:
            return self.get(name), None
        metadata = {**metadata, "version": str(version + 1), "status": status}
        metadata["updated"] = self._clock().date().isoformat()
        fields = {**fields, "metadata": metadata}
        return self._write(name, frontmatter.dump(fields) + body), old

    def _disk_version(self, name: str) -> tuple[int, dict[str, str], dict[str, frontmatter.Value], str] | None:
        """(version, metadata, front-matter fields, body as written) of the valid SKILL.md on disk."""
        path = self.root / name / SKILL_FILE
        try:
            text = read_regular_file(self.root, f"{name}/{SKILL_FILE}")[0].decode("utf-8")
        except FileNotFoundError:
            return None
        except UnsafeFileError as exc:  # never build a new version on what a link points at
            raise InputError(f"{path}: {exc}; replace it with a regular file before changing the skill") from None
        except UnicodeDecodeError:
            raise InputError(f"{path} is not UTF-8; save it as UTF-8 before changing the skill") from None
        skill, parsed, problems = parse_skill_text(text, name, str(path))
        if skill is None or parsed is None:
            first = next((p for p in problems if p.severity == "error"), None)
            raise InputError(f"{path} is invalid ({first}); fix it before changing the skill")
        body_start = text.replace("\r\n", "\n").split("\n")
        body = "\n".join(body_start[parsed.body_line - 1 :])
        return skill.version, dict(skill.front_matter.metadata), dict(parsed.fields), body

    def _write(self, name: str, text: str) -> Skill:
        skill, _, problems = parse_skill_text(text, name, f"{name}/{SKILL_FILE}")
        if skill is None:  # never write what we would refuse to load
            raise InputError("; ".join(str(p) for p in problems))
        atomic_write(self.root / name / SKILL_FILE, text)
        report = self.refresh([name])
        if report.unstable:
            report = self.refresh([name])
        return self.get(name)
