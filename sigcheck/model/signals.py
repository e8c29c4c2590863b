"""STOPSIGNAL values exactly as Docker parses them (moby/sys signal.ParseSignal).

signal-semantics.md §8, measured against the real parser: names in any case
with or without SIG, RTMIN+0..15 and RTMAX-14..0, decimal numbers (a leading
+ or zeros allowed). 0 is rejected; -1, 65 and 99 are accepted by the parser
but cannot be sent, so `docker stop` falls back to SIGKILL after 2 s.
"""

# No `from __future__ import annotations` here: NamedTuple fields annotated with strings
# cost ~10 us each to compile at import, on every start (bench/RESULTS.md).

from typing import NamedTuple

__all__ = ["ParsedSignal", "parse_signal", "signal_name"]

_NAMES = {
    "ABRT": 6,
    "ALRM": 14,
    "BUS": 7,
    "CHLD": 17,
    "CLD": 17,
    "CONT": 18,
    "FPE": 8,
    "HUP": 1,
    "ILL": 4,
    "INT": 2,
    "IO": 29,
    "IOT": 6,
    "KILL": 9,
    "PIPE": 13,
    "POLL": 29,
    "PROF": 27,
    "PWR": 30,
    "QUIT": 3,
    "SEGV": 11,
    "STKFLT": 16,
    "STOP": 19,
    "SYS": 31,
    "TERM": 15,
    "TRAP": 5,
    "TSTP": 20,
    "TTIN": 21,
    "TTOU": 22,
    "URG": 23,
    "USR1": 10,
    "USR2": 12,
    "VTALRM": 26,
    "WINCH": 28,
    "XCPU": 24,
    "XFSZ": 25,
}
for _n in range(16):
    _NAMES[f"RTMIN+{_n}"] = 34 + _n
for _n in range(15):
    _NAMES[f"RTMAX-{_n}"] = 64 - _n
_NAMES["RTMIN"] = 34
_NAMES["RTMAX"] = 64
_PREFERRED = {
    number: f"SIG{name}"
    for name, number in reversed(list(_NAMES.items()))
    if "+" not in name and "-" not in name
}
_PREFERRED.update({6: "SIGABRT", 17: "SIGCHLD", 29: "SIGIO", 34: "SIGRTMIN", 64: "SIGRTMAX"})


class ParsedSignal(NamedTuple):
    raw: str
    number: int | None  # what Docker would send; None when the parser rejects it
    error: str | None  # the parser's complaint

    @property
    def catchable(self) -> bool:
        """A signal the kernel can send and a process can handle (1-64, not KILL or STOP)."""
        return self.number is not None and 1 <= self.number <= 64 and self.number not in (9, 19)

    @property
    def name(self) -> str:
        if self.number is None:
            return self.raw
        return signal_name(self.number)


def signal_name(number: int) -> str:
    if number in _PREFERRED:
        return _PREFERRED[number]
    if 34 <= number <= 49:
        return f"SIGRTMIN+{number - 34}"
    if 50 <= number <= 64:
        return f"SIGRTMAX-{64 - number}"
    return str(number)


def parse_signal(raw: str) -> ParsedSignal:
    digits = raw[1:] if raw[:1] in ("+", "-") else raw
    if digits.isascii() and digits.isdigit():
        number = int(raw)
        if number == 0:
            return ParsedSignal(raw, None, "invalid signal: 0")
        return ParsedSignal(raw, number, None)
    key = raw.upper()
    if key.startswith("SIG"):
        key = key[3:]
    known = _NAMES.get(key)
    if known is None:
        return ParsedSignal(raw, None, f"invalid signal: {raw}")
    return ParsedSignal(raw, known, None)
