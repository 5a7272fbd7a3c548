"""Names the platforms send, and names members choose: long ones fit, chosen ones stick; and
every text column refuses what does not fit with a clear error, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import SQLModel, select

from cop_bot.app import App
from cop_bot.core.model import Actor, Conversation, Invocation, Reply, Status
from cop_bot.platforms.console import conversation
from cop_bot.render.text import render
from cop_bot.storage import limits, repos
from cop_bot.storage.db import session_scope
from cop_bot.storage.limits import TextTooLong, check_row, limit_of
from cop_bot.storage.models import Member, Question
from tests.conftest import NOW

SYNAPSE_MAX_DISPLAYNAME = 256  # synapse.handlers.profile.MAX_DISPLAYNAME_LEN


def _as(app: App, line: str, name: str | None, handle: str = "amina") -> Reply:
    command, _, rest = line.removeprefix("/").partition(" ")
    return app.router.dispatch(
        Invocation(
            name=command,
            text=rest,
            actor=Actor(handle=handle, display_name=name),
            conversation=conversation("general"),
        )
    )


def _stored_name(app: App, handle: str = "amina") -> str | None:
    with session_scope(app.engine) as session:
        member = session.exec(select(Member).where(Member.handle == handle)).one()
        return member.display_name


# ---- names from the platform --------------------------------------------------------------------


def test_a_display_name_as_long_as_synapse_allows_is_kept_whole(app: App) -> None:
    name = "Ä" * SYNAPSE_MAX_DISPLAYNAME
    assert _as(app, "/profile", name).status is Status.OK
    assert _stored_name(app) == name


def test_a_platform_name_longer_than_the_column_is_cut_to_fit(app: App) -> None:
    name = "n" * 400
    assert _as(app, "/help", name).status is Status.OK
    assert _stored_name(app) == "n" * 255 + "…"
    assert _as(app, "/profile", name).status is Status.OK  # and the next command too


# ---- a name the member chose sticks ---------------------------------------------------------


def test_a_name_set_with_profile_set_is_not_replaced_by_the_platforms(app: App) -> None:
    assert _as(app, "/profile", "amina.h").ok
    assert _as(app, "/profile set name: Amina Haddad", "amina.h").ok
    assert _as(app, "/profile", "amina.h").ok
    assert _as(app, "/help", "Amina (away)").ok  # she renamed herself on the platform
    assert _stored_name(app) == "Amina Haddad"


def test_clearing_the_chosen_name_gives_the_platforms_back_and_it_follows_again(
    app: App,
) -> None:
    assert _as(app, "/profile set name: Amina Haddad", "amina.h").ok
    cleared = _as(app, "/profile set name: -", "amina.h")
    assert cleared.ok
    assert "amina.h" in render(cleared)
    assert _stored_name(app) == "amina.h"
    assert _as(app, "/help", "Amina H.").ok
    assert _stored_name(app) == "Amina H."


def test_a_chosen_name_may_be_as_long_as_the_column(app: App) -> None:
    assert _as(app, f"/profile set name: {'a' * 256}", None).ok
    too_long = _as(app, f"/profile set name: {'a' * 257}", None)
    assert too_long.status is Status.USER_ERROR
    assert "The name is 257 characters long; the limit is 256." in render(too_long)


# ---- every text column ------------------------------------------------------------------------


def _text_columns() -> list[tuple[type[SQLModel], str, str, int]]:
    """(model, attribute, table, length) of every text column of our own tables."""
    out = []
    for mapper in SQLModel._sa_registry.mappers:  # type: ignore[attr-defined]
        model = mapper.class_
        for attr in mapper.column_attrs:
            length = getattr(attr.columns[0].type, "length", None)
            if isinstance(length, int):
                out.append((model, attr.key, mapper.local_table.name, length))
    return sorted(out, key=lambda c: (c[2], c[1]))


@pytest.mark.parametrize(
    ("model", "attribute", "table", "length"),
    _text_columns(),
    ids=[f"{c[2]}.{c[1]}" for c in _text_columns()],
)
def test_every_text_column_refuses_an_overlong_text_with_a_clear_error(
    model: type[SQLModel], attribute: str, table: str, length: int
) -> None:
    row = model()
    setattr(row, attribute, "x" * (length + 1))
    if (table, attribute) in limits.CUT_TO_FIT:
        check_row(row, only_changed=False)
        assert len(getattr(row, attribute)) == length
        return
    with pytest.raises(TextTooLong) as raised:
        check_row(row, only_changed=False)
    label = limits.LABELS.get((table, attribute), attribute.replace("_", " "))
    assert raised.value.message == (
        f"The {label} is {length + 1} characters long; the limit is {length}."
    )
    setattr(row, attribute, "x" * length)
    check_row(row, only_changed=False)  # exactly the limit fits


def test_an_overlong_text_that_no_parser_caught_fails_cleanly_on_both_databases(
    app: App,
) -> None:
    """Without the check, PostgreSQL failed the command with `value too long` (an internal
    error) and SQLite kept the text whole."""
    with session_scope(app.engine) as session:
        community = repos.get_or_create_community(
            session,
            Conversation("console", "local", "c"),
            now=NOW,
            name="N",
            timezone="UTC",
            language="en",
        )
        asker = repos.ensure_member(session, community.id, "amina", now=NOW)
    limit = limit_of(Question, "text")
    too_long = rf"The question is {limit + 1} characters long"
    with pytest.raises(TextTooLong, match=too_long), session_scope(app.engine) as session:
        session.add(
            Question(
                community_id=community.id,
                channel_id="c",
                asker_id=asker.id,
                text="q" * (limit + 1),
                created_at=NOW,
            )
        )
    with session_scope(app.engine) as session:
        assert session.exec(select(Question)).all() == []


def test_the_parsers_limits_are_their_columns_lengths() -> None:
    """Each parser refuses what is too long in its own words; its limit must be the column's,
    or the net under it (`storage/limits.py`) would answer instead, in plainer words."""
    from cop_bot.experts.questions import MAX_QUESTION
    from cop_bot.handlers.sessions.agenda import MAX_AGENDA
    from cop_bot.handlers.sessions.schedule import MAX_TITLE
    from cop_bot.practices.fields import FIELDS
    from cop_bot.practices.review import MAX_REASON
    from cop_bot.storage.models import Meeting, MeetingAgendaItem, Practice

    assert limit_of(Question, "text") == MAX_QUESTION
    assert limit_of(MeetingAgendaItem, "text") == MAX_AGENDA
    assert limit_of(Meeting, "title") == MAX_TITLE
    assert limit_of(Practice, "rejected_reason") == MAX_REASON
    parsed_first = {
        "domains",
        "tags",
        "kind",
        "country",
        "language",
        "scale",
        "contact_public",
    }  # codes and lists
    for spec in FIELDS:
        if spec.attr not in parsed_first:
            assert spec.limit == limit_of(Practice, spec.attr), spec.attr


@given(st.text(max_size=600))
def test_a_platform_name_always_fits_and_keeps_its_start(name: str) -> None:
    fitted = repos.fit(name, Member, "display_name")
    assert len(fitted) <= limit_of(Member, "display_name")
    assert fitted == name or (fitted.endswith("…") and name.startswith(fitted[:-1]))
