from pathlib import Path

from vigil_mcp.services.knowledge.chunking import SECTION_SEP
from vigil_mcp.services.knowledge.ingest import walk_paths
from vigil_mcp.services.knowledge.ingest.html import MAX_BYTES, decode_html, html_document

DOCS = Path(__file__).resolve().parents[2] / "fixtures" / "docs"
NAVIGATION = ("Prev", "Next", "Table of Contents", "Home", "Up", "Download the ebook")

HELP_CENTRE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Reset your API key – Acme Help Center</title>
<script>var tracking = "SECRET-ANALYTICS";</script><style>.x { color: red }</style></head><body>
<header class="site-header"><a href="/">Acme</a> <nav><a href="/a">Docs</a> <a href="/b">Status</a>
<a href="/c">Contact</a></nav></header>
<main><nav class="sub-nav"><ol class="breadcrumbs"><li><a href="/">Help</a></li><li><a href="/k">Keys</a></li>
<li><a href="/r">Reset</a></li></ol></nav>
<article><header class="article-header"><h1 id="reset">Reset your API key</h1></header>
<p>If a key leaked, roll it at once.
   The old key stops working after <b>12 hours</b>.</p>
<h2 id="dashboard">From the dashboard</h2><ol><li>Open <em>Developers</em>.</li><li>Click <code>Roll key</code>.
<ul><li>Pick an expiry.</li></ul></li></ol>
<h2><a name="cli"></a>From the CLI</h2><pre><code class="language-shell">acme keys roll \\
    --expire 12h</code></pre>
