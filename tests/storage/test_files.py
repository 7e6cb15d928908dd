"""read_regular_file: regular files inside their folder only, whatever links or `..` say."""

import os
from pathlib import Path

import pytest

from vigil_mcp.storage.files import UnsafeFileError, read_regular_file


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("the secret", encoding="utf-8")
    inside = tmp_path / "inside"
    (inside / "sub").mkdir(parents=True)
    (inside / "sub" / "note.md").write_text("a note", encoding="utf-8")
    (inside / "link.md").symlink_to(outside / "secret.txt")
    (inside / "inner-link.md").symlink_to(inside / "sub" / "note.md")
    (inside / "dir-link").symlink_to(outside, target_is_directory=True)
    os.mkfifo(inside / "pipe")
    return inside


def test_a_regular_file_below_the_folder_is_read(folder: Path) -> None:
    data, status = read_regular_file(folder, "sub/note.md")
    assert data == b"a note"
    assert status.st_size == 6


@pytest.mark.parametrize(
    "relative", ["link.md", "inner-link.md", "dir-link/secret.txt", "../outside/secret.txt", "sub/../link.md",
                 "/etc/passwd", "sub//note.md", "./sub/note.md", "", "sub", "pipe"],
)  # fmt: skip
def test_links_dot_dot_absolute_paths_folders_and_fifos_are_refused(folder: Path, relative: str) -> None:
    with pytest.raises(UnsafeFileError):
        read_regular_file(folder, relative)


def test_a_missing_file_is_file_not_found(folder: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_regular_file(folder, "sub/missing.md")


def test_the_folder_itself_may_be_a_link_since_it_is_configuration(folder: Path, tmp_path: Path) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(folder, target_is_directory=True)
    assert read_regular_file(alias, "sub/note.md")[0] == b"a note"
