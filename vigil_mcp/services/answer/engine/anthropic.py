"""The Anthropic engine: Claude judges the retrieved evidence and drafts the answer.

The model answers through a forced `submit_draft` tool call, so its verdict is structured. What it
returns is checked as if it were hostile (it read customer text): citations must name evidence that
was sent, sentences that ask the customer for something are dropped, secrets are masked, length is
bounded, and a call to any other tool voids the response. Any failure (timeout, HTTP error, rate
limit, malformed or hostile response) falls back to the offline engine, never to an exception.

It sees the candidates of a lower, recall-oriented gate than the offline engine (the judge's
`llm_gate`), so it can find answers the offline composer would miss; its own confidence must still
clear the judge's suggestion threshold (`DraftRequest.threshold`), so a draft never goes out on a
weaker verdict than an offline one would. The offline fallback keeps the offline rule.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from collections.abc import Sequence
from typing import cast

import anthropic
import httpx2
from anthropic.types import Message, ToolUseBlock
from pydantic import BaseModel, ConfigDict, ValidationError

from vigil_mcp.services.answer.engine.base import Draft, DraftRequest, Engine, Evidence
from vigil_mcp.services.answer.engine.prompts import (
    MAX_CONTEXT_TURNS,
    MAX_EVIDENCE_ITEMS,
    SUBMIT_DRAFT,
    SUBMIT_DRAFT_TOOL,
    new_nonce,
    system_prompt,
    user_message,
)
from vigil_mcp.services.redact import contains_secret, redact

logger = logging.getLogger(__name__)

MAX_ANSWER_CHARS = 1200
# A suggestion that arrives after the analyst has typed is useless, and the offline engine answers
# at once: no SDK retries (they would also honour a 429's retry-after for up to a minute).
_MAX_RETRIES = 0

# A sentence that asks the customer for something; a draft must never do that.
_ASKS_CUSTOMER = re.compile(
    r"\?\s*$"
    r"|\b(?:please|pls|kindly)\s+(?:send|share|paste|provide|post|attach|upload|tell|give|confirm|let)\b"
    r"|\b(?:can|could|would|will)\s+you\b"
    r"|\blet\s+(?:me|us)\s+know\b"
    r"|\b(?:send|give|tell|show)\s+(?:me|us)\b"
    r"|\bshare\s+(?:\S+\s+){0,4}with\s+(?:me|us)\b"
    r"|\bwhat\s+(?:is|are|was|were)\s+your\b"
    r"|\b(?:I|we)\s+(?:will\s+|would\s+)?need\s+(?:your|you\s+to|to\s+see|more)\b",
    re.IGNORECASE,
)
_LIST_MARK = re.compile(r"^(\s*(?:[-*•]|\d{1,2}[.)])\s+)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


class _Submission(BaseModel):
    """The `submit_draft` input, checked strictly: a wrong type voids the response."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    answerable: bool
    answer: str = ""
    citations: list[str] = []
    confidence: float = 0.0
    reason: str = ""


