"""The README stays true: every chat command in the registry and every `cop-bot` subcommand in
the argument parser appears in one of its tables, so a new command cannot ship undocumented.
The lists come from the registry and the parser themselves, never from a hand-kept list."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from cop_bot.cli import build_parser
from cop_bot.handlers import build_registry

README = Path(__file__).resolve().parent.parent / "README.md"
TABLE_ROWS = "\n".join(
    line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("|")
)


def chat_commands() -> list[str]:
    return sorted(build_registry().commands)


def cli_commands() -> list[str]:
    """Every runnable `cop-bot` command, e.g. `digest preview` (groups such as `digest` alone
    only list their subcommands)."""
    found: list[str] = []

    def walk(parser: argparse.ArgumentParser, prefix: list[str]) -> None:
        groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not groups and prefix:
            found.append(" ".join(prefix))
        for group in groups:
            for name, sub in group.choices.items():
                walk(sub, [*prefix, name])

    walk(build_parser(), [])
    return sorted(found)


def test_the_lists_are_generated_and_not_empty() -> None:
    assert {"help", "find-expert", "share-practice", "digest"} <= set(chat_commands())
    assert {"run", "query", "db upgrade", "practices import"} <= set(cli_commands())


@pytest.mark.parametrize("name", chat_commands())
def test_every_chat_command_is_in_a_readme_table(name: str) -> None:
    shown = re.search(rf"`/{re.escape(name)}(?=[\s`\]])", TABLE_ROWS)
    assert shown, f"/{name} is in no table of README.md; add a row for it"


@pytest.mark.parametrize("command", cli_commands())
def test_every_cli_subcommand_is_in_a_readme_table(command: str) -> None:
    shown = re.search(rf"`cop-bot {re.escape(command)}(?=[\s`])", TABLE_ROWS)
    assert shown, f"`cop-bot {command}` is in no table of README.md; add a row for it"


def _layout() -> str:
    """The `cop_bot/` tree of the README's Developing section."""
    text = README.read_text(encoding="utf-8")
    start = text.index("\ncop_bot/\n")
    return text[start : text.index("\nconfig/", start)]


def _entry(layout: str, folder: str) -> str:
    """The text of one folder's entry in the tree, continuation lines included."""
    found = re.search(rf"^  {re.escape(folder)}/ (.*?)(?=^  \S|\Z)", layout, re.M | re.S)
    assert found, f"cop_bot/{folder}/ is missing from the layout in README.md"
    return " ".join(found.group(1).split())


def test_the_layout_lists_every_package_and_every_handler_module() -> None:
    package = Path(__file__).resolve().parent.parent / "cop_bot"
    layout = _layout()
    for folder in sorted(p.name for p in package.iterdir() if (p / "__init__.py").exists()):
        _entry(layout, folder)
    handlers = _entry(layout, "handlers")
    for path in sorted((package / "handlers").rglob("*.py")):
        if path.stem not in {"__init__", "common"}:
            assert re.search(rf"\b{path.stem}\b", handlers), f"handlers/{path.name} is not listed"
