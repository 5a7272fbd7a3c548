"""`/ask`, `/answered`, `/questions`: asking the community, and keeping experts from overload.

Who hears of a question is decided in `cop_bot.experts.questions`; this module only reads the
command and words the replies.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

from cop_bot.core.args import Args, parse_id
from cop_bot.core.errors import CommandError, UsageError
from cop_bot.core.model import (
    Actions,
    Block,
    Button,
    Code,
    Context,
    Header,
    Item,
    Notice,
    Reply,
    Role,
    Text,
    reply,
    spans,
)
from cop_bot.core.router import Ctx, command
from cop_bot.core.times import first_zone, show_date
from cop_bot.core.wording import mention_of, plural
from cop_bot.experts import questions as rules
from cop_bot.experts.directory import Directory
from cop_bot.storage.models import Member, Question

LIST_LIMIT = 10
HEADERS = {"open": "Open questions", "mine": "Your questions", "answered": "Answered questions"}


@command(
    "ask",
    summary="Ask the community a question; up to 3 matching experts are told about it.",
    syntax=("DOMAIN-OR-TOPIC: QUESTION",),
    examples=("/ask housing: How do you find landlords willing to rent to refugees?",),
    details=(
        "The topic, before the colon, decides which experts hear of it. Asking the same question "
        "again within a day shows the first one instead of telling experts twice. Each member "
        "may ask a limited number of questions a day (`/settings` shows it)."
    ),
    parse="raw",
)
def ask(ctx: Ctx, args: Args) -> Reply:
    topic, text = rules.read_question(args.text)
    assert ctx.member.id is not None
    recent = rules.recent_questions(ctx.session, ctx.member.id, ctx.now)
    earlier = rules.repeat_of(recent, text)
    if earlier is not None:
        return _asked_before(ctx, earlier)
    limit = rules.asks_per_day(ctx.community)
    if len(recent) >= limit:
        again = _viewer_time(ctx, recent[0].created_at + rules.DAY)
        raise CommandError(
            f"You have asked {plural(len(recent), 'question')} in the last 24 hours, the most "
            "this community allows in a day.",
            hint=f"You can ask again from {again}.",
        )
    match = ctx.taxonomy.match(topic)
    slugs = [c.slug for c in match.matches]
    matching = rules.matching_experts(
        ctx.service(Directory).index(ctx.session, ctx.community, ctx.now),
        topic,
        match.matches,
        taxonomy=ctx.taxonomy,
        now=ctx.now,
        language=ctx.language,
    )
    question = Question(
        community_id=ctx.community_id,
        channel_id=ctx.invocation.conversation.channel_id,
        asker_id=ctx.member.id,
        text=text,
        domains=slugs,
        created_at=ctx.now,
    )
    recipients = rules.ask_question(ctx.session, question, matching, ctx.now)
    labels = ", ".join(ctx.taxonomy.label(s, ctx.language) for s in slugs)
    told = len(recipients)
    blocks: list[Block] = [
        Header(f"Question #{question.id}" + (f" · {labels}" if labels else "")),
        Text.of(mention_of(ctx.member), " asks: ", text),
        Context(
            spans(
                plural(
                    told,
                    "{count} matching expert was told. Answer here; the asker or an expert "
                    "marks it with ",
                    "{count} matching experts were told. Answer here; the asker or an expert "
                    "marks it with ",
                ),
                Code(f"/answered {question.id}"),
                ".",
            )
        ),
        Actions((Button("Mark answered", f"/answered {question.id}"),)),
    ]
    return reply(
        *blocks,
        visibility="channel",
        notices=[_tell_expert(ctx, question, expert) for expert in recipients],
        data={
            "question": {
                "id": question.id,
                "domains": slugs,
                "status": question.status,
                "notified": told,
            }
        },
    )


def _asked_before(ctx: Ctx, question: Question) -> Reply:
    """The member's own question of the last day that says the same: shown again, nobody told."""
    when = _viewer_time(ctx, question.created_at)
    if question.status == "answered":
        status = f"You asked this at {when} as question #{question.id}, and it is answered."
    else:
        status = f"You asked this at {when} as question #{question.id}, and it is still open."
    return reply(
        Text.of(status),
        Text.of(mention_of(ctx.member), " asks: ", question.text),
        Context(
            spans(
                "Nobody was told again. See your questions with ",
                Code("/questions mine"),
                ".",
            )
        ),
        data={
            "question": {
                "id": question.id,
                "domains": question.domains,
                "status": question.status,
                "notified": 0,
                "repeat": True,
            }
        },
    )