class AnthropicEngine:
    """Drafts with Claude over the retrieved evidence; falls back to another engine on any failure.

    `http_client` must be an `httpx2.Client`: the installed `anthropic` SDK (2.x) is built on httpx2
    and refuses `httpx` clients. Tests pass one with an `httpx2.MockTransport`.
    """

    name = "anthropic"
    recall_oriented = True  # the pipeline hands it candidates from the judge's lower llm_gate

    def __init__(
        self,
        api_key: str,
        model: str = "claude-sonnet-5",
        timeout: float = 20.0,
        fallback: Engine | None = None,
        http_client: httpx2.Client | None = None,
        max_tokens: int = 800,
    ) -> None:
        self.model = model
        self.timeout = timeout
        self.fallback = fallback
        self.max_tokens = max_tokens
        self._client = anthropic.Anthropic(
            api_key=api_key, http_client=http_client, timeout=timeout, max_retries=_MAX_RETRIES
        )

    def draft(self, request: DraftRequest) -> Draft:
        """Ask Claude for a verdict on the evidence, check it, and fall back on any failure."""
        try:
            return self._draft(request)
        except Exception:  # the Engine contract: never raise; a bug here must not silence the offline engine
            logger.exception("anthropic engine failed unexpectedly")
            return self._fall_back(request, "unexpected error in the anthropic engine")

    def _draft(self, request: DraftRequest) -> Draft:
        # The question is redacted by the caller and the evidence at ingestion, the dialogue is not;
        # redaction is idempotent, so everything is masked once more on its way out.
        question = redact(request.question).text
        if question != request.question:
            request = dataclasses.replace(request, question=question)
        shown = list(request.evidence[:MAX_EVIDENCE_ITEMS])
        context = [redact(turn).text for turn in request.context[-MAX_CONTEXT_TURNS:]]
        evidence = [(item, _without_secrets(item.text)) for item in shown]
        nonce = new_nonce(
            [question, *context, *request.previous_suggestions]
            + [f"{item.id} {item.kind} {item.title} {item.section} {text}" for item, text in evidence]
        )
        content = user_message(request, nonce, context=context, evidence=evidence)
        try:
            # Typed as object: for a body it cannot parse, the SDK hands back the raw JSON instead.
            message = cast(
                object,
                self._client.messages.create(
                    model=self.model,
                    max_tokens=self.max_tokens,
                    system=system_prompt(nonce),
                    messages=[{"role": "user", "content": content}],
                    tools=[SUBMIT_DRAFT_TOOL],
                    tool_choice={"type": "tool", "name": SUBMIT_DRAFT, "disable_parallel_tool_use": True},
                ),
            )
        except anthropic.APITimeoutError:
            return self._fall_back(request, f"timed out after {self.timeout:g}s")
        except anthropic.RateLimitError:
            return self._fall_back(request, "rate limited (HTTP 429)")
        except anthropic.APIStatusError as exc:
            return self._fall_back(request, f"HTTP {exc.status_code} from the Anthropic API")
        except anthropic.APIConnectionError:
            return self._fall_back(request, "cannot reach the Anthropic API")
        except Exception as exc:  # whatever else the SDK raises on a body it cannot decode
            logger.warning("malformed Anthropic response", exc_info=True)
            return self._fall_back(request, f"malformed response from the Anthropic API ({type(exc).__name__})")
        if not isinstance(message, Message):
            return self._fall_back(request, "malformed response from the Anthropic API (not a message)")
        submission = _submission(message)
        if isinstance(submission, str):
            return self._fall_back(request, submission)
        return self._check(request, submission, shown)

    def _check(self, request: DraftRequest, submission: _Submission, shown: Sequence[Evidence]) -> Draft:
        notes: list[str] = []
        confidence = _unit(submission.confidence)
        reason = _without_secrets(" ".join(submission.reason[:2000].split()))[:200]

        def silent(why: str) -> Draft:
            return Draft(answerable=False, confidence=confidence, engine=self.name, reason=why, notes=tuple(notes))

        known = {item.id for item in shown}
        citations = tuple(dict.fromkeys(c for c in submission.citations if c in known))
        dropped = [c for c in submission.citations if c not in known]
        if dropped:
            notes.append("dropped citations not in the evidence: " + ", ".join(repr(c[:60]) for c in dropped[:5]))
        if not submission.answerable:
            return silent(reason or "the model found no answer in the evidence")
        if not citations:
            return silent("the answer cites nothing from the evidence")
        if confidence < request.threshold:
            return silent(f"model confidence {confidence:.2f} below threshold {request.threshold:.2f}")

        text = submission.answer[: MAX_ANSWER_CHARS * 4].strip()
        kept, dropped_requests = _without_requests(text)
        if dropped_requests:
            notes.append("dropped sentences that asked the customer for information")
        if contains_secret(kept):
            kept = redact(kept).text
            notes.append("redacted a secret from the answer")
        kept = _bounded(kept, MAX_ANSWER_CHARS)
        if not kept:
            return silent("the answer only asked the customer for information")
        if _normalized(kept) in {_normalized(p) for p in request.previous_suggestions}:
            return silent("the answer repeats an earlier suggestion")
        return Draft(
            answerable=True,
            text=kept,
            citations=citations,
            confidence=confidence,
            engine=self.name,
            reason=reason or "answered from " + ", ".join(citations),
            notes=tuple(notes),
        )

    def _fall_back(self, request: DraftRequest, why: str) -> Draft:
        logger.warning("anthropic engine: %s", why)
        if self.fallback is None:
            return Draft(answerable=False, engine=self.name, reason=f"no draft: {why}", notes=(why,))
        try:
            drafted = self.fallback.draft(request)
        except Exception:  # the fallback must not turn an API failure into an exception either
            logger.exception("fallback engine %s failed", self.fallback.name)
            return Draft(answerable=False, engine=self.name, reason=f"no draft: {why}; the fallback failed too")
        return dataclasses.replace(drafted, notes=(*drafted.notes, f"fell back to {self.fallback.name}: {why}"))


def _submission(message: Message) -> _Submission | str:
    """The one `submit_draft` input in `message`, or why there is none."""
    blocks = cast(object, message.content)  # not validated by the SDK: may be anything the body held
    if not isinstance(blocks, list):
        return "malformed response from the Anthropic API (content is not a list)"
    calls = [block for block in cast(list[object], blocks) if isinstance(block, ToolUseBlock)]
    foreign = [str(call.name)[:60] for call in calls if call.name != SUBMIT_DRAFT]
    if foreign:
        # Forced tool choice allows only submit_draft; anything else means the data steered the model.
        return f"ignored a call to unexpected tool {foreign[0]!r}"
    if message.stop_reason == "max_tokens":
        return "the response was cut off at max_tokens"
    if len(calls) != 1:
        return "no submit_draft call in the response" if not calls else "more than one submit_draft call"
    try:
        return _Submission.model_validate(calls[0].input)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "input"
        return f"invalid submit_draft input ({where}: {first['msg']})"


def _unit(value: float) -> float:
    return min(max(value, 0.0), 1.0) if math.isfinite(value) else 0.0


def _without_secrets(text: str) -> str:
    # Evidence and model text keep e-mail and IP addresses (a runbook may need them), never a credential.
    return redact(text).text if contains_secret(text) else text


def _without_requests(text: str) -> tuple[str, int]:
    """Drop the sentences that ask the customer for something, keeping lines and list markers; count them."""
    lines: list[str] = []
    dropped = 0
    for line in text.splitlines():
        mark = _LIST_MARK.match(line)
        prefix = mark.group(1) if mark else ""
        sentences = [s for s in _SENTENCE_END.split(line[len(prefix) :]) if s.strip()]
        kept = [s for s in sentences if not _ASKS_CUSTOMER.search(s)]
        dropped += len(sentences) - len(kept)
        if kept:
            lines.append(prefix + " ".join(kept))
        elif not sentences:
            lines.append("")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip(), dropped


def _bounded(text: str, limit: int) -> str:
    """Cut at a line, sentence or word boundary under `limit` characters."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 2]
    stop = max(cut.rfind("\n"), cut.rfind(". "))
    if stop > limit // 2:
        return cut[: stop + 1].rstrip()
    space = cut.rfind(" ")
    return (cut[:space] if space > 0 else cut).rstrip() + " …"


def _normalized(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())
