"""The services one running vigil holds, built from settings in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vigil_mcp.config import Settings
from vigil_mcp.errors import InputError
from vigil_mcp.names import OWN_TOOLS, current_patterns
from vigil_mcp.notify import Notifier
from vigil_mcp.services.answer.engine.base import Engine
from vigil_mcp.services.answer.engine.offline import OfflineEngine
from vigil_mcp.services.answer.feedback import RETIRE_AFTER, FeedbackBook
from vigil_mcp.services.answer.judge import JudgeModels, load_models
from vigil_mcp.services.answer.pipeline import AnswerService
from vigil_mcp.services.gitcmd import skills_repository
from vigil_mcp.services.knowledge.embed import load_embedder
from vigil_mcp.services.knowledge.service import KnowledgeService
from vigil_mcp.services.learn.learner import Learner, build_learner
from vigil_mcp.services.learn.lessons import LessonBook
from vigil_mcp.services.learn.worker import LearningWorker
from vigil_mcp.services.metrics import Metrics
from vigil_mcp.services.skills import SkillLibrary
from vigil_mcp.services.skills.review import Review, author_email
from vigil_mcp.services.tickets import TicketService
from vigil_mcp.services.tools import EgressPolicy, ToolRegistry, ToolSelection
from vigil_mcp.storage import TicketStore, open_store
from vigil_mcp.storage.base import KnowledgeStore

if TYPE_CHECKING:
    from vigil_mcp.replicas import ReplicaSync


@dataclass(slots=True)
class App:
    """Settings plus the live services; `close()` releases the store."""

    settings: Settings
    knowledge: KnowledgeService
    notifier: Notifier
    tools: ToolRegistry
    skills: SkillLibrary
    tickets: TicketService
    learner: Learner
    worker: LearningWorker
    review: Review
    metrics: Metrics = field(default_factory=Metrics)
    sweep_seconds: float = 30.0  # how often the server looks for confirmations that waited out the quiet period
    replicas: ReplicaSync | None = None  # set when the store is shared with other replicas (PostgreSQL)

    @property
    def lessons(self) -> LessonBook:
        """The lessons and their lifecycle (retire, restore, revise)."""
        return self.learner.lessons

    def close(self) -> None:
        """Stop background work, then release the store."""
        self.knowledge.close()
        self.knowledge.store.close()


def build_tools(settings: Settings, environ: Mapping[str, str] | None = None) -> ToolRegistry:
    """The diagnostic tool registry: the user's tools_dir over the built-in tools, loaded and checked.

    `environ` (default: this process's) only feeds header values that TOML tool specs read from
    named environment variables, so their secrets stay out of the files.
    """
    registry = ToolRegistry(
        [settings.tools_dir, *([settings.builtin_tools_dir] if settings.builtin_tools_dir else [])],
        egress=EgressPolicy(allow=settings.egress_allow, deny=settings.egress_deny),
        selection=ToolSelection(
            current_patterns(settings.tools),
            current_patterns(settings.exclude_tools),
            settings.enable_write_tools,
            settings.read_only,
        ),
        prometheus_url=settings.prometheus_url,
        environ=dict(os.environ if environ is None else environ),
        timeout=settings.tool_timeout,
        output_chars=settings.tool_output_chars,
    )
    registry.load()
    names = [*OWN_TOOLS, *(tool.name for tool in registry.list())]
    unknown = registry.selection.unknown_patterns(names)
    if unknown:
        raise InputError(f"{'; '.join(unknown)} (tools: {', '.join(sorted(names))}); fix the name or the pattern")
    return registry


def build_skills(settings: Settings) -> SkillLibrary:
    """The skill library: the user's skills_dir over the starter skills vigil ships (not loaded yet)."""
    return SkillLibrary(settings.skills_dir, base=settings.builtin_skills_dir)


def build_engine(settings: Settings) -> Engine:
    """The drafting engine the settings ask for; the Anthropic one falls back to the offline one."""
    offline = OfflineEngine()
    if settings.engine != "anthropic":
        return offline
    if not settings.anthropic_api_key:
        raise InputError("engine anthropic needs ANTHROPIC_API_KEY in the environment (or use --engine offline)")
    from vigil_mcp.services.answer.engine.anthropic import AnthropicEngine

    return AnthropicEngine(
        api_key=settings.anthropic_api_key,
        model=settings.anthropic_model,
        timeout=settings.llm_timeout,
        fallback=offline,
    )


def load_judge(settings: Settings) -> JudgeModels:
    """The fitted judge, with the operator's threshold when one is set."""
    models = load_models()
    return models if settings.suggest_threshold is None else models.with_threshold(settings.suggest_threshold)


def load_feedback(store: TicketStore) -> FeedbackBook:
    """Analysts' stored verdicts, replayed into the answer path's priors."""
    book = FeedbackBook()
    history = store.feedback_history()
    questions: dict[tuple[str, int], str] = {}
    for suggestion, _ in history:
        key = (suggestion.ticket_id, suggestion.message_seq)
        if key not in questions:
            messages = store.ticket_messages(suggestion.ticket_id)
            questions.update({(m.ticket_id, m.seq): m.text for m in messages})
    book.load([(s, f, questions.get((s.ticket_id, s.message_seq), "")) for s, f in history])
    return book


def build_app(settings: Settings) -> App:
    """Check the tools and skills, then open the store and create the services."""
    engine = build_engine(settings)
    tools = build_tools(settings)  # a bad --tools name stops here, before any store is opened
    skills = build_skills(settings)
    review = Review(
        skills_repository(settings.skills_dir, settings.home, settings.skills_repo),
        settings.skills_dir,
        vigil_email=author_email(settings.skills_git_author),
        serve_drafts=settings.serve_draft_skills,
    )
    skills.review = review.served
    skills.load()
    store = open_store(settings.store_location())
    knowledge = KnowledgeService(
        store, lambda: load_embedder(settings.embedding_model, settings.embedding_model_sha256)[0]
    )
    metrics = Metrics()
    knowledge.on_search = metrics.observe_search
    answers = AnswerService(knowledge, engine, judge=load_judge(settings), feedback=load_feedback(store))
    tickets = TicketService(store, answers, quiet_minutes=settings.resolution_quiet_minutes)
    learner = build_learner(
        settings, knowledge, skills, store, lambda: [tool.name for tool in tools.served()], flag=tickets.flag
    )
    lessons = learner.lessons
    answers.on_retire = lambda item: lessons.retire(
        item, by="vigil", reason=f"analysts rejected drafts from it {RETIRE_AFTER} times"
    )
    answers.on_revise = lambda item, text, suggestion: lessons.revise(
        item, text, by="analyst", suggestion_id=suggestion, note="the answer an analyst sent instead of the draft"
    )
    worker = LearningWorker(store, store, learner)
    worker.read = tickets.get  # stored tickets, from the ticket service's cache when it has them
    tickets.diagnostics = store.record_diagnostic
    tickets.on_queued.append(lambda _job: worker.wake.set())
    notifier, replicas = _notifications(store, knowledge)
    if replicas is not None:
        follow_feedback(replicas, tickets, answers)
    return App(
        settings=settings,
        knowledge=knowledge,
        notifier=notifier,
        replicas=replicas,
        tools=tools,
        skills=skills,
        tickets=tickets,
        learner=learner,
        worker=worker,
        review=review,
        metrics=metrics,
    )


def _notifications(store: KnowledgeStore, knowledge: KnowledgeService) -> tuple[Notifier, ReplicaSync | None]:
    """A notifier for this process alone, or, on a shared store, one whose bus reaches the other replicas."""
    if not store.shared:
        return Notifier(), None
    from vigil_mcp.replicas import PostgresBus, ReplicaSync
    from vigil_mcp.storage.postgres import PostgresStore

    assert isinstance(store, PostgresStore)
    bus = PostgresBus(store)
    notifier = Notifier(bus)
    bus.remote_hooks.append(notifier.to_legacy)
    return notifier, ReplicaSync(store, knowledge, bus)


def follow_feedback(replicas: ReplicaSync, tickets: TicketService, answers: AnswerService) -> None:
    """Verdicts cross replicas: announced where stored, folded in elsewhere, all reread after a lost connection."""
    tickets.on_feedback.append(lambda suggestion: replicas.announce_feedback(suggestion.id))
    replicas.feedback_hooks.append(tickets.feedback_given_elsewhere)

    def reread() -> None:
        answers.feedback = load_feedback(tickets.store)

    replicas.connect_hooks.append(reread)
