"""Recognising a manifest stream by its text: what kubectl, `helm template` and `kustomize
build` write is answered without parsing it (the lint parses it once, not twice), and
anything less plain still gets the parser's answer."""

from __future__ import annotations

import pytest

from sigcheck.load import yaml_nodes
from sigcheck.load.manifests import classify_yaml

STREAM = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
---
apiVersion: "v1"   # quoted, with a comment
kind: 'Service'
"""


@pytest.fixture
def no_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed")

    monkeypatch.setattr(yaml_nodes, "load_documents", refuse)


@pytest.mark.usefixtures("no_parser")
@pytest.mark.parametrize("text", [STREAM, STREAM.replace("\n", "\r\n"), "kind: Pod\napiVersion: v1\n"])
def test_top_level_api_version_and_kind_need_no_parse(text: str) -> None:
    assert classify_yaml("stream.yaml", text) == "kubernetes"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("a:\n  kind: Pod\n  apiVersion: v1\n", None),  # nested: not an object
        ("kind: [Pod]\napiVersion: v1\n", None),  # not a string
        ("- kind: Pod\n  apiVersion: v1\n", None),  # a list of objects is not a document
        ("apiVersion: v1\nkind: List\nitems: []\n", "kubernetes"),
        ("services:\n  web:\n    image: nginx\nkind: x\napiVersion: v1\n", "kubernetes"),
    ],
)
def test_anything_less_plain_is_parsed(text: str, kind: str | None) -> None:
    assert classify_yaml("x.yaml", text) == kind
