"""Which YAML files are deployment manifests: Compose files or Kubernetes manifests.

Cheap enough for directory discovery: a file that no line of which could start
a Compose `services:` key or a Kubernetes `apiVersion:`/`kind:` pair is
answered from its text alone, without importing PyYAML. Only a candidate is
parsed, to look at its structure.

- By name: `compose.yaml`, `compose.yml`, `docker-compose.yml`,
  `docker-compose.yaml` and their `.override` files (the names Compose itself
  looks for, compose-go `cli/options.go`) are Compose files whatever they hold,
  so a broken one is an error rather than silently skipped.
- By content: a top-level `services:` mapping whose values are service
  mappings (with `image`, `build`, `command`...) is Compose; a document with
  string `apiVersion` and `kind` is Kubernetes.
- A Helm chart template (Go template actions, `{{ ... }}`) is neither: it is
  not YAML until rendered (`helm template . | sigcheck -`).
- A stream with no `services:` line whose lines include a top-level
  `apiVersion: WORD` and `kind: WORD` (how kubectl, `helm template` and
  `kustomize build` write every object) is Kubernetes without parsing: parsing it
  here would double the cost of linting it, the lint parses it anyway, and YAML that
  turns out broken is reported as a manifest's error either way.
"""

from __future__ import annotations

import os
import re
from typing import Literal

__all__ = [
    "COMPOSE_FILE_NAMES",
    "OVERRIDE_FILE_NAMES",
    "YamlKind",
    "classify_yaml",
    "is_compose_file_name",
    "is_override_file_name",
]

YamlKind = Literal["compose", "kubernetes"]

# compose-go cli/options.go DefaultFileNames and DefaultOverrideFileNames, in that order.
COMPOSE_FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_FILE_NAMES = (
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)

_SERVICES = re.compile(r"^services[ \t]*:", re.MULTILINE)
_KIND = re.compile(r"^[ \t]*(?:- )?kind[ \t]*:", re.MULTILINE)
_API_VERSION = re.compile(r"^[ \t]*(?:- )?apiVersion[ \t]*:", re.MULTILINE)
# A top-level key with a one-word plain or quoted value, at the start of a line.
_TOP_API_VERSION = re.compile(r"""^apiVersion:[ \t]*(["']?)[\w./-]+\1[ \t]*(?:#.*)?\r?$""", re.MULTILINE)
_TOP_KIND = re.compile(r"""^kind:[ \t]*(["']?)[A-Za-z]\w*\1[ \t]*(?:#.*)?\r?$""", re.MULTILINE)
_GO_TEMPLATE = re.compile(r"\{\{-?\s*(?:[.$]|if\b|range\b|with\b|include\b|template\b|define\b|end\b|/\*)")


def is_compose_file_name(path: str) -> bool:
    name = os.path.basename(path)
    return name in COMPOSE_FILE_NAMES or name in OVERRIDE_FILE_NAMES


def is_override_file_name(path: str) -> bool:
    """A default override file: merged into the Compose file beside it, not linted alone."""
    return os.path.basename(path) in OVERRIDE_FILE_NAMES


def classify_yaml(path: str, text: str) -> YamlKind | None:
    """ "compose", "kubernetes", or None for YAML that is neither (skip it in directory mode)."""
    if is_compose_file_name(path):
        return "compose"
    if "{{" in text and _GO_TEMPLATE.search(text):
        return None
    compose_candidate = _SERVICES.search(text) is not None
    kubernetes_candidate = _KIND.search(text) is not None and _API_VERSION.search(text) is not None
    if not compose_candidate and not kubernetes_candidate:
        return None
    if not compose_candidate and _TOP_KIND.search(text) and _TOP_API_VERSION.search(text):
        return "kubernetes"
    # Only candidates pay for PyYAML.
    from sigcheck.load.compose import looks_like_compose
    from sigcheck.load.kubernetes import is_manifest
    from sigcheck.load.yaml_nodes import COMPOSE_TAGS, YamlError, load_documents

    try:
        documents = load_documents(text, path, allowed_tags=COMPOSE_TAGS)
    except YamlError:
        # Broken YAML that looks like one of ours: say which, so loading it reports the error.
        return "kubernetes" if kubernetes_candidate else "compose"
    mappings = [document for document in documents if isinstance(document.value, dict)]
    if any(is_manifest(document) for document in mappings):
        return "kubernetes"
    if mappings and looks_like_compose(mappings[0]):
        return "compose"
    return None
