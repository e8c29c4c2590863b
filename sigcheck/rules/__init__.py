"""The rule registry: one module per rule, listed here in ID order."""

from __future__ import annotations

from sigcheck.rules import (
    sig001_unused_ignore,
    sig101_shell_form_entrypoint,
    sig102_shell_form_cmd,
    sig103_exec_form_shell,
    sig104_invalid_json_array,
    sig201_script_without_exec,
    sig202_background_wait,
    sig203_non_forwarding_launcher,
    sig204_trap_exits_without_child,
    sig301_no_init,
    sig302_init_not_pid1,
    sig303_init_unused,
    sig304_init_to_non_exec_shell,
    sig401_invalid_stopsignal,
    sig402_stopsignal_mismatch,
    sig403_stopsignal_lost,
    sig501_script_not_checked,
    sig502_crlf_shebang,
    sig601_prestop_eats_grace,
    sig602_grace_shorter_than_drain,
    sig603_double_init,
)
from sigcheck.rules.base import Context, Rule

__all__ = ["ALL_RULES", "Context", "Rule", "rule_by_id"]

ALL_RULES: tuple[Rule, ...] = (
    sig001_unused_ignore.RULE,
    sig101_shell_form_entrypoint.RULE,
    sig102_shell_form_cmd.RULE,
    sig103_exec_form_shell.RULE,
    sig104_invalid_json_array.RULE,
    sig201_script_without_exec.RULE,
    sig202_background_wait.RULE,
    sig203_non_forwarding_launcher.RULE,
    sig204_trap_exits_without_child.RULE,
    sig301_no_init.RULE,
    sig302_init_not_pid1.RULE,
    sig303_init_unused.RULE,
    sig304_init_to_non_exec_shell.RULE,
    sig401_invalid_stopsignal.RULE,
    sig402_stopsignal_mismatch.RULE,
    sig403_stopsignal_lost.RULE,
    sig501_script_not_checked.RULE,
    sig502_crlf_shebang.RULE,
    sig601_prestop_eats_grace.RULE,
    sig602_grace_shorter_than_drain.RULE,
    sig603_double_init.RULE,
)

_BY_KEY = {key: rule for rule in ALL_RULES for key in (rule.id.upper(), rule.name)}


def rule_by_id(key: str) -> Rule | None:
    """Find a rule by ID (any case) or by name."""
    return _BY_KEY.get(key.upper()) or _BY_KEY.get(key)
