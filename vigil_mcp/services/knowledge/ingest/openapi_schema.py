"""An OpenAPI schema as field lines: `$ref`s resolved, nested properties flattened to dotted paths.

Every walk runs on a node budget shared by the whole spec, so `$ref` fan-out or YAML aliases
that would expand a small file into millions of nodes stop with `SpecTooLarge` instead of eating
memory; `$ref` cycles and nesting are cut at fixed depths.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import unquote

from vigil_mcp.services.knowledge.ingest.html_markdown import Converter, fragment_markdown

# Schema nodes one spec may cost to read: Stripe's 2.6 MB spec costs 21k.
MAX_NODES = 1_000_000
# Fields listed for one schema (Stripe's largest, `source`, has 224).
MAX_FIELDS = 1000
# `$ref` hops followed for one value, and dotted-path depth shown (`a.b.c.d.e`).
MAX_REF_HOPS = 16
MAX_FIELD_DEPTH = 5
# Enum values listed before "... (N more)".
MAX_ENUM_VALUES = 12
# Descriptions are cut here in field lines (Stripe's longest is ~1,900 characters).
MAX_DESCRIPTION_CHARS = 1500

Node = Mapping[str, Any]


class SpecTooLarge(Exception):
    """The spec expands past the node budget."""


@dataclass(frozen=True, slots=True)
class Field:
    """One flattened property: `path` (dotted), its type and notes, and its description."""

    path: str
    type: str
    notes: tuple[str, ...]
    description: str

    def line(self) -> str:
        """The field as a Markdown list item: "- `path` (type, notes): description"."""
        meta = ", ".join((self.type or "any", *self.notes))
        text = f"- `{self.path}` ({meta})"
        return f"{text}: {self.description}" if self.description else text


def scalar(value: object) -> str | None:
    """A YAML/JSON scalar as text; None for lists and mappings, which may be alias bombs when printed."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    return None


def as_node(value: object) -> Node | None:
    """The value as a mapping with string keys, or None."""
    if isinstance(value, Mapping):
        return cast(Node, value)
    return None


def json_pointer(*parts: str) -> str:
    """An RFC 6901 pointer ("/paths/~1v1~1customers/post") to the given keys."""
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


