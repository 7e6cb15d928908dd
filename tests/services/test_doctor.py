from dataclasses import replace
from pathlib import Path

from tests.services.tools.loopback import HttpServer, Reply, closed_port, listening_port
from vigil_mcp.app import build_app, build_tools
from vigil_mcp.config import Settings
from vigil_mcp.services import doctor
from vigil_mcp.services.skills import SkillLibrary
from vigil_mcp.storage.inspect import StoreInfo, inspect_store
from vigil_mcp.storage.migrations import LATEST_VERSION

SKILL = """---
name: disk-full
description: Free space on a full disk. Use it when a volume is at 100%.
metadata:
  version: "1"
  status: approved
---
# Disk full
Find what grew.
"""


def test_a_fresh_home_warns_that_it_looks_new_and_has_no_store_or_skills(settings: Settings) -> None:
    checks = [
        *doctor.check_config(settings),
        doctor.check_store(inspect_store(settings.store)),
        doctor.check_skills(SkillLibrary(settings.skills_dir)),
        doctor.check_tools(build_tools(settings, environ={})),
        doctor.check_prometheus(None),
        doctor.check_anthropic(settings),
    ]

    verdicts = {c.area: c.verdict for c in checks}
    assert verdicts == {
        "config": "ok",
        "home": "warn",
        "store": "warn",
        "skills": "warn",
        "tools": "ok",
        "prometheus": "ok",
        "anthropic": "ok",
    }
    assert not doctor.failed(checks)
    assert "vigil knowledge add" in (checks[2].hint or "")


def test_a_loaded_store_reports_its_schema_and_counts(settings: Settings) -> None:
    app = build_app(settings)
    try:
        app.knowledge.add_paths([Path(__file__).parent.parent.parent / "vigil_mcp" / "data" / "runbooks-sample.jsonl"])
    finally:
        app.close()

    check = doctor.check_store(inspect_store(settings.store))

    assert check.verdict == "ok"
    assert (
        f"schema version {LATEST_VERSION}" in check.message
        and "runbook" in check.message
        and "0 tickets" in check.message
    )


def test_a_store_that_is_not_duckdb_fails_with_a_hint(settings: Settings) -> None:
    settings.store.write_text("not a database", encoding="utf-8")

    check = doctor.check_store(inspect_store(settings.store))

    assert check.verdict == "FAIL" and "cannot be opened" in check.message
    assert settings.store.read_text(encoding="utf-8") == "not a database"  # looked at, never touched


def test_a_store_newer_than_this_vigil_fails_and_an_older_one_warns(tmp_path: Path) -> None:
    newer = StoreInfo(tmp_path / "k.duckdb", exists=True, schema_version=9, latest_version=2)
    older = StoreInfo(tmp_path / "k.duckdb", exists=True, schema_version=1, latest_version=2, tickets=0)

    assert doctor.check_store(newer).verdict == "FAIL"
    assert doctor.check_store(older).verdict == "warn"


def test_a_store_locked_by_another_process_is_a_warning_naming_it(tmp_path: Path) -> None:
    locked = StoreInfo(tmp_path / "k.duckdb", exists=True, locked_by="PID 4242")

    check = doctor.check_store(locked)

    assert check.verdict == "warn" and "PID 4242" in check.message


def test_an_invalid_skill_fails_and_valid_skills_are_counted(settings: Settings) -> None:
    (settings.skills_dir / "disk-full").mkdir(parents=True)
    (settings.skills_dir / "disk-full" / "SKILL.md").write_text(SKILL, encoding="utf-8")
    assert doctor.check_skills(SkillLibrary(settings.skills_dir)).message.startswith("1 skill (1 approved; 0 built-in)")

    (settings.skills_dir / "Bad_Name").mkdir()
    (settings.skills_dir / "Bad_Name" / "SKILL.md").write_text(SKILL, encoding="utf-8")
    check = doctor.check_skills(SkillLibrary(settings.skills_dir))

    assert check.verdict == "FAIL" and "Bad_Name" in check.message
    assert check.hint == "run `vigil skills check` for every problem"