<table><thead><tr><th>Plan</th><th>Keys</th></tr></thead><tbody><tr><td>Free</td><td>1</td></tr>
<tr><td>Team</td><td>10 | more on request</td></tr></tbody></table>
<footer class="article-footer">Was this article helpful? <button>Yes</button></footer></article>
<aside class="related"><h3>Related articles</h3><ul><li><a href="/1">One</a></li><li><a href="/2">Two</a></li>
<li><a href="/3">Three</a></li></ul></aside></main>
<footer><p>© 2024 Acme Inc. All rights reserved.</p></footer></body></html>"""


def _doc(path: Path):  # type: ignore[no-untyped-def]
    parsed = html_document(path, path.read_bytes())
    assert parsed.skipped == []
    (doc,) = parsed.documents
    return doc


def test_a_debian_faq_page_gives_one_section_per_question_with_its_anchor_and_no_navigation() -> None:
    doc = _doc(DOCS / "debian-faq" / "pkgtools.en.html")
    assert doc.title == "Chapter 8. The Debian package management tools"
    assert doc.source == str((DOCS / "debian-faq" / "pkgtools.en.html").resolve())
    sections = {c.section: c.anchor for c in doc.chunks}
    assert sections["8.3. How can I tell what packages are already installed on a Debian system?"] == "whatpackages"
    assert sections["8.4. How do I display the files of an installed package?"] == "listfiles"
    text = "\n".join(c.body for c in doc.chunks)
    assert "Table of Contents" not in text and "8.1.1. dpkg" not in text  # the table of contents is gone
    for line in text.splitlines():
        assert line.strip() not in NAVIGATION


def test_code_blocks_stay_fenced_with_their_whitespace_kept() -> None:
    doc = _doc(DOCS / "debian-faq" / "pkgtools.en.html")
    listing = next(c for c in doc.chunks if c.anchor == "listfiles")
    assert "```\ndpkg --listfiles foo\n```" in listing.body
    handbook = _doc(DOCS / "debian-handbook" / "sect.apt-get.html")
    update = next(c for c in handbook.chunks if c.anchor == "sect.apt-update")
    assert '```\n$ sudo apt -o "Acquire::PDiffs=false" update\n```' in update.body


def test_handbook_sections_nest_under_the_page_and_sidebars_keep_their_label() -> None:
    doc = _doc(DOCS / "debian-handbook" / "sect.apt-get.html")
    assert doc.title == "6.2. aptitude, apt-get, and apt Commands"
    assert [(c.section, c.anchor) for c in doc.chunks] == [
        ("", "sect.apt-get"),
        ("6.2.1. Initialization", "sect.apt-update"),
        ("6.2.3. System Upgrade", "sect.apt-upgrade"),
    ]
    update = doc.chunks[1].body
    assert "**TIP Incremental updates:** The aim of the `apt update` command" in update
    text = "\n".join(c.body for c in doc.chunks)
    assert "Download the ebook" not in text and "Prev" not in text


def test_reference_tables_become_markdown_tables_and_notes_lead_with_their_label() -> None:
    doc = _doc(DOCS / "debian-reference" / "ch02.en.html")
    top = doc.chunks[0].body
    assert top.startswith("**Note:** This chapter is written assuming the latest stable release")
    assert "**Table 2.1. List of Debian package management tools**" in top
    assert "| package | popcon | size | description |\n| --- | --- | --- | --- |\n| `dpkg` | V:919, I:999 |" in top
    precautions = next(c for c in doc.chunks if c.anchor == "_basic_precautions")
    assert precautions.section == SECTION_SEP.join(
        ["2.1. Debian package management prerequisites", "2.1.2. Basic precautions"]
    )
    assert '  - Install them into "`/usr/local`" or "`/opt`", if needed.' in precautions.body


def test_a_help_centre_article_keeps_only_the_article(tmp_path: Path) -> None:
    page = tmp_path / "reset-key.html"
    page.write_text(HELP_CENTRE, encoding="utf-8")
    doc = _doc(page)
    assert doc.title == "Reset your API key"
    assert [(c.section, c.anchor) for c in doc.chunks] == [
        ("", "reset"),
        ("From the dashboard", "dashboard"),
        ("From the CLI", "cli"),
    ]
    top, dashboard, cli = (c.body for c in doc.chunks)
    assert top == "If a key leaked, roll it at once. The old key stops working after 12 hours."
    assert dashboard == "1. Open Developers.\n2. Click `Roll key`.\n   - Pick an expiry."
    assert cli.startswith("```shell\nacme keys roll \\\n    --expire 12h\n```")
    assert "| Plan | Keys |\n| --- | --- |\n| Free | 1 |\n| Team | 10 \\| more on request |" in cli
    text = "\n".join(c.body for c in doc.chunks)
    for gone in ("SECRET-ANALYTICS", "color: red", "Status", "Contact", "Keys</", "Related", "helpful", "©"):
        assert gone not in text


def test_pages_are_decoded_as_they_declare_and_otherwise_read_with_a_note(tmp_path: Path) -> None:
    latin = "<html><head><meta charset='iso-8859-15'><title>Caf\u00e9</title></head><body><p>\u20ac 5</p></body></html>"
    assert decode_html(latin.encode("iso-8859-15")) == (latin, None)
    sjis = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"></head>'
    assert decode_html((sjis + "<p>\u65e5\u672c</p>").encode("shift_jis"))[0].endswith("\u65e5\u672c</p>")
    bom = "\ufeff<p>utf-16 \u00e9</p>".encode("utf-16-le")
    assert decode_html(bom) == ("<p>utf-16 \u00e9</p>", None)
    undeclared = decode_html("<p>na\u00efve</p>".encode("cp1252"))
    assert undeclared == ("<p>na\u00efve</p>", "declares no encoding and is not UTF-8; read as windows-1252")
    lying = decode_html(b"<meta charset='utf-8'><p>caf\xe9</p>")
    assert lying[1] == "declares utf-8 but byte 28 is not valid utf-8; read as windows-1252"
    unknown = decode_html(b"<meta charset='klingon'><p>ok</p>")
    assert unknown == ("<meta charset='klingon'><p>ok</p>", "declares an unknown encoding 'klingon'; read as UTF-8")
    page = tmp_path / "legacy.html"
    page.write_bytes(b"<html><body><h1>Legacy</h1><p>caf\xe9 cr\xe8me</p></body></html>")
    walk = walk_paths([page])
    assert walk.documents[0].chunks[0].body == "caf\u00e9 cr\u00e8me"
    assert [(Path(n.path).name, n.reason) for n in walk.notes] == [
        ("legacy.html", "declares no encoding and is not UTF-8; read as windows-1252")
    ]


def test_malformed_and_empty_pages_are_read_or_skipped_with_the_file_and_the_reason(tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text("<html><body><h2>Title<p>unclosed <b>bold <pre>  code\n</div></td>text", encoding="utf-8")
    nav_only = tmp_path / "nav.html"
    nav_only.write_text("<nav><a href=a>A</a><a href=b>B</a></nav><footer>© me</footer>", encoding="utf-8")
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    deep = tmp_path / "deep.html"
    deep.write_text("<p>shallow text</p>" + "<div>" * 5000 + "deep text" + "</div>" * 5000, encoding="utf-8")
    walk = walk_paths([broken, nav_only, empty, deep])
    reasons = {Path(s.path).name: s.reason for s in walk.skipped}
    assert reasons == {
        "nav.html": "no text in the page once navigation is removed",
        "empty.html": "not readable as HTML: Document is empty",
    }
    bodies = {Path(d.source).name: "\n".join(c.body for c in d.chunks) for d in walk.documents}
    assert "unclosed bold" in bodies["broken.html"] and "  code" in bodies["broken.html"]
    assert bodies["deep.html"] == "shallow text"
    assert [(Path(n.path).name, n.reason) for n in walk.notes] == [
        ("deep.html", "nested more than 256 levels deep; the text past that depth was not read")
    ]


def test_a_page_above_the_size_limit_is_refused_without_being_read(tmp_path: Path) -> None:
    huge = tmp_path / "huge.html"
    with huge.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # a sparse 50 MB file: its size is all that is looked at
    (skipped,) = walk_paths([huge]).skipped
    assert skipped.reason == (
        f"file is {50 * 1024 * 1024:,} bytes; the limit for HTML files is {MAX_BYTES:,} (split it into smaller files)"
    )
