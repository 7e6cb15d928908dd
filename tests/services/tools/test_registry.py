from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vigil_mcp.errors import InputError, NotFoundError
from vigil_mcp.services.tools import DiagnosticFailed, ToolRegistry, ToolSelection

pytestmark = pytest.mark.anyio

WriteTool = Callable[[str, str], Path]


def tool_source(name: str, body: str = "return 'v1'", returns: str = "str", extra: str = "") -> str:
    return f'{extra}\ndef {name}(x: int = 0) -> {returns}:\n    """Tool {name}."""\n    {body}\n'


FAILING = '''
import anyio


def bad_value(x: int) -> int:
    """Rejects odd numbers as bad input."""
    if x % 2:
        raise ValueError(f"x must be even, got {x}")
    return x


def unreachable(host: str) -> int:
    """Fails like a network check."""
    raise ConnectionRefusedError(f"{host}:80 refused the connection; nothing listens there")


def buggy(x: int) -> int:
    """Has a bug."""
    return {}["missing"] + x  # KeyError is a LookupError: reported as a failure, not a crash


def crashy(x: int) -> int:
    """Has a worse bug."""
    return x + "1"


async def slow(x: int) -> int:
    """Never finishes."""
    await anyio.Event().wait()
    return x


def configured(*, _prometheus_url: str | None = None, _egress: object = None) -> str:
    """Shows its context."""
    assert callable(_egress)
    return f"prometheus at {_prometheus_url}"
'''


def make_registry(folders: list[Path], **options: Any) -> ToolRegistry:
    registry = ToolRegistry(folders, **options)
    registry.load()
    return registry


def test_tools_load_from_every_folder_and_list_by_name(write_tool: WriteTool, tmp_path: Path) -> None:
    write_tool("b.py", tool_source("beta"))
    write_tool("a.py", tool_source("alpha"))
    other = tmp_path / "other"
    other.mkdir()
    (other / "c.py").write_text(tool_source("gamma"), encoding="utf-8")
    registry = make_registry([tmp_path / "tools", other])
    assert [t.name for t in registry.list()] == ["alpha", "beta", "gamma"]
    assert registry.get("gamma").source == other / "c.py"
    assert registry.problems() == []


def test_a_higher_layer_replaces_a_lower_one_and_the_lower_one_comes_back(
    write_tool: WriteTool, tmp_path: Path
) -> None:
    builtin = tmp_path / "builtin"
    builtin.mkdir()
    (builtin / "http.py").write_text(tool_source("check_http", "return 'builtin'"), encoding="utf-8")
    mine = write_tool("mine.py", tool_source("check_http", "return 'mine'"))
    registry = make_registry([tmp_path / "tools", builtin])
    assert registry.get("check_http").source == mine and registry.problems() == []
    assert [(tool.source, served) for tool, served in registry.shadowed()] == [(builtin / "http.py", mine)]
    mine.unlink()
    report = registry.reload([mine])
    assert report.replaced == ("check_http",) and registry.get("check_http").source == builtin / "http.py"
    mine.write_text(tool_source("check_http", "return 'mine again'"), encoding="utf-8")
    assert registry.reload([mine]).replaced == ("check_http",) and registry.get("check_http").source == mine


def test_a_duplicate_name_within_one_folder_is_refused(write_tool: WriteTool, tmp_path: Path) -> None:
    first = write_tool("a.py", tool_source("check_http", "return 'a'"))
    second = write_tool("b.py", tool_source("check_http", "return 'b'"))
    registry = make_registry([tmp_path / "tools"])
    assert registry.get("check_http").source == first
    [problem] = registry.problems()
    assert (problem.file, problem.function) == (second, "check_http")
    assert "already taken by" in problem.problem and "rename the function" in problem.fix


def test_reloading_a_file_adds_replaces_and_removes_its_tools(write_tool: WriteTool, tmp_path: Path) -> None:
    path = write_tool("t.py", tool_source("one"))
    registry = make_registry([tmp_path / "tools"])
    first = registry.get("one")
    path.write_text(tool_source("one", "return 'v2'") + tool_source("two"), encoding="utf-8")
    report = registry.reload([path])
    assert (report.added, report.replaced, report.removed) == (("two",), ("one",), ())
    assert registry.get("one") is not first
    path.unlink()
    report = registry.reload([path])
    assert report.removed == ("one", "two") and registry.list() == []


def test_a_file_that_turns_bad_keeps_its_last_good_tools_in_service(write_tool: WriteTool, tmp_path: Path) -> None:
    path = write_tool("t.py", tool_source("one"))
    registry = make_registry([tmp_path / "tools"])
    good = registry.get("one")
    path.write_text("def one(:\n", encoding="utf-8")
    report = registry.reload([path])
    assert not report.changed and report.problems
    assert registry.get("one") is good
    assert "not valid Python" in registry.problems()[0].problem
    path.write_text(tool_source("one", "return 'fixed'"), encoding="utf-8")
    assert registry.reload([path]).replaced == ("one",)
    assert registry.problems() == []


