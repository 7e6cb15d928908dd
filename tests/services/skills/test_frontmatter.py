import json

import pytest
import strictyaml  # pyright: ignore[reportMissingTypeStubs]
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil_mcp.services.skills import frontmatter
from vigil_mcp.services.skills.frontmatter import FrontMatterError, parse

DOCS = [
    '---\nname: a\ndescription: One line, with "quotes" inside.\n---\nbody\n',
    "---\nname: a\ndescription: >\n  Folded over\n  two lines.\n\n  New paragraph.\n---\nbody\n",
    "---\nname: a\ndescription: |\n  Literal\n    indented\n  text\n---\nbody\n",
    "---\nname: a\ndescription: >-\n  stripped\n---\nbody\n",
    "---\nname: a\ndescription: |+\n  kept\n\nlicense: MIT\n---\nbody\n",
    "---\nname: a # a comment\n# a whole-line comment\ndescription: 'it''s single quoted'\n---\nbody\n",
    '---\nname: a\ndescription: "escapes \\" \\\\ \\u00e9 \\n"\nmetadata:\n  version: "3"\n  status: approved\n'
    "---\nb\n",
    "---\nname: a\ndescription: d\nmetadata:\n    note: |\n      block inside\n      metadata\n"
    "    status: draft\n---\nb\n",
    "---\nname: a\ndescription: café → naïve, 100% sure\nallowed-tools: Bash(git:*) Read\n---\nb\n",
    "---\nname: a\ndescription: a plain value\n  continued on a second line\n---\nbody\n",
    "---\nname: a\ndescription: >\n  folded\n    more indented\n  back\n---\nbody\n",
]


@pytest.mark.parametrize("doc", DOCS)
def test_reads_the_front_matter_exactly_as_strictyaml_does(doc: str) -> None:
    ours = parse(doc).fields
    theirs = strictyaml.load(doc.split("---\n")[1]).data  # pyright: ignore[reportUnknownMemberType]
    assert ours == theirs


def test_keeps_the_line_of_every_field_and_where_the_body_starts() -> None:
    parsed = parse(DOCS[7])
    assert parsed.lines == {"name": 2, "description": 3, "metadata": 4, "metadata.note": 5, "metadata.status": 8}
    assert parsed.body == "b\n"
    assert parsed.body_line == 10


def test_windows_line_endings_and_a_byte_order_mark_are_accepted() -> None:
    parsed = parse("\ufeff---\r\nname: a\r\ndescription: d\r\n---\r\nbody\r\n")
    assert parsed.fields == {"name": "a", "description": "d"}
    assert parsed.body == "body\n"


@pytest.mark.parametrize(
    ("doc", "line", "words"),
    [
        ("name: a\n", 1, "does not start with YAML front matter"),
        ("---\nname: a\ndescription: d\n", 4, "never closed"),
        ("---\nname: a\ndescription: Use when: it breaks\n---\n", 3, 'may not contain ": " unquoted'),
        ("---\nname: a\nmetadata:\n  version: 3\n---\n", 4, 'quote it: version: "3"'),
        ("---\nname: a\nmetadata:\n  updated: 2025-01-02\n---\n", 4, "read as a date"),
        ("---\nname: yes\n---\n", 2, "read as a boolean"),
        ("---\nname: ~\n---\n", 2, "read as null"),
        ("---\nname: a\nmetadata: {version: '1'}\n---\n", 3, "flow style"),
        ("---\nname: a\nallowed-tools:\n  - Read\n---\n", 4, "lists are not allowed"),
        ("---\nname: a\nmetadata:\n  a:\n    b: c\n---\n", 4, "nested maps are not allowed"),
        ("---\nname: a\nname: b\n---\n", 3, "appears twice (first on line 2)"),
        ("---\nname: a\ndescription:\n---\n", 3, "has no value"),
        ("---\nname: a\n\tdescription: d\n---\n", 3, "a tab starts this line"),
        ("---\nname: a\ndescription: ?\n---\n", 3, "not allowed"),
        ("---\nname: a\ndescription: =\n---\n", 3, "value or merge marker"),
        ("---\nname: a\ndescription: a\x7fb\n---\n", 3, "control character U+007F"),
        ("---\nname: &anchor a\n---\n", 2, "not allowed here"),
        ('---\nname: "a" trailing\n---\n', 2, "expected key"),
    ],
)
def test_refuses_what_yaml_parsers_would_read_differently_with_line_and_fix(doc: str, line: int, words: str) -> None:
    with pytest.raises(FrontMatterError) as caught:
        parse(doc)
    assert caught.value.line == line
    assert words in str(caught.value)
    assert "Fix:" in str(caught.value)


def test_dump_quotes_only_what_needs_quoting() -> None:
    text = frontmatter.dump(
        {
            "name": "endpoint-5xx",
            "description": "Use when: the API answers 502",
            "metadata": {"version": "4", "status": "approved", "updated": "2025-07-01", "note": "yes"},
        }
    )
    assert text == (
        "---\nname: endpoint-5xx\n"
        'description: "Use when: the API answers 502"\n'
        'metadata:\n  version: "4"\n  status: approved\n  updated: "2025-07-01"\n  note: "yes"\n---\n'
    )


_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80)
_key = st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(
    name=_text,
    description=_text,
    metadata=st.dictionaries(_key, _text, max_size=5),
)
def test_whatever_dump_writes_parse_and_strictyaml_read_back_unchanged(
    name: str, description: str, metadata: dict[str, str]
) -> None:
    fields: dict[str, frontmatter.Value] = {"name": name, "description": description}
    if metadata:
        fields["metadata"] = metadata
    text = frontmatter.dump(fields) + "body\n"
    assert parse(text).fields == fields
    theirs = strictyaml.load(text.split("\n---\n")[0].removeprefix("---\n"))  # pyright: ignore[reportUnknownMemberType]
    assert json.loads(json.dumps(theirs.data)) == fields  # pyright: ignore[reportUnknownMemberType]
