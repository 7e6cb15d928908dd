"""Which judge-labelled questions are held back: the one split eval/judge_pool.py and eval/fit_judge.py share."""

from __future__ import annotations

import hashlib

DOCQ = "docq"  # dialogue ids `docq/<id>`: questions written from the docs (eval/labels/docq/)


def held_back(dialogue_id: str) -> bool:
    """Whether a dialogue's questions are in the held-back part (30 %), by a hash of its id.

    The docq questions pooled are the docq fit half only, and they are always fitted on: the docq
    held half is never labelled for the judge, so it stays a measurement of its own, and the
    held-back part (where the threshold is chosen) stays the IRC and on-call one.
    """
    if dialogue_id.split("/", 1)[0] == DOCQ:
        return False
    return int(hashlib.sha1(f"judge:{dialogue_id}".encode()).hexdigest()[:8], 16) % 10 < 3
