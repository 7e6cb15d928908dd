"""What the wheel ships: the whole vigil_mcp package with its data, and the built-in tools and skills."""

import tomllib
from pathlib import Path

from vigil_mcp.services.knowledge.ingest import walk_paths

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "vigil_mcp" / "data"


def test_the_wheel_takes_the_whole_package_and_the_built_in_tools_and_skills() -> None:
    """hatchling ships every file under vigil_mcp/ (data/ too) unless excluded; .ci/wheel.sh checks a real wheel."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    wheel = config["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["packages"] == ["vigil_mcp"] and "exclude" not in wheel and "only-include" not in wheel
    assert wheel["force-include"] == {"tools": "vigil_mcp/data/tools", "skills": "vigil_mcp/data/skills"}
    files = [p for p in DATA.rglob("*") if p.is_file()]
    assert files and not [p for p in files if p.name.endswith((".pyc", ".duckdb"))]


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
