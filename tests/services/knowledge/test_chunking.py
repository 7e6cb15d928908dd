from vigil_mcp.services.knowledge.chunking import MAX_CHUNK_CHARS, chunk_markdown, split_front_matter

LONG_DOC = (
    """# Disk pressure on gitaly

Intro paragraph about gitaly disks. """
    + "filler words " * 100
    + """

## Diagnosis

Check the disk with df.

```console
# this is a comment, not a heading
$ df -h
```

### On the node

Log in and look at /var/opt.

## Mitigation

Expand the volume.
"""
)


def test_long_documents_are_split_by_section_keeping_title_and_section_path() -> None:
    chunks = chunk_markdown(LONG_DOC)
    assert {c.title for c in chunks} == {"Disk pressure on gitaly"}
    sections = [c.section for c in chunks]
    assert sections == ["", "Diagnosis", "Diagnosis > On the node", "Mitigation"]
    assert "# this is a comment, not a heading" in chunks[1].body


def test_short_documents_stay_whole() -> None:
    chunks = chunk_markdown("# Tiny\n\n## A\n\none\n\n## B\n\ntwo\n")
    assert len(chunks) == 1
    assert chunks[0].title == "Tiny"
    assert chunks[0].section == ""


def test_an_explicit_title_wins_over_the_first_heading() -> None:
    assert chunk_markdown("# Heading\n\ntext", title="Given")[0].title == "Given"


def test_an_overlong_section_is_split_into_numbered_parts_of_bounded_size() -> None:
    body = "\n\n".join(f"paragraph {i} " + "word " * 150 for i in range(20))
    chunks = chunk_markdown(f"# Big\n\n## Steps\n\n{body}\n")
    assert len(chunks) > 1
    assert all(len(c.body) <= MAX_CHUNK_CHARS for c in chunks)
    assert chunks[0].section == "Steps (part 1)"


def test_empty_documents_give_no_chunks() -> None:
    assert chunk_markdown("   \n") == []


def test_front_matter_gives_title_and_tags() -> None:
    meta, rest = split_front_matter("---\ntitle: Redis failover\ntags: [redis, ha]\n---\n# Body\n")
    assert meta == {"title": "Redis failover", "tags": "[redis, ha]"}
    assert rest == "# Body\n"