def test_a_bad_tool_file_fails_the_tools_check(settings: Settings) -> None:
    settings.tools_dir.mkdir()
    (settings.tools_dir / "bad.py").write_text("def bad(x):\n    return x\n", encoding="utf-8")

    check = doctor.check_tools(build_tools(settings, environ={}))

    assert check.verdict == "FAIL" and "bad.py" in check.message


def test_a_ready_prometheus_is_ok_and_a_down_one_fails() -> None:
    with HttpServer({"/-/ready": Reply(200, "Prometheus Server is Ready.\n")}) as prometheus:
        assert doctor.check_prometheus(prometheus.url("").rstrip("/")).verdict == "ok"
    with HttpServer({"/api/v1/status/buildinfo": Reply(200, {"status": "success"})}) as older:
        assert doctor.check_prometheus(older.url("").rstrip("/")).verdict == "ok"
    with HttpServer({}) as wrong:
        check = doctor.check_prometheus(wrong.url("").rstrip("/"))
        assert check.verdict == "FAIL" and "HTTP 404" in check.message
    with closed_port() as port:
        check = doctor.check_prometheus(f"http://127.0.0.1:{port}", timeout=1.0)
        assert check.verdict == "FAIL" and "cannot reach" in check.message


def test_the_anthropic_api_is_probed_only_for_that_engine_and_unreachable_is_a_warning(settings: Settings) -> None:
    anthropic = replace(settings, engine="anthropic", anthropic_api_key="sk-test")

    with listening_port() as port:
        reachable = doctor.check_anthropic(anthropic, host="127.0.0.1", port=port)
    with closed_port() as port:
        unreachable = doctor.check_anthropic(anthropic, host="127.0.0.1", port=port, timeout=1.0)
    keyless = doctor.check_anthropic(replace(anthropic, anthropic_api_key=None))

    assert reachable.verdict == "ok"
    assert unreachable.verdict == "warn" and "offline engine" in unreachable.message
    assert keyless.verdict == "FAIL"


def test_a_home_that_is_a_file_fails(settings: Settings, tmp_path: Path) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("", encoding="utf-8")

    checks = doctor.check_config(replace(settings, home=a_file))

    assert checks[1].verdict == "FAIL" and "is not a folder" in checks[1].message


def test_every_line_shows_the_verdict_area_and_a_hint_unless_ok() -> None:
    assert doctor.Check("store", "warn", "empty", "run vigil demo").line() == "warn  store      empty -> run vigil demo"
    assert doctor.Check("tools", "ok", "6 tools", "unused").line() == "ok    tools      6 tools"


def test_doctor_warns_on_no_tools_served_and_counts_built_in_skills(settings: Settings) -> None:
    settings.tools_dir.mkdir()
    empty = replace(settings, builtin_tools_dir=None)
    tools = doctor.check_tools(build_tools(empty, environ={}))
    assert tools.verdict == "warn" and "no tool files found" in tools.message
    assert "reinstall mcp-server-vigil" in (tools.hint or "")
    starter = doctor.check_skills(SkillLibrary(settings.skills_dir, base=Path(__file__).parents[2] / "skills"))
    assert starter.verdict == "ok" and "(3 approved; 3 built-in)" in starter.message


def test_a_home_with_something_of_its_own_is_not_new(settings: Settings) -> None:
    (settings.home / "vigil.toml").write_text("[vigil]\n", encoding="utf-8")
    assert [c.verdict for c in doctor.check_config(settings)] == ["ok", "ok"]


def test_the_embedding_model_check_says_what_retrieval_runs_on(tmp_path: Path) -> None:
    assert doctor.check_embedding_model("none").verdict == "ok"
    installed = doctor.check_embedding_model("auto")
    assert installed.verdict == "ok" and "sha256 checked" in installed.message
    missing = doctor.check_embedding_model(str(tmp_path / "nowhere"))
    assert missing.verdict == "warn" and "BM25-only" in missing.message
    (tmp_path / "model.onnx").write_bytes(b"not the model")
    (tmp_path / "tokenizer.json").write_text("{}", encoding="utf-8")
    tampered = doctor.check_embedding_model(str(tmp_path), sha256="0" * 64)
    assert tampered.verdict == "warn" and "is not the pinned file" in tampered.message
