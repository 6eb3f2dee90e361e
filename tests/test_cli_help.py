"""`--help` of every command says what it does, explains each argument and shows its default."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from bot.entrypoints.cli.parser import build_parser

COMMANDS = [("run",), ("serve",), ("worker",), ("doctor",), ("analyze",), ("ask",), ("digest",), ("subscriptions",),
            ("subscriptions", "list"), ("subscriptions", "add"), ("subscriptions", "remove")]


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]
    raise KeyError(name)


def _command(path: tuple[str, ...]) -> argparse.ArgumentParser:
    parser = build_parser()
    for name in path:
        parser = _subparser(parser, name)
    return parser


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_has_a_description(path):
    description = _command(path).description or ""
    assert len(description.split()) >= 5, f"{' '.join(path)} --help has no description"
    assert " ".join(description.split()[:4]) in " ".join(_command(path).format_help().split())


@pytest.mark.parametrize("path", [(), *COMMANDS], ids=lambda path: " ".join(path) or "commit-radar")
def test_every_argument_is_explained_with_its_default(path):
    for action in _command(path)._actions:
        if isinstance(action, (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)):
            continue
        name = "/".join(action.option_strings) or action.dest
        assert action.help, f"{' '.join(path)} {name} has no help"
        if action.option_strings and not action.required:
            assert "(default: " in action.help, f"{' '.join(path)} {name} does not show its default"


@pytest.mark.parametrize("command", ["run", "serve", "worker", "doctor"])
def test_process_commands_print_their_description(tmp_path, command):
    result = subprocess.run([sys.executable, "-m", "bot", command, "--help"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    usage, _, rest = result.stdout.partition("\n\n")
    assert usage.startswith(f"usage: commit-radar {command}")
    assert rest.split("\n\n")[0].strip() and not rest.startswith("options:"), result.stdout


def test_subscriptions_add_leaves_branch_and_threshold_to_the_use_case():
    args = build_parser().parse_args(["subscriptions", "add", "octo/legacy"])
    assert args.branch is None and args.threshold is None
    assert args.paths is None and args.ignore_authors is None
    assert args.repo.full_name == "octo/legacy"
    help_text = " ".join(_command(("subscriptions", "add")).format_help().split())
    assert "(default: the repository's default branch)" in help_text
    assert "keep the current threshold; high for a new subscription" in help_text


def test_subscriptions_add_given_options_are_parsed():
    args = build_parser().parse_args(["subscriptions", "add", "octo/legacy", "--branch", "master", "--min", "low",
                                      "--paths", "src/**, docs", "--digest", "8:30", "--tz", "Asia/Shanghai"])
    assert (args.branch, args.threshold, args.paths) == ("master", "low", ["src/**", "docs"])
    assert args.digest.hour == 8 and args.tz == "Asia/Shanghai"


def test_analyze_target_is_a_repo_and_a_lower_case_sha():
    repo, sha = build_parser().parse_args(["analyze", "octo/hello@ABCDEF1"]).target
    assert (repo.full_name, sha) == ("octo/hello", "abcdef1")
