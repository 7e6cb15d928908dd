"""Shared fixtures: every test gets its own VIGIL_HOME under tmp_path."""

from __future__ import annotations

import shutil
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
def settings_home(_isolated_home: Path) -> Path:
    """The VIGIL_HOME every command in this test uses."""
    return _isolated_home


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


@pytest.fixture(scope="session")
def runbooks_store(tmp_path_factory: pytest.TempPathFactory, runbooks_path: Path) -> Path:
    """A store holding the 605 real runbooks, built once per test session (copy it before writing)."""
    home = tmp_path_factory.mktemp("runbooks-home")
    application = build_app(load_settings({"home": str(home)}, environ={}))
    try:
        application.knowledge.add_paths([runbooks_path])
    finally:
        application.close()
    return home / "knowledge.duckdb"


@pytest.fixture
def runbooks_app(settings: Settings, runbooks_store: Path) -> Iterator[App]:
    """An app over a private copy of the runbooks store."""
    shutil.copyfile(runbooks_store, settings.store)
    application = build_app(settings)
    yield application
    application.close()
