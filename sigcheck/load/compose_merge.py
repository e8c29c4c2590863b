"""Merging Compose files the way Compose merges them (compose-spec 13-merge.md).

- mappings are merged key by key, the later file winning; `x-` keys are replaced;
- sequences are appended (the later file's items after the earlier's);
- scalars are replaced;
- `services.*.command`, `services.*.entrypoint` and `services.*.healthcheck.test`
  are replaced whole, never merged (13-merge.md "Shell commands"; compose-go
  `override/merge.go` `mergeSpecials`);
- `environment`, `labels` and `build.args` are merged by variable name: the
  loader turns their list form into a mapping first, so the mapping rule applies
  (compose-go appends the lists and the last definition of a name wins: the same);
- `!reset` removes the value from what the earlier files said, `!override`
  replaces it without merging (13-merge.md "Reset value", "Replace value").

The same function merges a service over the one it `extends` (compose-spec
05-services.md `extends`: the extending service's values override per these rules).
"""

from __future__ import annotations

from sigcheck.load.yaml_nodes import Node

__all__ = ["merge_nodes", "strip_merge_tags"]

_REPLACED = frozenset({"command", "entrypoint"})


def _replaced(path: tuple[str, ...]) -> bool:
    if len(path) == 3 and path[0] == "services":
        return path[2] in _REPLACED
    return len(path) == 4 and path[0] == "services" and path[2] == "healthcheck" and path[3] == "test"


def merge_nodes(base: Node, over: Node, path: tuple[str, ...] = ()) -> Node | None:
    """`over` merged onto `base`; None when `over` is a `!reset` (the key goes)."""
    if over.tag == "!reset":
        return None
    if over.tag == "!override" or _replaced(path):
        return over
    if isinstance(base.value, dict) and isinstance(over.value, dict):
        values = dict(base.value)
        keys = dict(base.keys or {})
        over_keys = over.keys or {}
        for key, child in over.value.items():
            if key in values and not key.startswith("x-"):
                merged = merge_nodes(values[key], child, (*path, key))
            else:
                merged = None if child.tag == "!reset" else child
            if merged is None:
                values.pop(key, None)
                keys.pop(key, None)
            else:
                values[key] = merged
                keys[key] = over_keys.get(key, keys.get(key, child.span))
        return Node(values, base.span, None, None, keys)
    if isinstance(base.value, list) and isinstance(over.value, list):
        return Node(base.value + over.value, over.span, None, None)
    return over


def strip_merge_tags(node: Node) -> Node:
    """The tree without `!reset` values (nothing left to reset) and `!override` marks."""
    if isinstance(node.value, dict):
        values: dict[str, Node] = {}
        changed = node.tag is not None
        for key, child in node.value.items():
            if child.tag == "!reset":
                changed = True
                continue
            stripped = strip_merge_tags(child)
            changed = changed or stripped is not child
            values[key] = stripped
        if not changed:
            return node
        kept = {key: span for key, span in (node.keys or {}).items() if key in values}
        return Node(values, node.span, None, None, kept)
    if isinstance(node.value, list):
        items = [strip_merge_tags(child) for child in node.value if child.tag != "!reset"]
        if node.tag is None and len(items) == len(node.value) and all(
            a is b for a, b in zip(items, node.value, strict=True)
        ):
            return node
        return Node(items, node.span, None, None)
    if node.tag is not None:
        return node._replace(tag=None)
    return node
