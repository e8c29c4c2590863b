"""The knowledge base files and their lookups (sigcheck.data, model.baseimages)."""

from __future__ import annotations

import fnmatch

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sigcheck.data import load, name_matches
from sigcheck.model.baseimages import lookup_image

_PATTERNS = sorted(
    {e["name"] for e in load("images.json")["images"]} | {"php*-fpm", "php-fpm*", "python3.*", "*", "a*b*c"}
)
_NAME = st.text(alphabet="abcxyz3.-/*", max_size=12)


def _all_patterns() -> list[str]:
    apps = load("apps.json")
    found = [e["name"] for e in load("images.json")["images"]]
    for section in ("apps", "inits", "supervisors"):
        found += [p for entry in apps[section] for p in entry["match"]]
    return found


def test_name_patterns_use_only_the_star() -> None:
    """`?` and `[...]` would mean something to fnmatch but not to name_matches' shortcuts."""
    patterns = _all_patterns()
    assert any("*" in p for p in patterns)
    assert [p for p in patterns if set(p) & set("?[]")] == []


@given(st.sampled_from(_PATTERNS) | _NAME, _NAME | st.sampled_from(_PATTERNS))
def test_name_patterns_match_as_fnmatch_does(pattern: str, name: str) -> None:
    assert name_matches(name, pattern) == fnmatch.fnmatchcase(name, pattern)


@pytest.mark.parametrize(
    ("reference", "family", "known"),
    [
        ("python:3.12-slim-bookworm", "debian", True),
        ("node:20-alpine", "alpine", True),
        ("gcr.io/distroless/static-debian12", "none", True),
        ("gcr.io/distroless/base:debug", "alpine", True),
        ("registry.access.redhat.com/ubi9/ubi-minimal", "rhel", True),
        ("example.com/app:1.0-jammy", "ubuntu", False),
        ("example.com/app:1.0", "unknown", False),
    ],
)
def test_base_image_family(reference: str, family: str, known: bool) -> None:
    image = lookup_image(reference)
    assert (image.family, image.known) == (family, known)
