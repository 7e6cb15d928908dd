import os
from pathlib import Path

import pytest
from skills_ref.validator import validate  # pyright: ignore[reportMissingTypeStubs]

from vigil_mcp.errors import InputError
from vigil_mcp.services.skills import check_name, load_skill, loader
from vigil_mcp.services.skills.loader import UnstableFile, digest, read_stable
from vigil_mcp.services.skills.model import name_problem

from .files import REPO_SKILLS, save, skill_text


def test_every_starter_skill_passes_our_checks_and_the_reference_validator() -> None:
    folders = [f for f in sorted(REPO_SKILLS.iterdir()) if (f / "SKILL.md").is_file()]
    assert len(folders) >= 3
    for folder in folders:
        result = load_skill(folder)
        assert result.skill is not None, result.problems
        assert result.problems == []
        assert validate(folder) == []
        meta = result.skill.front_matter.metadata
        assert meta["status"] == "approved" and meta["generated-by"] == "human" and meta["version"].isdigit()
        assert "## Diagnosis" in result.skill.body


@pytest.mark.parametrize("name", ["pdf-processing", "data-analysis", "code-review", "a", "x9", "endpoint-5xx"])
def test_names_the_spec_allows_are_accepted(name: str) -> None:
    assert name_problem(name) is None
    assert check_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "PDF-Processing",
        "-pdf",
        "pdf-",
        "pdf--processing",
        "../x",
        "..",
        "a/b",
        "/etc/passwd",
        "a\\b",
        "",
        "x" * 65,
        "ｅndpoint-5xx",  # fullwidth e
        "endpoint‐5xx",  # U+2010 hyphen
        "endpoint-5ⅹⅹ",  # roman numeral ten
        "tls_cert",
        "claude-helper",
        "name with space",
    ],
)
def test_names_that_are_not_lowercase_ascii_with_single_hyphens_are_refused(name: str) -> None:
    assert name_problem(name) is not None
    with pytest.raises(InputError):
        check_name(name)


