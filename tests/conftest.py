"""Shared fixtures: every test gets its own VIGIL_HOME under tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vigil_mcp.app import App, build_app
from vigil_mcp.config import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point VIGIL_HOME at a temp dir so no test touches a real store."""
    home = tmp_path / "vigil-home"
    home.mkdir()
    monkeypatch.setenv("VIGIL_HOME", str(home))
    for var in ("VIGIL_STORE", "VIGIL_TOOLS_DIR", "VIGIL_SKILLS_DIR", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def settings(_isolated_home: Path) -> Settings:
    return load_settings({"home": str(_isolated_home)}, environ={})


@pytest.fixture
def app(settings: Settings) -> Iterator[App]:
    application = build_app(settings)
    yield application
    application.close()


@pytest.fixture(scope="session")
def runbooks_path() -> Path:
    path = SHARED_DATA / "runbooks.jsonl"
    if not path.exists():
        pytest.skip("../shared/data/runbooks.jsonl is not beside this checkout")
    return path
