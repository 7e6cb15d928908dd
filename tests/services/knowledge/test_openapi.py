import json
from pathlib import Path

import yaml

from vigil_mcp.services.knowledge.chunking import Chunk
from vigil_mcp.services.knowledge.ingest import walk_paths
from vigil_mcp.services.knowledge.ingest.openapi import openapi_document

EXCERPT = Path(__file__).resolve().parents[2] / "fixtures" / "docs" / "stripe-api" / "openapi-excerpt.json"


def _chunks(path: Path) -> list[Chunk]:
    parsed = openapi_document(path, path.read_bytes())
    assert parsed.skipped == []
    (doc,) = parsed.documents
    assert doc.title == "Stripe API"
    assert doc.source == str(path.resolve())
    return doc.chunks


def _item(chunks: list[Chunk], anchor: str) -> str:
    return "\n".join(c.body for c in chunks if c.anchor == anchor)


def test_every_schema_and_operation_is_an_item_citing_its_json_pointer() -> None:
    spec = json.loads(EXCERPT.read_text(encoding="utf-8"))
    chunks = _chunks(EXCERPT)
    anchors = {c.anchor for c in chunks}
    assert {f"/components/schemas/{name}" for name in spec["components"]["schemas"]} <= anchors
    assert "/paths/~1v1~1customers/post" in anchors
    assert "/paths/~1v1~1customers~1{customer}/get" in anchors
    sections = {c.section.split(" (part")[0] for c in chunks}
    assert {
        "Objects > customer",
        "Operations > POST /v1/customers",
        "Operations > GET /v1/customers/{customer}",
    } <= sections


def test_nested_fields_are_flattened_to_dotted_paths_with_type_notes_and_description() -> None:
    customer = _item(_chunks(EXCERPT), "/components/schemas/customer")
    assert customer.startswith("### customer object\n")
    assert (
        "- `invoice_settings.default_payment_method` (string | payment_method, expandable, nullable): "
        "ID of the default payment method used for subscriptions and invoices for the customer."
    ) in customer
    assert "- `address.city` (string, nullable): City/District/Suburb/Town/Village." in customer
    assert "- `tax_exempt` (string, nullable, one of: exempt, none, reverse): " in customer
    assert "- `metadata` (map of string): " in customer
    # A resource with its own item is named, not copied in.
    assert "- `default_source` (string | alipay_account | bank_account | bitcoin_receiver | card | source," in customer
    assert "default_source.id" not in customer


def test_operations_list_method_path_description_parameters_and_body_fields() -> None:
    chunks = _chunks(EXCERPT)
    create = _item(chunks, "/paths/~1v1~1customers/post")
    assert create.startswith("### POST /v1/customers\n\nCreates a new customer object.\n\nReturns `customer` (200).")
    assert "<p>" not in create
    assert "#### Request body (application/x-www-form-urlencoded)" in create
    assert "- `address.line1` (string, required)" in create
    assert '- `address` (object | "")' in create
    get = _item(chunks, "/paths/~1v1~1customers~1{customer}/get")
    assert "- `customer` (string, in path, required): The identifier of the customer to be retrieved." in get
    assert "- `expand` (array of string, in query): Specifies which fields in the response should be expanded." in get
    assert "Returns `customer | deleted_customer` (200)." in get


def test_a_yaml_spec_reads_like_the_same_spec_in_json(tmp_path: Path) -> None:
    spec = json.loads(EXCERPT.read_text(encoding="utf-8"))
    as_yaml = tmp_path / "stripe.yaml"
    as_yaml.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    assert [(c.section, c.body, c.anchor) for c in _chunks(as_yaml)] == [
        (c.section, c.body, c.anchor) for c in _chunks(EXCERPT)
    ]


