"""Storage behaviour, on SQLite and on the local PostgreSQL (the `db_url` fixture runs both)."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import SQLModel, select

import cop_bot.platforms.slack.stores  # noqa: F401  (slack-sdk's tables, migration 0006)
from cop_bot.core.model import Actor, Conversation, Role
from cop_bot.storage import repos
from cop_bot.storage.db import (
    alembic_config,
    current_revision,
    head_revision,
    quick_head,
    session_scope,
    upgrade,
)
from cop_bot.storage.models import Community, Member, MemberDomain, RoleGrant

NOW = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def _community(session, external: str = "local") -> Community:  # type: ignore[no-untyped-def]
    return repos.get_or_create_community(
        session,
        Conversation("console", external, "c"),
        now=NOW,
        name="N",
        timezone="UTC",
        language="en",
    )


def test_schema_is_at_the_newest_migration_and_matches_the_models(engine: Engine) -> None:
    # The models include slack-sdk's installation and OAuth state tables (multi-workspace
    # Slack), built by slack-sdk's own table builders: a slack-sdk upgrade that changes their
    # columns fails here until a migration follows.
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": False}), SQLModel.metadata
        )
    assert diff == []


def test_the_quick_head_read_from_the_migration_files_is_alembics_head() -> None:
    assert quick_head() == head_revision()


def test_upgrade_still_migrates_a_database_that_is_behind(engine: Engine) -> None:
    """The fast path (no Alembic when the schema is current) must not skip a real upgrade."""
    from alembic import command as alembic_command

    previous = str(int(quick_head() or "0") - 1).zfill(4)
    try:
        alembic_command.downgrade(alembic_config(engine), previous)
        assert current_revision(engine) == previous
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        alembic_command.upgrade(alembic_config(engine), "head")


def test_instants_round_trip_as_aware_utc(engine: Engine) -> None:
    rome = timezone(timedelta(hours=2))
    with session_scope(engine) as session:
        community = _community(session)
        member = Member(
            community_id=community.id,
            handle="a",
            created_at=datetime(2026, 3, 29, 3, 30, tzinfo=rome),
            updated_at=NOW,
        )
        session.add(member)
    with session_scope(engine) as session:
        stored = session.exec(select(Member)).one()
        assert stored.created_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
        assert stored.created_at.tzinfo is not None
        assert stored.created_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive"), session_scope(engine) as session:
        session.add(
            Community(platform="p", external_id="x", name="n", created_at=datetime(2026, 1, 1))
        )
        session.flush()


def test_a_failed_transaction_writes_nothing(engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        _community(session, "rolled-back")
        raise RuntimeError("boom")
    with session_scope(engine) as session:
        assert session.exec(select(Community)).all() == []


def test_handles_are_unique_per_community_only(engine: Engine) -> None:
    with session_scope(engine) as session:
        one, two = _community(session, "one"), _community(session, "two")
        for community in (one, two):
            repos.get_or_create_member(session, community.id, Actor("amina"), now=NOW)
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Member(community_id=one.id, handle="amina", created_at=NOW, updated_at=NOW))
        session.flush()


def test_erasing_a_member_cascades_to_domains_and_roles(engine: Engine) -> None:
    with session_scope(engine) as session:
        community = _community(session)
        member = repos.ensure_member(session, community.id, "amina", now=NOW)
        repos.set_member_domains(session, member, ["housing", "health", "housing"])
        repos.grant_role(session, member, Role.CURATOR, granted_by="x", now=NOW)
        assert repos.member_domains(session, member.id) == ["health", "housing"]
    with session_scope(engine) as session:
        session.delete(session.get(Member, member.id))
    with session_scope(engine) as session:
        assert session.exec(select(MemberDomain)).all() == []
        assert session.exec(select(RoleGrant)).all() == []


def test_roles_grant_and_revoke_are_idempotent(engine: Engine) -> None:
    with session_scope(engine) as session:
        community = _community(session)
        member = repos.ensure_member(session, community.id, "amina", now=NOW)
        assert repos.grant_role(session, member, Role.FACILITATOR, granted_by=None, now=NOW)
        assert not repos.grant_role(session, member, Role.FACILITATOR, granted_by=None, now=NOW)
        assert repos.granted_roles(session, member.id) == {Role.FACILITATOR}
        assert repos.revoke_role(session, member, Role.FACILITATOR)
        assert not repos.revoke_role(session, member, Role.FACILITATOR)


def test_domain_counts_stay_inside_their_community(engine: Engine) -> None:
    with session_scope(engine) as session:
        one, two = _community(session, "one"), _community(session, "two")
        for community, n in ((one, 3), (two, 1)):
            for i in range(n):
                member = repos.ensure_member(session, community.id, f"m{i}", now=NOW)
                repos.set_member_domains(session, member, ["housing"])
        assert repos.member_counts_by_domain(session, one.id)["housing"] == 3
        assert repos.member_counts_by_domain(session, two.id)["housing"] == 1


_REVISION_IDS = st.lists(
    st.from_regex(r"[0-9a-f]{4,12}", fullmatch=True), min_size=1, max_size=8, unique=True
)


def _write_migrations(folder: Path, chain: list[str], quotes: list[str]) -> None:
    for index, rev in enumerate(chain):
        parent = (
            "None"
            if index == 0
            else f"{quotes[index % len(quotes)]}{chain[index - 1]}{quotes[index % len(quotes)]}"
        )
        q = quotes[(index + 1) % len(quotes)]
        (folder / f"{rev}_step.py").write_text(
            f'"""step {index}"""\nrevision: str = {q}{rev}{q}\ndown_revision: str | None = {parent}\n'
            "branch_labels = None\n",
            encoding="utf-8",
        )


@given(chain=_REVISION_IDS, quotes=st.lists(st.sampled_from(['"', "'"]), min_size=1, max_size=3))
@settings(max_examples=50, deadline=None)
def test_quick_head_reads_the_newest_revision_of_a_plain_chain(
    chain: list[str], quotes: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _write_migrations(Path(tmp), chain, quotes)
        assert quick_head(Path(tmp)) == chain[-1]


@given(
    chain=_REVISION_IDS, extra=st.from_regex(r"[g-z]{4,8}", fullmatch=True), at=st.integers(0, 7)
)
@settings(max_examples=50, deadline=None)
def test_quick_head_leaves_branches_and_odd_files_to_alembic(
    chain: list[str], extra: str, at: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write_migrations(folder, chain, ['"'])
        parent = chain[at % len(chain)]
        branch = folder / f"{extra}_branch.py"
        branch.write_text(f'revision = "{extra}"\ndown_revision = "{parent}"\n', encoding="utf-8")
        if parent != chain[-1]:  # two heads: Alembic decides (and refuses)
            assert quick_head(folder) is None
        else:
            assert quick_head(folder) == extra
        branch.write_text("# not a migration\n", encoding="utf-8")
        assert quick_head(folder) is None


def test_0021_keeps_every_answer_and_lets_a_question_outlive_its_asker(engine: Engine) -> None:
    """SQLite rebuilds `question` to change its foreign key: the rebuild must not cascade
    through the answers, recipients and history that point at it (both backends)."""
    from alembic import command as alembic_command

    from cop_bot.storage.models import Answer, AnswerRevision, Question, QuestionRecipient

    try:
        alembic_command.downgrade(alembic_config(engine), "0020")
        with session_scope(engine) as session:  # 0020's tables are the models' but `question`
            community = _community(session)
            asker, expert = (
                Member(community_id=community.id, handle=h, created_at=NOW, updated_at=NOW)
                for h in ("asker", "expert")
            )
            session.add_all([asker, expert])
            session.flush()
            question = Question(
                community_id=community.id,
                channel_id="c",
                asker_id=asker.id,
                text="Where?",
                created_at=NOW,
            )
            session.add(question)
            session.flush()
            assert question.id is not None and expert.id is not None
            session.add(
                QuestionRecipient(question_id=question.id, member_id=expert.id, notified_at=NOW)
            )
            answer = Answer(
                question_id=question.id, author_id=expert.id, text="There.", created_at=NOW
            )
            session.add(answer)
            session.flush()
            session.add(
                AnswerRevision(
                    question_id=question.id, answer_id=answer.id, editor_id=expert.id, at=NOW
                )
            )
            ids = asker.id, question.id
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with session_scope(engine) as session:
            assert len(session.exec(select(Answer)).all()) == 1
            assert len(session.exec(select(AnswerRevision)).all()) == 1
            assert len(session.exec(select(QuestionRecipient)).all()) == 1
            gone = session.get(Member, ids[0])
            assert gone is not None
            session.delete(gone)  # the database itself now sets NULL, not CASCADE
        with session_scope(engine) as session:
            question = session.get(Question, ids[1])
            assert question is not None and question.asker_id is None
            assert [a.text for a in session.exec(select(Answer)).all()] == ["There."]
    finally:
        alembic_command.upgrade(alembic_config(engine), "head")
