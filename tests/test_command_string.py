"""The `sh -c STRING` exec decision, row by row against signal-semantics.md §1 Table 1."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sigcheck.shell import command_string
from sigcheck.shell.command_string import analyse_command_string, decide_exec
from sigcheck.shell.exec_point import exec_insertable

# (string, {shell: execs}) straight from Table 1 (app = "app"); True = EXEC, False = stays.
TABLE_1: list[tuple[str, dict[str, bool]]] = [
    ("app", {"dash-debian": False, "dash": True, "ash": True, "bash": True, "mksh": True, "zsh": True}),
    ("app arg1", {"dash-debian": False, "dash": True, "ash": True, "bash": True, "mksh": True, "zsh": True}),
    (
        'app arg1 "$HOME"',
        {"dash-debian": False, "dash": True, "ash": True, "bash": True, "mksh": False, "zsh": True},
    ),
    (
        "app >/dev/null",
        {"dash-debian": False, "dash": True, "ash": True, "bash": False, "mksh": False, "zsh": True},
    ),
    (
        "app 2>&1",
        {"dash-debian": False, "dash": True, "ash": True, "bash": False, "mksh": False, "zsh": True},
    ),
    (
        "FOO=1 app",
        {"dash-debian": False, "dash": True, "ash": True, "bash": True, "mksh": False, "zsh": True},
    ),
    (
        "true && app",
        {"dash-debian": False, "dash": True, "ash": True, "bash": True, "mksh": False, "zsh": True},
    ),
    (
        "true; app",
        {"dash-debian": False, "dash": True, "ash": True, "bash": True, "mksh": False, "zsh": True},
    ),
    (
        "cd /tmp && app",
        {"dash-debian": False, "dash": True, "ash": True, "bash": True, "mksh": False, "zsh": True},
    ),
    (
        "export FOO=1; app",
        {"dash-debian": False, "dash": True, "ash": True, "bash": True, "mksh": False, "zsh": True},
    ),
    (
        "set -e; app",
        {"dash-debian": False, "dash": True, "ash": True, "bash": True, "mksh": False, "zsh": True},
    ),
    ("app || true", {s: False for s in ("dash-debian", "dash", "ash", "bash", "mksh", "zsh")}),
    ("echo hi | app", {s: False for s in ("dash-debian", "dash", "ash", "bash", "mksh", "zsh")}),
    ("app | cat", {s: False for s in ("dash-debian", "dash", "ash", "bash", "mksh", "zsh")}),
    ("trap 'echo t' TERM; app", {s: False for s in ("dash-debian", "dash", "ash", "bash", "mksh", "zsh")}),
    ("trap 'echo b' EXIT; app", {s: False for s in ("dash-debian", "dash", "ash", "bash", "mksh", "zsh")}),
    ("(app)", {"dash-debian": False, "dash": True, "ash": True, "bash": False, "mksh": False, "zsh": True}),
    (
        "{ app; }",
        {"dash-debian": False, "dash": True, "ash": True, "bash": False, "mksh": False, "zsh": True},
    ),
    ("app;", {"dash-debian": False, "dash": True, "ash": True, "bash": True, "mksh": False, "zsh": True}),
    ("app\n", {"dash-debian": False, "dash": False, "ash": False, "bash": True, "mksh": False, "zsh": True}),
    ("app # c", {"dash-debian": False, "dash": True, "ash": True, "bash": True, "mksh": False, "zsh": True}),
    ("exec app", {s: True for s in ("dash-debian", "dash", "ash", "bash", "mksh", "zsh")}),
    ("app & wait", {s: False for s in ("dash-debian", "dash", "ash", "bash", "mksh", "zsh")}),
]


@pytest.mark.parametrize(
    ("text", "shell", "execs"),
    [(text, shell, execs) for text, row in TABLE_1 for shell, execs in row.items()],
    ids=lambda v: repr(v) if isinstance(v, str) else str(v),
)
def test_table_1(text: str, shell: str, execs: bool) -> None:
    verdict = decide_exec(shell, analyse_command_string(text))
    assert verdict.execs is execs, verdict.reason


def test_unknown_shell_cannot_tell() -> None:
    assert decide_exec(None, analyse_command_string("app --flag")).execs is None


def test_the_app_is_found_left_of_a_fallback() -> None:
    cs = analyse_command_string("node server.js || true")
    assert cs.argv == ("node", "server.js")
    assert cs.app_not_last


def test_exec_is_removed_from_the_app_argv() -> None:
    assert analyse_command_string('exec gosu app "$@"').argv == ("gosu", "app", '"$@"')


_PLAIN_WORD = st.from_regex(r"[A-Za-z0-9_./:@%+,-]{1,12}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PLAIN_WORD, min_size=1, max_size=6))
def test_plain_fast_path_agrees_with_the_parser(words: list[str]) -> None:
    """The no-parser fast path must say exactly what tree-sitter-bash says."""
    text = " ".join(words)
    fast = command_string._plain(text)
    if fast is None:
        return
    command_string.analyse_command_string.cache_clear()
    original = command_string._plain
    try:
        command_string._plain = lambda _text: None  # type: ignore[assignment]
        parsed = command_string.analyse_command_string(text)
    finally:
        command_string._plain = original
        command_string.analyse_command_string.cache_clear()
    assert parsed.final is not None
    assert fast.final is not None
    assert fast.final.words == parsed.final.words
    assert fast.explicit_exec == parsed.explicit_exec
    assert fast.has_trap == parsed.has_trap
    for shell in ("dash-debian", "dash", "ash", "bash", "mksh", "zsh", None):
        assert decide_exec(shell, fast) == decide_exec(shell, parsed)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PLAIN_WORD | st.sampled_from(["echo", "cd", "trap", "exec", "if"]), min_size=1, max_size=6))
def test_exec_insertable_without_the_parser_agrees_with_it(words: list[str]) -> None:
    """A trailing newline changes nothing for the shell but sends `exec_insertable`
    through tree-sitter-bash, so both paths must agree on every command start."""
    text = " ".join(words)
    starts = [0]
    for word in words[:-1]:
        starts.append(starts[-1] + len(word) + 1)
    for start in starts:
        assert exec_insertable(text, start) == exec_insertable(text + "\n", start), (text, start)
