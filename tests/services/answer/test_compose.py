"""The offline engine's reply from an API field passage: a sentence naming the field, never the raw list line."""

from __future__ import annotations

import pytest

from vigil_mcp.services.answer.compose import compose
from vigil_mcp.services.answer.engine.base import Evidence


def field(text: str, section: str = "Objects > discount") -> Evidence:
    return Evidence(
        id="kb-1", kind="doc", title="Stripe API", section=section, text=text, score=0.5, form="field",
        source="openapi.json#/components/schemas/discount",
    )  # fmt: skip


@pytest.mark.parametrize(
    "notes",
    ["integer (unix-time), nullable", "string", "array of card (expandable), nullable"],
)
def test_a_field_reads_as_a_sentence_whatever_its_type_notes_hold(notes: str) -> None:
    text = f"- `end` ({notes}): If the coupon has a duration of `repeating`, the date that this discount will end."
    reply = compose(field(text))
    assert reply.startswith("`end` on the `discount` object: If the coupon has a duration of `repeating`")
    assert not reply.startswith("- ") and notes not in reply
    assert reply.endswith("Source: Stripe API › Objects > discount (openapi.json#/components/schemas/discount)")


def test_an_operation_parameter_names_its_operation() -> None:
    text = "- `status` (string): Only return payouts that have the given status: `pending`, `paid`, `failed`."
    reply = compose(field(text, "Operations > GET /v1/payouts"))
    assert reply.startswith("`GET /v1/payouts` takes `status`: Only return payouts")
