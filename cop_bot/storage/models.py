"""Tables. Every row belongs to a community, directly or through its member, so that nothing
leaks between a Slack workspace, a Matrix deployment and the local console.

The schema is created only by the Alembic migrations in `migrations/`; a test checks that the
migrations and these models agree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    true,
)
from sqlmodel import Field, SQLModel

from cop_bot.storage.types import UTCDateTime

# Pydantic builds a table's validator when one is first needed, not at import: tables are
# filled through SQLAlchemy, and every `cop-bot` command pays for the import (about a quarter
# of this module's import time).
SQLModel.model_config["defer_build"] = True
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _utc(**kw: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kw))


def _community_fk() -> Any:
    return Field(
        sa_column=Column(
            Integer, ForeignKey("community.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )


def _member_fk() -> Any:
    return Field(
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )


class Community(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=255)
    name: str = Field(max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    language: str = Field(default="en", max_length=8)
    created_at: datetime = _utc(nullable=False)
    directory_version: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    """Bumped by every change to who is listed as an expert, so search caches know to refresh."""
    review_enabled: bool = Field(
        default=True, sa_column=Column(Boolean, nullable=False, server_default=true())
    )
    """New practices wait for a curator unless an admin turns review off (`/settings review: off`)."""
    practice_version: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    """Bumped by every change to a practice or its endorsements, so search caches know to refresh."""
    asks_per_day: int | None = Field(default=None)
    """How many questions one member may `/ask` in 24 hours (`/settings asks-per-day: N`); None is
    the default, `experts.questions.DEFAULT_ASKS_PER_DAY`."""
    library_public: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    """`/settings library: public` opens the web library to anyone; private (the default) needs
    the secret link `/library link` gives members."""
    library_token: str | None = Field(default=None, max_length=64, unique=True)
    """The key in a private library's address; `/library link reset` replaces it."""
    escalate_after: int | None = Field(default=None)
    """Days a question may stay unanswered before the next experts hear of it
    (`/settings escalate-after: N`); None is `escalation.rules.DEFAULT_ESCALATE_AFTER`."""


class Member(SQLModel, table=True):
    """A member of one community. Profile fields are personal data: see `/profile export`."""

    __table_args__ = (UniqueConstraint("community_id", "handle"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _community_fk()
    handle: str = Field(max_length=255)
    display_name: str | None = Field(default=None, max_length=256)
    """The platform's name for the member (Synapse allows 256 characters), or their own."""
    name_chosen: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    """The member set `display_name` themselves: the platform's name no longer replaces it."""
    platform_user_id: str | None = Field(default=None, max_length=255)
    country: str | None = Field(default=None, max_length=2)
    city: str | None = Field(default=None, max_length=120)
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    organisation: str | None = Field(default=None, max_length=200)
    organisation_type: str | None = Field(default=None, max_length=20)
    bio: str | None = Field(default=None, max_length=1000)
    timezone: str | None = Field(default=None, max_length=64)
    locale: str | None = Field(default=None, max_length=16)
    is_expert: bool = Field(default=False)
    accepts_asks: bool = Field(default=False)
    asks_capacity: int | None = Field(default=None)
    expert_since: datetime | None = _utc(nullable=True)
    welcomed_at: datetime | None = _utc(nullable=True)
    """When the onboarding message went out: it goes once per member, whichever channel."""
    created_at: datetime = _utc(nullable=False)
    updated_at: datetime = _utc(nullable=False)


class MemberDomain(SQLModel, table=True):
    __tablename__ = "member_domain"

    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    )
    domain: str = Field(primary_key=True, max_length=64, index=True)


class RoleGrant(SQLModel, table=True):
    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("member_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _community_fk()
    member_id: int = _member_fk()
    role: str = Field(max_length=20)
    granted_by: str | None = Field(default=None, max_length=255)
    granted_at: datetime = _utc(nullable=False)


class Question(SQLModel, table=True):
    """A question asked with `/ask`; open until the asker or an expert marks it answered."""

    # `/insights` reads a community's questions of a period (cop_bot.insights.counts)
    __table_args__ = (Index("ix_question_community_id_created_at", "community_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _community_fk()
    channel_id: str = Field(max_length=255)
    asker_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    """NULL once the asker is erased: a question with answers stays, so the answers do
    (`experts.privacy`); the asker's other questions are deleted with them."""
    text: str = Field(max_length=2000)
    domains: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="open", max_length=16, index=True)
    created_at: datetime = _utc(nullable=False)
    answered_at: datetime | None = _utc(nullable=True)
    answered_by_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="SET NULL"), nullable=True),
    )
    escalation_round: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    """How many times the question went to further experts; bumped by a compare-and-set, which
    is the claim that makes each round happen once (`cop_bot.escalation`)."""
    escalated_at: datetime | None = _utc(nullable=True)


