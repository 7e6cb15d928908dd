"""A strict reader and writer for the YAML subset SKILL.md front matter uses.

PyYAML is not a dependency, and a full YAML parser would accept what other skill readers take
differently (`version: 1` is a number to PyYAML and js-yaml, a string to strictyaml). This reader
takes only what every one of them reads the same way: `key: value` lines, quoted strings,
`|`/`>` block scalars and one level of nested string map (for `metadata`). Every scalar is a
string; a plain scalar YAML would type as a number, boolean, null or date must be quoted.
Anything else is refused with the line and a fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

Value = str | dict[str, str]

DELIMITER = "---"
_KEY = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_.-]*) *:(?: +(.*?))? *$")
_BLOCK_HEADER = re.compile(r"^([|>])([+-]?)$")
# YAML 1.1 (PyYAML) and 1.2 core (js-yaml) implicit types: a plain scalar matching one of these
# is not a string to those parsers, so it must be quoted to mean the same thing everywhere.
_IMPLICIT = [
    ("a number", re.compile(r"^[-+]?(?:[0-9][0-9_]*|0x[0-9a-fA-F_]+|0o?[0-7_]+|0b[01_]+)$")),
    (
        "a number",
        re.compile(r"^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?$|^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"),
    ),
    ("a number", re.compile(r"^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$")),
    ("a number", re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")),
    (
        "a boolean",
        re.compile(r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$"),
    ),
    ("null", re.compile(r"^(?:~|null|Null|NULL)$")),
    ("a date", re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ][0-9:. +\-Zz]*)?$")),
    ("a YAML 1.1 value or merge marker", re.compile(r"^(?:=|<<)$")),
]
_PLAIN_START_FORBIDDEN = set("[]{},&*!|>%@`#")
# YAML's printable set less the characters YAML 1.1 takes as line breaks (NEL, LS, PS): anything else
# is refused in a file and escaped when writing.
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", "f": "\f"}


class FrontMatterError(Exception):
    """A front-matter problem at a line of the file (1-based), with how to fix it."""

    def __init__(self, line: int | None, message: str, fix: str) -> None:
        super().__init__(line, message, fix)
        self.line = line
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.message}. Fix: {self.fix}"


@dataclass(slots=True)
class ParsedFile:
    """A SKILL.md split into its front matter (as written) and its Markdown body."""

    fields: dict[str, Value]
    lines: dict[str, int] = field(default_factory=dict[str, int])  # "name" or "metadata.version" -> line
    body: str = ""
    body_line: int = 1


def implicit_type(plain: str) -> str | None:
    """What YAML parsers would read an unquoted scalar as, when not a string."""
    for kind, pattern in _IMPLICIT:
        if pattern.match(plain):
            return kind
    return None


def _split(text: str) -> tuple[list[str], str, int]:
    """(front-matter lines, body, line number where the body starts)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip(" \t") != DELIMITER:
        raise FrontMatterError(
            1,
            "SKILL.md does not start with YAML front matter",
            "make the first line `---`, then `name:` and `description:` lines, then a closing `---`",
        )
    for index in range(1, len(lines)):
        if lines[index].rstrip(" \t") == DELIMITER:
            return lines[1:index], "\n".join(lines[index + 1 :]), index + 2
    raise FrontMatterError(
        len(lines), "the front matter is never closed", "add a line `---` after the last front-matter field"
    )


def _after_quote(rest: str, line: int) -> None:
    """After a closing quote only spaces may follow, then optionally a ` #` comment."""
    if rest.strip(" ") and not re.match(r" +#", rest):
        raise FrontMatterError(line, f"unexpected text {rest.strip()!r} after the closing quote", "remove it")


def _double_quoted(raw: str, line: int) -> str:
    out: list[str] = []
    i = 1
    while i < len(raw):
        char = raw[i]
        if char == '"':
            _after_quote(raw[i + 1 :], line)
            return "".join(out)
        if char == "\\":
            nxt = raw[i + 1 : i + 2]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", raw[i + 2 : i + 6]):
                out.append(chr(int(raw[i + 2 : i + 6], 16)))
                i += 6
                continue
            raise FrontMatterError(line, f"unknown escape \\{nxt} in a double-quoted string", "write \\\\ for \\")
        out.append(char)
        i += 1
    raise FrontMatterError(
        line,
        "a double-quoted string is not closed on its line",
        "close the quote on the same line, or use `description: >` with the text on indented lines below",
    )


def _single_quoted(raw: str, line: int) -> str:
    out: list[str] = []
    i = 1
    while i < len(raw):
        if raw[i] == "'":
            if raw[i + 1 : i + 2] == "'":
                out.append("'")
                i += 2
                continue
            _after_quote(raw[i + 1 :], line)
            return "".join(out)
        out.append(raw[i])
        i += 1
    raise FrontMatterError(line, "a single-quoted string is not closed on its line", "close the quote on the same line")


