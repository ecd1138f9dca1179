"""Every argument of every ``curate`` command says what it is (``--help`` has no bare names)."""

from __future__ import annotations

import argparse

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