def test_a_name_that_differs_from_its_folder_is_reported_on_its_line(tmp_path: Path) -> None:
    save(tmp_path, "right-name", skill_text("other-name"))
    result = load_skill(tmp_path / "right-name")
    assert result.skill is None
    (problem,) = result.problems
    assert problem.line == 2
    assert "differs from its folder 'right-name'" in problem.message
    assert "rename the folder" in problem.fix


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (skill_text("s", description="x" * 1025), 3, "1025 characters long; the limit is 1024"),
        ("---\nname: s\ndescription: d\ntags: a\n---\nbody\n", 4, "tags is not an Agent Skills field"),
        ('---\nname: s\ndescription: d\nmetadata:\n  version: "one"\n---\nbody\n', 5, "metadata.version"),
        ("---\nname: s\ndescription: d\nmetadata:\n  status: live\n---\nbody\n", 5, "metadata.status"),
        ("---\nname: s\ndescription: d\nmetadata:\n  generated-by: gpt\n---\nbody\n", 5, "metadata.generated-by"),
        ("---\nname: s\n---\nbody\n", 2, "description is missing"),
        ("---\nname: s\ndescription: d <b>bold</b>\n---\nbody\n", 3, "XML tag"),
        ("---\nname: s\ndescription: d\n---\n\n", 5, "the body is empty"),
        ("---\nname: s\ndescription: d\nlicense:\n  a: b\n---\nb\n", 4, "license"),
    ],
)
def test_invalid_front_matter_is_reported_with_file_line_and_fix(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    path = save(tmp_path, "s", text)
    result = load_skill(tmp_path / "s")
    assert result.skill is None
    problem = result.problems[0]
    assert problem.path == str(path)
    assert problem.line == line
    assert words in problem.message
    assert problem.fix
    assert str(problem).startswith(f"{path}:{line}: error: ")


def test_supporting_files_are_listed_with_digests_and_temp_files_and_symlinks_are_not(tmp_path: Path) -> None:
    save(tmp_path, "s", skill_text("s"))
    refs = tmp_path / "s" / "references"
    refs.mkdir()
    (refs / "guide.md").write_text("# Guide\n", encoding="utf-8")
    (refs / "guide.md~").write_text("backup", encoding="utf-8")
    (tmp_path / "s" / ".hidden").write_text("x", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (refs / "link.txt").symlink_to(tmp_path / "secret.txt")
    result = load_skill(tmp_path / "s")
    assert result.skill is not None
    files = {f.path: f for f in result.skill.files}
    assert list(files) == ["SKILL.md", "references/guide.md"]
    assert files["references/guide.md"].digest == digest(b"# Guide\n")
    assert files["references/guide.md"].size == 8


def test_a_missing_skill_file_means_the_skill_is_gone(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    assert load_skill(tmp_path / "s").missing


def test_a_file_that_grows_while_it_is_read_is_not_taken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = save(tmp_path, "s", skill_text("s"))
    real = loader.read_regular_file

    def read_then_append(root: Path, relative: str) -> tuple[bytes, os.stat_result]:
        got = real(root, relative)
        with open(root / relative, "a", encoding="utf-8") as handle:
            handle.write("more being written\n")
        return got

    monkeypatch.setattr(loader, "read_regular_file", read_then_append)
    with pytest.raises(UnstableFile):
        read_stable(tmp_path, "s/SKILL.md")
    assert path.is_file()


def test_a_skill_md_that_is_a_symbolic_link_is_not_loaded_and_says_why(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "SKILL.md").write_text(skill_text("evil"), encoding="utf-8")
    skills = tmp_path / "skills"
    (skills / "evil").mkdir(parents=True)
    (skills / "evil" / "SKILL.md").symlink_to(outside / "SKILL.md")
    result = load_skill(skills / "evil")
    assert result.skill is None
    assert not result.missing
    assert "symbolic link" in result.problems[0].message
    assert "regular files" in result.problems[0].fix


def test_a_skill_folder_that_is_a_symbolic_link_is_not_loaded(tmp_path: Path) -> None:
    save(tmp_path / "outside", "evil", skill_text("evil"))
    (tmp_path / "skills").mkdir()
    (tmp_path / "skills" / "evil").symlink_to(tmp_path / "outside" / "evil", target_is_directory=True)
    result = load_skill(tmp_path / "skills" / "evil")
    assert result.skill is None
    assert "symbolic link" in result.problems[0].message


def test_linked_supporting_files_and_folders_are_left_out_with_a_warning(tmp_path: Path) -> None:
    save(tmp_path, "s", skill_text("s"))
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (tmp_path / "s" / "references").mkdir()
    (tmp_path / "s" / "references" / "ok.md").write_text("fine", encoding="utf-8")
    (tmp_path / "s" / "references" / "leak.md").symlink_to(tmp_path / "secret.txt")
    (tmp_path / "s" / "assets").symlink_to(tmp_path, target_is_directory=True)
    result = load_skill(tmp_path / "s")
    assert result.skill is not None
    assert [f.path for f in result.skill.files] == ["SKILL.md", "references/ok.md"]
    warned = sorted(Path(p.path).name for p in result.problems if "symbolic link" in p.message)
    assert warned == ["assets", "leak.md"]


def test_a_long_body_and_a_missing_version_are_warnings_not_errors(tmp_path: Path) -> None:
    body = "# Long\n" + "line\n" * 600
    save(tmp_path, "s", f"---\nname: s\ndescription: d\n---\n{body}")
    result = load_skill(tmp_path / "s")
    assert result.skill is not None and result.skill.version == 1 and result.skill.status == "draft"
    assert sorted(p.severity for p in result.problems) == ["warning", "warning"]
    assert any("601 lines" in p.message for p in result.problems)
