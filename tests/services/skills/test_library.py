import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from skills_ref.parser import read_properties  # pyright: ignore[reportMissingTypeStubs]
from skills_ref.validator import validate  # pyright: ignore[reportMissingTypeStubs]

from vigil_mcp.errors import InputError, NotFoundError
from vigil_mcp.services.skills import SkillLibrary, skill_history

from .files import save, skill_text


def _library(root: Path) -> SkillLibrary:
    return SkillLibrary(root, clock=lambda: datetime(2025, 7, 1, 12, tzinfo=UTC))


def test_an_invalid_edit_keeps_the_last_good_version_serving_until_fixed(tmp_path: Path) -> None:
    save(tmp_path, "s", skill_text("s", version=1))
    library = _library(tmp_path)
    assert library.load().changed == ["s"]
    save(tmp_path, "s", "---\nname: s\ndescription: half writ")
    report = library.refresh(["s"])
    assert report.changed == [] and report.removed == []
    assert library.get("s").version == 1
    assert [p.line for p in library.problems("s")] == [3]
    assert library.read_file("s", "SKILL.md").decode() == skill_text("s", version=1)
    save(tmp_path, "s", skill_text("s", version=2))
    assert library.refresh(["s"]).changed == ["s"]
    assert library.get("s").version == 2
    assert library.problems() == []


def test_a_skill_that_never_validated_is_not_served_but_reported(tmp_path: Path) -> None:
    save(tmp_path, "s", "---\nname: s\n---\nbody\n")
    library = _library(tmp_path)
    library.load()
    assert library.all() == []
    with pytest.raises(NotFoundError, match=r"its SKILL\.md is invalid"):
        library.get("s")


def test_deleting_a_skill_folder_or_its_file_removes_it(tmp_path: Path) -> None:
    save(tmp_path, "a", skill_text("a"))
    save(tmp_path, "b", skill_text("b"))
    library = _library(tmp_path)
    library.load()
    (tmp_path / "a" / "SKILL.md").unlink()
    subprocess.run(["rm", "-r", str(tmp_path / "b")], check=True)
    report = library.load()
    assert sorted(report.removed) == ["a", "b"]
    assert library.all() == []


def test_unchanged_files_are_not_reported_as_changes(tmp_path: Path) -> None:
    save(tmp_path, "s", skill_text("s"))
    library = _library(tmp_path)
    library.load()
    save(tmp_path, "s", skill_text("s"))
    assert not library.refresh(["s"]).any_change


def test_list_hides_retired_skills_unless_asked(tmp_path: Path) -> None:
    for name, status in [("a", "approved"), ("b", "draft"), ("c", "retired")]:
        save(tmp_path, name, skill_text(name, status=status))
    library = _library(tmp_path)
    library.load()
    assert [s.name for s in library.list()] == ["a", "b"]
    assert [s.name for s in library.list("retired")] == ["c"]
    assert [s.name for s in library.all()] == ["a", "b", "c"]


def test_every_write_bumps_the_version_atomically_and_passes_the_reference_validator(tmp_path: Path) -> None:
    library = _library(tmp_path)
    first = library.write(
        "cert-renewal-stuck",
        description="Find why an ACME renewal is stuck. Use when a certificate nears expiry.",
        body="# Renewal stuck\n\n## Diagnosis\n1. `check_tls_certificate(host)`\n",
        generated_by="vigil-offline",
        source_tickets=["T-1", "T-2"],
    )
    second = library.write("cert-renewal-stuck", description="Better: when renewals stall.", body="# v2\n\nmore\n")
    assert (first.version, second.version) == (1, 2)
    assert first.status == "draft"
    meta = second.front_matter.metadata
    assert meta["updated"] == "2025-07-01" and meta["source-tickets"] == "T-1, T-2"
    assert meta["generated-by"] == "human"
    folder = tmp_path / "cert-renewal-stuck"
    assert [p.name for p in folder.iterdir()] == ["SKILL.md"]  # no temp file left behind
    assert validate(folder) == []
    assert library.get("cert-renewal-stuck").body.strip() == "# v2\n\nmore"


def test_a_write_that_would_not_load_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    library = _library(tmp_path)
    with pytest.raises(InputError, match="1025 characters"):
        library.write("s", description="x" * 1025, body="# b\n")
    with pytest.raises(InputError):
        library.write("../escape", description="d", body="# b\n")
    assert not (tmp_path / "s").exists()
    assert not (tmp_path.parent / "escape").exists()


