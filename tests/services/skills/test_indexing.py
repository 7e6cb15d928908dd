from vigil_mcp.app import App
from vigil_mcp.services.skills.indexing import index_library, index_skills, skill_document

from .files import save, skill_text


def _sources(app: App, query: str) -> list[str]:
    return [hit.source for hit in app.knowledge.search(query, 5, kind="skill").hits]


def test_served_skills_are_found_by_knowledge_lookup_and_retired_or_deleted_ones_are_not(app: App) -> None:
    root = app.settings.skills_dir
    body = "# Disk full\n\n## Diagnosis\nLook at the gitaly volume with query_prometheus.\n"
    save(root, "disk-full", skill_text("disk-full", body=body))
    save(root, "cert-expiry", skill_text("cert-expiry", description="Renew the wildcard certificate quickly."))
    app.skills.load()
    report = index_library(app.knowledge, app.skills)
    assert report.documents == 2
    assert _sources(app, "gitaly volume") == ["skill://disk-full/SKILL.md"]
    assert _sources(app, "wildcard certificate") == ["skill://cert-expiry/SKILL.md"]

    save(root, "disk-full", skill_text("disk-full", status="retired", body=body))
    (root / "cert-expiry" / "SKILL.md").unlink()
    changed = app.skills.refresh(["disk-full", "cert-expiry"])
    index_skills(app.knowledge, app.skills, changed.changed + changed.removed)
    assert _sources(app, "gitaly volume") == []
    assert _sources(app, "wildcard certificate") == []


def test_reindexing_unchanged_skills_changes_nothing(app: App) -> None:
    save(app.settings.skills_dir, "s", skill_text("s"))
    app.skills.load()
    first = index_library(app.knowledge, app.skills)
    again = index_library(app.knowledge, app.skills)
    assert first.added >= 1
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, first.added)


def test_a_skill_document_carries_the_description_and_its_status_tag(app: App) -> None:
    save(app.settings.skills_dir, "s", skill_text("s", status="draft", description="Use when the pager storms."))
    app.skills.load()
    document = skill_document(app.skills.get("s"))
    assert document.source == "skill://s/SKILL.md"
    assert document.tags == ("skill", "s", "draft")
    assert "pager storms" in document.chunks[0].body
