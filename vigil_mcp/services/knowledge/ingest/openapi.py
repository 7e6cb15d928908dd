"""OpenAPI 3 specs (JSON or YAML): one item per schema and one per operation, each citing its pointer.

A `.json`/`.yaml` file is read as a spec only when it has a top-level `openapi: 3.x` key; anything
else is skipped with the reason. A schema's item holds its description and its fields (nested
objects flattened to dotted paths such as `invoice_settings.default_payment_method`, each with its
type, notes and description); an operation's item holds the method, path, summary, description,
parameters, request body fields and what it returns. Descriptions go through the same HTML-to-text
converter as HTML pages. `Chunk.anchor` is the JSON pointer (`/components/schemas/customer`), so
`spec.json#/components/schemas/customer` cites the item.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import yaml

from vigil_mcp.models import SkippedInput
from vigil_mcp.services.knowledge.chunking import MAX_CHUNK_CHARS, SECTION_SEP, Chunk, pack
from vigil_mcp.services.knowledge.ingest.document import Document, Parsed
from vigil_mcp.services.knowledge.ingest.openapi_schema import (
    Field,
    Node,
    Schemas,
    SpecTooLarge,
    as_node,
    json_pointer,
    scalar,
)

JSON_SUFFIXES = frozenset({".json"})
YAML_SUFFIXES = frozenset({".yaml", ".yml"})
SUFFIXES = JSON_SUFFIXES | YAML_SUFFIXES
PARSER = "openapi-1"
# GitHub's REST description, among the largest public specs, is ~12 MB of JSON; Python holds
# about ten times a spec's size while reading it.
MAX_BYTES = 32 * 1024 * 1024
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_BODY_TYPES = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")

# libyaml's loader when PyYAML was built with it (10x faster); both are the safe loaders.
_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# A YAML file whose aliases expand it past this many nodes is refused ("billion laughs"): the
# loader shares aliased nodes, but anything that walks the document pays for every copy.
MAX_EXPANDED_NODES = 2_000_000


def expanded_size(root: object, limit: int = MAX_EXPANDED_NODES) -> int | None:
    """How many nodes `root` has once every alias is expanded, or None past `limit` or if it is recursive."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        children = _children(node)
        if children is None:
            continue
        key = id(node)
        if done:
            active.discard(key)
            total = 1 + sum(sizes.get(id(c), 1) for c in children)
            if total > limit:
                return None
            sizes[key] = total
        elif key not in sizes:
            if key in active:
                return None  # an alias to an ancestor: the document never ends
            active.add(key)
            stack.append((node, True))
            stack.extend((c, False) for c in children if _children(c) is not None and id(c) not in sizes)
    return sizes.get(id(root), 1)


def _children(node: object) -> list[object] | None:
    if isinstance(node, dict):
        return list(cast(dict[object, object], node).values())
    if isinstance(node, list):
        return cast(list[object], node)
    return None


def load_spec(path: Path, data: bytes) -> tuple[Node | None, str]:
    """The spec as a mapping, or None and why it is not an OpenAPI 3 document."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 (byte {exc.start}); OpenAPI files are UTF-8"
    try:
        if path.suffix.lower() in YAML_SUFFIXES:
            loaded: object = yaml.load(text, Loader=_YamlLoader)  # a safe loader
            if expanded_size(loaded) is None:
                return None, (
                    f"its YAML aliases expand it past {MAX_EXPANDED_NODES:,} nodes or into a loop "
                    "(an alias bomb); refused"
                )
        else:
            loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"not JSON: {exc.msg} (line {exc.lineno})"
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        return None, f"not YAML: {getattr(exc, 'problem', None) or exc}{where}"
    except RecursionError:
        return None, "nested too deeply to read"
    spec = as_node(loaded)
    if spec is None:
        return None, "not an OpenAPI 3 document (the top level is not a mapping)"
    version = spec.get("openapi")
    if version is None:
        if "swagger" in spec:
            return None, "a Swagger 2.0 spec; vigil reads OpenAPI 3 (convert it first, e.g. with swagger2openapi)"
        return None, "not an OpenAPI 3 document (no top-level 'openapi: 3.x' key)"
    text = scalar(version)
    if text is None or not text.strip("'\"").startswith("3"):
        return None, f"OpenAPI version {text or 'of an odd shape'}; vigil reads OpenAPI 3.x"
    return spec, ""


def _mapping(node: Node, key: str) -> Node:
    return as_node(node.get(key)) or {}


def _items(node: Node) -> list[tuple[str, object]]:
    """A mapping's entries by key as text (YAML may give numbers or booleans as keys)."""
    return sorted((key, v) for k, v in node.items() if (key := scalar(k)) is not None)


def _field_block(heading: str, found: tuple[list[Field], bool]) -> list[str]:
    fields, more = found
    if not fields:
        return []
    tail = ["", f"(Only the first {len(fields)} fields are listed.)"] if more else []
    return ["", f"#### {heading}", "", *(f.line() for f in fields), *tail]


