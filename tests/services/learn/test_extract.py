"""Which turns a lesson takes: the step the customer confirmed, not the remark before it, and nothing taken back."""

from __future__ import annotations

from tests.services.learn.cases import dialogue
from vigil_mcp.services.learn.extract import Extraction, NoLesson, extract
from vigil_mcp.services.learn.turn_content import asks_back

MYSQL = "hello, I did an apt-get install mysql-server but it never asked me for a root password, how do I log in?"


def _learned(*turns: tuple[str, str, str]) -> Extraction:
    found = extract(dialogue(*turns), min_confidence=0.0)
    assert isinstance(found, Extraction), found
    return found


def test_a_question_that_proposes_a_step_does_not_ask_back() -> None:
    for proposal in ("file_ Did you try sudo dpkg-reconfigure mysql-server-5.1 ?", "have you tried gparted?",
                     "ok, what about xubuntu?", "try sudo update-grub?"):  # fmt: skip
        assert not asks_back(proposal), proposal
    for question in ("file_: what version are you on?", "so, when you do sudo mysql, it prompts for a password?"):
        assert asks_back(question), question


def test_the_step_the_customer_confirmed_is_in_the_fix_even_when_it_is_phrased_as_a_question() -> None:
    found = _learned(
        ("customer", "file_", MYSQL),
        ("analyst", "mercury1", "file_ You still have to configure the server yourself, apt-get only installs it"),
        ("customer", "file_", "mercury1: how can i configure the password ?"),
        ("analyst", "benignbala", "file_: So, when you do sudo mysql, it prompts for a password ?"),
        ("analyst", "mercury1", "file_ Did you try sudo dpkg-reconfigure mysql-server-5.1 ?"),
        ("customer", "file_", "mercury1: yay that did it thanks alot"),
    )
    assert "dpkg-reconfigure mysql-server-5.1" in found.fix, found.fix


def test_a_one_word_answer_its_author_goes_on_from_is_part_of_the_fix() -> None:
    found = _learned(
        ("customer", "RvGaTe", "Does ubuntu have a XFCE version ?"),
        ("analyst", "gus", "RvGaTe, xubuntu"),
        ("analyst", "gus", "the link to the xubuntu download is on the main page of ubuntu.com"),
        ("customer", "RvGaTe", "gus, thx"),
    )
    assert found.fix.splitlines()[0] == "xubuntu", found.fix


def test_a_thanks_followed_by_the_package_is_wrong_teaches_nothing_until_the_correction_works() -> None:
    turns = [
        ("customer", "phr", "anyone knows where I can get the tcl-dev and tk-dev packages? amsn 0.96 needs them"),
        ("analyst", "uno", "phr, sudo aptitude install tcl8.4-dev tk-dev"),
        ("customer", "phr", "uno, thanks."),
        ("customer", "phr", "tk-dev is wrong though."),
        ("analyst", "uno", "phr, then install tk8.4-dev, the tk headers are versioned like tcl"),
    ]
    assert isinstance(extract(dialogue(*turns), min_confidence=0.0), NoLesson)
    found = _learned(*turns, ("customer", "phr", "uno: that worked, amsn builds now"))
    assert found.fix.startswith("then install tk8.4-dev"), found.fix


def test_a_thanks_before_the_customer_says_they_are_still_searching_confirms_nothing() -> None:
    found = extract(
        dialogue(
            ("customer", "arda", "how to increase monitor frequency with my ati on ubuntu 8.10 ?"),
            (
                "analyst",
                "ap",
                "arda: sudo cp /etc/X11/xorg.conf /etc/X11/xorg.conf_old; gksudo gedit /etc/X11/xorg.conf",
            ),
            ("customer", "arda", "thanks ;)"),
            ("customer", "arda", "ap i'm still searching in google but there isn't any guide about it..."),
        ),
        min_confidence=0.0,
    )
    assert isinstance(found, NoLesson) and "no customer confirmation" in found.reason, found


def test_a_thanks_after_the_answer_failed_and_the_helper_gave_up_thanks_the_effort() -> None:
    turns = [
        ("customer", "del", "whenever she logs in she is dumped back to the login screen, any clues?"),
        ("analyst", "holy", "del, create a new user from the command line with sudo adduser and move her files"),
        ("customer", "del", "holy: she's tried that but even the new user has the same issue"),
        ("analyst", "holy", "del, sorry, no idea then, maybe someone else knows"),
    ]
    found = extract(dialogue(*turns, ("customer", "del", "holy: cheers.")), min_confidence=0.0)
    assert isinstance(found, NoLesson), found
    # A new answer after the objection can still be confirmed with a plain thanks.
    fixed = _learned(
        *turns[:3],
        ("analyst", "holy", "del, then check the ownership: sudo chown her:her /home/her/.Xauthority"),
        ("customer", "del", "holy: cheers."),
    )
    assert "chown" in fixed.fix, fixed.fix


