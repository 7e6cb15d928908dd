"""Skills: versioned SKILL.md files (Agent Skills format), loaded strictly and kept current.

Knowledge indexing lives in `indexing` (imported on its own: it needs the store).
"""

from vigil_mcp.services.skills.history import skill_history
from vigil_mcp.services.skills.library import RefreshReport, SkillLibrary, atomic_write, check_name
from vigil_mcp.services.skills.loader import LoadResult, load_skill
from vigil_mcp.services.skills.model import (
    SKILL_FILE,
    Skill,
    SkillDetail,
    SkillFile,
    SkillFrontMatter,
    SkillList,
    SkillProblem,
    SkillRevision,
    SkillSummary,
    Status,
    detail_of,
    skill_uri,
    summary_of,
)
from vigil_mcp.services.skills.prompting import TicketLookup, skill_prompt
from vigil_mcp.services.skills.reload import reload_skills, touched_skills, watch_skills

__all__ = [
    "SKILL_FILE",
    "LoadResult",
    "RefreshReport",
    "Skill",
    "SkillDetail",
    "SkillFile",
    "SkillFrontMatter",
    "SkillLibrary",
    "SkillList",
    "SkillProblem",
    "SkillRevision",
    "SkillSummary",
    "Status",
    "TicketLookup",
    "atomic_write",
    "check_name",
    "detail_of",
    "load_skill",
    "reload_skills",
    "skill_history",
    "skill_prompt",
    "skill_uri",
    "summary_of",
    "touched_skills",
    "watch_skills",
]
