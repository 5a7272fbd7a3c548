"""Member and community set-up that platform adapters trigger outside a command: the welcome a
member gets when they first join a channel, and a new workspace's community. Each function opens
its own storage session, so an adapter only passes the engine and never touches the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from cop_bot.config import Settings
from cop_bot.core import i18n
from cop_bot.core.model import Actor, Conversation, Role
from cop_bot.storage import repos
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Community, Member


def community_for(
    session: Session,
    settings: Settings,
    conversation: Conversation,
    now: datetime,
    name: str | None = None,
) -> Community:
    """The conversation's community, made with the configured name (or `name`), time zone and
    language when it is new."""
    return repos.get_or_create_community(
        session,
        conversation,
        now=now,
        name=name or settings.community_name,
        timezone=settings.timezone,
        language=settings.language,
    )


def locale_for(member: Member, reported: str | None, community: Community) -> str:
    """The member's chosen language (`/profile set language:`), else the one their platform
    reports (Slack's `users.info` locale) when the bot speaks it, else the community's, else
    English."""
    return (
        i18n.supported(member.locale)
        or i18n.supported(reported)
        or i18n.supported(community.language)
        or i18n.DEFAULT
    )


def welcome_once(
    engine: Engine, settings: Settings, conversation: Conversation, actor: Actor, now: datetime
) -> tuple[int, str] | None:
    """The member's id and the language to welcome them in, if this call is the one that
    welcomes them, else None: the claim is made in the database before the welcome is sent, so
    two joins at once send one. The language is the member's as a command would have it (their
    platform's locale when the bot speaks it, else the community's)."""
    with session_scope(engine) as session:
        community = community_for(session, settings, conversation, now)
        assert community.id is not None
        member = repos.get_or_create_member(session, community.id, actor, now=now)
        assert member.id is not None
        if not repos.claim_welcome(session, member.id, now):
            return None
        return member.id, locale_for(member, actor.locale, community)


def release_welcome(engine: Engine, member_id: int) -> None:
    """The welcome could not be delivered: a later join tries again."""
    with session_scope(engine) as session:
        repos.give_back_welcome(session, member_id)


def set_up_community(
    engine: Engine,
    settings: Settings,
    conversation: Conversation,
    now: datetime,
    *,
    name: str | None = None,
    admin: Actor | None = None,
) -> None:
    """A community ready before its first command (a workspace that installs the app), named
    `name` (else the configured name), with `admin` as its first admin."""
    with session_scope(engine) as session:
        community = community_for(session, settings, conversation, now, name)
        assert community.id is not None
        if admin is not None:
            member = repos.get_or_create_member(session, community.id, admin, now=now)
            repos.grant_role(session, member, Role.ADMIN, granted_by=None, now=now)
