"""The insights report for funders (`cop-bot insights`): the issue's JSON shape, CSV, text, PNG.

`counts.compute` gives the figures `/insights` shows; this module adds the few a report needs
that the chat view does not (per-domain coverage, reviews overdue, endorsements, RSVPs), each a
small aggregate query, and lays everything out as

    {coverage: [{domain, questions, experts}],
     coverage_gaps: {domains: [slug], languages: [{language, askers}],
                     countries: [{country, askers}], no_practice: [slug]},
     questions: {asked, answered, answered_7d_pct, median_hours_to_first_answer, open_by_age,
                 escalated, needs_a_hand},
     repertoire: {approved, new, overdue_review, endorsements},
     sessions: {held, median_rsvps, no_shows},
     engagement: [{week, active}]}

`coverage` lists the gaps: domains asked about in the period with fewer than `MIN_EXPERTS`
experts who accept asks. `coverage_gaps` adds the other gaps the issue names: the askers'
languages (their profile's, else the one they read the bot in) that no expert who accepts asks
speaks, the askers' countries where no such expert lives, each with how many askers, and the
domains (the group's, else the taxonomy's) with no approved practice. Counts only, as everywhere
in insights: no name, handle or id of a member is ever part of it. `no_shows` is null: no platform tells the bot who attended.
"""

from __future__ import annotations

import csv
import io
import statistics
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from cop_bot.core.i18n import using
from cop_bot.core.spreadsheet import to_cell
from cop_bot.experts.profiles import country_name, language_name
from cop_bot.insights.counts import MIN_EXPERTS, Insights
from cop_bot.practices.review import APPROVED
from cop_bot.storage.models import (
    CopGroup,
    Meeting,
    MeetingRsvp,
    Practice,
    PracticeDomain,
    PracticeEndorsement,
)

FORMATS = ("text", "json", "csv", "png")


def report(
    session: Session,
    community_id: int,
    found: Insights,
    now: datetime,
    group: CopGroup | None = None,
) -> dict[str, Any]:
    """The report's data (JSON-able), for the period `found` covers."""
    share = found.answered_within_7_days
    return {
        "period": {
            "days": found.period_days,
            "since": found.since.isoformat(),
            "until": now.isoformat(),
        },
        "group": found.group,
        "coverage": coverage(found),
        "coverage_gaps": {
            "domains": [g["domain"] for g in coverage(found)],
            "languages": [
                {"language": g.language, "askers": g.askers} for g in found.language_gaps
            ],
            "countries": [{"country": g.country, "askers": g.askers} for g in found.country_gaps],
            "no_practice": list(found.no_practice),
        },
        "questions": {
            "asked": found.asked,
            "answered": found.answered,
            "answered_7d_pct": round(share * 100, 1) if share is not None else None,
            "median_hours_to_first_answer": found.median_hours_to_first_answer,
            "open_by_age": dict(found.open_by_age),
            "escalated": found.escalated,
            "needs_a_hand": found.needs_a_hand,
        },
        "repertoire": {
            "approved": int(found.practices),
            "new": int(found.new_practices),
            **_repertoire(session, community_id, found.since, now, group),
        },
        "sessions": {
            "held": int(found.sessions),
            "median_rsvps": _median_rsvps(session, community_id, found.since, now, group),
            "no_shows": None,
        },
        "engagement": [{"week": w.isoformat(), "active": n} for w, n in found.weekly_active],
    }


def coverage(found: Insights) -> list[dict[str, Any]]:
    """The coverage gaps of `found`'s table (domains asked about in the period with fewer than
    `MIN_EXPERTS` experts who accept asks), the least covered first."""
    gaps = [
        {"domain": c.domain, "questions": c.questions, "experts": c.experts}
        for c in found.coverage
        if c.experts < MIN_EXPERTS
    ]
    return sorted(gaps, key=lambda g: (g["experts"], -g["questions"], g["domain"]))


def _practices(community_id: int, group: CopGroup | None) -> list[Any]:
    where: list[Any] = [Practice.community_id == community_id]
    if group is not None:
        where.append(
            col(Practice.id).in_(
                select(PracticeDomain.practice_id).where(
                    col(PracticeDomain.domain).in_(list(group.domains))
                )
            )
        )
    return where


def _repertoire(
    session: Session, community_id: int, since: datetime, now: datetime, group: CopGroup | None
) -> dict[str, int]:
    where = _practices(community_id, group)
    overdue = session.exec(
        select(func.count())
        .select_from(Practice)
        .where(*where, Practice.status == APPROVED, col(Practice.review_by) < now)
    ).one()
    endorsements = session.exec(
        select(func.count())
        .select_from(PracticeEndorsement)
        .join(Practice, col(Practice.id) == col(PracticeEndorsement.practice_id))
        .where(
            *where, PracticeEndorsement.created_at >= since, PracticeEndorsement.created_at <= now
        )
    ).one()
    return {"overdue_review": int(overdue), "endorsements": int(endorsements)}


