"""A short run of tools/fuzz_image.py: mutated archives raise nothing but ImageError/LoadError.

The long run (100,000 inputs) is `python tools/fuzz_image.py --examples 100000`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

FUZZ = Path(__file__).resolve().parent.parent / "tools" / "fuzz_image.py"


def _fuzzer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_image", FUZZ)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mutated_archives_raise_only_the_reader_errors(tmp_path: Path) -> None:
    fuzz = _fuzzer()
    outcomes = [fuzz.run(seed, str(tmp_path)) for seed in range(200)]  # an exception fails the test
    # The inputs reach every stage: some read files, others fail in documents and layers.
    assert "read files" in outcomes
    assert any(o.startswith("ImageError: layer") for o in outcomes)
    assert any("blob" in o or "manifest" in o or "config" in o for o in outcomes)