def _scalar(raw: str, line: int, key: str) -> str:
    """One inline value: quoted, or plain (with YAML's rules for what plain may hold)."""
    short = key.rsplit(".", 1)[-1]
    if raw.startswith('"'):
        return _double_quoted(raw, line)
    if raw.startswith("'"):
        return _single_quoted(raw, line)
    if raw[0] in _PLAIN_START_FORBIDDEN or raw.startswith(("- ", "? ")) or raw in ("-", "?"):
        what = "a list or map in flow style" if raw[0] in "[{" else f"text starting with {raw[0]!r}"
        raise FrontMatterError(
            line,
            f"{key}: {what} is not allowed here",
            f'quote the value (`{short}: "{raw}"`), or write a map as indented `key: value` lines',
        )
    if "\t" in raw:
        raise FrontMatterError(line, f"{key}: an unquoted value holds a tab, which YAML parsers refuse", "use spaces")
    comment = re.search(r"[ \t]#", raw)
    value = raw[: comment.start()].rstrip(" \t") if comment else raw
    if ": " in value or value.endswith(":"):
        raise FrontMatterError(
            line,
            f"{key}: an unquoted value may not contain ': ' (YAML would read a map)",
            f"put the value in double quotes: {short}: {json.dumps(value, ensure_ascii=False)}",
        )
    kind = implicit_type(value)
    if kind is not None:
        raise FrontMatterError(
            line,
            f"{key}: {value} would be read as {kind}, not as text, by YAML parsers",
            f'quote it: {short}: "{value}"',
        )
    return value


def _block(
    header: str, lines: list[str], start: int, first_line: int, key: str, parent_indent: int = 0
) -> tuple[str, int]:
    """A `|` or `>` block scalar from lines[start:]; returns (text, next index)."""
    match = _BLOCK_HEADER.match(header)
    if not match:
        raise FrontMatterError(
            first_line,
            f"{key}: block header {header!r} is not supported",
            "use `|` (keep line breaks) or `>` (fold lines), optionally followed by `-` or `+`",
        )
    style, chomp = match.groups()
    end = start
    indent: int | None = None
    while end < len(lines):
        text = lines[end]
        lineno = first_line + end - start + 1
        if text.startswith("\t"):
            raise FrontMatterError(lineno, "a tab indents this line", "indent with spaces")
        if text and not text.strip(" \t"):
            # YAML gives whitespace-only lines in blocks subtle meanings; parsers disagree on them.
            raise FrontMatterError(lineno, f"{key}: this line holds only spaces or tabs", "make it empty")
        if not text and indent is None:
            raise FrontMatterError(lineno, f"{key}: the block starts with an empty line", "start with the text")
        if text.strip(" \t"):
            width = len(text) - len(text.lstrip(" "))
            if width <= parent_indent:
                break
            if indent is None:
                indent = width
            elif width < indent:
                raise FrontMatterError(
                    lineno,
                    f"{key}: this line is indented less than the first line of the block",
                    f"indent every line of the block by at least {indent} spaces",
                )
        end += 1
    content_end = end
    while content_end > start and not lines[content_end - 1].strip(" \t"):
        content_end -= 1  # trailing blank lines belong to the chomping, not the content
    trailing = end - content_end
    body = [text[indent or 0 :] if text.strip(" \t") else "" for text in lines[start:content_end]]
    if not body:
        raise FrontMatterError(
            first_line, f"{key}: the block is empty", f"write the text on indented lines below {key}"
        )
    if style == ">":
        for offset, text in enumerate(body):
            if text.startswith((" ", "\t")):
                raise FrontMatterError(
                    first_line + offset + 1,
                    f"{key}: this line of a folded (>) block is indented more than the others",
                    "indent every line the same, or use `|` to keep the lines as written",
                )
    content = "\n".join(body) if style == "|" else _fold(body)
    if chomp == "-":
        return content, end
    if chomp == "+":
        return content + "\n" * (1 + trailing), end
    return content + "\n", end


def _fold(lines: list[str]) -> str:
    """YAML folding of equally indented lines: they join with a space; each empty line is a break."""
    out = ""
    previous: str | None = None
    for text in lines:
        if previous is None:
            out = text
        elif not text:
            out += "\n"
        else:
            out += (" " if previous else "") + text
        previous = text
    return out


