"""The follow-up rule (`pipeline.ENGAGED_AFTER`) is what the committed labels give, and it helps held back."""

from __future__ import annotations

from tests.eval_scripts import eval_script
from vigil_mcp.services.answer import pipeline


def test_the_shipped_follow_up_rule_is_what_a_refit_on_the_committed_labels_gives() -> None:
    fit_engaged = eval_script("fit_engaged")
    rows = fit_engaged.load()
    fit, held = fit_engaged.parts(rows)
    assert len(fit) >= 100 and len(held) >= 30
    assert fit_engaged.fit(fit) == pipeline.ENGAGED_AFTER


def test_on_the_held_back_drafts_the_rule_drops_wrong_ones_and_keeps_the_helpful() -> None:
    fit_engaged = eval_script("fit_engaged")
    held = fit_engaged.parts(fit_engaged.load())[1]
    before, after = fit_engaged.shares(held), fit_engaged.shares(fit_engaged.kept(held, pipeline.ENGAGED_AFTER))
    assert after["helpful_share"] > before["helpful_share"] and after["wrong_share"] < before["wrong_share"]
    assert after["helpful"] >= before["helpful"] - 1
