"""Shared fixtures: every test gets its own VIGIL_HOME under tmp_path, and a PostgreSQL database when it asks.

PostgreSQL: `.ci/run` starts a throw-away cluster and sets VIGIL_TEST_POSTGRES (a URL of a server where
the tests may create databases). Without it, the tests start their own cluster if `initdb`/`pg_ctl`
are installed, or skip the PostgreSQL cases with a reason in the summary. Each test gets a fresh
database. A module marked `both_backends` runs each test that uses `app`/`make_app` on DuckDB and on
PostgreSQL (knowledge, tickets, lessons and jobs all in the test's database).
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.postgres_cluster import Cluster, bin_dir
from vigil_mcp.app import App, build_app
from vigil_mcp.config import Settings, load_settings
from vigil_mcp.services.learn.keep import keep_model

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
POSTGRES_ENV = "VIGIL_TEST_POSTGRES"
BACKENDS = ("duckdb", "postgresql")
_databases = itertools.count(1)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run tests of `both_backends` modules once per backend."""
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_backends"):
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server the tests may create databases on."""
    url = os.environ.get(POSTGRES_ENV)
    if url:
        yield url
        return
    bins = bin_dir()
    if bins is None:
        pytest.skip(
            f"PostgreSQL tests need a server: set {POSTGRES_ENV}=postgresql://... or install PostgreSQL "
            "(apt-get install postgresql) so the tests start a throw-away cluster themselves"
        )
    # Under /tmp, not tmp_path: as root the cluster runs as the postgres user, who must reach the folder.
    root = Path(tempfile.mkdtemp(prefix="vigil-pg-"))
    cluster = Cluster(root, bins)
    try:
        yield cluster.start()
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def database_url(server: str, name: str) -> str:
    """The URL of database `name` on the server of `server`."""
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@contextmanager
def scratch_database(server: str, prefix: str, template: str | None = None) -> Iterator[str]:
    """A new database on `server` (a copy of `template`, if given), dropped afterwards; yields its name."""
    import psycopg

    name = f"{prefix}_{os.getpid()}_{next(_databases)}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(server, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"{copy}')  # pyright: ignore[reportArgumentType]
    try:
        yield name
    finally:
        with psycopg.connect(server, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # pyright: ignore[reportArgumentType]


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str) -> Iterator[str]:
    """A migrated, empty database that each test's database is copied from (faster than migrating each)."""
    from vigil_mcp.storage.postgres import PostgresStore

    with scratch_database(postgres_server, "vigil_template") as name:
        PostgresStore(database_url(postgres_server, name)).close()
        yield name


@pytest.fixture
def postgres_url(postgres_server: str, postgres_template: str) -> Iterator[str]:
    """A fresh database for this test, already migrated (dropped after it)."""
    with scratch_database(postgres_server, "vigil_test", postgres_template) as name:
        yield database_url(postgres_server, name)


