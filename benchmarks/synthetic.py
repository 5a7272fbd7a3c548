"""A synthetic community generator for benchmarks: plausible, fictitious, reproducible (seeded)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import Engine, func, insert, text
from sqlmodel import Session, select

from cop_bot.core.model import Conversation
from cop_bot.core.taxonomy import Taxonomy
from cop_bot.storage import repos
from cop_bot.storage.models import Member, MemberDomain

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FIRST = [
    "Amina",
    "Luca",
    "Sofia",
    "Youssef",
    "Eleni",
    "Jonas",
    "Priya",
    "Mateo",
    "Fatima",
    "Lars",
    "Ana",
    "Omar",
    "Chloe",
    "Ivan",
    "Nadia",
    "Pedro",
    "Leila",
    "Tomas",
    "Aisha",
    "Marco",
]
LAST = [
    "Haddad",
    "Rossi",
    "Garcia",
    "Benali",
    "Papadopoulou",
    "Berg",
    "Raman",
    "Silva",
    "Diallo",
    "Novak",
    "Costa",
    "Kaya",
    "Martin",
    "Jensen",
    "Okafor",
    "Moreau",
]
COUNTRIES = [
    "IT",
    "FR",
    "ES",
    "DE",
    "GR",
    "PT",
    "BE",
    "NL",
    "SE",
    "MA",
    "TN",
    "TR",
    "JO",
    "LB",
    "CA",
    "US",
    "KE",
    "CO",
    "PL",
    "AT",
]
LANGS = ["en", "fr", "es", "it", "de", "ar", "el", "pt", "tr", "sv", "nl", "pl"]
ORGS = [
    "City of {} Integration Office (synthetic)",
    "{} Refugee Support NGO (synthetic)",
    "Example University of {} (synthetic)",
    "Sample International Agency {} (synthetic)",
]
CITIES = [
    "Turin",
    "Lyon",
    "Madrid",
    "Berlin",
    "Athens",
    "Lisbon",
    "Ghent",
    "Utrecht",
    "Malmo",
    "Rabat",
    "Tunis",
    "Izmir",
    "Amman",
    "Beirut",
    "Toronto",
    "Chicago",
    "Nairobi",
    "Bogota",
    "Krakow",
    "Vienna",
]
TOPICS = [
    "job placement",
    "work permits",
    "skills recognition",
    "mental health",
    "psychosocial support",
    "tenancy rights",
    "shelter management",
    "language courses",
    "literacy",
    "hate speech monitoring",
    "participatory budgeting",
    "asylum procedures",
    "family reunification",
    "unaccompanied minors",
    "trafficking survivors",
    "data collection",
    "diaspora investment",
    "school enrolment",
    "legal counselling",
    "gender-based violence",
    "voter registration",
    "media campaigns",
]


def member_rows(
    n: int, taxonomy: Taxonomy, community_id: int, seed: int = 7
) -> Iterator[tuple[dict[str, object], list[str]]]:
    rng = random.Random(seed)
    slugs = [d.slug for d in taxonomy.domains]
    for i in range(n):
        city = rng.choice(CITIES)
        bio = f"Works on {rng.choice(TOPICS)} and {rng.choice(TOPICS)} with {rng.choice(['cities', 'NGOs', 'schools', 'employers'])}."
        yield (
            {
                "community_id": community_id,
                "handle": f"member{i:06d}",
                "display_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "country": rng.choice(COUNTRIES),
                "city": city,
                "languages": rng.sample(LANGS, rng.randint(1, 3)),
                "organisation": rng.choice(ORGS).format(city),
                "organisation_type": rng.choice(["ngo", "public", "academia", "international"]),
                "bio": bio,
                "is_expert": rng.random() < 0.6,
                "accepts_asks": rng.random() < 0.7,
                "created_at": NOW,
                "updated_at": NOW,
                "expert_since": NOW,
            },
            rng.sample(slugs, rng.randint(1, 3)),
        )


def populate(engine: Engine, taxonomy: Taxonomy, n: int, conversation: Conversation) -> int:
    """Insert n members with domains into the conversation's community; returns its id."""
    with Session(engine) as session:
        community = repos.get_or_create_community(
            session, conversation, now=NOW, name="Synthetic", timezone="UTC", language="en"
        )
        assert community.id is not None
        community_id = community.id
        batch: list[dict[str, object]] = []
        domains: list[list[str]] = []
        next_id = 1 + (session.exec(select(func.max(Member.id))).one() or 0)
        for row, slugs in member_rows(n, taxonomy, community_id):
            row["id"] = next_id
            next_id += 1
            batch.append(row)
            domains.append(slugs)
            if len(batch) == 5000:
                _flush(session, batch, domains)
                batch, domains = [], []
        if batch:
            _flush(session, batch, domains)
        if engine.dialect.name == "postgresql":  # explicit ids do not advance the sequence
            session.execute(
                text("SELECT setval(pg_get_serial_sequence('member', 'id'), max(id)) FROM member")
            )
        session.commit()
    return community_id


def _flush(session: Session, batch: list[dict[str, object]], domains: list[list[str]]) -> None:
    session.execute(insert(Member), batch)
    links = [
        {"member_id": row["id"], "domain": slug}
        for row, slugs in zip(batch, domains, strict=True)
        for slug in slugs
    ]
    session.execute(insert(MemberDomain), links)