class QuestionRecipient(SQLModel, table=True):
    """An expert notified of a question: drives monthly capacity and round robin."""

    __tablename__ = "question_recipient"

    question_id: int = Field(
        sa_column=Column(Integer, ForeignKey("question.id", ondelete="CASCADE"), primary_key=True)
    )
    member_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    notified_at: datetime = _utc(nullable=False)
    declined_at: datetime | None = _utc(nullable=True)
    """Set by `/ask decline ID`: the ask then does not count against the expert's capacity."""
    round: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    """0 for the first experts told, N for those told by escalation round N."""


class QuestionNotice(SQLModel, table=True):
    """One message an escalation round owes: to an expert it now goes to, or to the asker.

    Written in the same transaction as the round's claim, then sent through `core.claims`
    (`status` pending, sending, sent, failed, refused or skipped; `attempts`, `at` the last
    claim or attempt): each leaves once, and one the platform did not take is retried."""

    __tablename__ = "question_notice"
    __table_args__ = (UniqueConstraint("question_id", "round", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("question.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    member_id: int = _member_fk()
    round: int = Field(sa_column=Column(Integer, nullable=False))
    role: str = Field(max_length=8)
    """`expert` or `asker`."""
    status: str = Field(default="pending", max_length=8, index=True)
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    at: datetime | None = _utc(nullable=True)
    last_error: str | None = Field(default=None, max_length=500)


class MemberWeek(SQLModel, table=True):
    """That a member ran any command in a week (Monday, UTC): counts for `/insights`, nothing
    about what they ran."""

    __tablename__ = "member_week"
    # active members a week for `/insights`: a covering index, read in week order
    __table_args__ = (Index("ix_member_week_community_id_week", "community_id", "week"),)

    community_id: int = Field(
        sa_column=Column(Integer, ForeignKey("community.id", ondelete="CASCADE"), primary_key=True)
    )
    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    )
    week: date = Field(sa_column=Column(Date, primary_key=True))


class Answer(SQLModel, table=True):
    """An answer to a question, kept with it (`/answer ID TEXT`) so it is found again later.

    `author_id` is NULL once the author is erased: the question keeps its answer. `deleted_at`
    marks an answer its author took back; the row and its history stay for the record.
    """

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("question.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    author_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    text: str = Field(max_length=4000)
    accepted: bool = Field(default=False)
    created_at: datetime = _utc(nullable=False)
    edited_at: datetime | None = _utc(nullable=True)
    deleted_at: datetime | None = _utc(nullable=True)
    practice_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("practice.id", ondelete="SET NULL"), nullable=True),
    )
    """The practice draft this accepted answer was promoted to (`/question promote`)."""


class AnswerRevision(SQLModel, table=True):
    """The history of a question or an answer: who changed what, when.

    `answer_id` is NULL for a change to the question itself; `changes` is {field: [old, new]}.
    """

    __tablename__ = "answer_revision"

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("question.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    answer_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("answer.id", ondelete="CASCADE"), nullable=True),
    )
    editor_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    at: datetime = _utc(nullable=False)
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# ---- the shared repertoire (practices) ---------------------------------------------------------


def _member_ref(*, index: bool = True) -> Any:
    """A member who may be erased: the row stays and forgets who they were."""
    return Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=index
        ),
    )