class _Reader:
    def __init__(self, spec: Node, title: str) -> None:
        self.spec = spec
        self.title = title
        self.schemas = Schemas(spec)

    def chunks(self, section: str, anchor: str, head: str, lines: list[str]) -> list[Chunk]:
        bodies = [part.strip() for part in pack([head.rstrip("\n"), *lines], MAX_CHUNK_CHARS, "\n")]
        return [
            Chunk(
                title=self.title,
                section=section if len(bodies) == 1 else f"{section} (part {i + 1})",
                body=body,
                anchor=anchor,
            )
            for i, body in enumerate(bodies)
        ]

    def schema_items(self) -> Iterator[Chunk]:
        for name, raw in _items(_mapping(_mapping(self.spec, "components"), "schemas")):
            node, _ = self.schemas.resolve(raw)
            kind = self.schemas.type_of(node) or "schema"
            label = node.get("title")
            heading = f"### {name} {'object' if kind == 'object' else kind}"
            if isinstance(label, str) and label.strip() and label.strip().lower() != name.lower():
                heading += f" ({label.strip()})"
            head = [heading]
            description = self.schemas.text(node.get("description"))
            if description:
                head += ["", description]
            enum = self.schemas._enum(node)  # pyright: ignore[reportPrivateUsage]
            if enum and kind != "object":
                head += ["", f"Values: {enum.removeprefix('one of: ')}"]
            lines = _field_block("Fields", self.schemas.field_list(node, name=name))
            section = SECTION_SEP.join(("Objects", name))
            yield from self.chunks(section, json_pointer("components", "schemas", name), "\n".join(head) + "\n", lines)

    def operation_items(self) -> Iterator[Chunk]:
        for route, raw in _items(_mapping(self.spec, "paths")):
            item, _ = self.schemas.resolve(raw)
            shared = item.get("parameters")
            for method in METHODS:
                op = as_node(item.get(method))
                if op is None:
                    continue
                yield from self._operation(route, method, op, shared)

    def _parameters(self, op: Node, shared: object) -> list[Field]:
        by_key: dict[tuple[str, str], Field] = {}
        for group in (shared, op.get("parameters")):
            for raw in cast(list[object], group) if isinstance(group, list) else []:
                param, _ = self.schemas.resolve(raw)
                name, where = param.get("name"), param.get("in")
                if not isinstance(name, str) or not isinstance(where, str):
                    continue
                schema, schema_name = self.schemas.resolve(param.get("schema"))
                notes = [f"in {where}"]
                if param.get("required") is True:
                    notes.append("required")
                if param.get("deprecated") is True:
                    notes.append("deprecated")
                kind = self.schemas.type_of(schema, schema_name)
                description = self.schemas.text(param.get("description") or schema.get("description"), one_line=True)
                by_key[(where, name)] = Field(name, kind, tuple(notes), description)
        return list(by_key.values())

    def _body(self, op: Node) -> tuple[str, tuple[list[Field], bool]]:
        body, _ = self.schemas.resolve(op.get("requestBody"))
        content = _mapping(body, "content")
        if not content:
            return "", ([], False)
        media = next((m for m in _BODY_TYPES if m in content), str(next(iter(content))))
        schema, name = self.schemas.resolve(_mapping(content, media).get("schema"))
        return media, self.schemas.field_list(schema, note_required=True, name=name)

    def _returns(self, op: Node) -> str:
        for code, raw in _items(_mapping(op, "responses")):
            if not code.startswith("2"):
                continue
            response, _ = self.schemas.resolve(raw)
            for media in _mapping(response, "content").values():
                schema, name = self.schemas.resolve(_mapping(as_node(media) or {}, "schema"))
                kind = self.schemas.type_of(schema, name)
                if kind:
                    return f"Returns `{kind}` ({code})."
            description = self.schemas.text(response.get("description"), one_line=True)
            if description:
                return f"Returns {code}: {description}"
        return ""

    def _operation(self, route: str, method: str, op: Node, shared: object) -> Iterator[Chunk]:
        verb = method.upper()
        head = [f"### {verb} {route}"]
        summary = self.schemas.text(op.get("summary"), one_line=True)
        if summary:
            head[0] += f" — {summary}"
        if op.get("deprecated") is True:
            head[0] += " (deprecated)"
        description = self.schemas.text(op.get("description"))
        if description:
            head += ["", description]
        returns = self._returns(op)
        if returns:
            head += ["", returns]
        params = self._parameters(op, shared)
        media, body_fields = self._body(op)
        lines = _field_block("Parameters", (params, False)) + _field_block(f"Request body ({media})", body_fields)
        tags = op.get("tags")
        tag = str(cast(list[object], tags)[0]) if isinstance(tags, list) and tags else ""
        section = SECTION_SEP.join(p for p in ("Operations", tag, f"{verb} {route}") if p)
        yield from self.chunks(section, json_pointer("paths", route, method), "\n".join(head) + "\n", lines)


def openapi_document(path: Path, data: bytes) -> Parsed:
    """An OpenAPI 3 spec as one document; a file that is not one is skipped with the reason."""
    parsed = Parsed()
    spec, reason = load_spec(path, data)
    if spec is None:
        parsed.skipped.append(SkippedInput(path=str(path), reason=reason))
        return parsed
    info = _mapping(spec, "info")
    raw_title = info.get("title")
    title = raw_title.strip() if isinstance(raw_title, str) and raw_title.strip() else path.stem
    reader = _Reader(spec, title)
    try:
        chunks = [*reader.schema_items(), *reader.operation_items()]
    except SpecTooLarge as exc:
        parsed.skipped.append(SkippedInput(path=str(path), reason=f"{exc}; it was not ingested"))
        return parsed
    except RecursionError:
        parsed.skipped.append(SkippedInput(path=str(path), reason="schemas nested too deeply to read"))
        return parsed
    if not chunks:
        parsed.skipped.append(SkippedInput(path=str(path), reason="an OpenAPI spec with no schemas and no paths"))
        return parsed
    parsed.documents.append(Document(source=str(path.resolve()), title=title, chunks=chunks, tags=("openapi",)))
    return parsed
