"""Input the bot refuses or questions (issue 17, "A newcomer's walk-through", items 5 to 9):
handles, `/ask` junk and repeats, unknown `key:` options, semicolons in free text and control
characters, on every way in: chat, the console, `cop-bot` and CSV imports."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from cop_bot.cli import main
from cop_bot.config import ENV_NAMES
from cop_bot.core.clock import FixedClock
from cop_bot.core.model import Status
from cop_bot.platforms.console import ConsoleChat
from cop_bot.storage.models import Member, Practice, Question
from tests.conftest import Bot

ADMIN = "root-admin"
EXPERT = "domains: housing; country: IT; languages: it, en; expert: yes; asks: yes; capacity: 50"


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for var in ENV_NAMES.values():
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def members(bot: Bot) -> dict[str, Member]:
    with Session(bot.app.engine) as session:
        return {m.handle: m for m in session.exec(select(Member)).all()}


def questions(bot: Bot) -> list[Question]:
    with Session(bot.app.engine) as session:
        return list(session.exec(select(Question)).all())


def experts(bot: Bot, *handles: str) -> None:
    for handle in handles:
        assert bot.reply(f"/profile set {EXPERT}", as_=handle).ok


# ---- item 5: one handle rule everywhere; roles only for members the bot knows -------------------


@pytest.mark.parametrize("word", ["@room", "@channel", "@here", "@everyone"])
def test_role_grant_to_a_whole_room_mention_is_refused(bot: Bot, word: str) -> None:
    result = bot.reply(f"/role grant {word} curator", as_=ADMIN)
    assert result.status is Status.USER_ERROR
    assert "stands for everyone in the room, not for one member" in bot.send(
        f"/role grant {word} curator", as_=ADMIN
    )
    assert word.lstrip("@") not in members(bot)
    assert bot.reply("/role").data["curators"] == []


def test_role_grant_to_a_member_never_seen_asks_for_confirmation(bot: Bot) -> None:
    asked = bot.reply("/role grant nobody.here curator", as_=ADMIN)
    assert asked.ok and asked.data["known"] is False
    assert asked.data["confirm"] == "/role grant nobody.here curator confirm"
    text = bot.send("/role grant nobody.here curator", as_=ADMIN)
    assert "I have never seen @nobody.here in this community" in text
    assert "[Grant anyway: /role grant nobody.here curator confirm]" in text
    assert "nobody.here" not in members(bot)  # asking wrote nothing
    assert bot.reply("/role").data["curators"] == []
    done = bot.reply("/role grant nobody.here curator confirm", as_=ADMIN)
    assert done.ok and "is now a curator" in bot.send("/role", as_="nobody.here") + str(done)
    assert bot.reply("/role").data["curators"] == ["nobody.here"]


def test_role_grant_to_a_known_member_needs_no_confirmation(bot: Bot) -> None:
    bot.send("/help", as_="amina.haddad")
    assert "@amina.haddad is now a curator." in bot.send(
        "/role grant amina.haddad curator", as_=ADMIN
    )


def test_role_grant_to_a_mistyped_handle_suggests_the_known_member(bot: Bot) -> None:
    bot.send("/help", as_="amina.haddad")
    result = bot.reply("/role grant amina.hadad curator", as_=ADMIN)
    assert result.data["did_you_mean"] == "amina.haddad"
    assert "Did you mean @amina.haddad?" in bot.send("/role grant amina curator", as_=ADMIN)
    assert bot.reply("/role").data["curators"] == []


def test_cli_roles_grant_refuses_a_bad_handle_in_one_line(
    bot: Bot, cli_env: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["roles", "grant", "Bad Handle!", "curator", "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("cop-bot roles grant: 'Bad Handle!' is not a member handle")
    assert main(["roles", "grant", "@room", "admin", "--new-member", "--db", db_url]) == 2
    assert "stands for everyone" in capsys.readouterr().err
    assert members(bot) == {}


def test_cli_roles_grant_to_a_member_never_seen_needs_new_member(
    bot: Bot, cli_env: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bot.send("/help", as_="amina.haddad")
    assert main(["roles", "grant", "nobody.here", "curator", "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "The bot has never seen @nobody.here in console:local" in err and "--new-member" in err
    assert main(["roles", "grant", "amina", "curator", "--db", db_url]) == 2
    assert "Did you mean @amina.haddad?" in capsys.readouterr().err
    assert "nobody.here" not in members(bot)
    assert main(["roles", "grant", "nobody.here", "curator", "--new-member", "--db", db_url]) == 0
    assert "@nobody.here is now a curator in console:local." in capsys.readouterr().out
    assert main(["roles", "grant", "amina.haddad", "curator", "--db", db_url]) == 0


def test_role_revoke_of_a_mistyped_handle_suggests_the_known_member(bot: Bot) -> None:
    bot.send("/help", as_="amina.haddad")
    text = bot.send("/role revoke amina curator", as_=ADMIN)
    assert "There is no member @amina in this community.\nDid you mean @amina.haddad?" in text


def test_cli_demo_refuses_a_bad_user_handle(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--no-console", "--user", "@here"]) == 2
    assert capsys.readouterr().err.startswith("cop-bot demo: @here stands for everyone")
    assert not (cli_env / "cop_bot_demo.db").exists()


def test_cli_query_refuses_a_bad_user_handle(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["query", "--user", "<!channel>", "/help"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("cop-bot query: '<!channel>' is not a member handle")
        and err.count("\n") == 1
    )


def test_console_as_refuses_what_is_not_a_handle_and_lists_nobody(bot: Bot) -> None:
    chat = ConsoleChat(bot.app.router, handle="alice")
    out = io.StringIO()
    lines = [":as <!channel>\n", f"/profile set {EXPERT}\n", ":as @room\n", ":as  ali\u200bce2 \n"]
    chat.repl(iter(lines), out, prompt=False)
    text = out.getvalue()
    assert "'<!channel>' is not a member handle" in text
    assert "@room stands for everyone in the room" in text
    assert "You are now @alice2." in text  # the invisible zero-width space is dropped
    found = bot.reply("/find-expert housing").data  # as alice, who is left out of her own
    assert found["experts"] == [] and found["you_left_out"]
    assert set(members(bot)) == {"alice"}


def test_csv_import_uses_the_same_handle_rule(
    bot: Bot, cli_env: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (cli_env / "m.csv").write_text(
        "name,handle,organisation,country,languages,domains,bio,expert\n"
        "Everyone,@channel,,,,,,no\nSomeone,Bad Handle!,,,,,,no\n",
        encoding="utf-8",
    )
    assert main(["members", "import", "m.csv", "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert "row 2: @channel stands for everyone in the room" in err
    assert "row 3: 'Bad Handle!' is not a member handle" in err


# ---- item 6: /ask needs a topic and a question, once, within a daily limit ----------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("/ask housing", "A question needs a topic, a colon, then the question itself."),
        ("/ask : what?", "Name the topic before the colon"),
        ("/ask ?!: what?", "Name the topic before the colon"),
        ("/ask housing: ?", "Write your question after the topic and a colon."),
    ],
)
def test_ask_without_a_topic_or_a_question_tells_nobody(bot: Bot, text: str, reason: str) -> None:
    experts(bot, "e1", "e2", "e3")
    result = bot.reply(text)
    assert result.status is Status.USER_ERROR and result.notices == ()
    shown = bot.send(text)
    assert reason in shown and "Example: /ask housing:" in shown
    assert questions(bot) == []


def test_the_same_question_twice_gives_the_first_back_and_tells_nobody_again(
    bot: Bot, clock: FixedClock
) -> None:
    experts(bot, "e1", "e2", "e3")
    first = bot.reply("/ask housing: Where can families stay?")
    assert first.data["question"]["notified"] == 3 and len(first.notices) == 3
    clock.advance(timedelta(hours=5))
    again = bot.reply("/ask Housing:  where can families   stay")
    assert again.notices == () and again.visibility == "ephemeral"
    assert again.data["question"] == {**first.data["question"], "notified": 0, "repeat": True}
    text = bot.send("/ask housing: Where can families stay?")
    assert "You asked this at 09:00 on Mon 23 Nov (UTC) as question #1" in text
    assert "Nobody was told again." in text
    assert len(questions(bot)) == 1
    clock.advance(timedelta(hours=20))  # more than a day later it is a new question
    later = bot.reply("/ask housing: Where can families stay?")
    assert later.data["question"]["id"] == 2 and later.notices


def test_asks_per_day_is_a_community_setting_with_a_default(bot: Bot, clock: FixedClock) -> None:
    assert bot.reply("/settings").data["settings"]["asks_per_day"] == 5
    assert "Questions a member may ask a day: 5" in bot.send("/settings")
    bad = bot.send("/settings asks-per-day: 0", as_=ADMIN)
    assert "asks-per-day is a number from 1 to 100, not '0'." in bad
    assert bot.reply("/settings asks-per-day: 2", as_=ADMIN).data["settings"]["asks_per_day"] == 2
    experts(bot, "e1")
    assert bot.reply("/ask housing: First question?").ok
    clock.advance(timedelta(hours=1))
    assert bot.reply("/ask housing: Second question?").ok
    refused = bot.reply("/ask housing: Third question?")
    assert refused.status is Status.USER_ERROR and refused.notices == ()
    text = bot.send("/ask housing: Third question?")
    assert "You have asked 2 questions in the last 24 hours" in text
    assert "You can ask again from 09:00 on Tue 24 Nov (UTC)." in text
    assert bot.reply("/ask housing: Another member's question?", as_="bob").ok  # per member
    clock.advance(timedelta(hours=23))
    assert bot.reply("/ask housing: Third question?").ok
    assert len(questions(bot)) == 4


# ---- item 7: unknown `key:` options are errors with the valid ones ------------------------------


@pytest.mark.parametrize(
    ("text", "message", "listed"),
    [
        (
            "/find-expert housing colour:red",
            "There is no option `colour:`.",
            "The options are `country:`, `lang:`, `org:`, `group:`, `page:`.",
        ),
        (
            "/find-expert housing contry:IT",
            "There is no option `contry:`. Did you mean `country:`?",
            "The options are `country:`, `lang:`, `org:`, `group:`, `page:`.",
        ),
        (
            "/practices language contry:IT",
            "There is no option `contry:`. Did you mean `country:`?",
            "The options are `domain:`, `country:`, `kind:`, `group:`, `page:`.",
        ),
        ("/rsvp 1 yes day:2027-01-26", "There is no option `day:`.", "`date:`"),
        (
            "/session 1 dat:2027-01-26",
            "There is no option `dat:`. Did you mean `date:`?",
            "The options are `date:`.",
        ),
        (
            "/profile set bio: Hi; contry: IT",
            "There is no field `contry:`. Did you mean `country:`?",
            "The fields are `domains:`, `country:`",
        ),
        (
            "/settings timezon: Europe/Rome",
            "There is no setting `timezon:`. Did you mean `timezone:`?",
            "The settings are `timezone:`, `language:`, `name:`, `review:`, `asks-per-day:`, `escalate-after:`.",
        ),
    ],
)
def test_unknown_options_are_errors_that_list_the_valid_ones(
    bot: Bot, text: str, message: str, listed: str
) -> None:
    result = bot.reply(text, as_=ADMIN)
    assert result.status is Status.USER_ERROR
    shown = bot.send(text, as_=ADMIN)
    assert message in shown and listed in shown


def test_find_expert_no_longer_searches_an_unknown_option_as_words(bot: Bot) -> None:
    experts(bot, "e1")
    result = bot.reply("/find-expert housing colour:red")
    assert result.status is Status.USER_ERROR and "experts" not in result.data


def test_words_shaped_like_times_and_links_still_search(bot: Bot) -> None:
    assert bot.reply("/find-expert housing 15:00 https://x.org").status is not Status.USER_ERROR


# ---- item 8: free text keeps its semicolons --------------------------------------------------


def test_profile_bio_keeps_its_semicolons(bot: Bot) -> None:
    text = "/profile set bio: I run a job centre; I also advise on housing; country: IT"
    assert bot.reply(text).ok
    profile = bot.reply("/profile").data["profile"]
    assert profile["bio"] == "I run a job centre; I also advise on housing"
    assert profile["country"] == "IT"


def test_help_profile_states_the_semicolon_rule(bot: Bot) -> None:
    text = bot.send("/help profile")
    assert "A `;` starts a new field only when a field name and a colon follow it" in text
    assert "so a bio may contain semicolons" in text


def test_practice_summary_keeps_its_semicolons(bot: Bot) -> None:
    shared = bot.reply(
        "/share-practice Repair cafés; summary: Volunteers fix bikes; newcomers learn the trade; "
        "domains: housing",
        as_=ADMIN,
    )
    assert shared.ok, shared
    pid = shared.data["practice"]["id"]
    shown = bot.reply(f"/practice {pid}").data["practice"]
    assert shown["summary"] == "Volunteers fix bikes; newcomers learn the trade"


# ---- item 9: one clean-input function on every way in ------------------------------------------


def test_chat_removes_whole_escape_sequences(bot: Bot) -> None:
    assert bot.reply("/profile set bio: \x1b[31mred\x1b[0m alert\x07 \u202etxt.exe").ok
    assert bot.reply("/profile").data["profile"]["bio"] == "red alert txt.exe"


def test_cli_query_removes_whole_escape_sequences(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["query", "--user", "ann", "/profile set bio: \x1b]0;title\x07\x1b[1mbold"]) == 0
    assert main(["query", "--user", "ann", "--json", "/profile"]) == 0
    out = capsys.readouterr().out.splitlines()[-1]
    assert json.loads(out)["data"]["profile"]["bio"] == "bold"


def test_members_csv_import_stores_and_exports_no_escape_sequences(
    bot: Bot, cli_env: Path, db_url: str
) -> None:
    (cli_env / "m.csv").write_text(
        "name,handle,organisation,country,languages,domains,bio,expert\n"
        '\x1b[1mAmina\x1b[0m,amina,Org\x07,MA,ar,housing,"Line one\x1b[31m\nline\x1b]8;;x\x1b\\ two",yes\n',
        encoding="utf-8",
    )
    assert main(["members", "import", "m.csv", "--db", db_url]) == 0
    amina = members(bot)["amina"]
    assert (amina.display_name, amina.organisation) == ("Amina", "Org")
    assert amina.bio == "Line one\nline two"
    assert main(["members", "export", "out.csv", "--db", db_url]) == 0
    exported = (cli_env / "out.csv").read_text(encoding="utf-8")
    assert "\x1b" not in exported and "\x07" not in exported


def test_practices_import_stores_no_escape_sequences(
    bot: Bot, cli_env: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (cli_env / "p.csv").write_text(
        "title,summary,domains\n"
        "\x1b[31mRepair cafés\x1b[0m,Volunteers fix bikes with newcomers\x07.,housing\n",
        encoding="utf-8",
    )
    assert main(["practices", "import", "p.csv", "--db", db_url]) == 0, capsys.readouterr().err
    (cli_env / "p.json").write_text(
        json.dumps(
            [
                {
                    "title": "Welcome \u202edesks",
                    "summary": "One stop\x1b[2J for newcomers in town.",
                    "domains": "housing",
                }
            ]
        ),
        encoding="utf-8",
    )
    assert main(["practices", "import", "p.json", "--db", db_url]) == 0, capsys.readouterr().err
    with Session(bot.app.engine) as session:
        stored = {(p.title, p.summary) for p in session.exec(select(Practice)).all()}
    assert stored == {
        ("Repair cafés", "Volunteers fix bikes with newcomers."),
        ("Welcome desks", "One stop for newcomers in town."),
    }
