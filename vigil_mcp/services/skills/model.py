"""The shapes of a skill: its strict front matter, the loaded skill, and what is shown of it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, field_validator

SKILL_FILE = "SKILL.md"
URI_SCHEME = "skill://"
NAME_CHARS = 64
DESCRIPTION_CHARS = 1024
COMPATIBILITY_CHARS = 500
MAX_FILES = 512  # SEP-2640 per-skill limits
MAX_BYTES = 16 * 1024 * 1024
BODY_LINES = 500  # the Agent Skills spec's advice for SKILL.md bodies

Status = Literal["draft", "approved", "retired"]
GeneratedBy = Literal["human", "vigil-offline", "vigil-anthropic"]
STATUSES: tuple[Status, ...] = ("draft", "approved", "retired")
GENERATORS: tuple[GeneratedBy, ...] = ("human", "vigil-offline", "vigil-anthropic")

_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*", re.ASCII)
_XML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_TICKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:#/-]*", re.ASCII)
_RESERVED_WORDS = ("anthropic", "claude")


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a skill name, or None when it can."""
    if not name:
        return "the name is empty"
    if len(name) > NAME_CHARS:
        return f"the name is {len(name)} characters long; the limit is {NAME_CHARS}"
    if not _NAME.fullmatch(name):
        return f"{name!r} is not lowercase ASCII letters, digits and single hyphens (such as endpoint-5xx)"
    if any(word in name for word in _RESERVED_WORDS):
        return f"{name!r} contains a word Claude clients reserve (anthropic, claude)"
    return None


def skill_uri(name: str, path: str = SKILL_FILE) -> str:
    """The resource URI of one file of a skill."""
    return f"{URI_SCHEME}{name}/{quote(path, safe='/-._~')}"


class SkillFrontMatter(BaseModel):
    """SKILL.md front matter: the Agent Skills fields and nothing else; vigil's own live in metadata."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(description="Lowercase letters, digits and single hyphens; equals the folder name.")
    description: str = Field(description="What the skill does and when to use it.")
    license: str | None = None
    compatibility: str | None = None
    allowed_tools: str | None = Field(default=None, alias="allowed-tools")
    metadata: dict[str, str] = Field(default_factory=dict[str, str])

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        problem = name_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        # Measured as written (a `>` block's final line break counts): that is what other validators see.
        if len(value) > DESCRIPTION_CHARS:
            raise ValueError(f"the description is {len(value)} characters long; the limit is {DESCRIPTION_CHARS}")
        value = value.strip()
        if not value:
            raise ValueError("the description is empty; say what the skill does and when to use it")
        if _XML_TAG.search(value):
            raise ValueError("the description contains an XML tag, which Claude clients refuse")
        return value

    @field_validator("compatibility")
    @classmethod
    def _compatibility(cls, value: str | None) -> str | None:
        if value is not None and len(value) > COMPATIBILITY_CHARS:
            raise ValueError(f"compatibility is {len(value)} characters long; the limit is {COMPATIBILITY_CHARS}")
        return value

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, value: dict[str, str]) -> dict[str, str]:
        version = value.get("version")
        if version is not None and not (version.isascii() and version.isdigit() and int(version) >= 1):
            raise ValueError(f'metadata.version must be a whole number from 1 up, such as "3"; got {version!r}')
        status = value.get("status")
        if status is not None and status not in STATUSES:
            raise ValueError(f"metadata.status must be draft, approved or retired; got {status!r}")
        generated = value.get("generated-by")
        if generated is not None and generated not in GENERATORS:
            raise ValueError(
                f"metadata.generated-by must be human, vigil-offline or vigil-anthropic; got {generated!r}"
            )
        updated = value.get("updated")
        if updated is not None:
            try:
                (date if len(updated) == 10 else datetime).fromisoformat(updated)
            except ValueError:
                raise ValueError(f"metadata.updated must be an ISO date such as 2025-06-30; got {updated!r}") from None
        for ticket in split_tickets(value.get("source-tickets", "")):
            if not _TICKET.fullmatch(ticket):
                raise ValueError(f"metadata.source-tickets holds {ticket!r}, which is not a ticket id")
        return value


def split_tickets(text: str) -> list[str]:
    """The ticket ids of a `source-tickets` value (comma or space separated)."""
    return [t for t in re.split(r"[,\s]+", text) if t]


@dataclass(frozen=True, slots=True)
class SkillFile:
    """One file of a skill, with what SEP-2640 hosts verify it against."""

    path: str  # relative to the skill folder, `/`-separated
    size: int
    digest: str  # sha256:<hex>


@dataclass(frozen=True, slots=True)
class Skill:
    """A skill as loaded from its folder: valid, and what is served until a newer valid version loads."""

    name: str
    folder: Path
    front_matter: SkillFrontMatter
    raw_front_matter: dict[str, str | dict[str, str]]  # as written, for SEP-2640 entries
    text: str  # the whole SKILL.md
    body: str
    files: tuple[SkillFile, ...]  # SKILL.md first

    @property
    def version(self) -> int:
        """metadata.version (1 when the file does not say)."""
        return int(self.front_matter.metadata.get("version", "1"))

    @property
    def status(self) -> Status:
        """metadata.status; a skill that does not say is an unreviewed draft."""
        status = self.front_matter.metadata.get("status", "draft")
        return "approved" if status == "approved" else "retired" if status == "retired" else "draft"

    @property
    def uri(self) -> str:
        """The resource URI of its SKILL.md."""
        return skill_uri(self.name)

    @property
    def title(self) -> str:
        """The body's first `# ` heading, or the name."""
        for line in self.body.splitlines():
            if line.startswith("# "):
                return line[2:].strip() or self.name
        return self.name

    @property
    def digest(self) -> str:
        """The digest of its SKILL.md."""
        return self.files[0].digest


