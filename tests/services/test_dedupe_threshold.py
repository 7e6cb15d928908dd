"""Dedupe's thresholds are what the committed labels give, and they decide repeats as measured."""

from __future__ import annotations

import json
from pathlib import Path

from tests.eval_scripts import eval_script
from vigil_mcp.services.similarity import (
    ADDS_LITTLE,
    SAME_MEANING,
    SAME_WORDS,
    Sameness,
    adds,
    adds_nothing,
    without_citation,
)

REPO = Path(__file__).resolve().parents[2]
LABELS = REPO / "eval" / "labels" / "dedupe"


def _fit_dedupe():  # the fitting script is not part of the package
    return eval_script("fit_dedupe")


def test_the_shipped_dedupe_thresholds_are_what_a_refit_on_the_committed_labels_gives() -> None:
    fitted = _fit_dedupe().fit_all()
    assert fitted["cosine"] == SAME_MEANING
    assert fitted["token_f1"] == SAME_WORDS


def test_the_labels_cover_the_cosine_range_and_both_verdicts_in_both_parts() -> None:
    for part in ("fit", "heldout"):
        rows = [json.loads(line) for line in (LABELS / f"{part}.jsonl").read_text(encoding="utf-8").splitlines()]
        assert {r["label"] for r in rows} == {"same", "new"}
        cosines = [r["cosine"] for r in rows]
        assert min(cosines) < 0.3 and max(cosines) > 0.95
        assert sum(0.5 <= c < 0.95 for c in cosines) > len(rows) / 2
    fit_tickets = {json.loads(line)["dialogue_id"] for line in (LABELS / "fit.jsonl").open(encoding="utf-8")}
    held_tickets = {json.loads(line)["dialogue_id"] for line in (LABELS / "heldout.jsonl").open(encoding="utf-8")}
    assert not fit_tickets & held_tickets


def test_the_fitted_cosine_is_precise_on_the_held_back_pairs() -> None:
    fit_dedupe = _fit_dedupe()
    held = fit_dedupe.load(LABELS / "heldout.jsonl")
    precision, recall, _ = fit_dedupe.scores(held, "cosine", SAME_MEANING)
    assert precision >= 0.8 and recall >= 0.4


def test_without_a_model_a_draft_repeating_an_analyst_in_other_order_is_held_back_and_a_new_step_is_not() -> None:
    same = Sameness(None)
    analyst = "open /boot/grub/menu.lst and change the default line to the Windows stanza number"
    assert same.repeats("change the default line in /boot/grub/menu.lst to the Windows stanza number", [analyst])
    assert not same.repeats("run update-grub after editing /etc/default/grub", [analyst])
    assert not same.repeats("anything at all", ["", "   "])


def test_a_draft_is_compared_without_its_citation_line() -> None:
    draft = "Run `dpkg --list`.\n\nSource: Debian FAQ › 8.3 (pkgtools.en.html#whatpackages)"
    assert without_citation(draft) == "Run `dpkg --list`."


def test_a_draft_made_of_the_customers_own_words_adds_nothing() -> None:
    question = (
        "I need a help with Payment Intent API and Stripe Connect platform. I am getting error: No such "
        "payment_method: pm_1FFEbaJN7FA8ESa8zhM9wm4L, when I am trying to create payment intent object on server side"
    )
    restated = "`payment_method` on the `payment_intent` object: ID of the payment method used in this PaymentIntent."
    assert adds(restated, question) < ADDS_LITTLE and adds_nothing(restated, question)
    useful = (
        "A PaymentMethod created on the platform must be cloned to the connected account before a "
        "PaymentIntent on that account can use it."
    )
    assert not adds_nothing(useful, question)
    assert adds("", question) == 0.0
    command = "To use it, attach it first:\n```\nstripe payment_methods attach pm_1FFEbaJN7FA8ESa8zhM9wm4L\n```"
    assert not adds_nothing(command, question)  # a command to run adds something, in whatever words


def test_the_shipped_adds_little_threshold_is_what_a_refit_on_the_labelled_drafts_gives() -> None:
    fit_novelty = eval_script("fit_novelty")
    rows = fit_novelty.fit_rows()
    assert len(rows) >= 140 and fit_novelty.fit(rows) == ADDS_LITTLE
    assert all(label == "wrong" for m, label, _ in rows if m < ADDS_LITTLE)  # nothing a reader found useful
    assert all(m >= ADDS_LITTLE for m, _, _ in fit_novelty.held_rows())  # no docq draft read blind is held back
