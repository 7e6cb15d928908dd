"""Where learned skills are committed: only the configured skills repository, never an enclosing one, never
ignored paths; and a draft is served once a person commits it."""

from __future__ import annotations

from pathlib import Path

from vigil_mcp.config import Settings

from .cases import MAINTAINER, WEBHOOK, git, init_repo, learning_app, resolve_case


def _two_cases(settings: Settings, skills: Path, **changes: object) -> tuple[str, str | None, str | None]:
    with learning_app(settings, skills, **changes) as app:
        resolve_case(app, "stripe/1", *WEBHOOK[0])
        change = resolve_case(app, "stripe/2", *WEBHOOK[1]).skill
    assert change.kind == "new-draft" and change.name is not None
    return change.name, change.commit, change.reason


def test_a_home_inside_another_projects_work_tree_commits_nothing_there(settings: Settings, tmp_path: Path) -> None:
    project = init_repo(tmp_path / "project")
    home = project / "tools" / "vigil-home"
    name, commit, _ = _two_cases(settings, home / "skills", home=home)
    assert commit is None
    assert (home / "skills" / name / "SKILL.md").is_file()  # written and served, just not committed
    assert git(project, "rev-list", "--count", "HEAD") == "1\n"


def test_a_configured_skills_repository_gets_the_commits(settings: Settings, tmp_path: Path) -> None:
    project = init_repo(tmp_path / "project")
    home = project / "deep" / "home"
    name, commit, _ = _two_cases(settings, home / "skills", home=home, skills_repo=project)
    assert commit is not None
    assert git(project, "log", "-1", "--format=%s") == f"skills: add draft {name} learned from 2 resolved tickets\n"


def test_paths_the_repository_ignores_are_written_but_never_committed(settings: Settings, tmp_path: Path) -> None:
    home = init_repo(tmp_path / "home")
    (home / ".gitignore").write_text("skills/\n", encoding="utf-8")
    git(home, "add", ".gitignore")
    git(home, "commit", "-qm", "ignore skills")
    name, commit, reason = _two_cases(settings, home / "skills", home=home)
    assert commit is None and reason is not None and "ignored by the repository's ignore rules" in reason
    assert (home / "skills" / name / "SKILL.md").is_file()
    assert git(home, "rev-list", "--count", "HEAD") == "2\n"


def test_with_commits_asked_for_and_no_repository_vigil_makes_one_for_the_skills(
    settings: Settings, tmp_path: Path
) -> None:
    skills = tmp_path / "plain-home" / "skills"
    name, commit, _ = _two_cases(settings, skills, home=tmp_path / "plain-home", skills_commit=True)
    assert commit is not None and (skills / ".git").is_dir()
    assert git(skills, "ls-files") == f"{name}/SKILL.md\n"


def test_a_draft_is_served_once_a_person_commits_it(settings: Settings, tmp_path: Path) -> None:
    home = init_repo(tmp_path / "home")
    with learning_app(settings, home / "skills", home=home) as app:
        resolve_case(app, "stripe/1", *WEBHOOK[0])
        name = resolve_case(app, "stripe/2", *WEBHOOK[1]).skill.name
        assert name is not None
        app.skills.refresh([name])
        assert name not in [s.name for s in app.skills.served()], "vigil's own commit is no review"
        path = home / "skills" / name / "SKILL.md"
        path.write_text(path.read_text(encoding="utf-8").replace("## Fix\n", "## Fix\nChecked by Maya.\n"))
        app.skills.refresh([name])
        assert name not in [s.name for s in app.skills.served()], "an uncommitted edit is no review yet"
        git(home, "commit", "-qam", "review the webhook draft")
        assert git(home, "log", "-1", "--format=%an").strip() == MAINTAINER[0]
        assert name in [s.name for s in app.skills.served()]