class SkillProblem(BaseModel):
    """Something wrong with a skill file: where, what, and how to fix it."""

    path: str
    line: int | None = None
    message: str
    fix: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message}. Fix: {self.fix}"


class SkillFileInfo(BaseModel):
    """One file of a skill as a resource."""

    uri: str
    size: int = Field(description="Bytes.")
    digest: str = Field(description="sha256:<hex> of the raw bytes.")


class SkillSummary(BaseModel):
    """One skill in a listing."""

    name: str
    title: str
    description: str
    version: int = Field(description="metadata.version: goes up on every change.")
    status: Status
    reviewed: bool = Field(description="False for drafts: no human has approved this skill yet.")
    generated_by: str | None = Field(description="human, vigil-offline or vigil-anthropic.")
    updated: str | None
    uri: str = Field(description="The SKILL.md resource; read it, or call get_skill.")


class SkillList(BaseModel):
    """The answer to list_skills."""

    skills: list[SkillSummary]
    invalid: list[str] = Field(
        default_factory=list[str],
        description="Skill files that do not validate; their last good version (if any) is what is listed.",
    )


class SkillDetail(SkillSummary):
    """One skill in full."""

    body: str = Field(description="The SKILL.md body (Markdown): when it applies, diagnosis steps, the answer.")
    license: str | None = None
    compatibility: str | None = None
    allowed_tools: str | None = None
    metadata: dict[str, str]
    source_tickets: list[str]
    files: list[SkillFileInfo]
    note: str | None = Field(description="Caveats: draft, or the file on disk is invalid and an older version serves.")


class SkillRevision(BaseModel):
    """One commit that changed a skill's SKILL.md."""

    commit: str
    date: str
    author: str
    subject: str
    version: int | None = Field(description="metadata.version in that commit, when it could be read.")
    status: str | None = None


def summary_of(skill: Skill) -> SkillSummary:
    """A skill as a listing entry."""
    meta = skill.front_matter.metadata
    return SkillSummary(
        name=skill.name,
        title=skill.title,
        description=skill.front_matter.description,
        version=skill.version,
        status=skill.status,
        reviewed=skill.status != "draft",
        generated_by=meta.get("generated-by"),
        updated=meta.get("updated"),
        uri=skill.uri,
    )


def detail_of(skill: Skill, problems: list[SkillProblem]) -> SkillDetail:
    """A skill in full; `problems` are the current ones of its folder (the file on disk may be newer)."""
    fm = skill.front_matter
    notes: list[str] = []
    if skill.status == "draft":
        notes.append("draft: no human has reviewed this skill yet; check each step before relying on it")
    if skill.status == "retired":
        notes.append("retired: kept for the record, no longer offered")
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        notes.append(f"the file on disk is invalid ({errors[0].message}); this is the last good version")
    return SkillDetail(
        **summary_of(skill).model_dump(),
        body=skill.body,
        license=fm.license,
        compatibility=fm.compatibility,
        allowed_tools=fm.allowed_tools,
        metadata=dict(fm.metadata),
        source_tickets=split_tickets(fm.metadata.get("source-tickets", "")),
        files=[SkillFileInfo(uri=skill_uri(skill.name, f.path), size=f.size, digest=f.digest) for f in skill.files],
        note="; ".join(notes) or None,
    )
