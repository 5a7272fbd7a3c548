"""Issue 15 for the platforms and renderers: what the renderers and adapters write themselves
(where a file went, "…and N more", a form, the welcome) is in the reply's or the member's
language, and Matrix HTML lets each block find its own direction."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import text as sql

from cop_bot.app import build_app
from cop_bot.config import Settings
from cop_bot.core.clock import FixedClock
from cop_bot.core.i18n import LANGUAGES
from cop_bot.core.model import (
    Attachment,
    Fields,
    Item,
    Mention,
    Notice,
    Reply,
    Text,
    spans,
)
from cop_bot.platforms.console import ConsoleChat, render_for_console
from cop_bot.platforms.matrix.bot import (
    ANSWERED_PRIVATELY,
    ENCRYPTED_WARNING,
    UNDECRYPTABLE_WARNING,
    said,
)
from cop_bot.platforms.slack.bot import SlackBot
from cop_bot.platforms.slack.oauth import page_language
from cop_bot.render import matrix
from cop_bot.render import slack as slack_render
from cop_bot.render import text as plain
from tests.slack_stand_in import TEAM_ID, StandIn
from tests.test_slack import Slack, served, slack_settings, slash_command, texts
from tests.test_slack_oauth import multi_settings, serve, stop

ENGLISH = (
    "is attached",
    "follows in this conversation",
    "follows in this room",
    "is in your direct messages",
    "narrow your search",
)
"""The renderers' own English sentences: none may show in another language."""
LETTERS = {"ar": re.compile("[\u0600-\u06ff]"), "el": re.compile("[\u0370-\u03ff]")}
FILE = Attachment("notes.ics", "text/calendar", b"x" * 512)


def long_reply(locale: str, *, visibility: str = "ephemeral") -> Reply:
    """A file, a field, and more items than any platform shows, so every renderer word shows."""
    items = [Item(title=(f"Practice {i}",), body=("<&>" * 400,)) for i in range(120)]
    return Reply(
        blocks=(FILE, Fields((("Country", spans("IT")),)), *items),
        visibility=visibility,  # type: ignore[arg-type]
        locale=locale,
    )


