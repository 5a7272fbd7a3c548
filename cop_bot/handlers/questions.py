"""`/ask`, `/answered`, `/questions`: asking the community, and keeping experts from overload.

Who hears of a question is decided in `cop_bot.experts.questions`; this module only reads the
command and words the replies.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

from cop_bot.core import i18n
from cop_bot.core.args import Args, parse_id
from cop_bot.core.errors import CommandError
from cop_bot.core.i18n import N_, _, n_
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
    Spans,
    Text,
    reply,
    spans,
)
from cop_bot.core.router import Ctx, command
from cop_bot.core.times import first_zone, show_date
from cop_bot.core.wording import mention_of, phrase
from cop_bot.escalation import rules as escalation
from cop_bot.escalation import wording as escalation_wording
from cop_bot.experts import questions as rules
from cop_bot.experts.directory import Directory
from cop_bot.handlers import answers as answer_views
from cop_bot.storage import repos
from cop_bot.storage.models import Member, Question, QuestionRecipient

LIST_LIMIT = 10
STATUSES = {"open": N_("open"), "answered": N_("answered")}
HEADERS = {
    "open": N_("Open questions"),
    "mine": N_("Your questions"),
    "answered": N_("Answered questions"),
}


@command(
    "ask",
    summary=N_("Ask the community a question; up to 3 matching experts are told about it."),
    syntax=("DOMAIN-OR-TOPIC: QUESTION", "decline ID"),
    # `/ask decline ID` is in the syntax line: an example of it only works for the expert the
    # question was sent to
    examples=(N_("/ask housing: How do you find landlords willing to rent to refugees?"),),
    details=N_(
        "The topic, before the colon, decides which experts hear of it. Asking the same question "
        "again within a day shows the first one instead of telling experts twice. Each member "
        "may ask a limited number of questions a day (`/settings` shows it)."
    ),
    parse="raw",
)
def ask(ctx: Ctx, args: Args) -> Reply:
    first, _sep, rest = args.text.strip().partition(" ")
    if first.lower() == "decline" and ":" not in args.text:
        return decline(ctx, rest.strip())
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
            n_(
                len(recent),
                "You have asked {count} question in the last 24 hours, the most this community "
                "allows in a day.",
                "You have asked {count} questions in the last 24 hours, the most this community "
                "allows in a day.",
            ),
            hint=_("You can ask again from {time}.").format(time=again),
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
        Header(_("Question #{id}").format(id=question.id) + (f" · {labels}" if labels else "")),
        Text.of(*_asks(ctx.member, text)),
        Context(
            phrase(
                n_(
                    told,
                    "{count} matching expert was told. Answer here; the asker or an expert "
                    "marks it with {command}.",
                    "{count} matching experts were told. Answer here; the asker or an expert "
                    "marks it with {command}.",
                    command="{command}",
                ),
                command=Code(f"/answered {question.id}"),
            )
        ),
        Actions(
            (
                Button(_("Answer"), f"/answer {question.id}", "primary"),
                Button(_("Mark answered"), f"/answered {question.id}"),
            )
        ),
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
        status = _("You asked this at {time} as question #{id}, and it is answered.")
    else:
        status = _("You asked this at {time} as question #{id}, and it is still open.")
    return reply(
        Text.of(status.format(time=when, id=question.id)),
        Text.of(*_asks(ctx.member, question.text)),
        Context(
            phrase(
                _("Nobody was told again. See your questions with {command}."),
                command=Code("/questions mine"),
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


def _asks(member: Member, text: str) -> Spans:
    """`@amina asks: ...`, the question as typed."""
    return phrase(_("{member} asks: {question}"), member=mention_of(member), question=text)


def _viewer_time(ctx: Ctx, instant: datetime) -> str:
    """`14:05 on Wed 01 Dec (Europe/Rome)` in English; the day as Babel writes it elsewhere."""
    zone = ctx.member.timezone or ctx.community.timezone
    local = instant.astimezone(ZoneInfo(zone))
    english = i18n.active() == i18n.DEFAULT
    day = f"{local:%a %d %b}" if english else show_date(instant, ZoneInfo(zone))
    return _("{time} on {date} ({zone})").format(time=f"{local:%H:%M}", date=day, zone=zone)


def _tell_expert(ctx: Ctx, question: Question, expert: Member) -> Notice:
    """Written in the expert's language, not the asker's."""
    with ctx.writing_to(expert):
        asks = Text.of(
            *phrase(
                _("{member} asks the community (question #{id}), and your profile matches:"),
                member=mention_of(ctx.member),
                id=str(question.id),
            )
        )
        how = phrase(
            _("Answer in the channel, then mark it with {command}. Too many questions? {capacity}"),
            command=Code(f"/answered {question.id}"),
            capacity=Code("/profile set capacity: 2"),
        )
        buttons = Actions(
            (
                Button(_("Answer"), f"/answer {question.id}", "primary"),
                Button(_("Decline"), f"/ask decline {question.id}"),
            )
        )
        return Notice(
            to=mention_of(expert), blocks=(asks, Text.of(question.text), Context(how), buttons)
        )


def decline(ctx: Ctx, word: str) -> Reply:
    """`/ask decline ID`: the next expert in the rotation is told at once; the declined ask is
    not charged to the member's capacity."""
    qid = parse_id(word or None, "question", "/ask decline 12")
    question = rules.community_question(ctx.session, ctx.community_id, qid)
    assert ctx.member.id is not None
    mine = ctx.session.get(QuestionRecipient, (qid, ctx.member.id)) if question else None
    if question is None or mine is None:
        raise CommandError(
            _("Question #{id} was not sent to you, so there is nothing to decline.").format(id=qid),
            hint=_("See the questions sent to you in your direct messages, e.g. /ask decline 12."),
        )
    if mine.declined_at is not None:
        raise CommandError(_("You have already declined question #{id}.").format(id=qid))
    mine.declined_at = ctx.now
    ctx.session.add(mine)
    ctx.session.flush()
    nxt = escalation.next_experts(ctx.session, question, ctx.now, limit=1)
    escalation.record(ctx.session, question, nxt, ctx.now, question.escalation_round)
    notices = []
    for expert in nxt:
        with ctx.writing_to(expert):
            blocks = escalation_wording.to_expert(question, days=None)
        notices.append(Notice(to=mention_of(expert), blocks=blocks, locale=ctx.locale_of(expert)))
    text = _("You declined question #{id}; it does not count against your capacity.").format(id=qid)
    if question.status == "open":
        text += " " + n_(
            len(nxt),
            "{count} other expert was told.",
            "{count} other experts were told.",
        )
    return reply(
        Text.of(text),
        notices=notices,
        data={"question": {"id": qid, "declined": True, "passed_to": len(nxt)}},
    )


