"""`vigil doctor --store postgresql://...` on a real server: ok, not yet migrated, unreachable."""

import pytest

from vigil_mcp.cli import main
from vigil_mcp.services import doctor
from vigil_mcp.storage.postgres.inspect import inspect_database
from vigil_mcp.storage.postgres.migrations import LATEST_VERSION


def test_a_migrated_database_is_ok_with_its_counts_and_a_working_notify(postgres_url: str) -> None:
    check = doctor.check_database(inspect_database(postgres_url))
    assert check.verdict == "ok"
    assert "schema version" in check.message and "0 tickets" in check.message and "PostgreSQL" in check.message


def test_an_empty_database_is_a_warning_that_the_first_vigil_migrates_it(empty_postgres_url: str) -> None:
    check = doctor.check_database(inspect_database(empty_postgres_url))
    assert check.verdict == "warn"
    assert "empty" in check.message and "migrates it" in (check.hint or "")


def test_an_unreachable_database_fails_without_showing_the_password() -> None:
    check = doctor.check_database(inspect_database("postgresql://vigil:hunter2-secret@127.0.0.1:9/vigil", timeout=1))
    assert check.verdict == "FAIL"
    assert "cannot connect to postgresql://vigil:***@127.0.0.1:9/vigil" in check.message
    assert "hunter2" not in check.line()


def test_vigil_doctor_store_names_the_database_and_its_schema(
    postgres_url: str, settings_home: object, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["doctor", "--store", postgres_url])
    store = next(line for line in capsys.readouterr().out.splitlines() if line.split()[1] == "store")
    assert code == 0
    assert store.startswith("ok") and f"schema version {LATEST_VERSION}" in store and "LISTEN" not in store


def test_vigil_doctor_store_fails_on_a_database_that_is_not_there(
    settings_home: object, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["doctor", "--store", "postgresql://vigil:hunter2-secret@127.0.0.1:9/vigil"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL  store" in out and "cannot connect" in out and "hunter2" not in out
