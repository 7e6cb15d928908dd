import pytest

from vigil_mcp.services.answer.identify import classify


@pytest.mark.parametrize(
    "text",
    [
        "does fat32 support large filesystems?",
        "how do I see which version of the kernel I am running",
        "Hey I need help! the update for xorg trashed my install",
        "my webhook endpoint returns a 400 error when stripe sends payment_intent.succeeded",
        "Can I install skype through synaptic or do I have to download it from their website?",
    ],
)
def test_questions_and_requests_for_help_are_questions(text: str) -> None:
    assert classify(text).kind == "question"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ok thx", "thanks"),
        ("big help! thanks InternetJones", "thanks"),
        ("that worked, cheers", "thanks"),
        ("hello everyone", "greeting"),
        ("hi all", "greeting"),
        ("any update?", "followup"),
        ("still waiting on this", "followup"),
        ("?", "followup"),
        ("ill brb", "chatter"),
        ("ah", "chatter"),
        ("Guess I'll give this minimal CD install a shot later tonight", "statement"),
    ],
)
def test_thanks_greetings_followups_and_chatter_are_not_questions(text: str, kind: str) -> None:
    assert classify(text).kind == kind


def test_an_irc_addressee_prefix_is_recognised_and_removed() -> None:
    result = classify("minimec: how do I mount an ntfs partition read-write?")
    assert result.addressed_to == "minimec"
    assert result.body == "how do I mount an ntfs partition read-write?"
    assert result.kind == "question"


def test_a_question_word_is_not_taken_for_an_addressee() -> None:
    assert classify("how, exactly, do I reset the api key?").addressed_to is None
