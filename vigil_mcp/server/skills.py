"""Skills over MCP: a prompt per skill, list_skills/get_skill, skill:// resources, SEP-2640, hot reload.

Everything reads the live library, so a reload only has to re-sync prompt descriptions and tell
clients; resources are served from a template because MCPServer cannot remove resources.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

import anyio
import anyio.to_thread
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.extension import Extension, MethodBinding
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from mcp.server.mcpserver.prompts.base import Message, Prompt, PromptArgument, UserMessage
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, CacheableResult, PaginatedRequestParams, PaginatedResult, RequestParams
from mcp_types import Resource as ResourceEntry
from pydantic import BaseModel, Field

from vigil_mcp.app import App
from vigil_mcp.errors import VigilError
from vigil_mcp.server.annotations import READ_ONLY
from vigil_mcp.server.background import Background
from vigil_mcp.server.errors import call_service
from vigil_mcp.server.schema import flatten_output_schema
from vigil_mcp.services.skills import (
    SKILL_FILE,
    RefreshReport,
    Skill,
    SkillDetail,
    SkillLibrary,
    SkillList,
    TicketLookup,
    detail_of,
    reload_skills,
    skill_prompt,
    skill_uri,
    summary_of,
    watch_skills,
)
from vigil_mcp.services.skills.indexing import index_library, index_skills
from vigil_mcp.services.skills.prompting import ticket_dialogue

log = logging.getLogger(__name__)

EXTENSION_ID = "io.modelcontextprotocol/skills"
PAGE_SIZE = 200
TICKET_ARGUMENT = "ticket_id"
REVIEW_POLL_SECONDS = 10.0


# ---- prompts ---------------------------------------------------------------------------------
class SkillPrompts:
    """Keeps one prompt per non-retired skill registered, and only those."""

    def __init__(self, mcp: MCPServer[Any], library: SkillLibrary, ticket_lookup: TicketLookup | None) -> None:
        self._mcp = mcp
        self._library = library
        self._lookup = ticket_lookup
        self._registered: dict[str, tuple[str | None, str | None]] = {}  # name -> (title, description)

    def sync(self) -> None:
        """Add, replace and remove prompts so they match the library."""
        wanted = {skill.name: skill for skill in self._library.served()}
        for name, shown in list(self._registered.items()):
            skill = wanted.get(name)
            if skill is None or shown != _prompt_labels(skill):
                self._mcp.remove_prompt(name)
                del self._registered[name]
        for name, skill in wanted.items():
            if name in self._registered:
                continue
            if self._mcp._prompt_manager.get_prompt(name) is not None:  # pyright: ignore[reportPrivateUsage]
                log.warning("skill %s has no prompt: another prompt is already called %r", name, name)
                continue
            self._mcp.add_prompt(self._prompt(skill))
            self._registered[name] = _prompt_labels(skill)

    def _prompt(self, skill: Skill) -> Prompt:
        name = skill.name
        lookup = self._lookup
        library = self._library

        async def render(ticket_id: str | None = None) -> list[Message]:
            try:
                current = library.get(name)
            except VigilError as exc:
                raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None
            dialogue: str | None = None
            if ticket_id and ticket_id.strip() and lookup is not None:
                try:
                    dialogue = await anyio.to_thread.run_sync(lookup, ticket_id.strip())
                except VigilError as exc:
                    raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None
            return [UserMessage(skill_prompt(current, ticket_id, dialogue))]

        title, description = _prompt_labels(skill)
        return Prompt(
            name=name,
            title=title,
            description=description,
            arguments=[
                PromptArgument(
                    name=TICKET_ARGUMENT,
                    description="A ticket id: its dialogue is added so the skill is applied to that case.",
                    required=False,
                )
            ],
            fn=render,
            context_kwarg=None,
        )


def _prompt_labels(skill: Skill) -> tuple[str | None, str | None]:
    unreviewed = "[draft, unreviewed] " if skill.status == "draft" else ""
    return skill.title, unreviewed + skill.front_matter.description


# ---- SEP-2640 --------------------------------------------------------------------------------
class SkillResourceEntry(BaseModel):
    """One file of a skill, with the digest hosts verify it against."""

    uri: str
    digest: str
    size: int


class SkillEntry(BaseModel):
    """A SEP-2640 skill entry: SKILL.md URI, front matter as written, complete file manifest."""

    uri: str
    frontmatter: dict[str, Any]
    resources: list[SkillResourceEntry]


class ListSkillsResult(PaginatedResult, CacheableResult):
    """skills/list result."""

    result_type: str = "complete"
    skills: list[SkillEntry]


class GetSkillParams(RequestParams):
    """skills/get params."""

    uri: str


class GetSkillResult(CacheableResult):
    """skills/get result."""

    result_type: str = "complete"
    skill: SkillEntry


def skill_entry(skill: Skill) -> SkillEntry:
    """A skill as a SEP-2640 entry."""
    return SkillEntry(
        uri=skill.uri,
        frontmatter=dict(skill.raw_front_matter),
        resources=[
            SkillResourceEntry(uri=skill_uri(skill.name, f.path), digest=f.digest, size=f.size) for f in skill.files
        ],
    )


class SkillsExtension(Extension):
    """The `io.modelcontextprotocol/skills` extension (SEP-2640) over the live library."""

    identifier = EXTENSION_ID

    def __init__(self, library: SkillLibrary) -> None:
        self._library = library

    def methods(self) -> list[MethodBinding]:
        """skills/list and skills/get."""
        return [
            MethodBinding("skills/list", PaginatedRequestParams, self._list),
            MethodBinding("skills/get", GetSkillParams, self._get),
        ]

    async def _list(self, ctx: ServerRequestContext[Any, Any], params: PaginatedRequestParams) -> HandlerResult:
        skills = self._library.served()
        start = 0
        if params.cursor:
            names = [s.name for s in skills]
            if params.cursor not in names:
                raise MCPError(code=INVALID_PARAMS, message="unknown cursor; list again from the start")
            start = names.index(params.cursor) + 1
        page = skills[start : start + PAGE_SIZE]
        more = start + PAGE_SIZE < len(skills)
        return ListSkillsResult(
            skills=[skill_entry(s) for s in page],
            next_cursor=page[-1].name if more and page else None,
            ttl_ms=0,  # hot-reloaded: always ask again; digests make re-fetching cheap to check
            cache_scope="public",
        )

    async def _get(self, ctx: ServerRequestContext[Any, Any], params: GetSkillParams) -> HandlerResult:
        uri = params.uri
        name = uri.removeprefix("skill://").removesuffix(f"/{SKILL_FILE}")
        unknown = MCPError(code=INVALID_PARAMS, message=f"{uri} is not a skill this server serves", data={"uri": uri})
        if not uri.startswith("skill://") or not uri.endswith(f"/{SKILL_FILE}"):
            raise unknown
        try:
            skill = self._library.get(name)
        except VigilError:
            raise unknown from None
        if not self._library.is_served(skill):  # retired, or a draft nobody reviewed
            raise unknown
        return GetSkillResult(skill=skill_entry(skill), ttl_ms=0, cache_scope="public")


# ---- registration ----------------------------------------------------------------------------
def register_skills(
    mcp: MCPServer[Any], app: App, background: Background, *, ticket_lookup: TicketLookup | None = None
) -> SkillPrompts:
    """Serve app.skills: prompts, tools, resources, SEP-2640, and reload them as the files change.

    Skill prompts fill in a ticket's dialogue from app.tickets, or from `ticket_lookup` when given.
    """
    library = app.skills
    tickets = app.tickets
    prompts = SkillPrompts(mcp, library, ticket_lookup or (lambda ticket_id: ticket_dialogue(tickets.get(ticket_id))))
    prompts.sync()
    _register_tools(mcp, library)
    _register_resources(mcp, library)
    # MCPServer takes extensions only at construction (build_server owns that); this is its own path.
    mcp._apply_extension(SkillsExtension(library))  # pyright: ignore[reportPrivateUsage]

    async def on_refresh(report: RefreshReport, local: bool = True) -> None:
        prompts.sync()
        touched = report.changed + report.removed
        if local and app.replicas is not None:  # the folder is shared: the other replicas reload these too
            await app.replicas.announce_skills(touched)
        try:
            await anyio.to_thread.run_sync(index_skills, app.knowledge, library, touched)
        except Exception:  # clients must still hear of the reload; the index catches up on the next one
            log.exception("skills reloaded, but knowledge lookup is not updated")
        await app.notifier.prompts_changed()
        await app.notifier.resources_changed()
        for name in touched:
            await app.notifier.resource_updated(skill_uri(name))

    async def keep_current() -> None:
        ready = anyio.Event()
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: watch_skills(library, on_refresh, ready=ready))
                await ready.wait()
                # Catch up with whatever changed between loading and watching.
                report = await reload_skills(library, None)
                if report.any_change:
                    await on_refresh(report)
                library.live.set()
        except Exception:  # the server keeps serving the skills it has
            log.exception("skills hot reload stopped; restart vigil to pick up skill changes")
        finally:
            library.live.clear()

    async def index_at_start() -> None:
        try:
            report = await anyio.to_thread.run_sync(index_library, app.knowledge, library)
            log.info("skills in knowledge lookup: %s", report.summary())
        except Exception:  # search still works, without skills
            log.exception("skills are not in knowledge lookup")

    async def follow_reviews() -> None:
        """A person's commit can make a draft reviewed without touching its file: follow the repository's HEAD."""
        head = await anyio.to_thread.run_sync(app.review.head)
        while True:
            await anyio.sleep(REVIEW_POLL_SECONDS)
            try:
                now = await anyio.to_thread.run_sync(app.review.head)
                if now != head:
                    head = now
                    await on_refresh(RefreshReport(changed=[s.name for s in library.list()]))
            except Exception:  # reviews are picked up at the next reload instead
                log.exception("following skill reviews in git failed")

    async def from_other_replica(names: list[str]) -> None:
        report = await reload_skills(library, set(names))
        if report.any_change:
            await on_refresh(report, local=False)

    if app.replicas is not None:
        app.replicas.skills_hooks.append(from_other_replica)
    background.add(keep_current)
    background.add(index_at_start)
    if app.review.repo is not None and not app.review.serve_drafts:
        background.add(follow_reviews)
    return prompts


def _register_tools(mcp: MCPServer[Any], library: SkillLibrary) -> None:
    @mcp.tool(name="list_skills", title="List skills", annotations=READ_ONLY)
    async def list_skills(  # pyright: ignore[reportUnusedFunction]
        status: Annotated[
            Literal["draft", "approved", "retired"] | None,
            Field(description="Only skills with this status (draft: for review). Omit for the skills served."),
        ] = None,
    ) -> SkillList:
        """List vigil's skills: written-down ways to handle a kind of on-call case (symptoms, diagnosis
        steps with the diagnostic tools, the answer to give).

        Each entry has the name, description, version and status. Unreviewed drafts are listed only
        with status=draft, marked reviewed=false, for review. Read one in full with get_skill.
        """
        invalid = [str(p) for p in library.problems() if p.severity == "error"]
        skills = library.served() if status is None else library.list(status)
        return SkillList(skills=[summary_of(s) for s in skills], invalid=invalid)

    @mcp.tool(name="get_skill", title="Get a skill", annotations=READ_ONLY)
    async def get_skill(  # pyright: ignore[reportUnusedFunction]
        name: Annotated[str, Field(description="The skill's name, such as tls-certificate-expiring.")],
    ) -> SkillDetail:
        """Return one skill in full: its body (when it applies, the diagnosis steps with the tools to call,
        the answer), version, status, metadata and files. A draft's note says it is unreviewed.
        """
        return call_service(lambda: detail_of(library.get(name), library.problems(name)))

    for tool in ("list_skills", "get_skill"):
        flatten_output_schema(mcp, tool)


def _register_resources(mcp: MCPServer[Any], library: SkillLibrary) -> None:
    @mcp.resource(
        "skill://{name}/{+path}",
        name="skill-file",
        title="Skill file",
        description="A file of a skill: skill://<name>/SKILL.md, or a supporting file such as references/x.md.",
        mime_type="text/markdown",
    )
    async def skill_file(name: str, path: str) -> str | bytes:  # pyright: ignore[reportUnusedFunction]
        """One file of a skill, as served now (SKILL.md is always its last valid version)."""
        try:
            if not library.is_served(library.get(name)):
                raise ResourceNotFoundError(f"skill {name!r} is an unreviewed draft; approve it to serve it")
            data = library.read_file(name, path)
        except VigilError as exc:
            raise ResourceNotFoundError(str(exc)) from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data

    async def list_skill_files(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        """Add each served skill's SKILL.md to resources/list (templates are not listed)."""
        result = await call_next(ctx)
        if ctx.method == "resources/list" and isinstance(result, dict) and isinstance(result.get("resources"), list):
            listed: list[Any] = result["resources"]
            listed.extend(
                ResourceEntry(
                    uri=skill.uri,
                    name=skill.name,
                    title=skill.title,
                    description=skill.front_matter.description,
                    mime_type="text/markdown",
                    size=skill.files[0].size,
                ).model_dump(by_alias=True, mode="json", exclude_none=True)
                for skill in library.served()
            )
        return result

    mcp.middleware.append(list_skill_files)


__all__ = ["EXTENSION_ID", "SkillPrompts", "SkillsExtension", "register_skills", "skill_entry"]
