"""String tests the lexer uses instead of regular expressions, against the regular
expressions they replace (which state BuildKit's rules directly)."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from sigcheck.load.dockerfile import continuation_at, parse_dockerfile


@given(st.text(alphabet="\\` \ta#", max_size=10), st.sampled_from(["\\", "`"]))
def test_line_continuation_is_the_trailing_unescaped_escape(line: str, escape: str) -> None:
    """BuildKit's rule as a regular expression (`(?<!\\\\)\\\\[ \\t]*$`) against the string
    test the lexer and the fixer use."""
    e = re.escape(escape)
    m = re.search("(?<!" + e + ")" + e + r"[ \t]*$", line)
    assert continuation_at(line, escape) == (m.start() if m else -1)


@given(
    st.text(alphabet=st.characters(min_codepoint=0xD7F0, max_codepoint=0xE010) | st.sampled_from("a\ufffd"))
)
def test_unpaired_surrogates_become_the_replacement_character(value: str) -> None:
    """As Go decodes `\\ud800` in a JSON string; the lexer's shortcut against the plain rule."""
    array = json.dumps([value])  # a pair of surrogates decodes to one character
    expected = re.sub("[\ud800-\udfff]", "\ufffd", json.loads(array)[0])
    assert parse_dockerfile(f"CMD {array}\n").instructions[0].args == (expected,)
