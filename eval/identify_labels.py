"""The labelled customer turns of the identify stage: where they live and how they are split.

`eval/labels/identify/{fit,held}.jsonl`; see GUIDE.md there. A dialogue goes wholly to one part,
chosen by a hash of its id, so the held-back part shares no ticket with the fit part.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

LABELS = Path(__file__).resolve().parent / "labels" / "identify"
Part = Literal["fit", "held"]
FIT_SHARE = 70  # percent


def part_of(dialogue_id: str) -> Part:
    """Which part a dialogue's turns belong to: ~70 % fit, ~30 % held back, by hash of the id."""
    digest = hashlib.sha256(dialogue_id.encode("utf-8")).hexdigest()
    return "fit" if int(digest[:8], 16) % 100 < FIT_SHARE else "held"


def load(part: Part, labels: Path = LABELS) -> list[dict[str, Any]]:
    """The labelled rows of one part."""
    with (labels / f"{part}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
