"""Which skills are served: approved ones, and drafts only once a person reviewed them (or the operator opts in).

A draft vigil wrote is unreviewed: it is not served as a prompt, a `skills/list` entry, a resource or
knowledge until `vigil skills approve NAME` marks it approved, or a person commits it to the skills
repository (the last commit of its SKILL.md is not vigil's and the file has no uncommitted change).
`serve_draft_skills = true` serves drafts as they are.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from vigil_mcp.errors import VigilError
from vigil_mcp.services import gitcmd
from vigil_mcp.services.skills.model import SKILL_FILE, Skill

VIGIL_EMAIL = "vigil@localhost"
_EMAIL = re.compile(r"<([^<>]*)>")


def author_email(author: str) -> str:
    """The e-mail of a "Name <email>" git author (vigil's own commits carry it)."""
    match = _EMAIL.search(author)
    return match.group(1) if match else VIGIL_EMAIL


class Review:
    """Decides, per skill version, whether it is served; git answers are cached per HEAD commit."""

    def __init__(self, repo: Path | None, root: Path, vigil_email: str = VIGIL_EMAIL, serve_drafts: bool = False):
        self.repo = repo
        self.root = root
        self.vigil_email = vigil_email.lower()
        self.serve_drafts = serve_drafts
        self._lock = threading.Lock()
        self._head: str | None = None
        self._answers: dict[tuple[str, int], bool] = {}

    def served(self, skill: Skill) -> bool:
        """Whether this version of the skill may be served."""
        if skill.status == "retired":
            return False
        if skill.status == "approved" or self.serve_drafts:
            return True
        return self.committed_by_a_person(skill)

    def head(self) -> str | None:
        """The skills repository's HEAD (a new one can make a draft reviewed)."""
        return gitcmd.head_commit(self.repo) if self.repo is not None else None

    def committed_by_a_person(self, skill: Skill) -> bool:
        """Whether a person committed this draft as it is now (their review)."""
        if self.repo is None:
            return False
        head = self.head()
        key = (skill.name, hash(skill.text))
        with self._lock:
            if head != self._head:
                self._head, self._answers = head, {}
            if key in self._answers:
                return self._answers[key]
        path = (self.root / skill.name / SKILL_FILE).resolve()
        try:
            rel = path.relative_to(self.repo).as_posix()
        except ValueError:
            return False
        author = gitcmd.last_author_email(self.repo, rel)
        answer = author is not None and author.lower() != self.vigil_email and not _dirty(self.repo, rel)
        with self._lock:
            self._answers[key] = answer
        return answer


def _dirty(top: Path, path: str) -> bool:
    try:
        out = gitcmd.git(top, "--no-optional-locks", "status", "--porcelain=v1", "-z", "--", path)
    except VigilError:
        return True
    return bool(out.strip(b"\0"))