def test_reference_cycles_and_dangling_references_do_not_loop(tmp_path: Path) -> None:
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "Tree API", "version": "1"},
        "paths": {},
        "components": {
            "schemas": {
                "node": {
                    "type": "object",
                    "properties": {
                        "parent": {"$ref": "#/components/schemas/node"},
                        "meta": {"$ref": "#/components/schemas/meta"},
                        "ghost": {"$ref": "#/components/schemas/missing"},
                        "self": {"$ref": "#/components/schemas/loop_a"},
                    },
                },
                "meta": {"type": "object", "properties": {"owner": {"$ref": "#/components/schemas/node"}}},
                "loop_a": {"$ref": "#/components/schemas/loop_b"},
                "loop_b": {"$ref": "#/components/schemas/loop_a"},
            }
        },
    }
    path = tmp_path / "tree.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    parsed = openapi_document(path, path.read_bytes())
    node = "\n".join(c.body for c in parsed.documents[0].chunks if c.anchor == "/components/schemas/node")
    assert "- `parent` (node)" in node
    assert "- `meta.owner` (node)" in node and "meta.owner.parent" not in node
    assert "- `ghost` (missing): (unresolved reference #/components/schemas/missing)" in node
    assert "- `self` (loop_b)" in node  # a reference loop ends where it comes back


def test_a_yaml_alias_bomb_is_refused_with_the_reason(tmp_path: Path) -> None:
    lines = ["openapi: 3.0.0", "info: {title: Bomb, version: '1'}", "x-bomb:", "  a0: &a0 {type: string}"]
    lines += [f"  a{i}: &a{i} [{', '.join(f'*a{i - 1}' for _ in range(10))}]" for i in range(1, 9)]
    lines += ["paths: {}", "components:", "  schemas:", "    boom:", "      type: object", "      properties:"]
    lines += [f"        p{i}: {{type: object, properties: {{x: {{enum: *a8}}}}}}" for i in range(3)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (skipped,) = walk_paths([bomb]).skipped
    assert skipped.path == str(bomb)
    assert skipped.reason == "its YAML aliases expand it past 2,000,000 nodes or into a loop (an alias bomb); refused"


def test_a_yaml_alias_loop_is_refused_and_a_wide_schema_is_listed_up_to_its_cap(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.write_text("openapi: 3.0.0\ninfo: {title: Loop}\nx-loop: &l [*l]\n", encoding="utf-8")
    (skipped,) = walk_paths([loop]).skipped
    assert "into a loop" in skipped.reason
    fan = {"type": "object", "properties": {f"k{i}": {"type": "string"} for i in range(12)}}
    for _ in range(3):
        fan = {"type": "object", "properties": {f"k{i}": fan for i in range(12)}}
    wide = tmp_path / "wide.json"
    spec = {"openapi": "3.0.3", "info": {"title": "Wide"}, "paths": {}, "components": {"schemas": {"wide": fan}}}
    wide.write_text(json.dumps(spec), encoding="utf-8")
    (doc,) = walk_paths([wide]).documents
    body = "\n".join(c.body for c in doc.chunks)
    assert body.count("\n- `") == 1000
    assert body.endswith("(Only the first 1000 fields are listed.)")


def test_json_and_yaml_that_are_not_openapi_3_are_skipped_with_the_reason(tmp_path: Path) -> None:
    files = {
        "package.json": '{"name": "site", "version": "1.0.0"}',
        "swagger.json": '{"swagger": "2.0", "info": {"title": "old"}}',
        "mkdocs.yml": "site_name: Docs\nnav:\n  - Home: index.md\n",
        "broken.json": '{"openapi": "3.0.0",',
        "broken.yaml": "openapi: 3.0.0\ninfo: [unclosed\n",
        "list.json": "[1, 2, 3]",
        "v2.yaml": "openapi: 2.5\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    walk = walk_paths([tmp_path])
    assert walk.documents == []
    reasons = {Path(s.path).name: s.reason for s in walk.skipped}
    assert reasons["package.json"] == "not an OpenAPI 3 document (no top-level 'openapi: 3.x' key)"
    assert reasons["mkdocs.yml"] == "not an OpenAPI 3 document (no top-level 'openapi: 3.x' key)"
    assert reasons["swagger.json"].startswith("a Swagger 2.0 spec; vigil reads OpenAPI 3")
    assert reasons["broken.json"].startswith("not JSON: ")
    assert reasons["broken.yaml"].startswith("not YAML: ")
    assert reasons["list.json"] == "not an OpenAPI 3 document (the top level is not a mapping)"
    assert reasons["v2.yaml"] == "OpenAPI version 2.5; vigil reads OpenAPI 3.x"
