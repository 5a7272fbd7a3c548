"""Answers that stay: recorded, edited with history, accepted, searched, exported and kept
through erasure; bad input refused with nothing written."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from cop_bot.answers.rules import AnswerCommand, first_answer_at, first_answers, read_answer
from cop_bot.core.errors import UsageError
from cop_bot.core.model import Status
from cop_bot.render import matrix, slack
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Answer, AnswerRevision, Question
from tests.conftest import Bot

SOFIA = "domains: housing; country: ES; languages: es, en; expert: yes; asks: yes"


@pytest.fixture
def asked(bot: Bot) -> tuple[Bot, int]:
    assert bot.reply(f"/profile set {SOFIA}", as_="sofia").ok
    result = bot.reply("/ask housing: Where can families stay in Rome?", as_="alice")
    assert result.ok, result
    return bot, int(result.data["question"]["id"])


def _count(bot: Bot, model: type[Answer] | type[AnswerRevision]) -> int:
    with session_scope(bot.app.engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_answer_is_recorded_shown_and_accepted(asked: tuple[Bot, int]) -> None:
    bot, qid = asked
    # the expert's notification and the channel post carry an Answer button
    again = bot.reply("/ask housing: And in Milan?", as_="alice")
    assert any(
        b.command == f"/answer {again.data['question']['id']}"
        for n in again.notices
        for block in n.blocks
        for b in getattr(block, "buttons", ())
    )
    given_ = bot.reply(f"/answer {qid} The city's reception office keeps a list.", as_="sofia")
    assert given_.ok, given_
    aid = given_.data["answer"]["id"]
    assert [n.to.handle for n in given_.notices] == ["alice"]
    shown = bot.reply(f"/question {qid}", as_="luca")
    answers = shown.data["question"]["answers"]
    assert [(a["id"], a["author"], a["accepted"]) for a in answers] == [(aid, "sofia", False)]
    assert "reception office" in bot.send(f"/question {qid}")
    # only the asker accepts; accepting marks the question answered
    assert bot.reply(f"/answered {qid} answer:{aid}", as_="sofia").status is Status.USER_ERROR
    done = bot.reply(f"/answered {qid} answer:{aid}", as_="alice")
    assert done.ok, done
    assert [n.to.handle for n in done.notices] == ["sofia"]
    shown = bot.reply(f"/question {qid}").data["question"]
    assert shown["status"] == "answered" and shown["answers"][0]["accepted"]
    with session_scope(bot.app.engine) as session:
        first = first_answer_at(session, qid)
        assert first is not None and first.tzinfo is not None
        assert first_answers(session, 1) == {qid: first}
        assert first_answer_at(session, 999) is None


def test_edit_delete_and_history(asked: tuple[Bot, int]) -> None:
    bot, qid = asked
    aid = bot.reply(f"/answer {qid} First try", as_="sofia").data["answer"]["id"]
    assert bot.reply(f"/answer edit {aid} Nope", as_="alice").status is Status.USER_ERROR
    assert bot.reply(f"/answer edit {aid} Second try", as_="sofia").ok
    assert bot.reply(f"/question {qid}").data["question"]["answers"][0]["text"] == "Second try"
    assert bot.reply(f"/question edit {qid} Where can families stay?", as_="sofia").status is (
        Status.USER_ERROR
    )
    assert bot.reply(f"/question edit {qid} Where can families stay?", as_="alice").ok
    assert bot.reply(f"/answer delete {aid}", as_="sofia").ok
    assert bot.reply(f"/question {qid}").data["question"]["answers"] == []
    history = bot.reply(f"/question history {qid}").data["history"]
    assert [sorted(h["changes"]) for h in history] == [["text"], ["text"], ["text"], ["deleted"]]
    assert history[1]["changes"]["text"] == ["First try", "Second try"]
    assert bot.reply(f"/answer edit {aid} Back", as_="sofia").status is Status.USER_ERROR
    assert bot.reply(f"/question withdraw {qid}", as_="alice").ok
    assert bot.reply(f"/answer {qid} Too late", as_="sofia").status is Status.USER_ERROR
    assert bot.reply(f"/question {qid}").data["question"]["status"] == "withdrawn"


@pytest.mark.parametrize(
    "line",
    [
        "/answer",
        "/answer 12345 An answer to nothing",
        "/answer {qid}",
        "/answer {qid}    ",
        "/answer {qid} " + "x" * 4001,
        "/answer abc Some text",
        "/answer edit",
        "/answer edit 999 text",
        "/answer delete 999",
        "/answered {qid} answer:999",
        "/answered {qid} answer:banana",
        "/question 999",
        "/question",
    ],
)
def test_bad_input_writes_nothing(asked: tuple[Bot, int], line: str) -> None:
    bot, qid = asked
    before = (_count(bot, Answer), _count(bot, AnswerRevision))
    result = bot.reply(line.format(qid=qid), as_="alice")
    assert result.status is Status.USER_ERROR, result
    assert result.data["error"]["message"]
    assert (_count(bot, Answer), _count(bot, AnswerRevision)) == before


def test_a_closed_question_takes_no_answer_and_nothing_is_written(asked: tuple[Bot, int]) -> None:
    bot, qid = asked
    # marked answered in the thread: the answer given there can still be recorded
    assert bot.reply(f"/answered {qid}", as_="alice").ok
    aid = bot.reply(f"/answer {qid} From the thread: the parish.", as_="sofia").data["answer"]["id"]
    assert bot.reply(f"/answered {qid} answer:{aid}", as_="alice").ok  # now closed
    before = (_count(bot, Answer), _count(bot, AnswerRevision))
    refused = bot.reply(f"/answer {qid} One more idea", as_="luca")
    assert refused.status is Status.USER_ERROR
    message = refused.data["error"]["message"]
    assert f"#{qid} is closed" in message and f"#{aid}" in message and "/ask" in message
    assert (_count(bot, Answer), _count(bot, AnswerRevision)) == before
    assert bot.reply("/profile set language: it", as_="luca").ok
    italian = bot.reply(f"/answer {qid} Un'altra idea", as_="luca").data["error"]["message"]
    assert "chiusa" in italian
    assert (_count(bot, Answer), _count(bot, AnswerRevision)) == before


def test_insights_period_banana_is_refused_with_an_example(bot: Bot) -> None:
    result = bot.reply("/insights period:banana", as_="root-admin")
    assert result.status is Status.USER_ERROR
    message = result.data["error"]["message"]
    assert "period:90d" in message and "'banana'" in message
    assert "Traceback" not in bot.send("/insights period:banana", as_="root-admin")


def test_error_is_in_the_members_language(asked: tuple[Bot, int]) -> None:
    bot, qid = asked
    assert bot.reply("/profile set language: fr", as_="sofia").ok
    result = bot.reply(f"/answer {qid}", as_="sofia")
    assert result.status is Status.USER_ERROR
    assert "réponse" in result.data["error"]["message"]


def test_hostile_answer_text_stays_text(asked: tuple[Bot, int]) -> None:
    bot, qid = asked
    hostile = "<!channel> @room <script>alert(1)</script> *bold* <@U123>"
    assert bot.reply(f"/answer {qid} {hostile}", as_="sofia").ok
    shown = bot.reply(f"/question {qid}")
    assert shown.data["question"]["answers"][0]["text"] == hostile
    blocks = str(slack.render_message(shown))
    assert "<!channel>" not in blocks and "<@U123>" not in blocks
    assert "&lt;!channel&gt;" in blocks
    content = matrix.render(shown)
    assert "<script>" not in content["formatted_body"]
    assert content["m.mentions"] == {}


def test_search_finds_questions_by_their_answers(asked: tuple[Bot, int]) -> None:
    bot, qid = asked
    other = bot.reply("/ask labour market: Who helps with work permits?", as_="alice")
    oid = other.data["question"]["id"]
    assert bot.reply(f"/answer {qid} Try the reception office near Termini", as_="sofia").ok
    assert [q["id"] for q in bot.reply("/questions families").data["questions"]] == [qid]
    assert [q["id"] for q in bot.reply("/questions reception office").data["questions"]] == [qid]
    assert [q["id"] for q in bot.reply("/questions permits").data["questions"]] == [oid]
    assert bot.reply("/questions families answered").data["questions"] == []
    aid = bot.reply(f"/question {qid}").data["question"]["answers"][0]["id"]
    assert bot.reply(f"/answered {qid} answer:{aid}", as_="alice").ok
    assert [q["id"] for q in bot.reply("/questions families answered").data["questions"]] == [qid]
    assert [q["id"] for q in bot.reply("/questions domain:housing").data["questions"]] == [qid]
    assert bot.reply("/questions domain:nonsense-xyz").status is Status.USER_ERROR
    # the listings still work as before
    assert bot.reply("/questions mine", as_="alice").data["total"] == 2


def test_export_and_erasure_keep_the_answer(asked: tuple[Bot, int]) -> None:
    bot, qid = asked
    aid = bot.reply(f"/answer {qid} Ask the parish", as_="sofia").data["answer"]["id"]
    exported = bot.reply("/profile export", as_="sofia").data["export"]["answers"]
    assert [a["text"] for a in exported["given"]] == ["Ask the parish"]
    assert exported["history"][0]["answer_id"] == aid
    gone = bot.send("/profile delete confirm", as_="sofia")
    assert "stays with its question" in gone, gone
    answers = bot.reply(f"/question {qid}").data["question"]["answers"]
    assert [(a["id"], a["author"], a["text"]) for a in answers] == [(aid, None, "Ask the parish")]
    assert "a former member" in bot.send(f"/question {qid}")


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_read_answer_never_crashes(text: str) -> None:
    try:
        parsed = read_answer(text)
    except UsageError as error:
        assert error.message
        return
    assert isinstance(parsed, AnswerCommand)
    assert parsed.target >= 0
    if parsed.action != "delete":
        assert parsed.text and parsed.text == parsed.text.strip()


@given(st.integers(min_value=0, max_value=10**9 - 1), st.text(min_size=1, max_size=40))
def test_read_answer_keeps_the_text(number: int, body: str) -> None:
    if not any(c.isalnum() or c == "_" for c in body.strip()):
        return
    parsed = read_answer(f"{number} {body}")
    if parsed.action == "add":
        assert parsed.target == number and parsed.text == body.strip()


def test_promote_an_answered_question_to_a_practice_draft(asked: tuple[Bot, int]) -> None:
    bot, qid = asked
    aid = bot.reply(f"/answer {qid} The parish hall hosts families", as_="sofia").data["answer"][
        "id"
    ]
    assert bot.reply(f"/question promote {qid}", as_="sofia").status is Status.USER_ERROR
    assert bot.reply("/role grant @cura curator confirm", as_="root-admin").ok
    not_yet = bot.reply(f"/question promote {qid}", as_="cura")
    assert not_yet.status is Status.USER_ERROR
    assert "no accepted answer" in not_yet.data["error"]["message"]
    assert bot.reply(f"/answered {qid} answer:{aid}", as_="alice").ok
    promoted = bot.reply(f"/question promote {qid}", as_="cura")
    assert promoted.ok, promoted
    draft = promoted.data["practice"]
    assert (draft["kind"], draft["status"], draft["answer"]) == ("answer", "pending", aid)
    shown = bot.reply(f"/practice {draft['id']}", as_="cura")
    assert shown.ok, shown
    assert shown.data["practice"]["author"] == "sofia"
    assert "@alice" in (shown.data["practice"]["contact"] or "")
    assert bot.reply(f"/question promote {qid}", as_="cura").status is Status.USER_ERROR
    assert bot.reply(f"/practice approve {draft['id']}", as_="cura").ok


def test_erasing_the_asker_keeps_an_answered_question_anonymous(asked: tuple[Bot, int]) -> None:
    bot, qid = asked
    aid = bot.reply(f"/answer {qid} The reception office.", as_="sofia").data["answer"]["id"]
    own = bot.reply(f"/answer {qid} I found one myself too.", as_="alice").data["answer"]["id"]
    unanswered = bot.reply("/ask housing: Anyone near Ostia?", as_="alice").data["question"]["id"]
    alone = bot.reply("/ask housing: And near Tivoli?", as_="alice").data["question"]["id"]
    mine = bot.reply(f"/answer {alone} Found it myself.", as_="alice")  # only hers
    assert mine.ok
    exported = bot.reply("/profile export", as_="alice").data["export"]
    assert sorted(q["id"] for q in exported["questions"]["asked"]) == [qid, unanswered, alone]
    given_ids = [a["id"] for a in exported["answers"]["given"]]
    assert given_ids == [own, mine.data["answer"]["id"]]
    gone = bot.reply("/profile delete confirm", as_="alice")
    assert gone.ok, gone
    said = str(gone.blocks)
    assert "Your question stays with its answers, without saying who asked it" in said
    assert "nobody else answered are deleted" in said
    assert "Your answer stays with its question" in said
    shown = bot.reply(f"/question {qid}").data["question"]
    assert shown["text"] == "Where can families stay in Rome?"
    assert [(a["id"], a["author"]) for a in shown["answers"]] == [(aid, "sofia"), (own, None)]
    assert "a former member asks" in bot.send(f"/question {qid}")
    for gone_id in (unanswered, alone):  # nobody else answered them: deleted
        assert bot.reply(f"/question {gone_id}").status is Status.USER_ERROR
    with session_scope(bot.app.engine) as session:
        question = session.get(Question, qid)
        assert question is not None and question.asker_id is None
    # the kept question still takes answers, and the new answer tells nobody (no asker)
    later = bot.reply(f"/answer {qid} Another idea.", as_="sofia")
    assert later.ok and not later.notices
    found = bot.reply("/questions families Rome").data["questions"]
    assert [(q["id"], q["asker"]) for q in found] == [(qid, None)]  # found again, anonymous
