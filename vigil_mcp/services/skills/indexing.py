"""Skills in knowledge lookup: each served skill is indexed as kind "skill" under its SKILL.md URI."""

from __future__ import annotations

from collections.abc import Iterable

from vigil_mcp.errors import VigilError
from vigil_mcp.models import IngestReport
from vigil_mcp.services.knowledge.chunking import Chunk
from vigil_mcp.services.knowledge.ingest import Document
from vigil_mcp.services.knowledge.service import KnowledgeService
from vigil_mcp.services.skills.library import SkillLibrary
from vigil_mcp.services.skills.model import Skill, skill_uri

KIND = "skill"


def skill_document(skill: Skill) -> Document:
    """A skill as a knowledge document: its description, then its body."""
    text = f"{skill.front_matter.description}\n\n{skill.body}"
    return Document(
        source=skill.uri,
        title=skill.title,
        # One item per skill: its answer section is the context every matching passage is read with.
        chunks=[Chunk(title=skill.title, section="", body=text)],
        tags=(KIND, skill.name, skill.status),
    )


def index_skills(knowledge: KnowledgeService, library: SkillLibrary, names: Iterable[str]) -> IngestReport:
    """Bring the knowledge items of these skills in line with the library (retired or gone: removed)."""
    documents: list[Document] = []
    for name in sorted(set(names)):
        try:
            skill = library.get(name)
        except VigilError:
            skill = None
        if skill is not None and library.is_served(skill):  # an unreviewed draft is not knowledge yet
            documents.append(skill_document(skill))
        else:
            # No chunks: add_documents drops every item this source had.
            documents.append(Document(source=skill_uri(name), title=name, chunks=[]))
    return knowledge.add_documents(documents, kind=KIND)


def index_library(knowledge: KnowledgeService, library: SkillLibrary) -> IngestReport:
    """Index every loaded skill (unchanged ones cost a hash comparison)."""
    return index_skills(knowledge, library, [s.name for s in library.all()])
