"""`/profile delete confirm` takes the member's words with them (issue 21, defect 8): the member
chooses whether practices they shared are transferred to the community (author, contact, their
name and e-mail address removed, the text kept) or withdrawn; their edits, agenda items and
hosted sessions stay without their name; and the reply says exactly what stays and why."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from cop_bot.core.model import Status
from cop_bot.render.text import render
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import (
    MeetingAgendaItem,
    Member,
    Practice,
    PracticeEndorsement,
    PracticeRevision,
)
from tests.conftest import Bot

ADMIN = "root-admin"
SUMMARY = "Alice Martin runs a job club for newcomers every month, with local employers."


@pytest.fixture
def shared(bot: Bot) -> Bot:
    """Alice (a curator) shared a practice with her e-mail as contact, edited Bob's, endorsed
    it, hosts a session and put an item on Bob's session's agenda."""
    assert bot.reply("/settings review: off", as_=ADMIN).ok
    assert bot.reply("/profile set name: Alice Martin", as_="alice").ok
    for role in ("curator", "facilitator"):
        assert bot.reply(f"/role grant @alice {role}", as_=ADMIN).ok
    assert bot.reply("/role grant @bob facilitator confirm", as_=ADMIN).ok
    mine = bot.reply(
        "/share-practice Job club; summary: " + SUMMARY + "; domains: labour market; "
        "city: Lyon; contact: alice.martin@example.org",
        as_="alice",
    )
    theirs = bot.reply(
        "/share-practice Language cafés; summary: Weekly conversation tables in the library, "
        "run by volunteers.; domains: language learning",
        as_="bob",
    )
    assert mine.ok and theirs.ok
    assert mine.data["practice"]["id"] == 1 and theirs.data["practice"]["id"] == 2
    edit = "/practice edit 2 results: Forty regulars after a year, says Alice Martin."
    assert bot.reply(edit, as_="alice").ok
    assert bot.reply("/endorse 2", as_="alice").ok
    assert bot.reply("/endorse 1", as_="bob").ok
    assert bot.reply('/schedule-session "Job club" tomorrow 15:00', as_="alice").ok
    assert bot.reply('/schedule-session "Language café" tomorrow 17:00', as_="bob").ok
    assert bot.reply("/agenda 2 add Bring CVs", as_="alice").ok
    return bot


def _alice_exists(bot: Bot) -> bool:
    with session_scope(bot.app.engine) as session:
        return session.exec(select(Member).where(Member.handle == "alice")).first() is not None


def test_erasure_asks_what_becomes_of_shared_practices_before_erasing(shared: Bot) -> None:
    prompt = shared.reply("/profile delete", as_="alice")
    assert prompt.data["choices"] == [
        "/profile delete confirm transfer",
        "/profile delete confirm withdraw",
    ]
    text = render(prompt)
    assert "You shared a practice with the community." in text
    assert "Transfer:" in text and "Withdraw:" in text
    # confirming without choosing erases nothing, and asks again
    again = shared.reply("/profile delete confirm", as_="alice")
    assert again.ok and "Nothing is erased yet" in render(again)
    assert _alice_exists(shared)
    wrong = shared.reply("/profile delete confirm maybe", as_="alice")
    assert wrong.status is Status.USER_ERROR
    assert "use transfer or withdraw" in wrong.data["error"]["message"]
    assert _alice_exists(shared)


def test_a_member_who_shared_nothing_erases_with_confirm_alone(bot: Bot) -> None:
    assert bot.reply("/profile set city: Turin", as_="carla").ok
    assert bot.reply("/profile delete", as_="carla").data["choices"] == ["/profile delete confirm"]
    done = bot.reply("/profile delete confirm", as_="carla")
    assert done.ok and done.data["erased"] == "carla"
    assert "Nothing else the community shares held your name." in render(done)


def test_transfer_keeps_the_text_without_author_contact_name_or_e_mail(shared: Bot) -> None:
    done = shared.reply("/profile delete confirm transfer", as_="alice")
    assert done.ok
    with session_scope(shared.app.engine) as session:
        practice = session.get(Practice, 1)
        assert practice is not None
        assert (practice.author_id, practice.contact) == (None, None)
        assert practice.summary == SUMMARY.replace("Alice Martin", "[removed]")
        assert practice.city == "Lyon"  # where the practice runs: the practice's, not hers
        history = session.exec(
            select(PracticeRevision).where(PracticeRevision.practice_id == 1)
        ).all()
        diffs = json.dumps([r.changes for r in history])
        assert "alice" not in diffs.lower() and "contact" not in diffs
        assert all(r.editor_id is None for r in history)
    shown = shared.reply("/practice 1", as_="bob")
    assert "Shared by a former member" in render(shown)
    assert "alice.martin@example.org" not in render(shown)
    found = shared.reply("/practices job club", as_="bob").data["practices"]
    assert [p["id"] for p in found] == [1]  # still in the repertoire


def test_withdraw_removes_the_practices_with_their_endorsements_and_history(shared: Bot) -> None:
    assert [p["id"] for p in shared.reply("/practices job club", as_="bob").data["practices"]]
    done = shared.reply("/profile delete confirm withdraw", as_="alice")
    assert done.ok
    assert "The practice you shared is withdrawn" in render(done)
    with session_scope(shared.app.engine) as session:
        assert session.get(Practice, 1) is None
        assert session.get(Practice, 2) is not None  # Bob's stays
        left = session.exec(select(PracticeEndorsement.practice_id)).all()
        assert list(left) == [2]  # Bob's endorsement of the withdrawn one went with it
        assert (
            session.exec(select(PracticeRevision).where(PracticeRevision.practice_id == 1)).all()
            == []
        )
    found = shared.reply("/practices job club", as_="bob").data  # every process's index forgets it
    assert (found["practices"], found.get("total", 0)) == ([], 0)
    assert shared.reply("/practice 1", as_="bob").status is not Status.OK


def test_what_stays_loses_its_author_and_the_reply_says_exactly_what_and_why(
    shared: Bot,
) -> None:
    done = shared.reply("/profile delete confirm transfer", as_="alice")
    text = render(done)
    assert "everything" not in text.lower()
    assert done.data["kept"] == [
        "The practice you shared stays in the repertoire as the community's, as you chose: its "
        "author and contact are removed, your name and e-mail address are taken out of its text "
        "and history, and the rest of its text is kept.",
        "Your edits to a practice someone else shared stay in its text and history, without "
        "your name, because they are part of that practice now.",
        "Your endorsement still counts, without your name, so the practice keeps its standing.",
        "The session you scheduled stays on the calendar without a host, because others may be "
        "coming to it.",
        "Your agenda item stays on its session's agenda as by a former member, so the agenda "
        "others prepared for stays whole.",
    ]
    with session_scope(shared.app.engine) as session:
        (item,) = session.exec(select(MeetingAgendaItem)).all()
        assert (item.text, item.author_id) == ("Bring CVs", None)
    history = shared.reply("/practice history 2", as_="bob").data["history"]
    assert [r["editor"] for r in history] == [None, "bob"]  # her edit, by a former member
    agenda = render(shared.reply("/agenda 2", as_="bob"))
    assert "Bring CVs" in agenda and "a former member" in agenda


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(words=st.text(alphabet=st.sampled_from("confirmtansfewhdxy \t"), max_size=24))
def test_only_confirm_with_a_known_answer_erases(bot: Bot, words: str) -> None:
    assert bot.reply("/profile set city: Turin", as_="zed").ok  # zed shared nothing
    answer = bot.reply(f"/profile delete {words}", as_="zed")
    assert answer.status is not Status.INTERNAL_ERROR
    first, _, rest = words.strip().lower().partition(" ")
    erased = first == "confirm" and rest.strip() in {"", "transfer", "withdraw"}
    with session_scope(bot.app.engine) as session:
        left = session.exec(select(Member).where(Member.handle == "zed")).first()
    assert (left is None) == erased, words
