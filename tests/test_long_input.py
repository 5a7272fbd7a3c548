"""A member who pastes 20,000 characters gets a short answer on every platform: no reply quotes
more of the input back than its longest stored field (a cancellation reason, 500 characters),
and no reply grows with the input. Every command and sub-command in the registry is tried, so
a new one is covered too."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from cop_bot.app import build_app
from cop_bot.config import Settings
from cop_bot.core.wording import ECHO_LIMIT, echo
from cop_bot.handlers import build_registry
from cop_bot.platforms.console import ConsoleChat, render_for_console
from cop_bot.render import matrix, slack

LONG = " ".join(["qwzx"] * 4000)  # 19,999 characters
ECHO = re.compile(r"(?:qwzx ?)+")
LONGEST_STORED_ECHO = 500
SHORT_REPLY = 3000


def _lines() -> Iterator[str]:
    """Each command and literal sub-command, with the long text where words, an id, a key or
    a value go."""
    for spec in build_registry().commands.values():
        subs = {""}
        for syntax in spec.syntax:
            first = syntax.split()[:1]
            if first and first[0].isalpha() and first[0].islower():
                subs.add(first[0])
        for sub in sorted(subs):
            head = f"/{spec.name} {sub}".rstrip()
            yield from (
                f"{head} {LONG}",
                f"{head} 1 {LONG}",
                f"{head} {LONG}: x",
                f"{head} x: {LONG}",
            )


LINES = list(_lines())


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleChat]:
    """An admin in a community with an expert, a session, a practice and a question, so that the
    commands get past "there is none" to where they would quote the input."""
    path = tmp_path_factory.mktemp("long") / "long.db"
    app = build_app(Settings(database_url=f"sqlite:///{path}", admins=("root-admin",)))
    admin = ConsoleChat(app.router, handle="root-admin")
    for line in (
        "/profile set domains: housing; expert: yes; asks: yes",
        '/schedule-session "Clinic" tomorrow 15:00',
        "/share-practice Tenant desk; summary: A desk where tenants meet landlords; domains: housing",
        "/ask housing: Where do newcomers find a flat?",
    ):
        assert admin.invoke(line) is not None
    yield ConsoleChat(app.router, handle="root-admin")
    app.engine.dispose()


def test_echo_quotes_at_most_the_limit_on_one_line() -> None:
    assert echo("housing\nfor  refugees") == "“housing for refugees”"
    assert len(echo(LONG)) == ECHO_LIMIT + 2 and echo(LONG).endswith("…”")


@pytest.mark.parametrize("line", LINES, ids=lambda line: line.split(" qwzx")[0])
def test_no_reply_echoes_a_long_input_back(chat: ConsoleChat, line: str) -> None:
    result = chat.invoke(line)
    assert result is not None
    text = render_for_console(result)
    longest = max((len(m) for m in ECHO.findall(text)), default=0)
    assert longest <= LONGEST_STORED_ECHO, text[:300]
    assert len(text) < SHORT_REPLY, text[:300]
    for rendered in (str(slack.render_message(result)), str(matrix.render(result))):
        assert max((len(m) for m in ECHO.findall(rendered)), default=0) <= LONGEST_STORED_ECHO
