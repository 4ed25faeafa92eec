#!/usr/bin/env python3
"""Extract components.schemas.User (and everything it references) from Clerk's Backend API spec
into tests/it/data/user.schema.json, a self-contained JSON Schema the sandbox tests validate against.

The tests read only the extracted file, never the spec: run this by hand when the spec changes.
Usage: scripts/extract-user-schema.py PATH/TO/bapi-YYYY-MM-DD.yml [SCHEMA] > tests/it/data/NAME.schema.json
SCHEMA defaults to User (also used: Organizations, Organization, Invitation for `clerk-rl api`'s
sandbox routes).
"""
import json
import sys

import yaml

spec = yaml.safe_load(open(sys.argv[1]))
schemas = spec["components"]["schemas"]
PREFIX = "#/components/schemas/"
KEEP = {"type", "nullable", "required", "properties", "additionalProperties", "items", "enum",
        "oneOf", "allOf", "$ref", "pattern", "format"}


def refs(node, out):
    if isinstance(node, dict):
        r = node.get("$ref")
        if isinstance(r, str) and r.startswith(PREFIX):
            out.add(r[len(PREFIX):])
        for v in node.values():
            refs(v, out)
    elif isinstance(node, list):
        for v in node:
            refs(v, out)


def strip(node):
    """Keep the validation keywords only (descriptions and examples make the file 5x larger)."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "properties":
                out[k] = {name: strip(s) for name, s in v.items()}
            elif k in KEEP:
                if k == "$ref":
                    v = "#/definitions/" + v[len(PREFIX):]
                out[k] = strip(v)
        return out
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


root = sys.argv[2] if len(sys.argv) > 2 else "User"
todo, seen = [root], set()
while todo:
    name = todo.pop()
    if name in seen:
        continue
    seen.add(name)
    found = set()
    refs(schemas[name], found)
    todo.extend(sorted(found - seen))

doc = {
    "$comment": f"Extracted from Clerk's Backend API spec 2026-05-12 (components.schemas.{root} and "
                "what it references) by scripts/extract-user-schema.py; validation keywords only.",
    "$ref": f"#/definitions/{root}",
    "definitions": {name: strip(schemas[name]) for name in sorted(seen)},
}
json.dump(doc, sys.stdout, indent=1, sort_keys=False)
sys.stdout.write("\n")