def _practice_fk(**kw: Any) -> Any:
    return Field(
        sa_column=Column(
            Integer, ForeignKey("practice.id", ondelete="CASCADE"), nullable=False, **kw
        )
    )


class Practice(SQLModel, table=True):
    """A good practice, resource or toolkit in the community's shared repertoire.

    `status` is pending, approved, rejected or needs-confirmation (the author was warned that
    the text may hold personal data). Only approved practices are searchable. `search_version`
    is the community's `practice_version` at the practice's last change, so a search index can
    reload just what changed since it last looked.
    """

    __table_args__ = (
        Index("ix_practice_community_id_status", "community_id", "status"),
        Index("ix_practice_community_id_search_version", "community_id", "search_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _community_fk()
    author_id: int | None = _member_ref()
    status: str = Field(default="pending", max_length=24)
    kind: str = Field(default="practice", max_length=16)
    title: str = Field(max_length=200)
    summary: str = Field(max_length=2000)
    domains: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    country: str | None = Field(default=None, max_length=2)
    city: str | None = Field(default=None, max_length=120)
    organisation: str | None = Field(default=None, max_length=200)
    link: str | None = Field(default=None, max_length=500)
    language: str | None = Field(default=None, max_length=8)
    target_group: str | None = Field(default=None, max_length=300)
    standard: str | None = Field(default=None, max_length=2000)
    key_factors: str | None = Field(default=None, max_length=2000)
    rationale: str | None = Field(default=None, max_length=2000)
    guide_questions: str | None = Field(default=None, max_length=2000)
    examples: str | None = Field(default=None, max_length=2000)
    results: str | None = Field(default=None, max_length=2000)
    contact: str | None = Field(default=None, max_length=300)
    licence: str | None = Field(default=None, max_length=100)
    scale: str | None = Field(default=None, max_length=16)
    """local, national, regional or global: the entry points of the web library."""
    contact_public: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    """The author chose to publish the contact on the web library (`contact-public: yes`)."""
    channel_id: str | None = Field(default=None, max_length=255)
    created_at: datetime = _utc(nullable=False)
    updated_at: datetime = _utc(nullable=False)
    approved_at: datetime | None = _utc(nullable=True)
    approved_by_id: int | None = _member_ref()
    review_by: datetime | None = _utc(nullable=True)
    rejected_reason: str | None = Field(default=None, max_length=500)
    search_version: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )


class PracticeDomain(SQLModel, table=True):
    """The practice's domains as rows, for counting and filtering (mirrors `Practice.domains`)."""

    __tablename__ = "practice_domain"

    practice_id: int = Field(
        sa_column=Column(Integer, ForeignKey("practice.id", ondelete="CASCADE"), primary_key=True)
    )
    domain: str = Field(primary_key=True, max_length=64, index=True)


class PracticeEndorsement(SQLModel, table=True):
    """One per member and practice; erasing the member keeps the row (and the count) anonymous."""

    __tablename__ = "practice_endorsement"
    __table_args__ = (UniqueConstraint("practice_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = _practice_fk()
    member_id: int | None = _member_ref()
    created_at: datetime = _utc(nullable=False)


class PracticeRevision(SQLModel, table=True):
    """The history of a practice: who changed what, when (`changes` is {field: [old, new]}).

    `editor_id` is NULL once the editor is erased ("a former member"); `editor_label` names an
    editor that is not a member, such as an import.
    """

    __tablename__ = "practice_revision"

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = _practice_fk(index=True)
    editor_id: int | None = _member_ref()
    editor_label: str | None = Field(default=None, max_length=40)
    at: datetime = _utc(nullable=False)
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# ---- weekly digests --------------------------------------------------------------------------


class DigestSubscription(SQLModel, table=True):
    """A channel's digest (or, with `member_id`, a member's personal digest by direct message).

    The schedule is local: `weekday` (0 = Monday) and `minute_of_day` in `timezone`, so a
    Monday 09:00 Rome digest stays at 09:00 Rome time across daylight-saving changes.
    """

    __tablename__ = "digest_subscription"
    __table_args__ = (UniqueConstraint("community_id", "channel_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _community_fk()
    channel_id: str = Field(max_length=255)
    member_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    enabled: bool = Field(default=True)
    weekday: int = Field(default=0)
    minute_of_day: int = Field(default=540)
    timezone: str = Field(default="UTC", max_length=64)
    domains: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    skip_empty: bool = Field(default=True)
    language: str | None = Field(default=None, max_length=8)
    group_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("cop_group.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    """A group's digest (`/digest on … group:SLUG`): its week, not the community's."""
    created_at: datetime = _utc(nullable=False)
    updated_at: datetime = _utc(nullable=False)


class DigestRun(SQLModel, table=True):
    """One digest for one subscription and period. The unique key is what makes posting
    exactly-once: a run is claimed by inserting this row before anything is sent."""

    __tablename__ = "digest_run"
    __table_args__ = (UniqueConstraint("subscription_id", "period_end"),)

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("digest_subscription.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    period_start: datetime = _utc(nullable=False)
    period_end: datetime = _utc(nullable=False)
    status: str = Field(default="sending", max_length=16)
    """sending, sent, skipped (empty), failed (retried with backoff), missed, or refused (the
    platform will not take it until someone acts: `last_error` is the reason's code)."""
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
    claimed_at: datetime = _utc(nullable=False)
    sent_at: datetime | None = _utc(nullable=True)
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# ---- community sessions (meetings) -------------------------------------------------------------


def _cop_session_fk(**kw: Any) -> Any:
    return Field(
        sa_column=Column(
            Integer, ForeignKey("cop_session.id", ondelete="CASCADE"), nullable=False, **kw
        )
    )


class Meeting(SQLModel, table=True):
    """A community session (an online meeting, a study visit), once or as a recurring series.

    `starts_at` is the first occurrence in UTC; `rrule` (RFC 5545, without DTSTART) is evaluated
    in `timezone`, so a 15:00 Rome series stays at 15:00 Rome time across daylight saving.
    `sequence` grows with every change, for calendar clients (iCalendar SEQUENCE).
    """

    __tablename__ = "cop_session"
    __table_args__ = (Index("ix_cop_session_community_id_status", "community_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _community_fk()
    channel_id: str = Field(max_length=255)
    host_id: int | None = _member_ref()
    title: str = Field(max_length=200)
    starts_at: datetime = _utc(nullable=False)
    duration_minutes: int = Field(default=60)
    timezone: str = Field(default="UTC", max_length=64)
    rrule: str | None = Field(default=None, max_length=200)
    link: str | None = Field(default=None, max_length=500)
    capacity: int | None = Field(default=None)
    status: str = Field(default="scheduled", max_length=16)
    cancel_reason: str | None = Field(default=None, max_length=500)
    sequence: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    created_at: datetime = _utc(nullable=False)
    updated_at: datetime = _utc(nullable=False)
    # issue 18, visits: where an in-person session happens, who hosts it, and multi-day spans
    location: str | None = Field(default=None, max_length=300)
    host_organisation: str | None = Field(default=None, max_length=200)
    kind: str = Field(
        default="session",
        sa_column=Column(String(16), nullable=False, server_default="session"),
    )
    days: int | None = Field(default=None)
    """A multi-day session: how many calendar days it covers (it ends at midnight after the
    last one, in `timezone`); None for a session of `duration_minutes`."""
    all_day: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    """Given as days without a time of day: an all-day event (`.ics` DATE values)."""
    # issue 18, group scope: the group a session belongs to (its members are invited)
    group_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("cop_group.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    # issue 18, programme visits: the mentoring pair a visit is for, and which side hosts it
    pair_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("mentoring_pair.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    visit_host: str | None = Field(default=None, max_length=1)
    """`a` or `b`: the side of `pair_id` that hosts the visit (the other side visits)."""


class MeetingInvitee(SQLModel, table=True):
    """A member invited by name (`/schedule-session … with @handle`): reminded of the session
    like a group's members, unless they answer no. Erased with the member (CASCADE)."""

    __tablename__ = "session_invitee"
    __table_args__ = (UniqueConstraint("session_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = _cop_session_fk(index=True)
    member_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    invited_at: datetime = _utc(nullable=False)


class MeetingChange(SQLModel, table=True):
    """One occurrence of a series moved (`new_start`) or cancelled, keyed by its original start."""

    __tablename__ = "session_change"
    __table_args__ = (UniqueConstraint("session_id", "original_start"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = _cop_session_fk(index=True)
    original_start: datetime = _utc(nullable=False)
    new_start: datetime | None = _utc(nullable=True)
    cancelled: bool = Field(default=False)
    reason: str | None = Field(default=None, max_length=500)
    changed_at: datetime = _utc(nullable=False)


class MeetingRsvp(SQLModel, table=True):
    """One answer per member and occurrence (keyed by the occurrence's original start). Erasing
    the member keeps the row, anonymous, so counts and the waiting list stay right."""

    __tablename__ = "session_rsvp"
    __table_args__ = (
        UniqueConstraint("session_id", "occurrence_start", "member_id"),
        Index("ix_session_rsvp_session_id_occurrence_start", "session_id", "occurrence_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = _cop_session_fk()
    occurrence_start: datetime = _utc(nullable=False)
    member_id: int | None = _member_ref()
    answer: str = Field(max_length=8)
    waitlisted: bool = Field(default=False)
    answered_at: datetime = _utc(nullable=False)


class MeetingAgendaItem(SQLModel, table=True):
    __tablename__ = "session_agenda_item"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = _cop_session_fk(index=True)
    occurrence_start: datetime = _utc(nullable=False)
    author_id: int | None = _member_ref()
    text: str = Field(max_length=500)
    created_at: datetime = _utc(nullable=False)


class ReminderSent(SQLModel, table=True):
    """Claimed before a reminder is sent: the unique row makes sending at most once, across
    restarts and processes. `status` is sent, skipped (fell due too long ago), failed (retried
    with backoff: `attempts` so far, `at` the last one) or refused (the platform will not take
    it until someone acts; `last_error` says why)."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("session_id", "starts_at", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = _cop_session_fk()
    starts_at: datetime = _utc(nullable=False)
    kind: str = Field(max_length=8)
    status: str = Field(default="sent", max_length=8)
    at: datetime = _utc(nullable=False)
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    last_error: str | None = Field(default=None, max_length=500)


class PracticeCollection(SQLModel, table=True):
    """A curated toolkit: approved practices in the order a curator gave (`/library collect`)."""

    __tablename__ = "practice_collection"
    __table_args__ = (UniqueConstraint("community_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _community_fk()
    slug: str = Field(max_length=60)
    practice_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = _utc(nullable=False)


class CalendarFeed(SQLModel, table=True):
    """A channel's private calendar subscription; the token is the only key to it."""

    __tablename__ = "calendar_feed"
    __table_args__ = (UniqueConstraint("community_id", "channel_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _community_fk()
    channel_id: str = Field(max_length=255)
    token: str = Field(max_length=64, unique=True)
    created_at: datetime = _utc(nullable=False)


class SeenRequest(SQLModel, table=True):
    """A platform request or event already acted on, claimed with `INSERT … ON CONFLICT DO
    NOTHING` before acting: of two replicas handed the same one (a replay, a retried event), one
    inserts and acts, the other finds the row and drops it. `key` is a SHA-256 of what identifies
    it (`core/seen.py`); rows older than an hour are pruned."""

    __tablename__ = "seen_request"

    key: str = Field(primary_key=True, max_length=64)
    seen_at: datetime = _utc(nullable=False, index=True)


# ---- groups (working groups, cohorts, local networks) -----------------------------------------


class CopGroup(SQLModel, table=True):
    """A working group, cohort or local network. `slug` is made from the name once and never
    changes; `starts` and `ends` are calendar dates (a cohort's members are alumni after
    `ends`); `closed` groups take members only from their focal points and admins."""

    __tablename__ = "cop_group"
    __table_args__ = (UniqueConstraint("community_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _community_fk()
    slug: str = Field(max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(default="working-group", max_length=16)
    domains: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    starts: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    ends: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    channel_id: str | None = Field(default=None, max_length=255)
    closed: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    created_by_id: int | None = _member_ref()
    created_at: datetime = _utc(nullable=False)


class GroupMember(SQLModel, table=True):
    """One member of one group; `focal` makes them one of its focal points (a role scoped to
    the group). Membership is personal data: exported and erased with the member."""

    __tablename__ = "group_member"

    group_id: int = Field(
        sa_column=Column(Integer, ForeignKey("cop_group.id", ondelete="CASCADE"), primary_key=True)
    )
    member_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    focal: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    added_by: str | None = Field(default=None, max_length=255)
    joined_at: datetime = _utc(nullable=False)


# ---- mentoring and peer pairing ----------------------------------------------------------------


def _programme_fk(**kw: Any) -> Any:
    return Field(
        sa_column=Column(
            Integer, ForeignKey("mentoring_programme.id", ondelete="CASCADE"), nullable=False, **kw
        )
    )


class MentoringProgramme(SQLModel, table=True):
    """A programme that pairs its participants in rounds (`mode` mentor or peer), by hand
    (`/mentoring match`) or every `every_weeks` weeks from `created_at` on the scheduler."""

    __tablename__ = "mentoring_programme"
    __table_args__ = (UniqueConstraint("community_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _community_fk()
    slug: str = Field(max_length=80)
    name: str = Field(max_length=120)
    mode: str = Field(default="mentor", max_length=16)
    every_weeks: int | None = Field(default=None)
    domains: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    cross_border: bool = Field(default=True)
    channel_id: str = Field(max_length=255)
    group_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("cop_group.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    """`group: SLUG`: only the group's members may join; its focal points coordinate."""
    created_by_id: int | None = _member_ref()
    created_at: datetime = _utc(nullable=False)


class MentoringParticipant(SQLModel, table=True):
    """One member in one programme: their role, what they bring or want (domains), capacity."""

    __tablename__ = "mentoring_participant"
    __table_args__ = (UniqueConstraint("programme_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = _programme_fk(index=True)
    member_id: int = _member_fk()
    role: str = Field(max_length=16)
    domains: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    capacity: int = Field(default=1)
    joined_at: datetime = _utc(nullable=False)


class MentoringRound(SQLModel, table=True):
    """One round of pairs. Claimed by inserting this row: `number` is unique per programme, and
    so is `slot` (the scheduled round's index since the programme began; NULL by hand), so a
    scheduled round is made exactly once however many processes try."""

    __tablename__ = "mentoring_round"
    __table_args__ = (
        UniqueConstraint("programme_id", "number"),
        UniqueConstraint("programme_id", "slot"),
    )

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = _programme_fk(index=True)
    number: int
    slot: int | None = Field(default=None)
    created_at: datetime = _utc(nullable=False)


class MentoringPair(SQLModel, table=True):
    """A pair of one round (`a` the mentor, or the first peer). `intro_status` is pending (the
    scheduler introduces them), sending, sent, failed (retried with backoff) or refused; `met_a`
    and `met_b` are each side's check-in answer (yes, no, later)."""

    __tablename__ = "mentoring_pair"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("mentoring_round.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    a_id: int = _member_fk()
    b_id: int = _member_fk()
    a_organisation: str | None = Field(default=None, max_length=200)
    b_organisation: str | None = Field(default=None, max_length=200)
    """In organisations mode, the pair is these two organisations (`a_id` and `b_id` are the
    first of their members who joined); every member of each is introduced."""
    score: float = Field(default=0.0)
    why: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    intro_status: str = Field(default="pending", max_length=16)
    intro_attempts: int = Field(default=0)
    intro_at: datetime | None = _utc(nullable=True)
    last_error: str | None = Field(default=None, max_length=500)
    checkin_at: datetime | None = _utc(nullable=True)
    met_a: str | None = Field(default=None, max_length=8)
    met_b: str | None = Field(default=None, max_length=8)


class MentoringUnpaired(SQLModel, table=True):
    """Someone a round left out, with the nearest rule that stopped them (`matching.REASONS`)."""

    __tablename__ = "mentoring_unpaired"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("mentoring_round.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    member_id: int = _member_fk()
    reason: str = Field(max_length=24)