@command(
    "answered",
    summary=N_("Mark a question as answered (the asker, an expert, or a curator)."),
    syntax=("ID [answer:N]",),
    examples=(N_("/answered 1"),),
    details=N_(
        "The asker names the answer that helped with answer:N (its number in /question ID)."
    ),
    options=("answer",),
)
def answered(ctx: Ctx, args: Args) -> Reply:
    question = _question(ctx, args.word(0))
    if "answer" in args.options:
        return answer_views.accept(ctx, question, args.options["answer"])
    if not rules.may_close(ctx.session, question, ctx.member, curator=ctx.has(Role.CURATOR)):
        raise CommandError(
            _(
                "Only the asker, the experts it went to, experts in its domains or a curator can "
                "mark this question answered."
            )
        )
    if question.status == "answered":
        raise CommandError(_("Question #{id} is already marked answered.").format(id=question.id))
    rules.mark_answered(ctx.session, question, ctx.member, ctx.now)
    asker = repos.member_of(ctx.session, question.asker_id)
    notices = (
        [_tell_asker(ctx, question, asker)]
        if asker is not None and asker.id != ctx.member.id
        else []
    )
    return reply(
        Text.of(_("Question #{id} is marked answered. Thank you!").format(id=question.id)),
        notices=notices,
        data={"question": {"id": question.id, "status": question.status}},
    )


def _tell_asker(ctx: Ctx, question: Question, asker: Member) -> Notice:
    """Written in the asker's language."""
    with ctx.writing_to(asker):
        told = _("Your question #{id} was marked answered by @{handle}.").format(
            id=question.id, handle=ctx.member.handle
        )
        return Notice(to=mention_of(asker), blocks=(Text.of(told),))


def _question(ctx: Ctx, word: str | None) -> Question:
    qid = parse_id(word, "question", "/answered 12")
    question = rules.community_question(ctx.session, ctx.community_id, qid)
    if question is None:
        raise CommandError(
            _("There is no question #{id}.").format(id=qid),
            hint=_("See /questions for the open ones."),
        )
    return question


@command(
    "questions",
    summary=N_("List the community's open questions (oldest first), your own, or search them."),
    syntax=("[open|mine|answered]", "QUERY [domain:SLUG] [answered]"),
    examples=(N_("/questions"), N_("/questions mine"), N_("/questions landlords answered")),
    details=N_(
        "With words, searches the questions and their answers the way /practices searches "
        "practices, so an answered question is found again."
    ),
    options=("domain",),
)
def questions(ctx: Ctx, args: Args) -> Reply:
    which = (args.word(0) or "open").lower()
    searching = len(args.words) > 1 or (bool(args.words) and which not in HEADERS)
    if searching or "domain" in args.options:
        return answer_views.search(ctx, args)
    rows = rules.list_questions(
        ctx.session, ctx.community_id, cast(rules.Listing, which), ctx.member.id
    )
    if not rows:
        empty = {
            "open": _("No open questions."),
            "mine": _("You have not asked anything yet."),
            "answered": _("No answered questions yet."),
        }[which]
        return reply(
            Text.of(empty),
            Context(phrase(_("Ask one with {command}."), command=Code(_("/ask TOPIC: QUESTION")))),
            data={"questions": [], "total": 0},
        )
    blocks: list[Block] = [Header(_(HEADERS[which]))]
    zone = first_zone(ctx.member.timezone, ctx.community.timezone)
    for q, asker in rows[:LIST_LIMIT]:
        labels = ", ".join(ctx.taxonomy.label(d, ctx.language) for d in q.domains)
        blocks.append(
            Item(
                title=spans(f"#{q.id} ", q.text[:200] + ("…" if len(q.text) > 200 else "")),
                meta=spans(
                    *phrase(
                        _("asked by {member} on {date}"),
                        member=mention_of(asker) if asker else _("a former member"),
                        date=show_date(q.created_at, zone),
                    ),
                    f" · {labels}" if labels else "",
                    f" · {_(STATUSES.get(q.status, q.status))}",
                ),
            )
        )
    if len(rows) > LIST_LIMIT:
        more = len(rows) - LIST_LIMIT
        blocks.append(Context(spans(n_(more, "…and {count} more.", "…and {count} more."))))
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
