"""A member who chose a language reads the whole bot in it (issue 15's acceptance list).

For each of the 7 languages: `/help`, `/find-expert`, a usage error, `/sessions`, `/practices`,
`/profile` and a digest preview. Each reply must hold none of a few English template sentences
(the words of the English reply, not data such as names or titles), and Arabic and Greek
replies must be written in their scripts.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cop_bot.app import App, build_app
from cop_bot.config import Settings
from cop_bot.core import i18n
from cop_bot.platforms.console import ConsoleChat
from cop_bot.render.text import render
from tests.conftest import FixedClock

ENGLISH = {
    "/help": ["what I can do", "Type /help COMMAND", "List the commands you can use"],
    "/find-expert housing": ["Experts for", "Why: works on", "page 1 of 1"],
    "/find-expert": ["Tell me what kind of expertise you need", "Usage:", "Example:"],
    "/sessions": ["Sessions in the next 30 days", "Answer with", "Times in"],
    "/practices": ["The shared repertoire", "endorsements", "of 1 practice"],
    "/profile": ["Time zone:", "Listed as expert", "Receives questions", "Export my data"],
    "/digest preview": ["Weekly digest", "New practices and resources", "Community pulse"],
}
SCRIPTS = {"ar": re.compile("[\u0600-\u06ff]"), "el": re.compile("[\u0370-\u03ff]")}


@pytest.fixture(scope="module")
def community(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """One community with an expert, an approved practice and a session, and one member per
    language (`reader-xx`)."""
    from tests.conftest import NOW

    path = tmp_path_factory.mktemp("languages") / "bot.db"
    settings = Settings(
        database_url=f"sqlite:///{path}", admins=("root-admin",), community_name="Réseau"
    )
    app = build_app(settings, clock=FixedClock(NOW))
    admin = ConsoleChat(app.router, handle="root-admin")
    expert = ConsoleChat(app.router, handle="amina")
    for line, chat in [
        (
            "/profile set domains: housing; country: IT; languages: it, en; expert: yes; "
            "asks: yes; bio: Flats for newcomers",
            expert,
        ),
        (
            "/share-practice title: Housing first; summary: Flats first, then help with jobs "
            "and language courses for each family; domains: housing",
            admin,
        ),
        ('/schedule-session "Housing exchange" 2030-01-15 15:00 for 1h', admin),
    ]:
        reply = chat.invoke(line)
        assert reply is not None and reply.ok, (line, reply and render(reply))
    for language in i18n.LANGUAGES:
        reader = ConsoleChat(app.router, handle=f"reader-{language}")
        reply = reader.invoke(f"/profile set language: {language}")
        assert reply is not None and reply.ok, render(reply) if reply else line
        # a digest is written in its channel's language (as it will be posted): one per language
        room = ConsoleChat(app.router, handle="root-admin", channel=f"room-{language}")
        for line in ("/digest on monday 09:00", f"/digest settings language: {language}"):
            reply = room.invoke(line)
            assert reply is not None and reply.ok, render(reply) if reply else line
    yield app
    app.engine.dispose()
    shutil.rmtree(Path(path).parent, ignore_errors=True)


@pytest.mark.parametrize("language", i18n.LANGUAGES)
@pytest.mark.parametrize("line", list(ENGLISH))
def test_every_reply_is_in_the_members_language(community: App, language: str, line: str) -> None:
    reader = ConsoleChat(community.router, handle=f"reader-{language}", channel=f"room-{language}")
    reply = reader.invoke(line)
    assert reply is not None
    assert reply.locale == language
    text = render(reply)
    if language == "en":
        assert any(sentence in text for sentence in ENGLISH[line]), text
        return
    left = [sentence for sentence in ENGLISH[line] if sentence in text]
    assert not left, f"{line} in {language} still says {left}:\n{text}"
    if language in SCRIPTS:
        assert SCRIPTS[language].search(text), text


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_plural_forms_follow_the_languages_rules(language: str) -> None:
    """Every counted message of the catalogue, at 0, 1, 2, 5 and 11, takes the form the
    language's rule names (French: 0 and 1 singular; Arabic: zero, one, two, few, many)."""
    catalog = i18n.catalogue(language)
    assert catalog is not None
    counted = [m for m in catalog if m.id and m.pluralizable and i18n.translated(m)]
    assert counted, "no counted message to check"
    expected_forms = {"fr": [0, 0, 2, 2, 2], "ar": [0, 1, 2, 3, 4]}[language]
    for message in counted:
        singular, plural = message.id
        with i18n.using(language):
            for n, form in zip([0, 1, 2, 5, 11], expected_forms, strict=True):
                assert catalog.plural_expr is not None
                assert i18n.ngettext(singular, plural, n) == message.string[form], (message.id, n)
    if language == "ar":  # most counted phrases tell zero, one, two, few and many apart
        with i18n.using("ar"):
            distinct = [
                len({i18n.ngettext(*m.id, n) for n in (0, 1, 2, 5, 11)}) >= 3 for m in counted
            ]
        assert sum(distinct) > len(distinct) / 2


def test_a_mistyped_command_is_answered_in_the_members_language(community: App) -> None:
    reader = ConsoleChat(community.router, handle="reader-fr")
    reply = reader.invoke("/find-exprt housing")
    assert reply is not None and reply.locale == "fr"
    assert "Je ne connais pas la commande /find-exprt" in render(reply)
    stranger = ConsoleChat(community.router, handle="never-seen")
    assert "I don't know the command" in render(stranger.invoke("/find-exprt") or reply)
