"""The starter skills vigil ships are a read-only layer under the user's skills folder."""

from pathlib import Path

from vigil_mcp.services.skills import SkillLibrary

from .files import save, skill_text


def _layers(tmp_path: Path) -> tuple[Path, Path]:
    mine, base = tmp_path / "mine", tmp_path / "base"
    save(base, "disk-full", skill_text("disk-full", version=3))
    save(base, "cert-expiry", skill_text("cert-expiry", version=1))
    mine.mkdir()
    return mine, base


def test_base_skills_are_served_and_a_skill_of_the_same_name_in_the_folder_replaces_one(tmp_path: Path) -> None:
    mine, base = _layers(tmp_path)
    library = SkillLibrary(mine, base=base)
    library.load()
    assert [(s.name, library.is_builtin(s)) for s in library.list()] == [("cert-expiry", True), ("disk-full", True)]
    save(mine, "disk-full", skill_text("disk-full", version=7, body="# Mine\n\nMy steps.\n"))
    assert library.refresh(["disk-full"]).changed == ["disk-full"]
    mine_skill = library.get("disk-full")
    assert (mine_skill.version, library.is_builtin(mine_skill)) == (7, False)
    assert b"My steps." in library.read_file("disk-full", "SKILL.md")
    (mine / "disk-full" / "SKILL.md").unlink()
    (mine / "disk-full").rmdir()
    library.refresh(["disk-full"])
    assert library.get("disk-full").version == 3 and library.is_builtin(library.get("disk-full"))


def test_changing_a_base_skill_copies_it_into_the_folder_and_never_writes_the_base(tmp_path: Path) -> None:
    mine, base = _layers(tmp_path)
    before = (base / "disk-full" / "SKILL.md").read_bytes()
    library = SkillLibrary(mine, base=base)
    library.load()
    new, old = library.set_status("disk-full", "retired")
    assert old is not None and (old.version, new.version, new.status) == (3, 4, "retired")
    assert (mine / "disk-full" / "SKILL.md").is_file() and not library.is_builtin(new)
    assert (base / "disk-full" / "SKILL.md").read_bytes() == before
