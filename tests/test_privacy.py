"""Access and erasure (`/profile export`, `/profile delete`): every table that holds a member id
is claimed by a capability's privacy section, exported, and left with no trace of the member, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, func
from sqlmodel import Session, SQLModel, select

import cop_bot.platforms.slack.stores  # noqa: F401  (slack-sdk's tables join the metadata)
from cop_bot.capabilities import privacy_sections
from cop_bot.core.privacy import erase_member, export_member
from cop_bot.core.wording import jsonable
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import (
    Answer,
    AnswerRevision,
    Community,
    CopGroup,
    DigestRun,
    DigestSubscription,
    GroupMember,
    Meeting,
    MeetingAgendaItem,
    MeetingInvitee,
    MeetingRsvp,
    Member,
    MemberDomain,
    MentoringPair,
    MentoringParticipant,
    MentoringProgramme,
    MentoringRound,
    MentoringUnpaired,
    Practice,
    PracticeEndorsement,
    PracticeRevision,
    Question,
    QuestionNotice,
    QuestionRecipient,
    RoleGrant,
)
from tests.conftest import NOW, Bot


def member_columns() -> set[str]:
    """Every `table.column` with a foreign key to `member.id`, whoever declared the table."""
    return {
        f"{table.name}.{column.name}"
        for table in SQLModel.metadata.tables.values()
        for column in table.columns
        for fk in column.foreign_keys
        if fk.target_fullname == "member.id"
    }


def test_every_member_column_is_claimed_by_a_privacy_section() -> None:
    sections = privacy_sections()
    claimed = [c for s in sections for c in s.covers]
    found = member_columns()
    assert len(found) >= 13  # the check must see the tables, or it proves nothing
    missing = found - set(claimed)
    assert not missing, f"no privacy section exports and erases {sorted(missing)}"
    assert len(claimed) == len(set(claimed)), "a column is claimed by two sections"
    tables = SQLModel.metadata.tables
    for name in claimed:  # a renamed column must not leave a stale claim behind
        table, _, column = name.partition(".")
        assert table in tables and column in tables[table].columns, name
    assert len({s.name for s in sections}) == len(sections)


def _everything_about(session: Session, member: Member, other: Member) -> None:
    """One row in every member-linked column, and some of `other`'s that must survive."""
    assert member.id is not None and other.id is not None
    cid = member.community_id
    session.add(MemberDomain(member_id=member.id, domain="housing"))
    session.add(MemberDomain(member_id=other.id, domain="housing"))
    session.add(RoleGrant(community_id=cid, member_id=member.id, role="curator", granted_at=NOW))
    mine = Question(
        community_id=cid, channel_id="c", asker_id=member.id, text="Mine?", created_at=NOW
    )
    theirs = Question(
        community_id=cid,
        channel_id="c",
        asker_id=other.id,
        text="Theirs?",
        status="answered",
        created_at=NOW,
        answered_at=NOW,
        answered_by_id=member.id,
    )
    practice = Practice(
        community_id=cid,
        author_id=member.id,
        approved_by_id=member.id,
        status="approved",
        title="Repair cafés",
        summary="Fix things together.",
        created_at=NOW,
        updated_at=NOW,
        approved_at=NOW,
    )
    meeting = Meeting(
        community_id=cid,
        channel_id="c",
        host_id=member.id,
        title="Clinic",
        starts_at=NOW,
        created_at=NOW,
        updated_at=NOW,
    )
    digest = DigestSubscription(
        community_id=cid,
        channel_id=f"@{member.handle}",
        member_id=member.id,
        created_at=NOW,
        updated_at=NOW,
    )
    group = CopGroup(
        community_id=cid, slug="wg", name="WG", created_by_id=member.id, created_at=NOW
    )
    session.add_all([mine, theirs, practice, meeting, digest, group])
    session.flush()
    assert group.id is not None
    session.add(GroupMember(group_id=group.id, member_id=member.id, focal=True, joined_at=NOW))
    session.add(GroupMember(group_id=group.id, member_id=other.id, joined_at=NOW))
    assert theirs.id and practice.id and meeting.id and digest.id
    session.add(QuestionRecipient(question_id=theirs.id, member_id=member.id, notified_at=NOW))
    session.add(
        QuestionNotice(
            question_id=theirs.id, member_id=member.id, round=1, role="expert", status="sent"
        )
    )
    answer = Answer(question_id=theirs.id, author_id=member.id, text="Try this.", created_at=NOW)
    session.add(answer)
    session.flush()
    session.add(
        AnswerRevision(
            question_id=theirs.id,
            answer_id=answer.id,
            editor_id=member.id,
            at=NOW,
            changes={"text": [None, "Try this."]},
        )
    )
    session.add(PracticeEndorsement(practice_id=practice.id, member_id=member.id, created_at=NOW))
    session.add(
        PracticeRevision(
            practice_id=practice.id, editor_id=member.id, at=NOW, changes={"title": ["a", "b"]}
        )
    )
    session.add(
        MeetingRsvp(
            session_id=meeting.id,
            occurrence_start=NOW,
            member_id=member.id,
            answer="yes",
            answered_at=NOW,
        )
    )
    session.add(MeetingInvitee(session_id=meeting.id, member_id=member.id, invited_at=NOW))
    session.add(
        MeetingAgendaItem(
            session_id=meeting.id,
            occurrence_start=NOW,
            author_id=member.id,
            text="Visas",
            created_at=NOW,
        )
    )
    session.add(
        DigestRun(
            subscription_id=digest.id,
            period_start=NOW - timedelta(days=7),
            period_end=NOW,
            status="sent",
            claimed_at=NOW,
            sent_at=NOW,
        )
    )
    programme = MentoringProgramme(
        community_id=cid,
        slug="p",
        name="P",
        channel_id="c",
        created_by_id=member.id,
        created_at=NOW,
    )
    session.add(programme)
    session.flush()
    assert programme.id is not None
    for who in (member, other):
        assert who.id is not None
        session.add(
            MentoringParticipant(
                programme_id=programme.id, member_id=who.id, role="peer", joined_at=NOW
            )
        )
    first = MentoringRound(programme_id=programme.id, number=1, created_at=NOW)
    session.add(first)
    session.flush()
    assert first.id is not None
    session.add(MentoringPair(round_id=first.id, a_id=member.id, b_id=other.id, met_a="yes"))
    session.add(MentoringUnpaired(round_id=first.id, member_id=member.id, reason="taken"))
    session.flush()


