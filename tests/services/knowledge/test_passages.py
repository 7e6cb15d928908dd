from hypothesis import given
from hypothesis import strategies as st

from vigil_mcp.services.knowledge.passages import (
    MAX_PROSE_CHARS,
    MAX_SENTENCES,
    Passage,
    says_something,
    split_passages,
    split_sentences,
)

LONG = " ".join(f"Sentence number {i} says something useful about apt and dpkg, e.g. how to pin." for i in range(12))


def test_sentences_end_at_stops_but_not_after_abbreviations_versions_or_file_names() -> None:
    text = (
        "Use a front end, e.g. Apt or aptitude, i.e. Not dpkg. Install v1.2.3 from sources.list first. "
        "Dr. Who wrote it. See Fig. 3 and J. Smith's notes! Does `apt. Update` split? No."
    )
    assert split_sentences(text) == [
        "Use a front end, e.g. Apt or aptitude, i.e. Not dpkg.",
        "Install v1.2.3 from sources.list first.",
        "Dr. Who wrote it.",
        "See Fig. 3 and J. Smith's notes!",
        "Does `apt. Update` split?",
        "No.",
    ]


def test_a_long_paragraph_becomes_groups_of_whole_sentences_without_hard_wraps() -> None:
    wrapped = LONG.replace(" about ", "\nabout ")
    passages = split_passages("## Pinning\n\n" + wrapped)
    assert len(passages) > 1
    assert all(p.kind == "prose" and p.heading == "Pinning" and "\n" not in p.text for p in passages)
    assert " ".join(p.text for p in passages) == LONG
    for p in passages:
        sentences = split_sentences(p.text)
        assert 1 <= len(sentences) <= MAX_SENTENCES and len(p.text) <= MAX_PROSE_CHARS
        assert p.text.endswith(".")


def test_list_items_code_blocks_and_table_rows_are_passages_of_their_kind() -> None:
    body = (
        "# Tools\n\nSome common uses are:\n\n"
        "- Install a package: `apt install foo`.\n  - Add `-y` to skip the question.\n"
        "- Remove it:\n  `apt remove foo`\n\n"
        "To list the files of a package, run:\n\n```console\n$ dpkg -L  foo\n\n$ echo   done\n```\n\n"
        "| package | size |\n| --- | --- |\n" + "".join(f"| pkg{i} | {'x' * 60} |\n" for i in range(12))
    )
    passages = split_passages(body)
    kinds = [p.kind for p in passages]
    assert kinds == ["prose", "list", "list", "code"] + ["table"] * 12
    assert passages[1] == Passage(
        "- Install a package: `apt install foo`.\n  - Add `-y` to skip the question.",
        "list",
        "Tools",
        "Some common uses are:",
    )
    assert passages[2].text == "- Remove it: `apt remove foo`"
    assert (
        passages[3].text == "To list the files of a package, run:\n\n```console\n$ dpkg -L  foo\n\n$ echo   done\n```"
    )
    assert passages[4].text == "| package | size |\n| --- | --- |\n| pkg0 | " + "x" * 60 + " |"


def test_openapi_field_lines_are_field_passages_under_their_heading() -> None:
    body = (
        "### customer object\n\nA customer of your business.\n\n#### Fields\n\n"
        "- `invoice_settings.default_payment_method` (string | payment_method, expandable, nullable): ID of it.\n"
        "- `email` (string, nullable): The customer's email address.\n"
    )
    passages = split_passages(body)
    assert passages[0] == Passage("A customer of your business.", "prose", "customer object")
    assert [(p.kind, p.heading) for p in passages[1:]] == [("field", "Fields"), ("field", "Fields")]
    assert passages[1].text.startswith("- `invoice_settings.default_payment_method` (string")


def test_a_short_section_without_headings_is_one_passage_and_labels_title_the_next_block() -> None:
    short = "Run the check.\n\n```\nfsck -n /dev/sda1\n```\n\nThen reboot."
    assert split_passages(short) == [Passage(short, "prose")]
    assert split_passages("- one step\n- two steps") == [Passage("- one step\n- two steps", "list")]
    labelled = "## Examples\n\n**Example 6.4. Install from unstable**\n\n```\n# apt install x/unstable\n```\n\n" + LONG
    first = split_passages(labelled)[0]
    assert first == Passage("```\n# apt install x/unstable\n```", "code", "Example 6.4. Install from unstable")
    assert split_passages("   \n") == []


def test_an_unclosed_fence_is_closed_in_its_passage() -> None:
    body = "## Setup\n\n" + LONG + "\n\n```sh\napt update\napt install foo"
    code = split_passages(body)[-1]
    assert code.kind == "code" and code.text.endswith("apt install foo\n```")


def test_a_sentence_that_runs_on_after_its_command_stays_with_it() -> None:
    body = (
        "## 5.8. Which version am I running?\n\n" + LONG + "\n\nTo check the release you are running, use the\n\n"
        "```\nlsb_release -a\n```\n\ncommand.  It will display the name of the distribution and its version.\n\n"
        "Another paragraph that stands on its own, with enough words in it to be a passage."
    )
    passages = split_passages(body)
    code = next(p for p in passages if p.kind == "code")
    assert code.text.startswith("To check the release") and "lsb_release -a" in code.text
    assert code.text.endswith("command. It will display the name of the distribution and its version.")
    assert not any(p.text.startswith("command.") for p in passages)
    assert passages[-1].text.startswith("Another paragraph")


@given(
    st.lists(
        st.sampled_from(
            [
                "## Heading",
                "Plain words here. And more.",
                "- item\n  - nested",
                "```\ncode  x\n```",
                "```\nopen",
                "| a | b |\n| - | - |\n| 1 | 2 |",
                "> quoted text",
                "1. first\n2. second",
                LONG,
            ]
        ),
        max_size=8,
    )
)
def test_passages_are_deterministic_and_keep_code_fences_balanced(blocks: list[str]) -> None:
    body = "\n\n".join(blocks)
    passages = split_passages(body)
    assert passages == split_passages(body)
    for p in passages:
        assert p.text.strip()
        fences = [line for line in p.text.split("\n") if line.lstrip().startswith("```")]
        assert len(fences) % 2 == 0


def test_passages_that_say_nothing_are_told_apart() -> None:
    assert says_something("Run `apt update` before installing.")
    assert says_something("- Remove it: `apt remove foo`", "list")
    for nothing in ("NA", "Returns `charge` (200).", "- [Runbook](./other.md)", "![graph](img/a.png)",
                    "</details> </p>", "See https://x.example/a/b", "1. CloudFront"):  # fmt: skip
        assert not says_something(nothing), nothing
    assert says_something("```\nls -l\n```", "code") and not says_something("```\n42\n```", "code")