def renderings(reply: Reply) -> dict[str, str]:
    return {
        "text": plain.render(reply),
        "slack": texts(slack_render.render_message(reply)["blocks"]),
        "slack-dm": texts(slack_render.render_blocks(Reply(reply.blocks, locale=reply.locale))),
        "matrix": json.dumps(matrix.render(reply), ensure_ascii=False),
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_renderer_words_are_in_the_replys_language(language: str) -> None:
    for where, shown in renderings(long_reply(language, visibility="channel")).items():
        if language == "en":
            assert where == "text" or "narrow your search" in shown, where  # text is never cut
            continue
        for sentence in ENGLISH:
            assert sentence not in shown, (where, sentence)
        if language in LETTERS:
            assert LETTERS[language].search(shown), where


def test_french_and_arabic_renderings_say_what_they_mean() -> None:
    fr = renderings(long_reply("fr", visibility="channel"))
    assert "Le fichier notes.ics (512 octets) est joint." in fr["text"]
    assert "Country : IT" in fr["text"]
    assert "suit dans cette conversation" in fr["slack"]
    assert "se trouve dans vos messages directs" in fr["slack-dm"]
    assert "affinez votre recherche" in fr["matrix"]
    assert "suit dans ce salon" in fr["matrix"]
    ar = renderings(long_reply("ar", visibility="channel"))
    assert "الملف notes.ics (512 بايت) مرفق." in ar["text"]
    assert "يُرجى تضييق نطاق البحث" in ar["slack"] and "يُرجى تضييق نطاق البحث" in ar["matrix"]


def test_sizes_are_written_for_the_language() -> None:
    big = Attachment("export.csv", "text/csv", b"x" * 2_100)
    assert "(2.1 kB)" in plain.render(Reply((big,), locale="en"))
    assert "(2,1 ko)" in plain.render(Reply((big,), locale="fr"))
    assert "(2,1 kB)" in plain.render(Reply((big,), locale="de"))


def test_english_renderings_are_unchanged() -> None:
    shown = renderings(long_reply("en", visibility="channel"))
    assert "The file notes.ics (512 bytes) is attached." in shown["text"]
    assert "📎 The file notes.ics (512 bytes) follows in this conversation." in shown["slack"]
    assert "📎 The file notes.ics (512 bytes) follows in this room." in shown["matrix"]


def test_matrix_blocks_find_their_own_direction() -> None:
    reply = Reply(
        blocks=(
            Text.of("مرحبًا ", Mention("ann", "Ann", "@ann:example.org"), "، شكرًا."),
            Fields((("البلد", spans("IT")),)),
            Item(title=("ممارسة",)),
            FILE,
        ),
        locale="ar",
    )
    html = matrix.render(reply)["formatted_body"]
    assert not re.search(r"<(?:h4|p|li)(?![^>]*dir=\"auto\")[^>]*>", html)
    assert html.count('dir="auto"') == 4
    assert "يصل الملف notes.ics" in html


def test_notices_are_shown_in_their_recipients_language() -> None:
    notice = Notice(to=Mention("sofia"), blocks=(FILE,), locale="el")
    result = Reply(blocks=(Text.of("Done."),), notices=(notice,), locale="fr")
    shown = render_for_console(result)
    assert "✉ à @sofia :" in shown  # the marker speaks to the sender
    assert "Το αρχείο notes.ics" in shown and "is attached" not in shown


def test_the_console_speaks_the_members_language(sqlite_url: str, clock: FixedClock) -> None:
    app = build_app(
        Settings(database_url=sqlite_url, community_name="Test network", language="el"),
        clock=clock,
        migrate=False,
    )
    try:
        chat = ConsoleChat(app.router, handle="amal")
        assert "Αυτό δεν είναι εντολή" in chat.send("???")  # before any: the deployment's
        chat.send("/help")
        with app.engine.begin() as conn:
            conn.execute(sql("UPDATE member SET locale = 'ar' WHERE handle = 'amal'"))
        chat.send("/help")
        shown = chat.send("???")
        assert "هذا ليس أمرًا" in shown and "not a command" not in shown
        assert chat.speak_as("amal") == "أنتم الآن @amal."  # the same member, the same language
        assert chat.speak_as("sofia") == "Είστε πλέον @sofia."  # someone else: not known yet
    finally:
        app.engine.dispose()


# ---- Slack: the member's Slack locale, end to end with signed requests --------------------------


@pytest.fixture
async def slack(sqlite_url: str, stand_in: StandIn, clock: FixedClock) -> AsyncIterator[Slack]:
    app = build_app(slack_settings(sqlite_url, stand_in.api_url), clock=clock, migrate=False)
    async with served(SlackBot(app), stand_in) as served_slack:
        yield served_slack
    app.engine.dispose()


def slack_user(uid: str, locale: str) -> dict[str, Any]:
    return {
        "id": uid,
        "team_id": TEAM_ID,
        "name": uid.lower(),
        "tz": "Europe/Madrid",
        "locale": locale,
        "profile": {"display_name": uid.lower()},
    }


async def test_a_spanish_slack_member_is_answered_in_spanish(slack: Slack) -> None:
    slack.stand_in.users["U0ESP"] = slack_user("U0ESP", "es-ES")
    slack.stand_in.users["U0JAP"] = slack_user("U0JAP", "ja-JP")
    # a member may not change the settings: the router's refusal is translated in this clone
    _, spanish, _ = await slack.command("/settings", "language: fr", user="U0ESP", key="es")
    _, japanese, _ = await slack.command("/settings", "language: fr", user="U0JAP", key="ja")
    assert "Solo los administradores pueden" in spanish and "Only admins" not in spanish
    assert "Only admins can" in japanese  # not one of ours: the community's (English)


async def test_slack_forms_and_the_welcome_follow_the_members_language(
    slack: Slack,
) -> None:
    slack.stand_in.users["U0ESP"] = slack_user("U0ESP", "es-ES")
    slack.stand_in.users["U0JAP"] = slack_user("U0JAP", "ja-JP")
    view = await open_share_form(slack, "U0ESP")  # a newcomer: Slack's locale is looked up
    assert view["title"]["text"] == "Compartir una práctica"
    assert view["close"]["text"] == "Cancelar"
    assert "Título" in texts(view["blocks"])
    joined = {"type": "member_joined_channel", "channel": "C0GENERAL", "team": TEAM_ID}
    assert await slack.event({**joined, "user": "U0ESP"}, event_id="Ev0ES") == 200
    [welcome] = await slack.stand_in.wait_for("chat.postMessage")
    shown = texts(welcome.args["blocks"])
    assert "Le damos la bienvenida" in shown and "Welcome" not in shown
    assert "/profile set" in shown


async def test_a_slack_form_for_an_unknown_locale_is_in_the_communitys_language(
    slack: Slack,
) -> None:
    slack.stand_in.users["U0JAP"] = slack_user("U0JAP", "ja-JP")
    await slack.command("/domains", user="U0JAP", key="first")
    view = await open_share_form(slack, "U0JAP")
    assert view["title"]["text"] == "Share a practice"


async def open_share_form(slack: Slack, user: str) -> dict[str, Any]:
    """`/share-practice` alone, as `user`: the form it opens."""
    payload = slash_command("/share-practice", "", user, slack.stand_in.response_url("form"))
    status, _, _ = await slack.send(urlencode(payload), "application/x-www-form-urlencoded")
    assert status == 200
    [opened] = await slack.stand_in.wait_for("views.open")
    view = opened.args["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


async def test_slack_notices_are_sent_in_the_recipients_language(
    slack: Slack,
) -> None:
    notice = Notice(to=Mention("u0sof", platform_user_id="U0SOF"), blocks=(FILE,), locale="de")
    await slack.bot.deliver_notices(Reply(blocks=(), notices=(notice,), locale="en"))
    [dm] = await slack.stand_in.wait_for("chat.postMessage")
    assert "📎 Die Datei notes.ics" in texts(dm.args["blocks"])


# ---- Slack install pages: seen before anyone is a member, so in the browser's language -------


def test_the_install_pages_follow_the_browsers_language() -> None:
    def chosen(header: str) -> str:
        return page_language({"accept-language": [header]}, "de")

    assert chosen("fr-FR,fr;q=0.9,en;q=0.8") == "fr"
    assert chosen("ja-JP,ja;q=0.9,ar;q=0.5,el;q=0.7") == "el"  # the best one we speak
    assert chosen("ja-JP") == "de"  # none: the deployment's
    assert page_language({}, "xx") == "en"


async def test_the_install_page_is_written_in_the_browsers_language(
    sqlite_url: str, stand_in: StandIn, clock: FixedClock
) -> None:
    bot, runner, url = await serve(multi_settings(sqlite_url, stand_in), clock)
    try:
        async with aiohttp.ClientSession() as http:
            pages = {}
            for header in ("ar", "en-GB"):
                async with http.get(
                    f"{url}/slack/install", headers={"Accept-Language": header}
                ) as response:
                    assert response.status == 200
                    pages[header] = await response.text()
    finally:
        await stop(bot, runner)
    assert '<html lang="ar" dir="rtl">' in pages["ar"]
    assert "إضافة Test network إلى Slack" in pages["ar"] and "Add to Slack" not in pages["ar"]
    assert '<html lang="en">' in pages["en-GB"] and "Add Test network to Slack" in pages["en-GB"]


# ---- Matrix: the adapter's own messages -----------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_matrix_adapters_own_messages_are_translated(language: str) -> None:
    for message in (ENCRYPTED_WARNING, UNDECRYPTABLE_WARNING, ANSWERED_PRIVATELY):
        shown = matrix.render(said(message, language))
        assert shown["body"] == message if language == "en" else shown["body"] != message
        if language in LETTERS:
            assert LETTERS[language].search(shown["formatted_body"])
    assert said(ANSWERED_PRIVATELY, language).locale == language
