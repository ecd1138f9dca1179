"""Every argument of every ``curate`` command says what it is (``--help`` has no bare names)."""

from __future__ import annotations

import argparse

import pytest

from curate.cli import build_parser


def test_every_argument_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = []
    for name, command in sub.choices.items():
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if not action.help:
                missing.append(f"curate {name} {'/'.join(action.option_strings) or action.dest}")
    assert not missing, "arguments without help: " + ", ".join(missing)


def test_the_command_without_its_extras_says_what_to_install(monkeypatch, capsys):
    """A base install (the loader alone) has no pyyaml, pydantic or rich: one line, exit 2."""
    import importlib.util

    from curate import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in ("yaml", "rich") else real(name, *a))
    assert cli.missing_command_packages() == ["pyyaml", "rich"]
    with pytest.raises(SystemExit) as exit_info:
        cli.run_and_exit(["run", "x.yaml"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "missing: pyyaml, rich" in err and "pip install 'curate[all]'" in err