def _viewer_time(ctx: Ctx, instant: datetime) -> str:
    zone = ctx.member.timezone or ctx.community.timezone
    return f"{instant.astimezone(ZoneInfo(zone)):%H:%M on %a %d %b} ({zone})"


def _tell_expert(ctx: Ctx, question: Question, expert: Member) -> Notice:
    asks = Text.of(
        mention_of(ctx.member),
        f" asks the community (question #{question.id}), and your profile matches:",
    )
    how = spans(
        "Answer in the channel, then mark it with ",
        Code(f"/answered {question.id}"),
        ". Too many questions? ",
        Code("/profile set capacity: 2"),
    )
    return Notice(to=mention_of(expert), blocks=(asks, Text.of(question.text), Context(how)))


@command(
    "answered",
    summary="Mark a question as answered (the asker, an expert, or a curator).",
    syntax=("ID",),
    examples=("/answered 1",),
)
def answered(ctx: Ctx, args: Args) -> Reply:
    question = _question(ctx, args.word(0))
    if not rules.may_close(ctx.session, question, ctx.member, curator=ctx.has(Role.CURATOR)):
        raise CommandError(
            "Only the asker, the experts it went to, experts in its domains or a curator can "
            "mark this question answered."
        )
    if question.status == "answered":
        raise CommandError(f"Question #{question.id} is already marked answered.")
    rules.mark_answered(ctx.session, question, ctx.member, ctx.now)
    asker = ctx.session.get(Member, question.asker_id)
    told = f"Your question #{question.id} was marked answered by @{ctx.member.handle}."
    notices = (
        [Notice(to=mention_of(asker), blocks=(Text.of(told),))]
        if asker is not None and asker.id != ctx.member.id
        else []
    )
    return reply(
        Text.of(f"Question #{question.id} is marked answered. Thank you!"),
        notices=notices,
        data={"question": {"id": question.id, "status": question.status}},
    )


def _question(ctx: Ctx, word: str | None) -> Question:
    qid = parse_id(word, "question", "/answered 12")
    question = rules.community_question(ctx.session, ctx.community_id, qid)
    if question is None:
        raise CommandError(
            f"There is no question #{qid}.", hint="See /questions for the open ones."
        )
    return question


@command(
    "questions",
    summary="List the community's open questions (oldest first), or your own.",
    syntax=("[open|mine|answered]",),
    examples=("/questions", "/questions mine"),
)
def questions(ctx: Ctx, args: Args) -> Reply:
    which = (args.word(0) or "open").lower()
    if which not in HEADERS:
        raise UsageError(f"I don't know `/questions {which}`: use open, mine or answered.")
    rows = rules.list_questions(
        ctx.session, ctx.community_id, cast(rules.Listing, which), ctx.member.id
    )
    if not rows:
        empty = {
            "open": "No open questions.",
            "mine": "You have not asked anything yet.",
            "answered": "No answered questions yet.",
        }[which]
        return reply(
            Text.of(empty),
            Context(spans("Ask one with ", Code("/ask TOPIC: QUESTION"), ".")),
            data={"questions": [], "total": 0},
        )
    blocks: list[Block] = [Header(HEADERS[which])]
    zone = first_zone(ctx.member.timezone, ctx.community.timezone)
    for q, asker in rows[:LIST_LIMIT]:
        labels = ", ".join(ctx.taxonomy.label(d, ctx.language) for d in q.domains)
        blocks.append(
            Item(
                title=spans(f"#{q.id} ", q.text[:200] + ("…" if len(q.text) > 200 else "")),
                meta=spans(
                    "asked by ",
                    mention_of(asker) if asker else "a former member",
                    f" on {show_date(q.created_at, zone)}",
                    f" · {labels}" if labels else "",
                    f" · {q.status}",
                ),
            )
        )
    if len(rows) > LIST_LIMIT:
        blocks.append(Context(spans(f"…and {len(rows) - LIST_LIMIT} more.")))
    return reply(
        *blocks,
        data={
            "questions": [
                {
                    "id": q.id,
                    "text": q.text,
                    "domains": q.domains,
                    "status": q.status,
                    "asker": asker.handle if asker else None,
                    "created_at": q.created_at.isoformat(),
                }
                for q, asker in rows
            ],
            "total": len(rows),
        },
    )
