"""`cop-bot demo`: a fictitious sample community to explore the bot without inviting anyone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import Engine
from sqlmodel import Session

from cop_bot.core.clock import Clock
from cop_bot.core.model import Role
from cop_bot.core.taxonomy import Taxonomy
from cop_bot.platforms import console
from cop_bot.practices.changes import create
from cop_bot.practices.fields import read_fields
from cop_bot.practices.review import APPROVED
from cop_bot.storage import repos
from cop_bot.storage.db import session_scope
from cop_bot.storage.models import Member, PracticeEndorsement

ORGANISATION_TYPES = frozenset({"ngo", "public", "international", "academia", "private", "other"})


@dataclass(frozen=True)
class DemoSummary:
    community: str
    members: int
    experts: int
    countries: int
    practices: int = 0
    sessions: int = 0


def demo_data() -> dict[str, Any]:
    text = resources.files("cop_bot.demo").joinpath("community.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def load_demo(
    engine: Engine, taxonomy: Taxonomy, clock: Clock, *, admin_handle: str
) -> DemoSummary:
    """Fill the console community with the sample members, in one transaction."""
    data = demo_data()
    now = clock.now()
    experts = 0
    countries: set[str] = set()
    with session_scope(engine) as session:
        community = repos.get_or_create_community(
            session,
            console.conversation(),
            now=now,
            name=str(data["community"]),
            timezone="Europe/Brussels",
            language="en",
        )
        community.name = str(data["community"])
        assert community.id is not None
        for entry in data["members"]:
            unknown = [d for d in entry["domains"] if d not in taxonomy]
            if unknown:
                raise ValueError(f"demo member {entry['handle']}: unknown domains {unknown}")
            if entry["organisation_type"] not in ORGANISATION_TYPES:
                raise ValueError(f"demo member {entry['handle']}: bad organisation_type")
            ZoneInfo(entry["timezone"])
            member = Member(
                community_id=community.id,
                handle=entry["handle"],
                display_name=entry["name"],
                country=entry["country"],
                city=entry.get("city"),
                languages=list(entry.get("languages") or []),
                organisation=entry.get("organisation"),
                organisation_type=entry["organisation_type"],
                bio=entry.get("bio"),
                timezone=entry["timezone"],
                is_expert=bool(entry.get("expert")),
                accepts_asks=bool(entry.get("asks")),
                expert_since=now if entry.get("expert") else None,
                created_at=now,
                updated_at=now,
            )
            session.add(member)
            session.flush()
            repos.set_member_domains(session, member, entry["domains"])
            for role in entry.get("roles") or ():
                repos.grant_role(session, member, Role(role), granted_by="demo", now=now)
            experts += member.is_expert
            countries.add(entry["country"])
        you = repos.ensure_member(session, community.id, admin_handle, now=now)
        repos.grant_role(session, you, Role.ADMIN, granted_by="demo", now=now)
        practices = load_demo_practices(session, community.id, taxonomy, now)
        from cop_bot.demo.sessions import load_demo_sessions

        sessions = load_demo_sessions(session, community.id, now)
        return DemoSummary(
            community=community.name,
            members=len(data["members"]),
            experts=experts,
            countries=len(countries),
            practices=practices,
            sessions=sessions,
        )


def make_admin(engine: Engine, clock: Clock, handle: str) -> None:
    """Reopening a demo as someone else: they are its admin too, as `cop-bot demo` promises."""
    with session_scope(engine) as session:
        community = repos.find_community(session, console.conversation())
        if community is None or community.id is None:
            raise ValueError("the demo database holds no console community")
        you = repos.ensure_member(session, community.id, handle, now=clock.now())
        repos.grant_role(session, you, Role.ADMIN, granted_by="demo", now=clock.now())


def demo_practices() -> list[dict[str, Any]]:
    text = resources.files("cop_bot.demo").joinpath("practices.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict) and isinstance(data.get("practices"), list)
    return list(data["practices"])


def load_demo_practices(
    session: Session, community_id: int, taxonomy: Taxonomy, now: datetime
) -> int:
    """The sample repertoire, checked by the same rules as `/share-practice`."""
    count = 0
    for entry in demo_practices():
        pairs = [
            (key, ", ".join(value) if isinstance(value, list) else str(value))
            for key, value in entry.items()
            if key not in {"author", "status", "age_days", "endorsed_by"}
        ]
        parsed, _ = read_fields(taxonomy, pairs, creating=True)
        if parsed.problems:
            raise ValueError(f"demo practice {entry['title']!r}: {parsed.problems}")
        author = repos.find_member(session, community_id, entry["author"])
        if author is None:
            raise ValueError(f"demo practice {entry['title']!r}: no member {entry['author']}")
        when = now - timedelta(days=int(entry.get("age_days", 0)))
        practice = create(
            session,
            community_id,
            parsed.values,
            author=author,
            status=entry.get("status", APPROVED),
            now=when,
            approver=author,
        )
        assert practice.id is not None
        for handle in entry.get("endorsed_by") or ():
            endorser = repos.find_member(session, community_id, handle)
            if endorser is None or endorser.id == author.id:
                raise ValueError(f"demo practice {entry['title']!r}: bad endorser {handle}")
            session.add(
                PracticeEndorsement(practice_id=practice.id, member_id=endorser.id, created_at=now)
            )
        count += 1
    session.flush()
    return count
