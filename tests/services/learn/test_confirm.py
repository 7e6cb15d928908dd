"""Which customer turns confirm that a fix worked: the outcome, not an opinion, a plan or a story."""

from __future__ import annotations

import pytest

from vigil_mcp.services.learn.confirm import confirmation, takes_back

WORKED = [
    "that worked, thanks!",
    "perfect!",
    "yay, thanks bob",
    "it's working now",
    "sudo mount -a fixed it",
    "thanks! bob and ann, installing binutils worked",  # what worked, named
]
THANKS = ["thanks a lot :)", "ok, thank you bob"]
NOTHING = [
    "I think I get how it works now...",  # understanding, not an outcome
    "it worked all the time... until yesterday, when I updated",
    "I also use VLC which I have found to be excellent",  # an opinion
    "that makes more sense :P test is running...",
    "thanks, I'll try that",
    "thanks, but it still fails",
    "did that work for you?",
    "ok thanks, i will come back once i have",  # a plan to try, not an outcome
    "Well. I will make an attempt. So far thank you.",
    "thanks, I'll let you know",
    "it never worked",
    "it worked before the upgrade",
    "yes. I already knew that. Thank you so much!",  # nothing new was told
    "already tried that, thanks",
]


@pytest.mark.parametrize("text", WORKED)
def test_an_outcome_confirms_that_the_fix_worked(text: str) -> None:
    found = confirmation(text, frozenset({"bob"}))
    assert found is not None and found.strength == "worked", text


@pytest.mark.parametrize("text", THANKS)
def test_a_plain_thanks_is_a_weaker_confirmation(text: str) -> None:
    found = confirmation(text, frozenset({"bob"}))
    assert found is not None and found.strength == "thanks", text


@pytest.mark.parametrize("text", NOTHING)
def test_opinions_plans_stories_and_questions_confirm_nothing(text: str) -> None:
    assert confirmation(text, frozenset({"bob"})) is None, text


def test_a_thanks_naming_two_helpers_is_addressed_to_the_first_one_named_every_run() -> None:
    found = confirmation("thanks ozzy and koshari, that worked", frozenset({"koshari", "ozzy", "light"}))
    assert found is not None and found.addressed_to == "ozzy"


@pytest.mark.parametrize(
    "text",
    [
        "no, still nothing", "hmm, it still doesn't work after a reboot", "same error", "nope, not working",
        "tk-dev is wrong though.", "E: Couldn't find package tk-dev", "I did. and it did not",
        "ActionParsnip i'm still searching in google but there isn't any guide about it...",
    ],
)  # fmt: skip
def test_a_later_turn_saying_the_fix_did_not_work_takes_the_confirmation_back(text: str) -> None:
    assert takes_back(text), text


@pytest.mark.parametrize(
    "text",
    [
        "no, I meant the other partition", "why can't I see the share?", "can't wait",
        "ok, so it is tied to the card they entered, not that the address they entered is incorrect",
    ],
)  # fmt: skip
def test_a_new_question_or_a_plain_no_does_not_take_a_confirmation_back(text: str) -> None:
    assert not takes_back(text), text
