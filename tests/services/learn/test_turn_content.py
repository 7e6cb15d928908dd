"""Which analyst turns can be a case's fix: steps, commands, settings and explanations, never talk around them."""

from __future__ import annotations

import pytest

from vigil_mcp.services.learn.turn_content import body_of, carries_content, deflects

NOT_A_FIX = [
    "Hi, looking at it now.",
    "is the recorder picking up your microphone",  # a question back without its "?"
    "do you have the proprietary driver loaded",
    "The screen unlocked by itself after the reboot?",
    "it might help to rebuild the package yourself",  # a guess with no step
    "I think the wifi chip is simply not supported, not sure though",
    "maybe someone else knows more about printers",
    "just keep in mind that writing to that filesystem is still experimental",
    "be aware that the installer has a bug with that layout",
    "(printer person here)",
    "because it ends up under /media",  # answers a "why?" follow-up, not the problem
    "I only have one drive here so I cannot reproduce it, my laptop gives me the same error",
    "thanks for your patience! If anyone knows they will respond asap",
    "please stop that",  # moderation, not help
    "whats a rolling release",  # a bystander's question without its "?"
    "bit hard to recommend packages if one doesnt know what you want to use it for",
    "see dan's paste above, I think he has got the answer: https://paste.example.org/5vmhq",  # opaque link
    "man grep, it's definitely in there",
    "they merged the two editions, so one assumes so",
    "drag and drop should be enough",  # a guess with no step
    "I don't think you can get the IP address location from Stripe.",  # the product's name is not its CLI
]

A_FIX = [
    "sudo apt-get install ntfs-3g, then remount the drive",
    "run `sudo update-grub` after editing /etc/default/grub",
    "set GRUB_DEFAULT=2 in /etc/default/grub",
    "You need to pass the raw request body to constructEvent, not the parsed JSON.",
    "did you try `sudo dpkg --configure -a`?",  # a question that proposes a step
    "I think you need `sudo modprobe snd-hda-intel` for that card",  # hedged, but a concrete step
    "install gpm",
]


@pytest.mark.parametrize("text", NOT_A_FIX)
def test_talk_around_a_fix_is_not_a_fix(text: str) -> None:
    assert not carries_content(text) or deflects(text), text


@pytest.mark.parametrize("text", A_FIX)
def test_a_step_a_command_a_setting_or_an_explanation_is_a_fix(text: str) -> None:
    assert carries_content(text) and not deflects(text), text


def test_a_doubt_is_a_guess_not_a_fix() -> None:
    assert not carries_content("fabian: i doubt it but")


def test_a_bot_that_has_no_such_factoid_gives_no_fix() -> None:
    miss = "Sorry, I don't know anything about lspci - try searching on http://bots.ubuntulinux.nl/factoids.cgi"
    assert not carries_content(miss, role="bot")
    assert carries_content(
        "To install the Ati/NVidia drivers, see https://help.ubuntu.com/community/Binary", role="bot"
    )


def test_a_handle_followed_by_a_dash_is_an_address_so_a_bare_yes_after_it_is_no_fix() -> None:
    assert body_of("mahrellon-  yes") == "yes"
    assert not carries_content("mahrellon-  yes")
    assert body_of("apt-get install foo") == "apt-get install foo"


@pytest.mark.parametrize(
    "text",
    [
        "type that as a command",  # the command is in another turn
        "ahh, open up a terminal, and paste that in",
        'try that "lost grub after installing windows"-link',
        "it xchat opened a new tab with that info under the bot",
        "please see my private message",
        "I'll pm you the email address of the council and you can send your concerns to them",
        "hmm.. nope.. but let me google around for a bit.. see if I can't find something useful",
        "gimme a sec, uploading it to my webserver",
    ],
)
def test_a_turn_that_points_at_content_elsewhere_or_promises_it_is_not_a_fix(text: str) -> None:
    assert not carries_content(text), text


def test_a_pointer_or_a_promise_with_the_step_in_it_is_still_a_fix() -> None:
    for text in ("try this: sudo apt-get install ubuntu-restricted-extras",
                 "let me find it... here: https://help.ubuntu.com/community/RestoreGrub",
                 "reinstall it with sudo apt-get install --reinstall pulseaudio"):  # fmt: skip
        assert carries_content(text) and not deflects(text), text


def test_telling_the_customer_to_search_is_a_referral_like_a_search_link() -> None:
    for text in ("While you wait, try searching https://help.ubuntu.com or http://ubuntuforums.org",
                 "$ lspci, check your audio controller and search ubuntuforums.org",
                 "no idea, google it"):  # fmt: skip
        assert deflects(text), text
    assert not deflects("search synaptic for ubuntu-restricted-extras and install it")


def test_a_permission_is_small_talk_even_when_its_words_are_new_to_the_customer() -> None:
    said = frozenset({"going", "ask", "help", "linux", "getting", "need"})  # "I'm going to ask for help in #linux"
    assert not carries_content("feel free to do so", customer_words=said)
    assert carries_content("gparted does it", customer_words=said)  # a short recommendation still names a step
