"""What analysts' verdicts teach the answer path: per-item priors, and drafts not to offer again.

Each knowledge item vigil cites builds a record of how analysts judged drafts from it. The judge's
probability for a candidate is treated as a prior worth PRIOR_WEIGHT verdicts and updated with the
item's record (a Beta-Binomial posterior mean): one rejection of a draft the judge gave 0.75 brings
it to 0.5; an adoption raises it. Within a ticket, an item rejected for a question is not offered
again for that question. A learned Q&A rejected RETIRE_AFTER times is retired (its lesson leaves the
index) until an analyst restores it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from vigil_mcp.models import Feedback, Suggestion

# How many analyst verdicts the judge's probability is worth. Two: a single verdict moves the
# probability half-way to it, and two agreeing verdicts outweigh the judge.
PRIOR_WEIGHT = 2.0
RETIRE_AFTER = 2


@dataclass(slots=True)
class Record:
    """How analysts judged drafts that cited one item."""

    adopted: int = 0
    edited: int = 0
    rejected: int = 0

    @property
    def successes(self) -> int:
        """Drafts an analyst sent (as is or edited)."""
        return self.adopted + self.edited

    @property
    def total(self) -> int:
        """Every verdict."""
        return self.adopted + self.edited + self.rejected


@dataclass(frozen=True, slots=True)
class Rejection:
    """An item rejected in a ticket, for the question it was offered on."""

    item_id: str
    question: str


@dataclass(slots=True)
class FeedbackBook:
    """Verdicts by item and rejections by ticket, kept in memory and fed from the store at start."""

    by_item: dict[str, Record] = field(default_factory=dict[str, Record])
    rejected_in: dict[str, list[Rejection]] = field(default_factory=dict[str, list[Rejection]])
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, suggestion: Suggestion, feedback: Feedback, question: str) -> Record | None:
        """Fold one verdict in; returns the cited learned item's record when it was a rejection."""
        with self._lock:
            touched: Record | None = None
            for item in suggestion.citations:
                rec = self.by_item.setdefault(item, Record())
                if feedback.verdict == "adopted":
                    rec.adopted += 1
                elif feedback.verdict == "edited":
                    rec.edited += 1
                else:
                    rec.rejected += 1
                    self.rejected_in.setdefault(suggestion.ticket_id, []).append(Rejection(item, question))
                    touched = rec
            return touched

    def prior(self, item_id: str) -> Record:
        """The verdicts on drafts from this item (empty when none)."""
        return self.by_item.get(item_id, Record())

    def posterior(self, probability: float, item_id: str) -> float:
        """The judge's probability updated with the item's verdicts."""
        rec = self.by_item.get(item_id)
        if rec is None or rec.total == 0:
            return probability
        return (probability * PRIOR_WEIGHT + rec.successes) / (PRIOR_WEIGHT + rec.total)

    def rejected_for(self, ticket_id: str, question: str, same: Callable[[str, str], bool]) -> set[str]:
        """Items rejected in this ticket for a question `same` says is this one."""
        with self._lock:
            return {r.item_id for r in self.rejected_in.get(ticket_id, []) if same(r.question, question)}

    def load(self, history: Sequence[tuple[Suggestion, Feedback, str]]) -> None:
        """Replay stored verdicts (suggestion, feedback, the question it answered), oldest first."""
        for suggestion, feedback, question in history:
            self.record(suggestion, feedback, question)
