"""Where learned skill versions go, and what is there now: the skills folder, its git branch, or a review branch.

Three modes, chosen from the settings and the folder:
- plain: the folder is not in git (or `skills_commit` is off): atomic file writes, no commits;
- current branch: the file is written in the folder, then committed to the checked-out branch;
- review branch (`skills_branch`, not checked out): nothing in the checkout changes; the version
  is rendered in a scratch folder from the review branch's copy and committed to that branch only.
  A branch that does not exist yet, or was merged (its tip is an ancestor of HEAD), builds on HEAD.

Every version is written by `SkillLibrary.write` (validation, version bump, `updated`), on a
library of its own, so the live library hears of folder writes through its watcher, which
re-indexes the skill and tells clients, as for any edit.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from vigil_mcp.errors import VigilError
from vigil_mcp.services import gitcmd
from vigil_mcp.services.knowledge.service import KnowledgeService
from vigil_mcp.services.learn import skill_git as gitops
from vigil_mcp.services.learn.skill_text import content_digest
from vigil_mcp.services.skills.indexing import index_skills
from vigil_mcp.services.skills.library import Clock, SkillLibrary
from vigil_mcp.services.skills.loader import parse_skill_text
from vigil_mcp.services.skills.model import SKILL_FILE, GeneratedBy, Skill, Status

log = logging.getLogger(__name__)

DIGEST_KEY = "vigil-digest"
DEFAULT_AUTHOR = "vigil <vigil@localhost>"


@dataclass(frozen=True, slots=True)
class Written:
    """A version written: the skill, and where it went."""

    skill: Skill
    path: str  # the SKILL.md file, or <branch>:<path> on a review branch
    commit: str | None = None
    ref: str | None = None
    problem: str | None = None  # written, but something went wrong after (the commit)


@dataclass(frozen=True, slots=True)
class _Mode:
    repo: gitops.Repo | None  # None: plain files, no commits
    worktree: bool  # True: write the folder (and commit to HEAD when repo); False: commit to `ref` only
    ref: str | None = None
    base: str | None = None  # the commit the new one builds on
    expected: str | None = None  # what `ref` must still point at


class SkillTarget:
    """The skills a decision sees, and where a new version of one is written and committed."""

    def __init__(
        self,
        library: SkillLibrary,
        knowledge: KnowledgeService,
        *,
        branch: str | None = None,
        author: str = DEFAULT_AUTHOR,
        commit: bool | None = None,
        clock: Clock | None = None,
        home: Path | None = None,
        repo: Path | None = None,
    ) -> None:
        self.library = library
        self.home = home
        self.repo = repo
        self.knowledge = knowledge
        self.branch = branch
        self.author = author
        self.commit = commit
        self._clock: Clock = clock or (lambda: datetime.now(UTC))
        self._repo: gitops.Repo | None = None
        self._repo_known = False
        self._recent: dict[str, Skill] = {}  # own folder writes the live library has not reloaded yet
        self._branch: tuple[str | None, dict[str, Skill]] = (None, {})  # (commit, skills) of the review branch

    # ---- reading -----------------------------------------------------------------------------
    def view(self) -> dict[str, Skill]:
        """Every skill a decision must know: the live library's, with the review branch's or our newer writes."""
        mode = self._mode(for_view=True)
        skills = {skill.name: skill for skill in self.library.all()}
        if mode.worktree:
            for name, mine in list(self._recent.items()):
                live = skills.get(name)
                if live is not None and live.version >= mine.version:
                    del self._recent[name]
                else:
                    skills[name] = mine
            return skills
        skills.update(self._branch_skills(mode))
        return skills

    def base(self, name: str, served: Skill) -> Skill | None:
        """The version a new one builds on: the file in the folder (None: deleted meanwhile), or the review
        branch's copy (the served version when the branch has none). VigilError when that file is invalid."""
        mode = self._mode()
        if mode.worktree:
            path = self.library.root / name / SKILL_FILE
            where = str(path)
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                return None
        else:
            assert mode.repo is not None
            where = f"{self.branch}:{mode.repo.path_of(name)}"
            text = gitops.read_file(mode.repo, mode.base, mode.repo.path_of(name))
            if text is None:
                return served
        skill, _, problems = parse_skill_text(text, name, where)
        if skill is None:
            raise VigilError(f"skill {name}'s SKILL.md is invalid ({problems[0] if problems else '?'}); left as it is")
        return skill

    def protected(self, base: Skill) -> str | None:
        """Why vigil must not write over this version of a skill (a person's edit), or None."""
        mode = self._mode()
        if mode.worktree and mode.repo is not None and gitops.is_dirty(mode.repo, mode.repo.path_of(base.name)):
            return "has uncommitted changes"
        recorded = base.front_matter.metadata.get(DIGEST_KEY)
        if recorded and recorded != content_digest(base.front_matter.description, base.body):
            return f"was edited by a person after vigil last wrote it (version {base.version})"
        return None

    def taken(self, name: str, view: dict[str, Skill]) -> bool:
        """Whether a new skill cannot have this name (a skill, or any folder, has it)."""
        return name in view or (self.library.root / name).exists()

    # ---- writing -----------------------------------------------------------------------------
    def write(
        self,
        name: str,
        *,
        description: str,
        body: str,
        status: Status,
        generated_by: GeneratedBy,
        tickets: Sequence[str],
        message: str,
        base: Skill | None = None,
    ) -> Written:
        """Write the next version of a skill (`base`: the version it follows) and commit it where the mode says."""
        mode = self._mode()

        def render(root: Path) -> Skill:
            return SkillLibrary(root, self._clock).write(
                name, description=description, body=body, status=status, generated_by=generated_by,
                source_tickets=tickets, extra={DIGEST_KEY: content_digest(description, body)},
            )  # fmt: skip

        if not mode.worktree:
            assert mode.repo is not None
            with tempfile.TemporaryDirectory(prefix="vigil-skill-") as scratch:
                if base is not None:
                    (Path(scratch) / name).mkdir()
                    (Path(scratch) / name / SKILL_FILE).write_text(base.text, encoding="utf-8")
                skill = render(Path(scratch))
            commit = self._commit(mode, name, skill.text, message)
            self._branch = (commit, {**self._branch[1], name: skill})
            return Written(skill, f"{self.branch}:{mode.repo.path_of(name)}", commit, mode.ref)
        skill = render(self.library.root)
        written = Written(skill, str(self.library.root / name / SKILL_FILE))
        if mode.repo is not None and gitcmd.is_ignored(mode.repo.top, mode.repo.path_of(name)):
            why = f"{mode.repo.path_of(name)} is ignored by the repository's ignore rules"
            log.warning("skill %s v%d written but not committed: %s", name, skill.version, why)
            written = Written(skill, written.path, problem=f"written but not committed ({why})")
        elif mode.repo is not None:
            try:
                commit = self._commit(mode, name, skill.text, message, update_index=True)
                written = Written(skill, written.path, commit, mode.ref)
            except VigilError as exc:  # the file is written and served; a maintainer can commit it
                log.warning("skill %s v%d written but not committed: %s", name, skill.version, exc)
                written = Written(skill, written.path, problem=f"written but not committed ({exc})")
        self._written_to_folder(skill)
        return written

    def _commit(self, mode: _Mode, name: str, text: str, message: str, update_index: bool = False) -> str:
        assert mode.repo is not None and mode.ref is not None
        return gitops.commit_file(
            mode.repo, ref=mode.ref, parent=mode.base, expected=mode.expected, path=mode.repo.path_of(name),
            text=text, author=self.author, message=message, update_index=update_index,
        )  # fmt: skip

    def _written_to_folder(self, skill: Skill) -> None:
        """Make the live library and knowledge lookup see a write, unless the hot reload will."""
        if self.library.live.is_set():
            # The watcher reloads it, re-indexes it and tells clients; until then decisions see it here.
            self._recent[skill.name] = skill
            return
        self.library.refresh([skill.name])
        index_skills(self.knowledge, self.library, [skill.name])

    # ---- modes -------------------------------------------------------------------------------
    def _repository(self) -> gitops.Repo | None:
        if not self._repo_known:
            self._repo_known = True
            root = self.library.root
            self._repo = None if self.commit is False else gitops.find_repo(root, self.home, self.repo)
            if self._repo is None and self.commit is not False and gitcmd.work_tree_top(root) is not None:
                log.warning(
                    "%s is inside a git repository that is not the skills repository; learned skills are written "
                    "but not committed there (set skills_repo to commit them)",
                    root,
                )
            if self._repo is None and self.commit and self.repo is None:
                self._repo = gitops.create_repo(root)
        return self._repo

    def _mode(self, for_view: bool = False) -> _Mode:
        repo = self._repository()
        if repo is None:
            return _Mode(None, True)
        if self.branch is None:
            if for_view:  # deciding needs no git: the folder is what HEAD gets
                return _Mode(repo, True, "HEAD")
            head = gitops.resolve(repo, "HEAD")
            return _Mode(repo, True, "HEAD", head, head)
        ref = f"refs/heads/{self.branch}"
        if gitops.current_branch(repo) == ref:
            head = gitops.resolve(repo, "HEAD")
            return _Mode(repo, True, "HEAD", head, head)
        tip = gitops.resolve(repo, ref)
        head = gitops.resolve(repo, "HEAD")
        # A review branch that was merged continues from the maintainer's branch (a fast-forward for it).
        merged = tip is None or (head is not None and tip != head and gitops.is_ancestor(repo, tip, head))
        return _Mode(repo, False, ref, head if merged else tip, tip)

    def _branch_skills(self, mode: _Mode) -> dict[str, Skill]:
        if mode.base is None or mode.repo is None:
            return {}
        if self._branch[0] == mode.base:
            return self._branch[1]
        paths = gitops.skill_paths(mode.repo, mode.base)
        skills: dict[str, Skill] = {}
        for path, text in gitops.read_files(mode.repo, mode.base, paths).items():
            skill, _, _ = parse_skill_text(text, path.rsplit("/", 2)[-2], path)
            if skill is not None:
                skills[skill.name] = skill
        self._branch = (mode.base, skills)
        return skills
