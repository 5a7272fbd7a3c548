"""What a digest says: data gathered for one period (`gather`), then a `Reply` (`to_reply`).

Only aggregate counts appear in the "pulse": no individual activity is tracked or shown.
Sections are omitted when empty; long sections show their top items and "and N more" with the
command that lists everything, keeping within Slack's 50 blocks and 3,000 characters a section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from cop_bot.model import Block, Code, Context, Header, Item, Reply, Text, reply, spans
from cop_bot.profiles import country_name
from cop_bot.storage.models import (
    Community,
    Member,
    MemberDomain,
    Practice,
    PracticeEndorsement,
    Question,
)
from cop_bot.taxonomy import Taxonomy

TOP = 5
SECTIONS = ("practices", "experts", "sessions", "questions", "review")
TITLES: dict[str, dict[str, str]] = {
    "en": {
        "title": "Weekly digest",
        "practices": "New practices and resources",
        "experts": "New experts",
        "sessions": "Upcoming sessions",
        "questions": "Open questions",
        "review": "Needs review",
        "pulse": "Community pulse",
        "more": "and {n} more",
    },
    "fr": {
        "title": "Résumé de la semaine",
        "practices": "Nouvelles pratiques et ressources",
        "experts": "Nouveaux experts",
        "sessions": "Sessions à venir",
        "questions": "Questions ouvertes",
        "review": "À réviser",
        "pulse": "Pouls de la communauté",
        "more": "et {n} de plus",
    },
    "es": {
        "title": "Resumen semanal",
        "practices": "Nuevas prácticas y recursos",
        "experts": "Nuevos expertos",
        "sessions": "Próximas sesiones",
        "questions": "Preguntas abiertas",
        "review": "Por revisar",
        "pulse": "Pulso de la comunidad",
        "more": "y {n} más",
    },
    "it": {
        "title": "Riepilogo settimanale",
        "practices": "Nuove pratiche e risorse",
        "experts": "Nuovi esperti",
        "sessions": "Prossime sessioni",
        "questions": "Domande aperte",
        "review": "Da rivedere",
        "pulse": "Polso della comunità",
        "more": "e altri {n}",
    },
    "de": {
        "title": "Wochenüberblick",
        "practices": "Neue Praktiken und Ressourcen",
        "experts": "Neue Fachleute",
        "sessions": "Kommende Termine",
        "questions": "Offene Fragen",
        "review": "Zu überprüfen",
        "pulse": "Puls der Gemeinschaft",
        "more": "und {n} weitere",
    },
    "ar": {
        "title": "الملخص الأسبوعي",
        "practices": "ممارسات وموارد جديدة",
        "experts": "خبراء جدد",
        "sessions": "الجلسات القادمة",
        "questions": "أسئلة مفتوحة",
        "review": "بحاجة إلى مراجعة",
        "pulse": "نبض المجتمع",
        "more": "و{n} أخرى",
    },
    "el": {
        "title": "Εβδομαδιαία σύνοψη",
        "practices": "Νέες πρακτικές και πόροι",
        "experts": "Νέοι ειδικοί",
        "sessions": "Επερχόμενες συναντήσεις",
        "questions": "Ανοιχτές ερωτήσεις",
        "review": "Προς αναθεώρηση",
        "pulse": "Παλμός της κοινότητας",
        "more": "και {n} ακόμη",
    },
}
LIST_COMMANDS = {
    "practices": "/practices",
    "experts": "/find-expert DOMAIN",
    "sessions": "/sessions all",
    "questions": "/questions",
    "review": "/practices stale",
}


@dataclass
class Digest:
    channel: str
    period_start: datetime
    period_end: datetime
    timezone: str
    language: str
    domains: list[str]
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    pulse: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any(self.sections.get(name) for name in SECTIONS)

    def as_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "period": {"start": self.period_start.isoformat(), "end": self.period_end.isoformat()},
            "sections": {
                **{name: self.sections.get(name, []) for name in SECTIONS},
                "pulse": self.pulse,
            },
        }


def _in_domains(item_domains: list[str] | set[str], wanted: list[str]) -> bool:
    return not wanted or bool(set(item_domains) & set(wanted))


def gather(
    session: Session,
    community: Community,
    *,
    channel: str,
    start: datetime,
    end: datetime,
    domains: list[str],
    timezone: str,
    language: str,
    taxonomy: Taxonomy,
) -> Digest:
    assert community.id is not None
    cid = community.id
    digest = Digest(channel, start, end, timezone, language, list(domains))

    def label(slug: str) -> str:
        return taxonomy.label(slug, language)

    practices = [
        p
        for p in session.exec(
            select(Practice).where(
                Practice.community_id == cid,
                Practice.status == "approved",
                col(Practice.approved_at) >= start,
                col(Practice.approved_at) < end,
            )
        ).all()
        if _in_domains(p.domains, domains)
    ]
    endorsements = _endorsements(session, [p.id for p in practices if p.id is not None])
    authors = _members(session, {p.author_id for p in practices if p.author_id})
    practices.sort(key=lambda p: (-endorsements.get(p.id or 0, 0), p.approved_at or end, p.id or 0))
    digest.sections["practices"] = [
        {
            "id": p.id,
            "title": p.title,
            "domains": [label(d) for d in p.domains],
            "country": p.country,
            "shared_by": authors[p.author_id].handle if p.author_id in authors else None,
            "endorsements": endorsements.get(p.id or 0, 0),
        }
        for p in practices
    ]

    experts = session.exec(
        select(Member)
        .where(
            Member.community_id == cid,
            col(Member.is_expert),
            col(Member.expert_since) >= start,
            col(Member.expert_since) < end,
        )
        .order_by(col(Member.expert_since), col(Member.id))
    ).all()
    member_domains = _domains_of(session, [m.id for m in experts if m.id is not None])
    digest.sections["experts"] = [
        {
            "handle": m.handle,
            "name": m.display_name,
            "domains": [label(d) for d in sorted(member_domains.get(m.id or 0, []))],
            "country": m.country,
        }
        for m in experts
        if _in_domains(member_domains.get(m.id or 0, set()), domains)
    ]

    digest.sections["sessions"] = upcoming_sessions(
        session, community, channel, end, timezone, domains
    )

    questions = session.exec(
        select(Question)
        .where(
            Question.community_id == cid, Question.status == "open", col(Question.created_at) < end
        )
        .order_by(col(Question.created_at), col(Question.id))
    ).all()
    askers = _members(session, {q.asker_id for q in questions})
    digest.sections["questions"] = [
        {
            "id": q.id,
            "text": q.text,
            "domains": [label(d) for d in q.domains],
            "asked_by": askers[q.asker_id].handle if q.asker_id in askers else None,
            "asked_at": q.created_at.isoformat(),
        }
        for q in questions
        if _in_domains(q.domains, domains)
    ]

    stale = session.exec(
        select(Practice)
        .where(
            Practice.community_id == cid,
            Practice.status == "approved",
            col(Practice.review_by).is_not(None),
            col(Practice.review_by) < end,
        )
        .order_by(col(Practice.review_by), col(Practice.id))
    ).all()
    digest.sections["review"] = [
        {
            "id": p.id,
            "title": p.title,
            "review_by": p.review_by.isoformat() if p.review_by else None,
        }
        for p in stale
        if _in_domains(p.domains, domains)
    ]
    digest.pulse = pulse(session, cid, start, end)
    return digest


def upcoming_sessions(
    session: Session,
    community: Community,
    channel: str,
    end: datetime,
    timezone: str,
    domains: list[str],
) -> list[dict[str, Any]]:
    """Sessions in the 14 days after the period; filled in by the sessions feature."""
    return []


def pulse(
    session: Session, community_id: int, start: datetime, end: datetime
) -> dict[str, dict[str, int]]:
    """Aggregate counts at the end of the period and their change since its start."""

    def counts(at: datetime) -> dict[str, int]:
        members = session.exec(
            select(func.count())
            .select_from(Member)
            .where(Member.community_id == community_id, col(Member.created_at) < at)
        ).one()
        experts = session.exec(
            select(func.count())
            .select_from(Member)
            .where(
                Member.community_id == community_id,
                col(Member.is_expert),
                col(Member.expert_since) < at,
            )
        ).one()
        countries = session.exec(
            select(func.count(func.distinct(Member.country))).where(
                Member.community_id == community_id,
                col(Member.created_at) < at,
                col(Member.country).is_not(None),
            )
        ).one()
        practices = session.exec(
            select(func.count())
            .select_from(Practice)
            .where(
                Practice.community_id == community_id,
                Practice.status == "approved",
                col(Practice.approved_at) < at,
            )
        ).one()
        return {
            "members": members,
            "experts": experts,
            "countries": countries,
            "practices": practices,
            "sessions_held": sessions_held(session, community_id, at),
        }

    now, before = counts(end), counts(start)
    return {key: {"total": now[key], "change": now[key] - before[key]} for key in now}


def sessions_held(session: Session, community_id: int, at: datetime) -> int:
    """Sessions that ended before `at`; filled in by the sessions feature."""
    return 0


def _endorsements(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.exec(
        select(PracticeEndorsement.practice_id, func.count())
        .where(col(PracticeEndorsement.practice_id).in_(ids))
        .group_by(col(PracticeEndorsement.practice_id))
    ).all()
    return dict(rows)


def _members(session: Session, ids: set[int]) -> dict[int, Member]:
    if not ids:
        return {}
    return {
        m.id: m for m in session.exec(select(Member).where(col(Member.id).in_(ids))).all() if m.id
    }


def _domains_of(session: Session, ids: list[int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    if ids:
        for member_id, slug in session.exec(
            select(MemberDomain.member_id, MemberDomain.domain).where(
                col(MemberDomain.member_id).in_(ids)
            )
        ).all():
            out.setdefault(member_id, set()).add(slug)
    return out


# ---- rendering -------------------------------------------------------------------------------


def to_reply(digest: Digest, community_name: str, *, top: int = TOP) -> Reply:
    words = TITLES.get(digest.language, TITLES["en"])
    zone = ZoneInfo(digest.timezone)
    start = digest.period_start.astimezone(zone)
    end = digest.period_end.astimezone(zone)
    blocks: list[Block] = [
        Header(f"{community_name} · {words['title']}"),
        Context(
            spans(
                f"{start:%d %b} – {end:%d %b %Y}"
                + (" · " + ", ".join(digest.domains) if digest.domains else "")
            )
        ),
    ]
    for name in SECTIONS:
        rows = digest.sections.get(name) or []
        if not rows:
            continue
        blocks.append(Header(words[name]))
        blocks.extend(_item(name, row, zone) for row in rows[:top])
        if len(rows) > top:
            more = words["more"].format(n=len(rows) - top)
            blocks.append(Context(spans(f"… {more}: ", Code(LIST_COMMANDS[name]))))
    if digest.pulse:
        blocks.append(Header(words["pulse"]))
        parts = [
            f"{key.replace('_', ' ')}: {v['total']} ({v['change']:+d})"
            for key, v in digest.pulse.items()
        ]
        blocks.append(Text.of(" · ".join(parts)))
    return reply(*blocks, visibility="channel", data=digest.as_json())


def _item(name: str, row: dict[str, Any], zone: ZoneInfo) -> Item:
    if name == "practices":
        meta = " · ".join(
            x
            for x in (
                ", ".join(row["domains"]),
                country_name(row["country"]) or "",
                f"shared by @{row['shared_by']}" if row["shared_by"] else "",
                f"👍 {row['endorsements']}",
            )
            if x
        )
        return Item(title=spans(f"#{row['id']} ", row["title"]), meta=spans(meta))
    if name == "experts":
        return Item(
            title=spans(row["name"] or row["handle"], f" (@{row['handle']})"),
            meta=spans(", ".join(row["domains"])),
        )
    if name == "questions":
        text = row["text"] if len(row["text"]) <= 200 else row["text"][:199] + "…"
        return Item(title=spans(f"#{row['id']} ", text), meta=spans(", ".join(row["domains"])))
    if name == "review":
        return Item(
            title=spans(f"#{row['id']} ", row["title"]),
            meta=spans(f"review by {row['review_by'][:10]}" if row["review_by"] else ""),
        )
    if name == "sessions":
        starts = datetime.fromisoformat(row["starts_at"]).astimezone(zone)
        return Item(
            title=spans(f"#{row['id']} ", row["title"]),
            meta=spans(f"{starts:%a %d %b %H:%M} ({zone.key}) · {row.get('rsvp_yes', 0)} going"),
        )
    raise AssertionError(name)