def test_the_helpers_own_correction_right_after_the_thanks_is_part_of_the_fix() -> None:
    found = _learned(
        ("customer", "ben", "why can I not stop KDM by typing init 3 in a console logged in as root?"),
        ("analyst", "jowi", "ben, simply remove it in /etc/init.d/rc3.d"),
        ("customer", "ben", "cool thanks"),
        ("analyst", "jowi", "ben, /etc/rc3.d i meant"),
    )
    assert found.fix.splitlines() == ["simply remove it in /etc/init.d/rc3.d", "/etc/rc3.d i meant"], found.fix


def test_pasted_output_is_not_a_problem_statement() -> None:
    turns = [
        ("analyst", "jay", "echo: what does groups print?"),
        ("customer", "echo", "adm dialout cdrom floppy audio dip video plugdev lpadmin scanner admin"),
        ("analyst", "jay", "echo: run sudo apt-get update and paste the errors"),
        ("customer", "echo", "jay: thanks"),
    ]
    found = extract(dialogue(*turns), min_confidence=0.0)
    assert isinstance(found, NoLesson) and "no customer question or problem" in found.reason, found
    for report in ("my apt-get update fails with a lock error", "apt-get update stopped after the upgrade"):
        reported = extract(dialogue(*turns[:1], ("customer", "echo", report), *turns[2:]), min_confidence=0.0)
        assert isinstance(reported, Extraction), (report, reported)


def test_a_thanks_for_a_promise_confirms_nothing() -> None:
    turns = [
        ("customer", "bat", "When compiling from source, freeglut is unable to find the gl headers"),
        ("analyst", "sla", "bat: have you installed the opengl headers for development, the mesa-common-dev package?"),
        ("customer", "bat", "sla: If you mean fglrx-dev, then yes. Do you know what needs to be done?"),
        ("analyst", "sla", "bat: hmm.. nope.. but let me google around for a bit"),
    ]
    found = extract(dialogue(*turns, ("customer", "bat", "sla: Thanks. I hope you find something useful.")),
                    min_confidence=0.0)  # fmt: skip
    assert isinstance(found, NoLesson) and "no customer confirmation" in found.reason, found
    # The answer that comes after the promise is confirmed as usual, and so is a thanks to another helper.
    answer = ("analyst", "sla", "bat: sudo apt-get install freeglut3-dev")
    answered = _learned(*turns, answer, ("customer", "bat", "sla: thanks"))
    assert "freeglut3-dev" in answered.fix, answered.fix
    other = _learned(*turns[:2], ("analyst", "kim", "bat: sudo apt-get install mesa-common-dev"), turns[3],
                     ("customer", "bat", "kim: thanks"))  # fmt: skip
    assert "mesa-common-dev" in other.fix, other.fix


def test_the_turn_the_customer_names_as_what_worked_is_the_fix() -> None:
    turns = [
        ("customer", "meeko", "How do I download the strings command? it's not in apt-get"),
        ("analyst", "tom", "meeko: what is the context of that problem?"),
        ("analyst", "jb", "meeko: binutils is what you're looking for"),
        ("analyst", "jb", "i must have gotten it through build-essential"),
    ]
    found = _learned(*turns, ("customer", "meeko", "thanks! jb and tom, installing binutils worked"))
    assert found.fix == "binutils is what you're looking for", found.fix
    # Without the name, the last answer's author's block is the fix, as before.
    plain = _learned(*turns, ("customer", "meeko", "thanks! that worked"))
    assert "build-essential" in plain.fix, plain.fix


def test_a_thanks_right_after_the_helper_says_they_do_not_know_thanks_the_effort() -> None:
    turns = [
        ("customer", "rp", "what would cause a folder to not be deletable, even as root?"),
        ("analyst", "bim", "rp: run 'file scalable/*' to see what is in there"),
        ("customer", "rp", "bim: all directories, lsattr says Inappropriate ioctl for device. no idea?"),
    ]
    gave_up = [("analyst", "bim", "rp: sorry, no idea"), ("customer", "rp", "ok, thanks for your help")]
    found = extract(dialogue(*turns, *gave_up), min_confidence=0.0)
    assert isinstance(found, NoLesson), found
    answered = _learned(*turns, ("analyst", "bim", "rp: the immutable bit: sudo chattr -i scalable"),
                        ("customer", "rp", "ok, thanks for your help"))  # fmt: skip
    assert "chattr" in answered.fix, answered.fix
