import subprocess
import sys
from pathlib import Path

from vigil_mcp.storage import open_store
from vigil_mcp.storage.inspect import inspect_store
from vigil_mcp.storage.migrations import LATEST_VERSION

HOLD = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('held', flush=True); sys.stdin.read()"


def test_a_missing_store_is_reported_and_not_created(tmp_path: Path) -> None:
    info = inspect_store(tmp_path / "knowledge.duckdb")

    assert not info.exists
    assert not (tmp_path / "knowledge.duckdb").exists()


def test_a_store_is_read_without_migrating_it(tmp_path: Path) -> None:
    path = tmp_path / "knowledge.duckdb"
    open_store(path).close()

    info = inspect_store(path)

    assert (info.schema_version, info.latest_version, info.knowledge_by_kind, info.tickets) == (
        LATEST_VERSION,
        LATEST_VERSION,
        {},
        0,
    )


def test_a_store_held_by_another_process_is_reported_with_its_pid(tmp_path: Path) -> None:
    path = tmp_path / "knowledge.duckdb"
    open_store(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        info = inspect_store(path)
    finally:
        holder.communicate("", timeout=10)

    assert info.locked_by == f"PID {holder.pid}"
    assert info.error is None
