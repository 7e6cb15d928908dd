"""Replay recorded dialogues (the format of shared/data/dialogues.jsonl) through the ticket service.

A dialogue's product is its `product` field, else its `source` (`stripe`, `ubuntu` in the shared
dialogues): its ticket is answered only from that product's knowledge and unscoped knowledge.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from vigil_mcp.errors import InputError, VigilError
from vigil_mcp.models import SkippedInput, Suggestion
from vigil_mcp.services.product import valid_product
from vigil_mcp.services.tickets import Incoming, TicketService

ROLE_MAP = {"customer": "customer", "agent": "analyst", "analyst": "analyst", "bot": "bot"}


@dataclass(frozen=True, slots=True)
class Dialogue:
    """One recorded conversation, ready to replay."""

    id: str
    seq: int
    turns: tuple[Incoming, ...]
    resolved: bool
    resolution_message_id: str | None  # the idx (as a message id) of the turn that resolved it
    resolution_text: str | None = None  # what the file says resolved it (for evaluation)


@dataclass(slots=True)
class ReplayReport:
    """What a replay did."""

    dialogues: int = 0
    messages: int = 0
    customer_questions: int = 0
    suggestions: int = 0
    resolved: int = 0
    seconds: float = 0.0
    skipped: list[SkippedInput] = field(default_factory=list[SkippedInput])

    def summary(self) -> str:
        """One line for humans."""
        rate = self.messages / self.seconds if self.seconds else 0.0
        return (
            f"{self.dialogues} dialogues, {self.messages} messages ({rate:,.0f}/s), {self.customer_questions} "
            f"customer questions, {self.suggestions} suggestions, {self.resolved} resolved, "
            f"{len(self.skipped)} skipped"
        )


def parse_dialogue(record: Any) -> Dialogue:
    """A dialogue from one decoded JSON line, or ValueError naming the bad field."""
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    rec = cast(dict[str, Any], record)
    did = rec.get("id")
    turns = rec.get("turns")
    if not isinstance(did, str) or not did:
        raise ValueError('no "id" string')
    if not isinstance(turns, list) or not turns:
        raise ValueError('no "turns" list')
    product = _product_of(rec)
    out: list[Incoming] = []
    for i, raw in enumerate(cast(list[Any], turns)):
        if not isinstance(raw, dict):
            raise ValueError(f"turn {i} is not an object")
        turn = cast(dict[str, Any], raw)
        role = ROLE_MAP.get(str(turn.get("role")))
        if role is None:
            raise ValueError(f"turn {i} has role {turn.get('role')!r}; expected customer, agent or bot")
        text, speaker = turn.get("text"), turn.get("speaker")
        if not isinstance(text, str) or not isinstance(speaker, str):
            raise ValueError(f'turn {i} needs "text" and "speaker" strings')
        ts = datetime.fromisoformat(turn["time"]) if isinstance(turn.get("time"), str) else None
        idx = turn.get("idx", i)
        if not text.strip():
            continue
        out.append(Incoming(did, role, speaker or "unknown", text, ts, str(idx), product))
    if not out:
        raise ValueError("every turn is empty")
    resolution = rec.get("resolution")
    res_id: str | None = None
    res_text: str | None = None
    if isinstance(resolution, dict):
        text_value = cast(dict[str, Any], resolution).get("text")
        res_text = text_value if isinstance(text_value, str) else None
        turn_no = cast(dict[str, Any], resolution).get("turn")
        if isinstance(turn_no, int) and 0 <= turn_no < len(cast(list[Any], turns)):
            res_turn = cast(list[Any], turns)[turn_no]
            if isinstance(res_turn, dict):
                res_id = str(cast(dict[str, Any], res_turn).get("idx", turn_no))
    seq = rec.get("seq")
    return Dialogue(did, seq if isinstance(seq, int) else 0, tuple(out), bool(rec.get("resolved")), res_id, res_text)


def _product_of(rec: dict[str, Any]) -> str | None:
    """The dialogue's product: its `product` field, else its `source`; ValueError for a bad name."""
    field_name = "product" if rec.get("product") is not None else "source"
    value = rec.get(field_name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f'"{field_name}" is not a string')
    try:
        return valid_product(value)
    except InputError as exc:
        raise ValueError(f'"{field_name}": {exc}') from None


