"""SKILL.md front matter: read with PyYAML's safe composer, strictly; written so every YAML reader agrees.

The strictness is ours, the parsing is PyYAML's: the front matter must be one block mapping of
string keys to strings, plus one level of nested string map (`metadata`). Every scalar must be a
string to every reader: a plain scalar that YAML would type as a number, boolean, null or date
(`version: 1` is a number to PyYAML and js-yaml, a string to strictyaml) must be quoted. Lists,
flow style, anchors, aliases, tags and duplicate keys are refused. Each problem names the line
and the fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Value = str | dict[str, str]

DELIMITER = "---"
_STR = "tag:yaml.org,2002:str"
_TYPES = {
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:value": "a YAML 1.1 value or merge marker",
    "tag:yaml.org,2002:merge": "a YAML 1.1 value or merge marker",
}
# YAML's printable set less the characters YAML 1.1 takes as line breaks (NEL, LS, PS): escaped when writing.
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_RESOLVER = yaml.SafeLoader("")
# libyaml's C parser when PyYAML has it (its wheels do): the same YAML, several times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN_START_FORBIDDEN = set("[]{},&*!|>%@`#\"'-?:")


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
    """What YAML readers would take an unquoted scalar for, when not a string."""
    # How PyYAML's safe loader types plain scalars (the stubs leave resolve untyped).
    resolve = cast(Callable[..., str], _RESOLVER.resolve)  # pyright: ignore[reportUnknownMemberType]
    tag = str(resolve(ScalarNode, plain, (True, False)))
    return _TYPES.get(tag) if tag != _STR else None


def _split(text: str) -> tuple[str, str, int]:
    """(front-matter text, body, line number where the body starts)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip(" \t") != DELIMITER:
        raise FrontMatterError(
            1,
            "SKILL.md does not start with YAML front matter",
            "make the first line `---`, then `name:` and `description:` lines, then a closing `---`",
        )
    for index in range(1, len(lines)):
        if lines[index].rstrip(" \t") == DELIMITER:
            return "\n".join(lines[1:index]) + "\n", "\n".join(lines[index + 1 :]), index + 2
    raise FrontMatterError(
        len(lines), "the front matter is never closed", "add a line `---` after the last front-matter field"
    )


def _line(node: Node) -> int:
    return node.start_mark.line + 2  # line 1 is the opening ---


def _string(node: Node, key: str, line: int | None = None) -> str:
    """A scalar value that is a string to every reader (`key` is dotted; `line` that of its key)."""
    short = key.rsplit(".", 1)[-1]
    at = line or _line(node)
    if isinstance(node, SequenceNode):
        raise FrontMatterError(_line(node), f"{key} is a list; lists are not allowed", "write one string")
    if isinstance(node, MappingNode):
        raise FrontMatterError(
            at, f"{key} is a map; nested maps are not allowed", f'give it a string value, such as {short}: "..."'
        )
    assert isinstance(node, ScalarNode)
    if not node.style and node.tag != _STR:  # a plain scalar (style None, or '' from libyaml)
        kind = _TYPES.get(node.tag, "something other than a string")
        raise FrontMatterError(
            _line(node),
            f"{key}: {node.value} would be read as {kind} by YAML parsers",
            f'quote it: {short}: "{node.value}"',
        )
    return str(node.value)


def _refuse_extras(front: str) -> None:
    """Anchors, aliases and explicit tags: YAML features skill readers do not agree on."""
    for event in yaml.parse(front, Loader=_LOADER):
        line = event.start_mark.line + 2 if event.start_mark is not None else None
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise FrontMatterError(line, "anchors and aliases (&, *) are not allowed here", "write the value itself")
        tag = getattr(event, "tag", None)
        if tag is not None and not getattr(event, "implicit", (True,))[0]:
            raise FrontMatterError(line, f"the tag {tag} is not allowed here", "remove it")
        if getattr(event, "flow_style", None):
            raise FrontMatterError(
                line, "flow style ({...} or [...]) is not allowed", "write one `key: value` per line"
            )


def _mapping(node: MappingNode, parent: str | None, lines: dict[str, int]) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for key_node, value_node in node.value:
        key = _string(key_node, "a key")
        full = f"{parent}.{key}" if parent else key
        if full in lines:
            raise FrontMatterError(
                _line(key_node), f"{full} appears twice (first on line {lines[full]})", "keep one of them"
            )
        lines[full] = _line(key_node)
        if isinstance(value_node, MappingNode) and parent is None:
            nested = _mapping(value_node, key, lines)
            out[key] = {k: v for k, v in nested.items() if isinstance(v, str)}
        elif isinstance(value_node, ScalarNode) and value_node.tag == "tag:yaml.org,2002:null" and not value_node.value:
            raise FrontMatterError(_line(key_node), f"{full} has no value", f"give {full} a value or remove the line")
        else:
            out[key] = _string(value_node, full, _line(key_node))
    return out


def parse(text: str) -> ParsedFile:
    """Split and read a SKILL.md; raises FrontMatterError with the line and a fix."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    front, body, body_line = _split(text)
    try:
        if any(mark in front for mark in "&*!{["):  # only then can there be anchors, aliases, tags or flow style
            _refuse_extras(front)
        root = yaml.compose(front, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "not valid YAML"
        fix = "write `key: value` lines"
        if "'\\t'" in problem or "tab character" in problem:
            problem, fix = "a tab starts this line; YAML refuses tabs there", "use spaces"
        if "mapping values are not allowed" in problem:
            fix = 'a value may not contain ": " unquoted: quote it, "like: this"'
        raise FrontMatterError(mark.line + 2 if mark else None, problem, fix) from None
    except yaml.reader.ReaderError as exc:
        line = front[: exc.position].count("\n") + 2
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        raise FrontMatterError(
            line,
            f"the front matter holds the control character U+{code:04X}, which YAML refuses",
            "delete it (or write it as an escape inside double quotes)",
        ) from None
    except yaml.YAMLError as exc:
        raise FrontMatterError(None, f"not valid YAML ({exc})", "write `key: value` lines") from None
    if root is None:
        return ParsedFile(fields={}, body=body, body_line=body_line)
    if not isinstance(root, MappingNode):
        raise FrontMatterError(_line(root), "the front matter is not `key: value` lines", "write `key: value` lines")
    lines: dict[str, int] = {}
    return ParsedFile(fields=_mapping(root, None, lines), lines=lines, body=body, body_line=body_line)


def _plain_ok(value: str) -> bool:
    if not value or value != value.strip() or "\n" in value or value[0] in _PLAIN_START_FORBIDDEN:
        return False
    if ": " in value or " #" in value or value.endswith(":"):
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
            out.append(f"{dump_scalar(key)}: {dump_scalar(value)}")
        else:
            out.append(f"{dump_scalar(key)}:")
            # A key is a scalar too: `on` or `yes` plain would be read back as a boolean.
            out.extend(f"  {dump_scalar(sub)}: {dump_scalar(text)}" for sub, text in value.items())
    out.append(DELIMITER)
    return "\n".join(out) + "\n"
