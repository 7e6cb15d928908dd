"""What the wheel ships: every bundled data file is covered by pyproject's package-data globs."""

import tomllib
from fnmatch import fnmatch
from pathlib import Path

from vigil_mcp.services.knowledge.ingest import walk_paths

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "vigil_mcp" / "data"


def test_every_bundled_data_file_is_listed_as_package_data() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["vigil_mcp"]
    files = [p.relative_to(REPO / "vigil_mcp").as_posix() for p in DATA.rglob("*") if p.is_file()]
    assert files
    assert [f for f in files if not any(fnmatch(f, g) for g in globs)] == []


def test_the_bundled_docs_excerpt_reads_cleanly_and_carries_its_licences() -> None:
    walk = walk_paths([DATA / "docs"])
    assert walk.skipped == [] and walk.notes == []
    assert {Path(d.source).parent.name for d in walk.documents} == {
        "debian-faq",
        "debian-handbook",
        "debian-reference",
        "stripe-api",
    }
    for folder in (DATA / "docs").iterdir():
        assert (folder / "COPYRIGHT").exists() or (folder / "LICENSE").exists(), folder
    assert sum(p.stat().st_size for p in (DATA / "docs").rglob("*")) < 400_000