class Schemas:
    """Reads schemas of one spec: resolves references and flattens properties under a budget."""

    def __init__(self, spec: Node, converter: Converter | None = None) -> None:
        self.spec = spec
        self.converter = converter or Converter(literal_unknown=True)
        self.budget = MAX_NODES
        self._text_cache: dict[str, str] = {}

    def _spend(self, n: int = 1) -> None:
        self.budget -= n
        if self.budget < 0:
            raise SpecTooLarge(f"the spec expands past {MAX_NODES:,} schema nodes ($ref fan-out or YAML aliases)")

    def text(self, html: object, *, one_line: bool = False) -> str:
        """A description (HTML or Markdown) as text."""
        if not isinstance(html, str) or not html.strip():
            return ""
        cached = self._text_cache.get(html)
        if cached is None:
            cached = fragment_markdown(html, self.converter)
            self._text_cache[html] = cached
        if one_line:
            flat = " ".join(cached.split())
            return flat if len(flat) <= MAX_DESCRIPTION_CHARS else flat[: MAX_DESCRIPTION_CHARS - 1].rstrip() + "…"
        return cached

    def lookup(self, ref: str) -> Node | None:
        """The node a local `$ref` ("#/components/schemas/customer") points at."""
        if not ref.startswith("#/"):
            return None
        node: Any = self.spec
        for raw in ref[2:].split("/"):
            key = unquote(raw).replace("~1", "/").replace("~0", "~")
            mapping = as_node(node)
            if mapping is None or key not in mapping:
                return None
            node = mapping[key]
        return as_node(node)

    def resolve(self, value: object) -> tuple[Node, str]:
        """Follow `$ref`s: the node reached and the name of the last schema referenced ("" if none)."""
        node = as_node(value) or {}
        name = ""
        seen: set[str] = set()
        while isinstance(node.get("$ref"), str):
            self._spend()
            ref = str(node["$ref"])
            if ref in seen or len(seen) >= MAX_REF_HOPS:
                return {}, name
            seen.add(ref)
            name = ref.rsplit("/", 1)[-1]
            target = self.lookup(ref)
            if target is None:
                return {"description": f"(unresolved reference {ref})"}, name
            node = target
        return node, name

    # ---- describing one value -------------------------------------------------------------
    def _options(self, node: Node) -> list[tuple[Node, str]]:
        for key in ("anyOf", "oneOf"):
            options = node.get(key)
            if isinstance(options, list):
                return [self.resolve(o) for o in cast(list[object], options)]
        return []

    def type_of(self, node: Node, name: str = "") -> str:
        """A short type: `string`, `integer (unix-time)`, `array of card`, `string | payment_method`."""
        self._spend()
        if node.get("enum") == [""]:
            return '""'  # Stripe's "send an empty string to unset"
        options = self._options(node)
        if options:
            return " | ".join(dict.fromkeys(self.type_of(o, n) for o, n in options))
        if name and self._is_object(node):
            return name
        kind = node.get("type")
        if isinstance(kind, list):
            kind = " | ".join(k for k in map(scalar, cast(list[object], kind)) if k and k != "null")
        elif kind is not None:
            kind = scalar(kind)
        if kind == "array":
            items, item_name = self.resolve(node.get("items"))
            return f"array of {self.type_of(items, item_name)}"
        if kind == "object" and not node.get("properties"):
            extra, extra_name = self.resolve(node.get("additionalProperties"))
            if extra:
                return f"map of {self.type_of(extra, extra_name)}"
        if isinstance(node.get("allOf"), list):
            return name or "object"
        enum = node.get("enum")
        if kind is None and isinstance(enum, list):
            kind = "string"
        fmt = node.get("format")
        text = str(kind) if kind else ("object" if self._is_object(node) else name)
        return f"{text} ({fmt})" if text and isinstance(fmt, str) and fmt else text

    def _is_object(self, node: Node) -> bool:
        return node.get("type") == "object" or "properties" in node or "allOf" in node

    def properties(self, node: Node) -> tuple[dict[str, object], set[str]]:
        """Properties and required names of an object schema, `allOf` parts merged."""
        self._spend()
        props: dict[str, object] = {}
        required: set[str] = set()
        parts = node.get("allOf")
        for part in cast(list[object], parts) if isinstance(parts, list) else []:
            sub, _ = self.resolve(part)
            sub_props, sub_required = self.properties(sub)
            props.update(sub_props)
            required |= sub_required
        own = as_node(node.get("properties"))
        if own is not None:
            raw = cast(Mapping[object, object], own)  # YAML keys need not be strings
            props.update({k: v for k, v in raw.items() if isinstance(k, str)})
        req = node.get("required")
        if isinstance(req, list):
            required |= {r for r in cast(list[object], req) if isinstance(r, str)}
        return props, required

    def _nested(self, node: Node, name: str, expandable: bool) -> tuple[Node, str] | None:
        """The object a field's sub-fields come from, or None (scalars, expandable and top-level objects)."""
        candidates = self._options(node) or [(node, name)]
        if node.get("type") == "array":
            candidates = [self.resolve(node.get("items"))]
        objects = [(n, nm) for n, nm in candidates if self._is_object(n) and self.properties(n)[0]]
        if len(objects) != 1 or expandable:
            return None
        target, target_name = objects[0]
        # An object with its own API resource gets its own item; repeating its fields here would
        # copy it into every object that mentions it.
        if "x-resourceId" in target and target_name:
            return None
        return target, target_name

    def field_list(self, node: Node, *, note_required: bool = False, name: str = "") -> tuple[list[Field], bool]:
        """The fields of an object schema (at most MAX_FIELDS) and whether more were left out."""
        walk = self.fields(node, note_required=note_required, seen=frozenset({name} if name else ()))
        found = list(itertools.islice(walk, MAX_FIELDS + 1))
        return found[:MAX_FIELDS], len(found) > MAX_FIELDS

    def fields(
        self,
        node: Node,
        *,
        prefix: str = "",
        depth: int = 0,
        note_required: bool = False,
        seen: frozenset[str] = frozenset(),
    ) -> Iterator[Field]:
        """Every property of an object schema, nested objects flattened to dotted paths."""
        props, required = self.properties(node)
        for key in sorted(props):
            self._spend()
            value, ref_name = self.resolve(props[key])
            path = f"{prefix}.{key}" if prefix else key
            # Stripe's "expandable": an id string, or the object it names when expanded.
            options = self._options(value)
            expandable = len(options) >= 2 and options[0][0].get("type") == "string" and any(n for _, n in options[1:])
            notes: list[str] = []
            if note_required and key in required:
                notes.append("required")
            if expandable:
                notes.append("expandable")
            if value.get("nullable") is True:
                notes.append("nullable")
            if value.get("deprecated") is True:
                notes.append("deprecated")
            enum = self._enum(value)
            if enum:
                notes.append(enum)
            description = self.text(value.get("description"), one_line=True)
            yield Field(path, self.type_of(value, ref_name), tuple(notes), description)
            nested = self._nested(value, ref_name, expandable)
            if nested is None or depth + 1 >= MAX_FIELD_DEPTH or (nested[1] and nested[1] in seen):
                continue
            child, child_name = nested
            yield from self.fields(
                child,
                prefix=path,
                depth=depth + 1,
                note_required=note_required,
                seen=seen | {child_name} if child_name else seen,
            )

    def _enum(self, node: Node) -> str:
        values: list[object] = []
        for option in [node, *(o for o, _ in self._options(node))]:
            enum = option.get("enum")
            if isinstance(enum, list) and (enum != [""] or option is node):
                values.extend(cast(list[object], enum))
        shown = list(
            dict.fromkeys(
                "…" if scalar(v) is None else v if v and isinstance(v, str) else json.dumps(v) for v in values
            )
        )
        if not shown:
            return ""
        more = f" … ({len(shown) - MAX_ENUM_VALUES} more)" if len(shown) > MAX_ENUM_VALUES else ""
        return "one of: " + ", ".join(shown[:MAX_ENUM_VALUES]) + more