def test_paths_outside_the_folders_and_helper_files_are_ignored(write_tool: WriteTool, tmp_path: Path) -> None:
    registry = make_registry([tmp_path / "tools"])
    helper = write_tool("_helper.py", tool_source("helper"))
    stray = tmp_path / "stray.py"
    stray.write_text(tool_source("stray"), encoding="utf-8")
    assert not registry.reload([helper, stray, tmp_path / "tools" / "__pycache__" / "x.pyc"]).changed
    assert registry.list() == []


def test_a_tool_file_that_is_a_symbolic_link_is_refused_with_a_problem_at_load_and_on_reload(
    write_tool: WriteTool, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text(tool_source("outside"), encoding="utf-8")
    write_tool("real.py", tool_source("real"))
    (tmp_path / "tools" / "linked.py").symlink_to(outside)
    (tmp_path / "tools" / "alias.py").symlink_to(tmp_path / "tools" / "real.py")
    registry = make_registry([tmp_path / "tools"])
    assert [t.name for t in registry.list()] == ["real"]
    refused = sorted(p.file.name for p in registry.problems())
    assert refused == ["alias.py", "linked.py"]
    assert all("symbolic link" in p.problem and "regular files" in p.fix for p in registry.problems())
    late = tmp_path / "tools" / "late.py"
    late.symlink_to(outside)
    report = registry.reload([late])
    assert not report.changed and "symbolic link" in report.problems[0].problem
    assert [t.name for t in registry.list()] == ["real"]


def test_selection_hides_tools_by_pattern_and_write_tools_unless_enabled(write_tool: WriteTool, tmp_path: Path) -> None:
    write_tool("t.py", tool_source("http_get") + tool_source("dns_get") + tool_source("restart", extra=""))
    write_tool("w.py", tool_source("wipe") + '\n_vigil_hints = {"wipe": {"read_only": False}}\n')
    folder = [tmp_path / "tools"]
    assert [t.name for t in make_registry(folder).served()] == ["dns_get", "http_get", "restart"]
    only = make_registry(folder, selection=ToolSelection(include=("http_*", "wipe"), exclude=("restart",)))
    assert [t.name for t in only.served()] == ["http_get"]
    with pytest.raises(NotFoundError, match=r"not served: it is not read-only.*--enable-write-tools"):
        only.served_tool("wipe")
    with pytest.raises(NotFoundError, match="--tools patterns"):
        only.served_tool("dns_get")
    writes = make_registry(folder, selection=ToolSelection(exclude=("restart",), enable_write=True))
    assert [t.name for t in writes.served()] == ["dns_get", "http_get", "wipe"]
    with pytest.raises(NotFoundError, match="--exclude-tools pattern 'restart'"):
        writes.served_tool("restart")


async def test_calling_validates_arguments_and_maps_failures_to_sentences(
    write_tool: WriteTool, tmp_path: Path
) -> None:
    write_tool("f.py", FAILING)
    registry = make_registry([tmp_path / "tools"], prometheus_url="http://prom:9090", timeout=0.2)
    assert await registry.call("bad_value", {"x": "4"}) == 4
    with pytest.raises(InputError, match="x must be even, got 3"):
        await registry.call("bad_value", {"x": 3})
    with pytest.raises(InputError, match=r"unknown argument 'y'.*This tool takes: x"):
        await registry.call("bad_value", {"x": 2, "y": 1})
    with pytest.raises(InputError, match="argument 'x': Input should be a valid integer"):
        await registry.call("bad_value", {"x": "two"})
    with pytest.raises(DiagnosticFailed, match=r"^unreachable: db:80 refused the connection"):
        await registry.call("unreachable", {"host": "db"})
    with pytest.raises(DiagnosticFailed, match=r"^buggy: 'missing'"):
        await registry.call("buggy", {"x": 1})
    with pytest.raises(DiagnosticFailed, match=r"crashy crashed \(TypeError.*bug in f.py"):
        await registry.call("crashy", {"x": 1})
    with pytest.raises(DiagnosticFailed, match=r"slow did not finish within 0.2 s"):
        await registry.call("slow", {"x": 1})
    with pytest.raises(NotFoundError, match="no diagnostic tool named 'nope'"):
        await registry.call("nope", {})
    assert await registry.call("configured", {}) == "prometheus at http://prom:9090"


def test_tools_can_be_added_and_removed_in_code(write_tool: WriteTool, tmp_path: Path) -> None:
    write_tool("t.py", tool_source("one"))
    registry = make_registry([tmp_path / "tools"])
    tool = registry.get("one")
    with pytest.raises(InputError, match="already exists"):
        registry.add(tool)
    registry.remove("one")
    assert registry.list() == []
    registry.add(tool)
    assert registry.get("one") is tool