def read_dialogues(path: Path, skipped: list[SkippedInput]) -> list[Dialogue]:
    """Every parseable dialogue in a JSONL file, in `seq` order; bad lines go to `skipped`."""
    dialogues: list[Dialogue] = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                dialogues.append(parse_dialogue(json.loads(line)))
            except (json.JSONDecodeError, ValueError, TypeError) as exc:
                skipped.append(SkippedInput(path=str(path), line=lineno, reason=str(exc)[:200]))
    dialogues.sort(key=lambda d: d.seq)
    return dialogues


@dataclass(frozen=True, slots=True)
class ReplayedSuggestion:
    """A suggestion with the dialogue turn that triggered it."""

    dialogue_id: str
    message_idx: str
    suggestion: Suggestion

    def to_json(self) -> str:
        """The `--out` line format."""
        idx: int | str = int(self.message_idx) if self.message_idx.isdigit() else self.message_idx
        return json.dumps(
            {
                "dialogue_id": self.dialogue_id,
                "message_idx": idx,
                "text": self.suggestion.text,
                "confidence": self.suggestion.confidence,
                "citations": self.suggestion.citations + self.suggestion.skills,
            },
            ensure_ascii=False,
        )


def replay(
    tickets: TicketService,
    dialogues: Iterable[Dialogue],
    *,
    learn: bool = False,
    on_suggestion: Callable[[ReplayedSuggestion], None] | None = None,
    on_dialogue: Callable[[int], None] | None = None,
    report: ReplayReport | None = None,
    learn_now: Callable[[], object] = lambda: None,
) -> ReplayReport:
    """Replay dialogues in order; with `learn`, resolve each one the file marks resolved right after it.

    Each resolution is stored with its dialogue and its learning job before `learn_now` (the worker's
    drain) learns from it, so a replay learns only from what it has replayed, even if it is killed.
    """
    import time

    report = report or ReplayReport()
    started = time.perf_counter()
    with tickets.batch():
        _replay(tickets, dialogues, learn, on_suggestion, on_dialogue, report, learn_now)
    report.seconds += time.perf_counter() - started
    return report


def _replay(
    tickets: TicketService,
    dialogues: Iterable[Dialogue],
    learn: bool,
    on_suggestion: Callable[[ReplayedSuggestion], None] | None,
    on_dialogue: Callable[[int], None] | None,
    report: ReplayReport,
    learn_now: Callable[[], object],
) -> None:
    for n, dialogue in enumerate(dialogues, start=1):
        try:
            _, steps = tickets.observe_dialogue(dialogue.turns)
        except VigilError as exc:
            report.skipped.append(SkippedInput(path=dialogue.id, reason=str(exc)))
            continue
        report.dialogues += 1
        report.messages += len(steps)
        for message, decision, suggestion in steps:
            if message.role == "customer" and message.kind == "question":
                report.customer_questions += 1
            del decision
            if suggestion is not None:
                report.suggestions += 1
                if on_suggestion is not None:
                    on_suggestion(ReplayedSuggestion(dialogue.id, message.message_id or str(message.seq), suggestion))
        if learn and dialogue.resolved:
            try:
                tickets.resolve(dialogue.id, None, trigger="replay")
                tickets.flush()
                report.resolved += 1
                learn_now()
            except VigilError as exc:
                report.skipped.append(SkippedInput(path=dialogue.id, reason=f"not resolved: {exc}"))
        if on_dialogue is not None:
            on_dialogue(n)


def iter_lines(items: Iterable[ReplayedSuggestion]) -> Iterator[str]:
    """JSONL lines for `--out`."""
    for item in items:
        yield item.to_json()
