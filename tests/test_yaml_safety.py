"""YAML input is bounded and fails in one way: a one-line YamlError naming file and line.

Billion laughs, duplicate keys, tags, size, depth, document count, broken YAML,
and generated Compose files and Kubernetes manifests (valid and broken): nothing
but YamlError escapes the loaders. A Dockerfile run does not import PyYAML.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yaml_grammar import compose_text, kubernetes_text, yaml_input

from sigcheck.load.compose import load_compose
from sigcheck.load.files import LoadError
from sigcheck.load.kubernetes import load_manifests
from sigcheck.load.manifests import classify_yaml
from sigcheck.load.yaml_nodes import COMPOSE_TAGS, Limits, YamlError, as_bool, load_documents

ROOT = Path(__file__).resolve().parent.parent
HANG_GUARD = 60.0


def _error(text: str, **kwargs: object) -> YamlError:
    with pytest.raises(YamlError) as caught:
        load_documents(text, "f.yaml", **kwargs)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("f.yaml:")
    return caught.value


# --- alias bombs --------------------------------------------------------------------------


def _laughs(levels: int, width: int = 9) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_at_the_node_limit() -> None:
    """9**10 ≈ 3.5e9 nodes if expanded: the walk stops at the limit, so its work is bounded
    by the limit, not by the expansion."""
    error = _error(_laughs(10))
    assert "alias" in error.reason
    assert f"more than {Limits().max_alias_nodes} " in error.reason
    assert "more than 50 " in _error(_laughs(10), limits=Limits(max_alias_nodes=50)).reason


def test_billion_laughs_in_a_compose_file_and_a_manifest() -> None:
    bomb = _laughs(9)
    with pytest.raises(YamlError, match="alias"):
        load_compose(
            ["/nonexistent/compose.yaml"], texts={"/nonexistent/compose.yaml": bomb + "services: {}\n"}
        )
    with pytest.raises(YamlError, match="alias"):
        load_manifests("apiVersion: v1\nkind: Pod\n" + bomb, "pod.yaml")


def test_anchor_names_of_unusual_characters_are_still_counted() -> None:
    # libyaml allows ASCII letters, digits, `-` and `_` in anchor names (and refuses `&\u3000`).
    bomb = _laughs(10).replace("&a", "&-_a").replace("*a", "*-_a")
    assert "alias" in _error(bomb).reason
    assert "anchor" in _error("a: &\u3000x 1\n").reason


def test_a_few_aliases_are_fine() -> None:
    text = "x: &d {init: true, user: app}\na: *d\nb: *d\nc: {<<: *d, user: root}\n"
    (document,) = load_documents(text, "f.yaml")
    assert document.plain()["c"] == {"init": True, "user": "root"}
    assert document.plain()["a"] == {"init": True, "user": "app"}


def test_the_alias_budget_is_per_document_and_adjustable() -> None:
    text = _laughs(3, width=10)  # 1,110 nodes once expanded
    load_documents(text, "f.yaml")
    _error(text, limits=Limits(max_alias_nodes=100))


def test_a_recursive_alias_stops_at_the_depth_limit() -> None:
    assert "nested deeper" in _error("&a [*a]\n").reason


# --- keys, tags, scalars ------------------------------------------------------------------


def test_duplicate_keys_are_an_error_naming_both_lines() -> None:
    error = _error("services:\n  web:\n    image: a\n    image: b\n")
    assert error.line == 4
    assert "duplicate key 'image' (first at line 3)" in error.reason


def test_duplicate_keys_at_the_top_and_in_flow_mappings() -> None:
    assert _error("a: 1\nb: 2\na: 3\n").line == 3
    assert "duplicate" in _error("x: {k: 1, k: 2}\n").reason


def test_a_merge_key_is_not_a_duplicate_and_explicit_keys_win() -> None:
    (document,) = load_documents("d: &d {a: 1, b: 2}\ne:\n  <<: *d\n  b: 3\n", "f.yaml")
    assert document.plain()["e"] == {"a": 1, "b": 3}
    (document,) = load_documents("p: &p {a: 1}\nq: &q {a: 2, c: 3}\nr: {<<: [*p, *q]}\n", "f.yaml")
    assert document.plain()["r"] == {"a": 1, "c": 3}  # earlier mappings win, as YAML's merge type says
    assert "merge key" in _error("a: {<<: 1}\n").reason


def test_a_quoted_merge_key_is_an_ordinary_key() -> None:
    (document,) = load_documents("'<<': x\n", "f.yaml")
    assert document.plain() == {"<<": "x"}


@pytest.mark.parametrize("text", ["a: !foo x\n", "a: !!python/object:os.system x\n", "a: !include x.yml\n"])
def test_unknown_tags_are_rejected(text: str) -> None:
    assert "tag" in _error(text).reason


def test_compose_tags_only_where_allowed() -> None:
    _error("ports: !reset []\n")
    (document,) = load_documents("ports: !reset []\nx: !override [1]\n", "f.yaml", allowed_tags=COMPOSE_TAGS)
    assert document.get("ports") is not None
    assert document.value["ports"].tag == "!reset"
    assert document.value["x"].tag == "!override"


def test_standard_tags_are_honoured() -> None:
    (document,) = load_documents("a: !!str 10\nb: !!int '7'\nc: !!float 1\nd: !!null ''\n", "f.yaml")
    assert document.plain() == {"a": "10", "b": 7, "c": 1.0, "d": None}
    assert "!!int" in _error("a: !!int x\n").reason
    assert "tag" in _error("a: !!set {x}\n").reason


def test_scalars_follow_the_yaml_1_2_core_schema() -> None:
    text = "a: yes\nb: on\nc: true\nd: 010\ne: 0o10\nf: 0x10\ng: 1.10\nh: ~\ni: '1'\nj: 1:30\n"
    (document,) = load_documents(text, "f.yaml")
    assert document.plain() == {
        "a": "yes",
        "b": "on",
        "c": True,
        "d": 10,
        "e": 8,
        "f": 16,
        "g": 1.1,
        "h": None,
        "i": "1",
        "j": "1:30",  # YAML 1.1 would make this 90
    }
    assert document.value["g"].text == "1.10"


def test_typed_booleans_accept_the_yaml_1_1_words() -> None:
    (document,) = load_documents("a: yes\nb: Off\nc: true\nd: maybe\n", "f.yaml")
    assert [as_bool(document.value[key]) for key in "abcd"] == [True, False, True, None]


def test_non_scalar_keys_are_an_error() -> None:
    assert "key must be a scalar" in _error("? [a]\n: b\n").reason


# --- locations ----------------------------------------------------------------------------


def test_spans_count_characters_and_skip_the_bom() -> None:
    text = '\ufeffservices:\r\n  wéb😀:\r\n    command: ["a", "b"]\r\n'
    (document,) = load_documents(text, "c.yaml")
    web = document.value["services"].value["wéb😀"]
    span = web.value["command"].span
    assert (span.line, span.column, span.end_line, span.end_column) == (3, 14, 3, 24)
    key = web.key_span("command")
    assert key is not None
    assert (key.line, key.column, key.end_column) == (3, 5, 12)


def test_block_nodes_end_on_their_own_last_line() -> None:
    (document,) = load_documents("a:\n  b: |\n    one\n    two\n\nc: 1\n", "f.yaml")
    block = document.value["a"].value["b"].span
    assert (block.line, block.end_line, block.end_column) == (2, 4, 8)
    mapping = document.value["a"].span
    assert (mapping.end_line, mapping.end_column) == (4, 8)


def test_lines_are_counted_at_lf_only_like_the_dockerfile_parser() -> None:
    # libyaml also breaks lines at a lone CR, NEL (U+0085), LS (U+2028) and PS (U+2029).
    (document,) = load_documents("a: b\u2028c: d\nz: 1\n", "f.yaml")
    assert [child.span.line for child in document.value.values()] == [1, 1, 2]
    (document,) = load_documents("x: 1\ry: 2\n", "f.yaml")
    y = document.value["y"].span
    assert (y.line, y.column) == (1, 9)
    error = _error("a: 1\rb: [\n")
    assert error.line == 2


def test_a_lone_surrogate_is_an_error() -> None:
    assert "surrogate" in _error("a: 1\nb: \ud800\n").reason


# --- size, depth, streams, syntax ---------------------------------------------------------


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    assert "nested deeper than 100" in _error("[" * 150 + "]" * 150).reason
    assert (
        "nested deeper" in _error("".join("  " * i + "a:\n" for i in range(150)) + "  " * 150 + "b\n").reason
    )
    # libyaml's own limit (1000) for deeper still: still one line
    _error("[" * 5000)


def test_size_and_document_limits() -> None:
    assert "byte limit" in _error("a: 1\n" * 100, limits=Limits(max_bytes=50)).reason
    assert "documents" in _error("---\na: 1\n" * 20, limits=Limits(max_documents=10)).reason


def test_documents_can_be_selected_by_kind_before_conversion() -> None:
    text = "kind: A\nx: 1\n---\nkind: B\nx: 1\nx: 2\n---\n- a\n---\nkind: A\n"
    documents = load_documents(text, "f.yaml", keep_kind=lambda kind: kind == "A")
    assert [document.plain() for document in documents] == [{"kind": "A", "x": 1}, {"kind": "A"}]
    assert "duplicate" in _error(text).reason  # only a document that is read is checked


def test_multi_document_streams() -> None:
    documents = load_documents("---\na: 1\n---\n---\nb: 2\n...\n", "f.yaml")
    assert [document.plain() for document in documents] == [{"a": 1}, None, {"b": 2}]
    assert load_documents("", "f.yaml") == []


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: [1, 2\n", 2),
        ("a: b: c\n", 1),
        ("a:\n\t- x\n", 2),
        ('a: "open\n', 2),
        ("a:\n  b: 1\n c: 2\n", 3),
        ("- a\nb: 1\n", 2),
        ("a: \x01\n", 1),
        ("a: *missing\n", 1),
        ("%YAML 9.9\n---\na: 1\n", 1),
    ],
)
def test_broken_yaml_is_one_line_naming_the_line(text: str, line: int) -> None:
    error = _error(text)
    assert error.line == line
    assert isinstance(error, LoadError)  # the CLI's existing handler catches it


def test_a_tab_in_the_indentation_is_named() -> None:
    assert "a tab in the indentation" in _error("services:\n\tweb: {}\n").reason
    assert "tab" not in _error("a: [1, 2\n").reason


def test_a_large_manifest_loads_in_bounded_time() -> None:
    document = kubernetes_text(random.Random(7))
    text = "---\n".join([document] * max(1, 1_000_000 // len(document)))
    start = time.perf_counter()
    load_manifests(text, "big.yaml")
    assert time.perf_counter() - start < HANG_GUARD


@pytest.mark.slow
def test_a_10_mb_manifest_loads_and_one_byte_more_is_refused() -> None:
    document = kubernetes_text(random.Random(3))
    limit = 10 * 1024 * 1024
    count = limit // (len(document) + 4)
    text = "---\n".join([document] * count)
    assert len(text) <= limit
    start = time.perf_counter()
    containers = load_manifests(text, "big.yaml")
    assert containers
    assert time.perf_counter() - start < 4 * HANG_GUARD
    with pytest.raises(YamlError, match="byte limit"):
        load_manifests(text + " " * (limit - len(text) + 1), "big.yaml")


# --- nothing else escapes -----------------------------------------------------------------

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _load(kind: str, text: str) -> None:
    if kind == "compose":
        load_compose(
            ["/nonexistent-project/compose.yaml"],
            {"B": "x"},
            texts={"/nonexistent-project/compose.yaml": text},
        )
    else:
        load_manifests(text, "/nonexistent-project/k.yaml")


def _failure(kind: str, text: str) -> str | None:
    try:
        _load(kind, text)
    except YamlError as exc:
        return str(exc)
    return None


@FUZZ
@given(st.integers(min_value=0, max_value=2**32))
def test_generated_yaml_raises_only_one_line_yaml_errors(seed: int) -> None:
    kind, text = yaml_input(random.Random(seed))
    message = _failure(kind, text)
    if message is not None:
        assert "\n" not in message
        assert message.startswith("/nonexistent-project/")
    classify_yaml("x.yaml", text)


@FUZZ
@given(st.text(max_size=300))
def test_arbitrary_text_raises_only_yaml_errors(text: str) -> None:
    for kind in ("compose", "kubernetes"):
        message = _failure(kind, text)
        assert message is None or "\n" not in message
    classify_yaml("x.yaml", text)


def test_generated_valid_inputs_mostly_load() -> None:
    rng = random.Random(11)
    loaded = 0
    for _ in range(200):
        try:
            load_manifests(kubernetes_text(rng), "k.yaml")
            load_compose(["/p/compose.yaml"], {"B": "1"}, texts={"/p/compose.yaml": compose_text(rng)})
            loaded += 1
        except YamlError:
            pass
    assert loaded > 20  # the grammar exercises the loaders, not only their errors


# --- lazy import --------------------------------------------------------------------------


def test_a_dockerfile_run_does_not_import_yaml(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text('FROM debian:bookworm-slim\nCMD ["app"]\n')
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['sigcheck', {str(dockerfile)!r}]\n"
        "import sigcheck.cli, sigcheck.lint, sigcheck.load.manifests\n"
        "from sigcheck.load.manifests import classify_yaml\n"
        "assert classify_yaml('a.yml', 'on: push\\njobs: {}\\n') is None\n"
        "print('yaml' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "False"