def test_approve_and_retire_change_status_bump_version_and_keep_the_body_byte_for_byte(tmp_path: Path) -> None:
    body = "\n# Body\n\nKeep   this  exactly.\n\n\n"
    original = skill_text("s", version=4, status="draft", body=body)
    save(tmp_path, "s", original)
    library = _library(tmp_path)
    library.load()
    new, old = library.set_status("s", "approved")
    assert old is not None and (old.version, old.status) == (4, "draft")
    assert (new.version, new.status) == (5, "approved")
    text = (tmp_path / "s" / "SKILL.md").read_text(encoding="utf-8")
    assert text.split("---\n", 2)[2] == original.split("---\n", 2)[2]
    assert library.set_status("s", "approved") == (new, None)
    retired, _ = library.set_status("s", "retired")
    assert (retired.version, retired.status) == (6, "retired")
    assert validate(tmp_path / "s") == []


def test_status_changes_refuse_a_broken_file_on_disk(tmp_path: Path) -> None:
    save(tmp_path, "s", skill_text("s"))
    library = _library(tmp_path)
    library.load()
    save(tmp_path, "s", "---\nname: s\n")
    with pytest.raises(InputError, match="fix it before changing the skill"):
        library.set_status("s", "retired")


@pytest.mark.parametrize(
    "path", ["../t/SKILL.md", "/etc/passwd", "references/../../t/SKILL.md", "references/missing.md", "", "."]
)
def test_reading_files_outside_the_skill_manifest_is_refused(tmp_path: Path, path: str) -> None:
    save(tmp_path, "s", skill_text("s"))
    save(tmp_path, "t", skill_text("t"))
    library = _library(tmp_path)
    library.load()
    with pytest.raises(NotFoundError):
        library.read_file("s", path)


def test_loading_a_thousand_skills_takes_under_a_second(tmp_path: Path) -> None:
    for i in range(1000):
        save(tmp_path, f"skill-{i:04d}", skill_text(f"skill-{i:04d}", version=i % 7 + 1))
    library = SkillLibrary(tmp_path)
    started = time.perf_counter()
    library.load()
    elapsed = time.perf_counter() - started
    assert len(library.all()) == 1000
    assert elapsed < 1.0, f"loading 1000 skills took {elapsed:.3f} s"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Ana", "-c", "user.email=ana@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def test_history_lists_each_commit_with_its_version_and_follows_renames(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    root = repo / "skills"
    save(root, "old-name", skill_text("old-name", version=1, status="draft"))
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "add skill")
    save(root, "old-name", skill_text("old-name", version=2))
    _git(repo, "commit", "-qam", "approve")
    _git(repo, "mv", "skills/old-name", "skills/new-name")
    _git(repo, "commit", "-qm", "rename")
    save(root, "new-name", skill_text("new-name", version=3))
    _git(repo, "commit", "-qam", "follow the new name")
    revisions = skill_history(root / "new-name")
    assert [(r.subject, r.version, r.status) for r in revisions] == [
        ("follow the new name", 3, "approved"),
        ("rename", 2, "approved"),
        ("approve", 2, "approved"),
        ("add skill", 1, "draft"),
    ]
    assert all(r.author == "Ana" and len(r.commit) == 40 for r in revisions)


def test_history_outside_git_says_why(tmp_path: Path) -> None:
    save(tmp_path, "s", skill_text("s"))
    with pytest.raises(NotFoundError, match="not inside a git repository"):
        skill_history(tmp_path / "s")


_description = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=300).filter(
    lambda text: text.strip() != "" and "<" not in text
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(description=_description, body=st.text(min_size=1, max_size=200).filter(lambda b: b.strip() != ""))
def test_whatever_vigil_writes_the_reference_validator_accepts_and_reads_back(
    tmp_path: Path, description: str, body: str
) -> None:
    library = _library(tmp_path)
    skill = library.write("generated-skill", description=description, body=body, generated_by="vigil-anthropic")
    folder = tmp_path / "generated-skill"
    assert validate(folder) == []
    props = read_properties(folder)
    assert props.description == description.strip() == skill.front_matter.description
    assert props.metadata == skill.front_matter.metadata