def _median_rsvps(
    session: Session, community_id: int, since: datetime, now: datetime, group: CopGroup | None
) -> float | None:
    """The median of "yes" answers per session held in the period (one a session start)."""
    held = select(Meeting.id, Meeting.starts_at).where(
        Meeting.community_id == community_id, Meeting.starts_at >= since, Meeting.starts_at <= now
    )
    if group is not None:
        held = held.where(Meeting.group_id == group.id)
    starts = [m for m, _at in session.exec(held).all() if m is not None]
    if not starts:
        return None
    yes = dict(
        session.exec(
            select(MeetingRsvp.session_id, func.count())
            .where(
                col(MeetingRsvp.session_id).in_(list(starts)),
                MeetingRsvp.answer == "yes",
                col(MeetingRsvp.waitlisted).is_(False),
            )
            .group_by(col(MeetingRsvp.session_id))
        ).all()
    )
    return float(statistics.median(int(yes.get(m, 0)) for m in starts))


def to_csv(data: dict[str, Any]) -> str:
    """One `section,key,value` row a figure, so a spreadsheet can pivot it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "key", "value"])
    writer.writerow(["period", "days", data["period"]["days"]])
    writer.writerow(["period", "since", data["period"]["since"]])
    writer.writerow(["period", "until", data["period"]["until"]])
    for gap in data["coverage"]:
        for key in ("questions", "experts"):
            writer.writerow(["coverage", to_cell(f"{gap['domain']}.{key}"), gap[key]])
    gaps = data["coverage_gaps"]
    for gap in gaps["languages"]:
        writer.writerow(["coverage_gaps", to_cell(f"languages.{gap['language']}"), gap["askers"]])
    for gap in gaps["countries"]:
        writer.writerow(["coverage_gaps", to_cell(f"countries.{gap['country']}"), gap["askers"]])
    for domain in gaps["no_practice"]:  # the value is the domain's approved practices: none
        writer.writerow(["coverage_gaps", to_cell(f"no_practice.{domain}"), 0])
    for section in ("questions", "repertoire", "sessions"):
        for key, value in data[section].items():
            if isinstance(value, dict):
                for sub, n in value.items():
                    writer.writerow([section, f"{key}.{sub}", n])
            else:
                writer.writerow([section, key, "" if value is None else value])
    for week in data["engagement"]:
        writer.writerow(["engagement", week["week"], week["active"]])
    return out.getvalue()


def _askers(name: str, n: int) -> str:
    return f"{name} ({n} {'asker' if n == 1 else 'askers'})"


def to_text(data: dict[str, Any]) -> str:
    """The report as lines for a terminal or a plain-text e-mail (in English, as the rest of the
    report: language and country names are Babel's English ones)."""
    q, r, s = data["questions"], data["repertoire"], data["sessions"]
    gaps = data["coverage_gaps"]
    with using("en"):
        languages = ", ".join(
            _askers(language_name(g["language"]), g["askers"]) for g in gaps["languages"]
        )
        countries = ", ".join(
            _askers(country_name(g["country"]) or g["country"], g["askers"])
            for g in gaps["countries"]
        )
    ages = q["open_by_age"]
    pct = f"{q['answered_7d_pct']} %" if q["answered_7d_pct"] is not None else "none yet"
    median = q["median_hours_to_first_answer"]
    lines = [
        f"Insights, last {data['period']['days']} days"
        + (f" (group {data['group']})" if data["group"] else ""),
        f"Questions: {q['asked']} asked, {q['answered']} answered, {pct} within 7 days, "
        f"median first answer {f'{median} hours' if median is not None else 'none yet'}",
        f"Open by age: {ages['under_7_days']} under 7 days, {ages['7_to_30_days']} 7 to 30 days, "
        f"{ages['over_30_days']} older; {q['escalated']} passed on, {q['needs_a_hand']} need a hand",
        "Coverage gaps: "
        + (
            ", ".join(
                f"{g['domain']} ({g['questions']} questions, {g['experts']} experts)"
                for g in data["coverage"]
            )
            or "none"
        ),
        f"Askers' languages no expert speaks: {languages or 'none'}",
        f"Askers' countries with no expert: {countries or 'none'}",
        "Domains with no approved practice: " + (", ".join(gaps["no_practice"]) or "none"),
        f"Repertoire: {r['approved']} approved, {r['new']} new, {r['overdue_review']} overdue "
        f"for review, {r['endorsements']} endorsements",
        f"Sessions: {s['held']} held, median RSVPs "
        f"{s['median_rsvps'] if s['median_rsvps'] is not None else 'none'}",
        "Active members a week: "
        + (", ".join(f"{w['week']}: {w['active']}" for w in data["engagement"]) or "none"),
        "Counts only: no names are shown or kept.",
    ]
    return "\n".join(lines) + "\n"
