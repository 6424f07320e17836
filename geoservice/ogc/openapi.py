"""OpenAPI 3.1 (what FastAPI generates) down to 3.0 (what OGC API Features asks for)."""

from __future__ import annotations

import copy
from typing import Any


def openapi_30(doc: dict) -> dict:
    """Return a copy of an OpenAPI 3.1 document rewritten as OpenAPI 3.0.3.

    The differences FastAPI produces are: ``anyOf`` with ``{"type": "null"}`` for
    optional values (3.0 uses ``nullable``), ``examples`` lists in schemas (3.0
    has a single ``example``) and numeric ``exclusiveMinimum``/``Maximum``.
    """
    out = copy.deepcopy(doc)
    out["openapi"] = "3.0.3"
    out.pop("webhooks", None)
    out.pop("jsonSchemaDialect", None)
    return _walk(out)


def _walk(node: Any) -> Any:
    if isinstance(node, list):
        return [_walk(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _walk(v) for k, v in node.items()}
    for key in ("anyOf", "oneOf"):
        options = node.get(key)
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            del node[key]
            if len(rest) == 1:
                node.update(rest[0])
            else:
                node[key] = rest
            node["nullable"] = True
    if isinstance(node.get("type"), list):
        types = [t for t in node["type"] if t != "null"]
        if len(types) < len(node["type"]):
            node["nullable"] = True
        node["type"] = types[0] if len(types) == 1 else "string"
    if "examples" in node and isinstance(node["examples"], list) and "schema" not in node:
        examples = node.pop("examples")
        if examples:
            node["example"] = examples[0]
    for bound, flag in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), int | float) and not isinstance(node[bound], bool):
            node[flag] = node.pop(bound)
            node[bound] = True
    if "const" in node:
        node["enum"] = [node.pop("const")]
    return node