def _nested(lines: list[str], start: int, first_line: int, parent: str) -> tuple[dict[str, str], dict[str, int], int]:
    """An indented `key: value` map under `parent:`; returns (map, lines, next index)."""
    result: dict[str, str] = {}
    where: dict[str, int] = {}
    indent: int | None = None
    index = start
    while index < len(lines):
        text = lines[index]
        lineno = first_line + index - start + 1
        stripped = text.strip(" \t")
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        width = len(text) - len(text.lstrip(" "))
        if width == 0:
            break
        if text[width : width + 1] == "\t":
            raise FrontMatterError(lineno, "a tab indents this line", "indent with spaces")
        if indent is None:
            indent = width
        if width != indent:
            raise FrontMatterError(
                lineno,
                f"{parent}: this line is indented differently from the lines above it",
                f"indent every entry of {parent} by {indent} spaces; values are plain strings, not nested maps",
            )
        if stripped.startswith("- ") or stripped == "-":
            raise FrontMatterError(
                lineno,
                f"{parent}: lists are not allowed here",
                f"{parent} is a map of strings: write `key: value`, or join the items into one string",
            )
        match = _KEY.match(text[width:])
        if not match:
            raise FrontMatterError(lineno, f"{parent}: expected `key: value`", "write one `key: value` per line")
        key, raw = match.group(1), match.group(2)
        full = f"{parent}.{key}"
        if key in result:
            raise FrontMatterError(lineno, f"{full} appears twice (first on line {where[full]})", "keep one of them")
        if not raw:
            raise FrontMatterError(
                lineno,
                f"{full} has no value",
                f'give it a string value, such as {key}: "..." (nested maps are not allowed)',
            )
        if _BLOCK_HEADER.match(raw):
            value, index = _block(raw, lines, index + 1, lineno, full, width)
        else:
            value = _scalar(raw, lineno, full)
            index += 1
        result[key] = value
        where[full] = lineno
    return result, where, index


def parse(text: str) -> ParsedFile:
    """Split and read a SKILL.md; raises FrontMatterError with the line and a fix."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    lines, body, body_line = _split(text)
    for number, text_line in enumerate(lines, start=2):
        if text_line.startswith("\t") or ("\t" in text_line and not text_line.strip(" \t")):
            raise FrontMatterError(number, "a tab starts this line; YAML refuses tabs there", "use spaces")
        bad = _NOT_PRINTABLE.search(text_line.replace("\r", "\x00"))
        if bad:
            raise FrontMatterError(
                number,
                f"the front matter holds the control character U+{ord(bad.group()):04X}, which YAML refuses",
                "delete it (or write it as an escape inside double quotes)",
            )
    fields: dict[str, Value] = {}
    where: dict[str, int] = {}
    index = 0
    while index < len(lines):
        text_line = lines[index]
        lineno = index + 2  # line 1 is the opening ---
        stripped = text_line.strip(" \t")
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        if text_line[0] in " \t":
            raise FrontMatterError(
                lineno,
                "this line is indented but belongs to no field (plain values cannot continue on a second line)",
                "put a long value on one line, or write `key: >` and the text on indented lines below it",
            )
        match = _KEY.match(text_line)
        if not match:
            raise FrontMatterError(lineno, f"expected `key: value`, got {stripped[:40]!r}", "write `key: value`")
        key, raw = match.group(1), match.group(2)
        if key in fields:
            raise FrontMatterError(lineno, f"{key} appears twice (first on line {where[key]})", "keep one of them")
        where[key] = lineno
        if not raw:
            nested, nested_lines, index = _nested(lines, index + 1, lineno, key)
            if not nested:
                raise FrontMatterError(lineno, f"{key} has no value", f"give {key} a value or remove the line")
            fields[key] = nested
            where.update(nested_lines)
            continue
        if _BLOCK_HEADER.match(raw) or raw[0] in "|>":
            fields[key], index = _block(raw, lines, index + 1, lineno, key)
            continue
        fields[key] = _scalar(raw, lineno, key)
        index += 1
    return ParsedFile(fields=fields, lines=where, body=body, body_line=body_line)


def _plain_ok(value: str) -> bool:
    if not value or value != value.strip() or "\n" in value or value[0] in _PLAIN_START_FORBIDDEN:
        return False
    if value[0] in "\"'-?:" or ": " in value or " #" in value or value.endswith(":"):
        return False
    return implicit_type(value) is None and value.isprintable()


def dump_scalar(value: str) -> str:
    """A string as a YAML scalar every parser reads back as that same string."""
    if _plain_ok(value) and DELIMITER not in value:
        return value
    quoted = json.dumps(value, ensure_ascii=False)
    # Readers that split the file on "---" (the reference validator does) must not cut a value.
    quoted = quoted.replace(DELIMITER, "\\u002d--")
    return _NOT_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def dump(fields: Mapping[str, Value]) -> str:
    """Front matter, delimiters included, that `parse` (and any YAML parser) reads back unchanged."""
    out = [DELIMITER]
    for key, value in fields.items():
        if isinstance(value, str):
            out.append(f"{key}: {dump_scalar(value)}")
        else:
            out.append(f"{key}:")
            out.extend(f"  {sub}: {dump_scalar(text)}" for sub, text in value.items())
    out.append(DELIMITER)
    return "\n".join(out) + "\n"
