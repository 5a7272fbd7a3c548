"""`/ask`, `/answered`, `/questions`: asking the community, and keeping experts from overload.

A question goes to the channel and to at most three matching experts who accept questions and
have capacity left this month, chosen round robin (whoever was asked longest ago first), never
the asker.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import col, select

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
    Mention,
    Notice,
    Reply,
    Role,
    Text,
    reply,
    spans,
)
from cop_bot.core.router import Ctx, command
from cop_bot.core.wording import mention_of
from cop_bot.experts.directory import Directory, Filters, rotation_key
from cop_bot.handlers.profile import DEFAULT_MONTHLY_ASKS
from cop_bot.storage import repos
from cop_bot.storage.models import Member, Question, QuestionRecipient

MAX_RECIPIENTS = 3
MAX_QUESTION = 2000
LIST_LIMIT = 10


def month_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@command(
    "ask",
    summary="Ask the community a question; up to 3 matching experts are told about it.",
    syntax=("DOMAIN-OR-TOPIC: QUESTION",),
    examples=("/ask housing: How do you find landlords willing to rent to refugees?",),
    parse="raw",
)
def ask(ctx: Ctx, args: Args) -> Reply:
    topic, sep, question = args.text.partition(":")
    if not sep:
        topic, question = args.text, args.text
    topic, question = topic.strip(), question.strip()
    if not question:
        raise UsageError("Write your question after the topic and a colon.")
    if len(question) > MAX_QUESTION:
        raise UsageError(
            f"Your question is {len(question)} characters; please keep it under {MAX_QUESTION}."
        )
    match = ctx.taxonomy.match(topic)
    slugs = [c.slug for c in match.matches]
    index = ctx.service(Directory).index(ctx.session, ctx.community, ctx.now)
    _total, hits = index.search(
        topic,
        match.matches,
        Filters(),
        taxonomy=ctx.taxonomy,
        today=ctx.now.date(),
        language=ctx.language,
        limit=50,
    )
    assert ctx.member.id is not None
    row = Question(
        community_id=ctx.community_id,
        channel_id=ctx.invocation.conversation.channel_id,
        asker_id=ctx.member.id,
        text=question,
        domains=slugs,
        created_at=ctx.now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    assert row.id is not None
    recipients = _choose_recipients(ctx, [h.expert.member_id for h in hits])
    notices = []
    for member in recipients:
        assert member.id is not None
        ctx.session.add(
            QuestionRecipient(question_id=row.id, member_id=member.id, notified_at=ctx.now)
        )
        notices.append(
            Notice(
                to=mention_of(member),
                blocks=(
                    Text.of(
                        Mention(
                            ctx.member.handle, ctx.member.display_name, ctx.member.platform_user_id
                        ),
                        f" asks the community (question #{row.id}), and your profile matches:",
                    ),
                    Text.of(question),
                    Context(
                        spans(
                            "Answer in the channel, then mark it with ",
                            Code(f"/answered {row.id}"),
                            ". Too many questions? ",
                            Code("/profile set capacity: 2"),
                        )
                    ),
                ),
            )
        )
    labels = ", ".join(ctx.taxonomy.label(s, ctx.language) for s in slugs)
    blocks: list[Block] = [
        Header(f"Question #{row.id}" + (f" · {labels}" if labels else "")),
        Text.of(
            Mention(ctx.member.handle, ctx.member.display_name, ctx.member.platform_user_id),
            " asks: ",
            question,
        ),
        Context(
            spans(
                f"{len(recipients)} matching expert{'s were' if len(recipients) != 1 else ' was'} told. "
                "Answer here; the asker or an expert marks it with ",
                Code(f"/answered {row.id}"),
                ".",
            )
        ),
        Actions((Button("Mark answered", f"/answered {row.id}"),)),
    ]
    return reply(
        *blocks,
        visibility="channel",
        notices=notices,
        data={
            "question": {
                "id": row.id,
                "domains": slugs,
                "status": row.status,
                "notified": len(recipients),
            }
        },
    )


def _choose_recipients(ctx: Ctx, matching: list[int]) -> list[Member]:
    """Up to three who accept questions and have room this month, least recently asked first."""
    if not matching:
        return []
    since = month_start(ctx.now)
    members = ctx.session.exec(
        select(Member).where(
            col(Member.id).in_(matching),
            col(Member.accepts_asks),
            col(Member.is_expert),
            Member.id != ctx.member.id,
        )
    ).all()
    ids = [m.id for m in members if m.id is not None]
    counts = dict(
        ctx.session.exec(
            select(QuestionRecipient.member_id, func.count())
            .where(
                col(QuestionRecipient.member_id).in_(ids), QuestionRecipient.notified_at >= since
            )
            .group_by(col(QuestionRecipient.member_id))
        ).all()
    )
    last = dict(
        ctx.session.exec(
            select(QuestionRecipient.member_id, func.max(QuestionRecipient.notified_at))
            .where(col(QuestionRecipient.member_id).in_(ids))
            .group_by(col(QuestionRecipient.member_id))
        ).all()
    )
    never = datetime.min.replace(tzinfo=UTC)
    rank = {member_id: i for i, member_id in enumerate(matching)}
    today = ctx.now.date()
    available = [
        m
        for m in members
        if counts.get(m.id or 0, 0)
        < (m.asks_capacity if m.asks_capacity is not None else DEFAULT_MONTHLY_ASKS)
    ]
    available.sort(
        key=lambda m: (
            last.get(m.id or 0) or never,
            rank[m.id or 0],
            rotation_key(today.toordinal(), m.id or 0),
        )
    )
    return available[:MAX_RECIPIENTS]


@command(
    "answered",
    summary="Mark a question as answered (the asker, an expert, or a curator).",
    syntax=("ID",),
    examples=("/answered 1",),
)
def answered(ctx: Ctx, args: Args) -> Reply:
    question = _question(ctx, args.word(0))
    if not _may_close(ctx, question):
        raise CommandError(
            "Only the asker, the experts it went to, experts in its domains or a curator can "
            "mark this question answered."
        )
    if question.status == "answered":
        raise CommandError(f"Question #{question.id} is already marked answered.")
    question.status = "answered"
    question.answered_at = ctx.now
    question.answered_by_id = ctx.member.id
    ctx.session.add(question)
    notices = []
    asker = ctx.session.get(Member, question.asker_id)
    if asker is not None and asker.id != ctx.member.id:
        notices.append(
            Notice(
                to=mention_of(asker),
                blocks=(
                    Text.of(
                        f"Your question #{question.id} was marked answered by @{ctx.member.handle}."
                    ),
                ),
            )
        )
    return reply(
        Text.of(f"Question #{question.id} is marked answered. Thank you!"),
        notices=notices,
        data={"question": {"id": question.id, "status": question.status}},
    )


def _may_close(ctx: Ctx, question: Question) -> bool:
    if question.asker_id == ctx.member.id or ctx.has(Role.CURATOR):
        return True
    if not ctx.member.is_expert:
        return False
    notified = ctx.session.get(QuestionRecipient, (question.id, ctx.member.id))
    assert ctx.member.id is not None
    mine = set(repos.member_domains(ctx.session, ctx.member.id))
    return notified is not None or bool(mine & set(question.domains))


def _question(ctx: Ctx, word: str | None) -> Question:
    qid = parse_id(word, "question", "/answered 12")
    question = ctx.session.get(Question, qid)
    if question is None or question.community_id != ctx.community_id:
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
    query = select(Question).where(Question.community_id == ctx.community_id)
    if which == "open":
        query = query.where(Question.status == "open").order_by(
            col(Question.created_at), col(Question.id)
        )
    elif which == "mine":
        query = query.where(Question.asker_id == ctx.member.id).order_by(
            col(Question.created_at).desc()
        )
    elif which == "answered":
        query = query.where(Question.status == "answered").order_by(
            col(Question.answered_at).desc()
        )
    else:
        raise UsageError(f"I don't know `/questions {which}`: use open, mine or answered.")
    rows = ctx.session.exec(query).all()
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
    askers = {
        m.id: m
        for m in ctx.session.exec(
            select(Member).where(col(Member.id).in_({q.asker_id for q in rows}))
        ).all()
    }
    blocks: list[Block] = [
        Header(
            {"open": "Open questions", "mine": "Your questions", "answered": "Answered questions"}[
                which
            ]
        )
    ]
    for q in rows[:LIST_LIMIT]:
        asker = askers.get(q.asker_id)
        labels = ", ".join(ctx.taxonomy.label(d, ctx.language) for d in q.domains)
        blocks.append(
            Item(
                title=spans(f"#{q.id} ", q.text[:200] + ("…" if len(q.text) > 200 else "")),
                meta=spans(
                    "asked by ",
                    mention_of(asker) if asker else "a former member",
                    f" on {q.created_at:%Y-%m-%d}",
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
                    "asker": askers[q.asker_id].handle if q.asker_id in askers else None,
                    "created_at": q.created_at.isoformat(),
                }
                for q in rows
            ],
            "total": len(rows),
        },
    )
