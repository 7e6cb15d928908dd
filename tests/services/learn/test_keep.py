"""The lesson keep model: fitted on the committed labels, and what it says about a lesson's fix."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest

from tests.eval_scripts import eval_script
from vigil_mcp.models import Message
from vigil_mcp.services.answer.identify import identify_turn
from vigil_mcp.services.learn.extract import Extraction, NoLesson, extract
from vigil_mcp.services.learn.keep import FEATURE_NAMES, KeepModelError, keep_model, parse_keep_model

START = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
PROBLEM = "how do I make gmail notifier start on boot in ubuntu?"
FIX = "add it in System > Preferences > Sessions, the command is gmail-notify"


def dialogue(*turns: tuple[str, str, str]) -> list[Message]:
    """(role, author, text) turns as the ticket service stores them: seq from 1, customer turns classified."""
    out: list[Message] = []
    for seq, (role, author, text) in enumerate(turns, start=1):
        kind = identify_turn(out, author, text).kind if role == "customer" else role
        at = START + timedelta(seconds=seq)
        out.append(Message(ticket_id="T-1", seq=seq, role=role, author=author, text=text, ts=at, kind=kind))
    return out


def test_the_shipped_keep_model_is_what_the_committed_labels_fit() -> None:
    refit = eval_script("fit_lessons").fit_all()
    shipped = json.loads((resources.files("vigil_mcp") / "data" / "lesson_keep.json").read_text(encoding="utf-8"))
    assert shipped == {k: refit[k] for k in ("source", "bias", "weights", "floor")}
    figures = refit["figures"]
    assert 0.0 < refit["floor"] < 1.0
    assert figures["out_of_fold_at_floor"]["learned"] >= figures["min_yield"] * figures["lessons"]


def test_an_answer_right_after_the_question_is_learned_with_the_models_confidence() -> None:
    found = extract(dialogue(("customer", "dlo", PROBLEM), ("analyst", "light", f"dlo: {FIX}"),
                             ("customer", "dlo", "light: that worked, thanks!")))  # fmt: skip
    assert isinstance(found, Extraction), found
    assert found.fix == FIX and found.confidence >= keep_model().floor
    assert len(found.features) == len(FEATURE_NAMES)


def test_a_fix_the_customer_objected_to_after_side_questions_and_other_answers_is_not_learned() -> None:
    clean = extract(dialogue(("customer", "dlo", PROBLEM), ("analyst", "light", f"dlo: {FIX}"),
                             ("customer", "dlo", "light: thanks!")))  # fmt: skip
    late = extract(
        dialogue(
            ("customer", "dlo", PROBLEM),
            ("analyst", "koshari", "dlo: add it to your sessions, System > Preferences > Sessions"),
            ("customer", "dlo", "where do I find the startup applications list in xfce?"),
            ("analyst", "ozzy", "dlo: xfce has its own settings manager, look under Session and Startup"),
            ("customer", "dlo", "what command do I type for the notifier in that dialog?"),
            ("analyst", "light", "dlo: the command that you would type to start it, see the main menu editor"),
            ("customer", "dlo", "no, there is no such entry, still nothing"),
            ("analyst", "light", "dlo: not sure, maybe ask in #xubuntu"),
            ("customer", "dlo", "light: thanks"),
        )
    )
    assert isinstance(clean, Extraction), clean
    assert isinstance(late, NoLesson) and "keep model" in late.reason, late


def test_a_clarifying_reply_is_never_the_problem_even_when_nothing_else_comes_before_the_fix() -> None:
    found = extract(dialogue(("customer", "wed", "u mean it's not an active stripe account?"),
                             ("analyst", "tim", "wed: there are two modes, test mode and live mode, switch with the "
                              "toggle on the left of the dashboard"),
                             ("customer", "wed", "tim: that worked, thanks")))  # fmt: skip
    assert isinstance(found, NoLesson)


@pytest.mark.parametrize(
    ("data", "says"),
    [([], "not a JSON object"), ({"bias": 0, "weights": {"worked": 1}, "floor": 0.5}, "weights must be exactly"),
     ({"bias": 0, "weights": dict.fromkeys(FEATURE_NAMES, 0.0), "floor": 1.5}, "floor"), ({"bias": 0}, "needs")],
)  # fmt: skip
def test_a_broken_keep_model_file_is_refused_with_what_is_wrong(data: object, says: str) -> None:
    with pytest.raises(KeepModelError, match=says):
        parse_keep_model(data, "lesson_keep.json")
