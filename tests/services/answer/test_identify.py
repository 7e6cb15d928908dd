"""The identify stage: requests for help, thanks, greetings, follow-ups, chatter, and addressees."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from vigil_mcp.models import Message
from vigil_mcp.services.answer import identify_model
from vigil_mcp.services.answer.identify import identify, identify_turn, position_of, says_little
from vigil_mcp.services.answer.identify_cues import FEATURES

REPO = Path(__file__).resolve().parents[3]
LABELS = REPO / "eval" / "labels" / "identify"


def _labelled(part: str) -> list[dict[str, Any]]:
    with (LABELS / f"{part}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.mark.parametrize(
    "text",
    [
        "The data-prometheus-1 volume is 93% full and growing, KubePersistentVolumeFillingUp is firing again",
        "checkout-api returns 502 since the deploy",
        "pods keep restarting after the deploy",
        "KubePodCrashLooping, what now?",
        "etcd: members down",
        "Error: stripe.redirectToCheckout: Invalid value for sessionId",
        "my webhook endpoint returns a 400 error when stripe sends payment_intent.succeeded",
        "please bump the memory limit of checkout-api to 512Mi",
        "how do I see which version of the kernel I am running",
        "does fat32 support large filesystems?",
        # A ticket that opens with a symptom, a need or an inability, without "?".
        "my wifi doesnt work after suspend",
        "I need to list the files that the installed package foo put on my system",
        "I want to see the files of the package foo",
        "cannot figure out which files the installed package foo put on my system",
        "no idea which files package foo installed, dpkg shows nothing useful",
        "my laptop won't boot after the kernel update",
        "sound stopped working",
        "need read access to the thanos bucket for the billing team",
        # What happens in place of what should, a symptom that persists, work nobody picks up.
        "nginx shows the default welcome page instead of serving my site",
        "the login screen still shows the old resolution after I changed it",
        "builds aren't getting scheduled on the new runners",
        "rsync processes hanging on the backup host for hours",
        # An alert's name of three or more parts, whatever it ends with.
        "CephMonQuorumAtRisk on the storage cluster since the node reboot",
    ],
)
def test_problem_reports_questions_and_requests_for_a_change_are_requests(text: str) -> None:
    assert identify(text).request


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ok thx", "thanks"),
        ("that worked, cheers", "thanks"),
        ("etcdMembersDown resolved, cluster healthy again", "thanks"),
        ("hello everyone", "greeting"),
        ("morning all", "greeting"),
        ("any update?", "followup"),
        ("still there?", "followup"),
        ("?", "followup"),
        ("ack, looking", "chatter"),
        ("lol", "chatter"),
        ("ok let me check", "chatter"),
    ],
)
def test_thanks_greetings_followups_and_acks_are_not_requests(text: str, kind: str) -> None:
    result = identify(text)
    assert (result.kind, result.request) == (kind, False)


def test_a_thanks_that_goes_on_to_say_it_still_fails_is_not_thanks() -> None:
    assert identify("thanks, but it still fails with the same error").kind != "thanks"
    assert identify("Thanks! Should I worry about a new card with the same number?").kind == "question"


def test_a_leading_service_name_is_kept_in_the_body() -> None:
    for participants in ((), ("tomas", "oncall-mark")):
        result = identify("etcd: members down", participants)
        assert (result.addressed_to, result.body) == (None, "etcd: members down")


@pytest.mark.parametrize(
    ("prefix", "rest", "participants", "addressed"),
    [
        ("minimec: ", "how do I mount an ntfs partition read-write?", ["minimec"], "minimec"),
        ("@wsw: ", "Just wanted to keep the code separated.", ["wsw"], "wsw"),
        ("karllekko ", "thanks :D", ["karllekko"], "karllekko"),
        ("InternetJones - ", "where do I get stripe-php/init.php?", ["RickG", "InternetJones"], "InternetJones"),
        ("fryguy: ", "then I'll lose my account data won't i?", ["ariqs", "Fryguy--"], "Fryguy--"),
        ("karllekko: w1zeman1p: ", "would a trial affect my account?", ["karllekko", "w1zeman1p"], "karllekko"),
        ("nginx: ", "502s on /api since the deploy", ["jlee", "sre-kim"], None),
        ("highvoltage, ", "how can I limit the bandwidth of a process?", ["Tux"], None),
        ("how, ", "exactly, do I reset the api key?", ["howard"], None),
    ],
)
def test_an_address_prefix_is_removed_only_when_it_names_a_participant(
    prefix: str, rest: str, participants: list[str], addressed: str | None
) -> None:
    result = identify(prefix + rest, participants)
    assert (result.addressed_to, result.body) == (addressed, rest if addressed else prefix + rest)


def _message(seq: int, role: str, author: str, text: str) -> Message:
    return Message(
        ticket_id="t", seq=seq, role=role, author=author, text=text, ts=datetime(2024, 1, 1, tzinfo=UTC), kind=role
    )  # pyright: ignore[reportArgumentType]


def test_the_same_words_open_a_ticket_as_a_request_and_answer_an_analyst_as_a_statement() -> None:
    opening = identify_turn([], "bob", "it says permission denied")
    asked = [
        _message(1, "customer", "bob", "my wifi doesnt work after suspend"),
        _message(2, "analyst", "amy", "bob: what does dmesg say?"),
    ]
    answer = identify_turn(asked, "bob", "it says permission denied")
    assert (opening.kind, answer.kind) == ("question", "statement")
    assert identify_turn(asked, "bob", "yes, 12.04").kind == "statement"


def test_a_problem_spread_over_the_opening_lines_is_a_request_but_its_context_is_not() -> None:
    earlier = [_message(1, "customer", "bob", "how do i bring a window over to the current screen")]
    assert identify_turn(earlier, "bob", "I unplugged the monitor and now I can't find the window").request
    assert identify_turn(earlier, "bob", "it was on my second monitor").kind == "statement"
    after_hello = [_message(1, "customer", "bob", "hi all")]
    assert identify_turn(after_hello, "bob", "trying to get my printer working on 14.04").request


def test_doesnt_work_opens_a_ticket_but_after_a_suggestion_it_is_feedback() -> None:
    suggested = [
        _message(1, "customer", "bob", "my wifi doesnt work after suspend"),
        _message(2, "analyst", "amy", "bob: try sudo modprobe -r iwlwifi"),
    ]
    assert identify_turn([], "bob", "the wifi doesn't work").request
    assert identify_turn(suggested, "bob", "it still doesn't work").kind == "statement"


def test_a_turn_stands_first_in_the_opening_or_later_in_its_ticket() -> None:
    assert position_of([], None) == "first"
    assert position_of(["Bob"], "bob") == "opening"
    assert position_of(["bob", "amy"], "bob") == "later"
    assert position_of(["bob"], None) == "later"  # without the author nothing says it is the opening


def test_a_confirmation_is_thanks_but_a_failure_that_works_elsewhere_is_not() -> None:
    assert identify("done, writes work again").kind == "thanks"
    assert identify("fs.file-nr back to 12k, alert cleared").kind == "thanks"
    failing = "i create a keyboard shortcut, i hit the keys, nothing happens; in a terminal it works"
    assert identify(failing).kind != "thanks"
    assert identify("If you could point me to an example I would really appreciate it").kind != "thanks"


def test_an_announcement_asks_for_nothing() -> None:
    assert not identify("this is a test page from the new alertmanager route, please ignore").request
    assert not identify("fyi we are rotating the gitaly tokens tonight at 22:00 UTC").request


def test_a_turn_is_read_with_the_ticket_it_belongs_to() -> None:
    earlier = [
        _message(1, "customer", "lena", "KubePodCrashLooping, what now?"),
        _message(2, "analyst", "rafa", "lena: which namespace is the pod in?"),
    ]
    answer = identify_turn(earlier, "lena", "rafa: payments, checkout-api-7d9f")
    assert (answer.kind, answer.addressed_to, answer.body) == ("statement", "rafa", "payments, checkout-api-7d9f")
    assert identify_turn(earlier, "lena", "rafa: can you bump its memory limit to 512Mi?").request


@pytest.mark.parametrize(
    ("dialogue", "idx"),
    [
        ("oncall/terse-api", 0),  # "api gateway 503s"
        ("ubuntu/2008-03-01.train-c/1087", 1237),  # "when ever i tried to use apt-get install ... an error"
        ("ubuntu/2006-08-23.train-a/1281", 1281),  # "for some reason, sound stops working after a few hours ..."
        ("ubuntu/2008-04-27.train-a/1444", 1444),  # "my account seems to be not working"
        ("oncall/packet-drops", 5),  # "please raise the ring size on those nodes"
        ("ubuntu/2007-01-29.train-c/1219", 1354),  # "Naurd: it didnt work" (feedback on a fix)
        ("ubuntu/2011-12-07.train-c/1233", 1317),  # "JokesOnYou77: how do i sign up for the edubuntu meeting"
        ("oncall/pvc-full", 4),  # "storage class is gp2, allowVolumeExpansion is false" (an answer)
        ("ubuntu/2008-06-03.train-a/1210", 1215),  # "ActionParsnip: 32bit" (an answer)
        ("stripe/stripe.1/640", 657),  # "karllekko thanks :D"
        ("oncall/gitaly", 5),  # "sre-kim: thanks, errors are down"
        ("stripe/stripe.2/354", 354),  # "Hello all :)"
        ("oncall/waiting", 2),  # "anyone?"
        ("stripe/stripe.2/0", 15),  # "@hmunoz let me check"
    ],
)
def test_real_labelled_turns_are_identified_as_labelled(dialogue: str, idx: int) -> None:
    row = next(r for r in _labelled("fit") if (r["id"], r["idx"]) == (dialogue, idx))
    last = row["context"][-1] if row["context"] else None
    reply_to = last["text"] if last is not None and last["speaker"] != row["speaker"] else None
    result = identify(row["text"], row["participants"], reply_to, author=row["speaker"])
    assert result.kind == row["kind"]
    expected = row["addressee"] if row["addressee_in_ticket"] else None
    assert (result.addressed_to is None) == (expected is None)


def test_labels_are_split_by_dialogue_into_a_fit_and_a_held_back_part() -> None:
    fit, held = ({r["id"] for r in _labelled(part)} for part in ("fit", "held"))
    assert fit and held and not fit & held
    assert len(_labelled("fit")) + len(_labelled("held")) >= 1000


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(REPO / "eval" / script), *args], capture_output=True, text=True, check=False, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_committed_weights_are_what_the_fit_script_gives() -> None:
    assert len(identify_model.WEIGHTS) == len(FEATURES)
    _run("fit_identify.py", "--check")


def test_the_figures_in_the_readme_are_what_the_evaluation_computes() -> None:
    figures = json.loads(_run("eval_identify.py", "--json"))
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    held = figures["held"]
    claimed = re.search(r"held-back request precision ([\d.]+), recall ([\d.]+)", readme)
    assert claimed is not None
    assert (float(claimed[1]), float(claimed[2])) == (held["request"]["precision"], held["request"]["recall"])
    assert f"fitted on {figures['fit']['request']['turns']} customer turns" in readme
    assert f"measured on {held['request']['turns']} held-back turns" in readme
    assert f"over {len(FEATURES)} readable cues" in readme
    names = {"stripe": "#stripe", "ubuntu": "#ubuntu", "oncall": "on-call"}
    names |= {"first": "first turn", "opening": "opening", "later": "later"}
    for scope in ("by_source", "by_position"):
        for name, s in held[scope].items():
            row = f"| {names[name]} | {s['turns']} | {s['requests']} | {s['precision']:.3f} | {s['recall']:.3f} |"
            assert row in readme
    thanks = sum(held["confusion"][gold]["thanks"] for gold in held["confusion"])
    assert f"{held['confusion']['thanks']['thanks']} of {thanks} held-back turns taken for thanks are thanks" in readme


def test_a_helper_turn_that_only_greets_acknowledges_or_is_on_it_says_little() -> None:
    for text in ("Hi, looking at it now.", "hello", "ok", "let me check", "support: one sec", "thanks, will check",
                 "Good morning, I'm looking into it", "sure, give me a minute"):  # fmt: skip
        assert says_little(text, ["support"]), text
    for text in ("Which package?", "Run dpkg -L foo", "Hi, run `df -h` and paste it", "is the volume still growing?"):
        assert not says_little(text, ["support"]), text