def test_export_holds_every_table_and_erase_leaves_no_trace(engine: Engine) -> None:
    with session_scope(engine) as session:
        community = Community(platform="console", external_id="local", name="T", created_at=NOW)
        session.add(community)
        session.flush()
        assert community.id is not None
        people = [
            Member(community_id=community.id, handle=h, created_at=NOW, updated_at=NOW)
            for h in ("amina", "luca")
        ]
        session.add_all(people)
        session.flush()
        amina, luca = people
        _everything_about(session, amina, luca)
        member_id, luca_id = amina.id, luca.id
        export = jsonable(export_member(session, amina, privacy_sections()))
    assert list(export) == [
        "profile",
        "roles",
        "questions",
        "answers",
        "practices",
        "sessions",
        "digests",
        "groups",
        "mentoring",
        "activity",
    ]
    assert [a["text"] for a in export["answers"]["given"]] == ["Try this."]
    assert len(export["answers"]["history"]) == 1
    assert export["groups"]["memberships"][0]["focal_point"] is True
    assert export["groups"]["created"] == ["wg"]
    assert export["mentoring"]["pairs"][0]["with"] == "luca"
    assert export["mentoring"]["pairs"][0]["met"] == "yes"
    assert export["mentoring"]["created"][0]["slug"] == "p"
    assert export["profile"]["domains"] == ["housing"]
    assert [r["role"] for r in export["roles"]] == ["curator"]
    questions = export["questions"]
    assert [q["text"] for q in questions["asked"]] == ["Mine?"]
    assert len(questions["notified_of"]) == len(questions["marked_answered"]) == 1
    assert [n["status"] for n in questions["escalation_messages"]] == ["sent"]
    practices = export["practices"]
    assert all(len(practices[k]) == 1 for k in ("authored", "endorsed", "edits", "approved"))
    sessions = export["sessions"]
    assert all(len(sessions[k]) == 1 for k in ("hosted", "rsvps", "agenda_items"))
    assert export["digests"][0]["channel"] == "@amina"
    assert export["digests"][0]["sent"][0]["status"] == "sent"

    with session_scope(engine) as session:
        amina = session.get(Member, member_id)
        assert amina is not None
        notes = erase_member(session, amina, privacy_sections())
    assert set(notes) == {"questions", "answers", "practices", "sessions", "groups"}  # and why
    tables = SQLModel.metadata.tables
    with engine.connect() as conn:
        for name in sorted(member_columns()):
            table, _, column = name.partition(".")
            left = conn.execute(
                select(func.count()).where(tables[table].c[column] == member_id)
            ).scalar_one()
            assert left == 0, f"{name} still holds the erased member"
        assert conn.execute(select(func.count()).select_from(tables["digest_run"])).scalar() == 0
        # shared knowledge stays, without the person; luca keeps everything of theirs
        assert conn.execute(select(func.count()).select_from(tables["practice"])).scalar() == 1
        assert conn.execute(select(func.count()).select_from(tables["session_rsvp"])).scalar() == 1
        kept = conn.execute(select(tables["member_domain"].c.member_id)).scalars().all()
        assert kept == [luca_id]
        asked = conn.execute(select(tables["question"].c.text)).scalars().all()
        assert asked == ["Theirs?"]
        kept_answers = conn.execute(select(tables["answer"].c.text)).scalars().all()
        assert kept_answers == ["Try this."]  # the question keeps its answer, without its author


def test_the_personal_digest_is_exported_and_erased(bot: Bot) -> None:
    assert bot.reply("/profile set domains: housing; timezone: Europe/Rome").ok
    assert bot.reply("/digest me on").ok
    export = bot.reply("/profile export").data["export"]
    (digest,) = export["digests"]
    assert digest["channel"] == "@alice" and digest["enabled"] is True
    assert digest["timezone"] == "Europe/Rome"
    assert {"weekday", "time", "language", "domains", "created_at", "sent"} <= set(digest)
    assert "Europe/Rome" in bot.reply("/profile export").attachments[0].content.decode()
    assert bot.reply("/digest me off").ok
    assert bot.reply("/profile export").data["export"]["digests"][0]["enabled"] is False
    assert bot.reply("/profile delete confirm").ok
    with session_scope(bot.app.engine) as session:
        rows = session.exec(select(DigestSubscription)).all()
        assert rows == []
