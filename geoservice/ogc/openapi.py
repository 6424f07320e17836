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
    for rewrite in (_nullable_any_of, _type_lists, _examples, _exclusive_bounds, _const):
        rewrite(node)
    return node


def _nullable_any_of(node: dict) -> None:
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


def _type_lists(node: dict) -> None:
    if isinstance(node.get("type"), list):
        types = [t for t in node["type"] if t != "null"]
        if len(types) < len(node["type"]):
            node["nullable"] = True
        node["type"] = types[0] if len(types) == 1 else "string"


def _examples(node: dict) -> None:
    if isinstance(node.get("examples"), list) and "schema" not in node:
        examples = node.pop("examples")
        if examples:
            node["example"] = examples[0]


def _exclusive_bounds(node: dict) -> None:
    for bound, flag in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = node.get(bound)
        if isinstance(value, int | float) and not isinstance(value, bool):
            node[flag] = node.pop(bound)
            node[bound] = True


def _const(node: dict) -> None:
    if "const" in node:
        node["enum"] = [node.pop("const")]