@pytest.fixture
def empty_postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh database with nothing in it, not even vigil's tables (for migration tests)."""
    with scratch_database(postgres_server, "vigil_empty") as name:
        yield database_url(postgres_server, name)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """duckdb, unless the module is marked both_backends (then each in turn)."""
    return str(getattr(request, "param", "duckdb"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# The keep-model floor the learning tests run with (lesson_floor): the shipped, fitted floor, so that what the
# tests show (the PVC case learns its fix, a paraphrase gets it, skills form) is what a default install does.
LEARNING_TESTS_FLOOR = keep_model().floor


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Path:
    """Point VIGIL_HOME at a temp dir so no test touches a real store.

    Embeddings cost seconds per test and most tests are not about them: tests run on BM25 alone
    (VIGIL_EMBEDDING_MODEL=none, as a home without the model would) unless marked `embeddings`.
    """
    home = tmp_path / "vigil-home"
    home.mkdir()
    monkeypatch.setenv("VIGIL_HOME", str(home))
    for var in ("VIGIL_STORE", "VIGIL_TOOLS_DIR", "VIGIL_SKILLS_DIR", "ANTHROPIC_API_KEY", "VIGIL_EMBEDDING_MODEL"):
        monkeypatch.delenv(var, raising=False)
    if request.node.get_closest_marker("embeddings") is None:
        monkeypatch.setenv("VIGIL_EMBEDDING_MODEL", "none")
    monkeypatch.setenv("VIGIL_LESSON_FLOOR", str(LEARNING_TESTS_FLOOR))
    return home


@pytest.fixture
def settings_home(_isolated_home: Path) -> Path:
    """The VIGIL_HOME every command in this test uses."""
    return _isolated_home


@pytest.fixture
def settings(_isolated_home: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings over the test's home, with the built-in tools but without the starter skills (tests count skills);
    BM25 only unless the test is marked `embeddings`."""
    embedding = "auto" if request.node.get_closest_marker("embeddings") is not None else "none"
    loaded = load_settings(
        {"home": str(_isolated_home), "embedding_model": embedding, "lesson_floor": LEARNING_TESTS_FLOOR}, environ={}
    )
    return replace(loaded, builtin_skills_dir=None)


@pytest.fixture
def make_app(settings: Settings, backend: str, request: pytest.FixtureRequest) -> Callable[[], App]:
    """Build an app over this test's store, as `app` is (on PostgreSQL: every table in this test's database)."""
    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    return lambda: build_app(replace(settings, store_url=url))


@pytest.fixture
def app(make_app: Callable[[], App]) -> Iterator[App]:
    application = make_app()
    yield application
    application.close()


FULL_RUNBOOKS = SHARED_DATA / "runbooks.jsonl"
# Committed (and shipped) real runbooks: the tests that need runbooks run on these without ../shared.
SAMPLE_RUNBOOKS = REPO / "vigil_mcp" / "data" / "runbooks-sample.jsonl"


@pytest.fixture(scope="session")
def runbooks_path() -> Path:
    """Real runbooks: the 605 of ../shared/data when it is beside the checkout, else the 27 bundled ones."""
    return FULL_RUNBOOKS if FULL_RUNBOOKS.exists() else SAMPLE_RUNBOOKS


@pytest.fixture(scope="session")
def full_runbooks_path() -> Path:
    """The 605 shared runbooks, for the few tests whose figures are about that whole set."""
    if not FULL_RUNBOOKS.exists():
        pytest.skip("needs the full data set: ../shared/data/runbooks.jsonl (605 runbooks) is not beside this checkout")
    return FULL_RUNBOOKS


@pytest.fixture(scope="session")
def runbooks_store(tmp_path_factory: pytest.TempPathFactory, runbooks_path: Path) -> Path:
    """A store holding the real runbooks of runbooks_path, built once per session (copy it before writing)."""
    home = tmp_path_factory.mktemp("runbooks-home")
    # BM25 only: the tests that use it are about words; embedding 15,000 passages costs minutes.
    application = build_app(load_settings({"home": str(home), "embedding_model": "none"}, environ={}))
    try:
        application.knowledge.add_paths([runbooks_path])
    finally:
        application.close()
    return home / "knowledge.duckdb"


@pytest.fixture
def runbooks_app(settings: Settings, runbooks_store: Path) -> Iterator[App]:
    """An app over a private copy of the runbooks store (BM25 only, like the store)."""
    shutil.copyfile(runbooks_store, settings.store)
    application = build_app(replace(settings, embedding_model="none"))
    yield application
    application.close()


FIXTURE_DOCS = REPO / "tests" / "fixtures" / "docs"


@pytest.fixture(scope="session")
def docs_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the committed excerpts of the real product docs, with embeddings, built once."""
    home = tmp_path_factory.mktemp("docs-home")
    application = build_app(load_settings({"home": str(home)}, environ={}))
    try:
        application.knowledge.add_paths([FIXTURE_DOCS])
    finally:
        application.close()
    return home / "knowledge.duckdb"


@pytest.fixture
def docs_app(settings: Settings, docs_store: Path) -> Iterator[App]:
    """An app over a private copy of the docs store (hybrid retrieval: the embedding model is loaded)."""
    shutil.copyfile(docs_store, settings.store)
    application = build_app(replace(settings, embedding_model="auto"))
    yield application
    application.close()
