"""The demo community's upcoming sessions (`sessions.yaml`), with a few answers."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from importlib import resources

import yaml
from sqlmodel import Session

from cop_bot.platforms import console
from cop_bot.sessions import meetings
from cop_bot.sessions.when import first_on_or_after, localize, parse_recurrence, zone_named
from cop_bot.storage import repos
from cop_bot.storage.models import Meeting


def load_demo_sessions(session: Session, community_id: int, now: datetime) -> int:
    text = resources.files("cop_bot.demo").joinpath("sessions.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict) and isinstance(data.get("sessions"), list)
    channel = console.conversation().channel_id
    for entry in data["sessions"]:
        host = repos.find_member(session, community_id, entry["host"])
        if host is None:
            raise ValueError(f"demo session {entry['title']!r}: no member {entry['host']}")
        zone = zone_named(entry["timezone"])
        day = now.astimezone(zone).date() + timedelta(days=int(entry["in_days"]))
        wall = datetime.combine(day, time.fromisoformat(entry["time"]))
        rule = parse_recurrence(str(entry["every"]).split()) if entry.get("every") else None
        if rule is not None:
            wall = first_on_or_after(rule, wall) or wall
        row = Meeting(
            community_id=community_id,
            channel_id=channel,
            host_id=host.id,
            title=entry["title"],
            starts_at=localize(wall, zone).at,
            duration_minutes=int(entry.get("duration", 60)),
            timezone=zone.key,
            rrule=rule,
            link=entry.get("link"),
            capacity=entry.get("capacity"),
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        occ = meetings.Occurrence(row, row.starts_at, row.starts_at)
        for key, answer in (("going", "yes"), ("maybe", "maybe")):  # YAML reads `yes:` as True
            for handle in entry.get(key) or ():
                member = repos.find_member(session, community_id, handle)
                if member is None:
                    raise ValueError(f"demo session {entry['title']!r}: no member {handle}")
                meetings.answer(session, occ, member, answer, now=now)
    return len(data["sessions"])
