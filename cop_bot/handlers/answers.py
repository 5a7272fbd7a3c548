"""`/answer`, `/question`: answers recorded with their question, and the question's own page.

The rules (who may answer, edit, delete, accept; history) live in `cop_bot.answers.rules`; this
module reads the commands and words the replies.
"""

from __future__ import annotations

from typing import Any

from cop_bot.answers import rules
from cop_bot.answers.search import search_questions
from cop_bot.core.args import Args, parse_id
from cop_bot.core.errors import CommandError, UsageError
from cop_bot.core.i18n import N_, _
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
from cop_bot.core.times import first_zone, show_date
from cop_bot.core.wording import mention_of, phrase, shorten
from cop_bot.experts import questions as question_rules
from cop_bot.storage import repos
from cop_bot.storage.models import Answer, Member, Question

SEARCH_LIMIT = 10
STATUSES = {
    "open": N_("open"),
    "answered": N_("answered"),
    rules.WITHDRAWN: N_("withdrawn"),
}


def find_question(ctx: Ctx, word: str | None, example: str) -> Question:
    qid = parse_id(word, "question", example)
    question = question_rules.community_question(ctx.session, ctx.community_id, qid)
    if question is None:
        raise CommandError(
            _("There is no question #{id}.").format(id=qid),
            hint=_("See /questions for the open ones."),
        )
    return question


def find_answer(ctx: Ctx, answer_id: int) -> tuple[Question, Answer]:
    answer = rules.community_answer(ctx.session, ctx.community_id, answer_id)
    if answer is None:
        raise CommandError(
            _("There is no answer #{id}.").format(id=answer_id),
            hint=_("/question ID lists a question's answers with their numbers."),
        )
    question = ctx.session.get(Question, answer.question_id)
    assert question is not None
    return question, answer


def _who(ctx: Ctx, member_id: int | None) -> Mention | str:
    member = ctx.session.get(Member, member_id) if member_id is not None else None
    return mention_of(member) if member is not None else _("a former member")


@command(
    "answer",
    summary=N_("Answer a question; the answer stays with it. Edit or delete your answers."),
    syntax=("ID TEXT", "edit ANSWER-ID TEXT", "delete ANSWER-ID"),
    examples=(
        N_("/answer 1 The city's housing office keeps a list of landlords who rent to refugees."),
        N_("/answer edit 1 The list is at the housing office, second floor."),
        N_("/answer delete 1"),
    ),
    details=N_(
        "Anyone may answer an open or answered question. The asker accepts one answer with "
        "/answered ID answer:N. Every edit is kept in the question's history."
    ),
    parse="raw",
)
def answer(ctx: Ctx, args: Args) -> Reply:
    wanted = rules.read_answer(args.text)
    if wanted.action == "add":
        question = find_question(ctx, str(wanted.target), "/answer 12 TEXT")
        given = rules.add_answer(ctx.session, question, ctx.member, wanted.text, ctx.now)
        asker = repos.member_of(ctx.session, question.asker_id)
        notices = (
            [_tell_asker(ctx, question, given, asker)]
            if asker is not None and asker.id != ctx.member.id
            else []
        )
        return reply(
            Text.of(
                _("Your answer #{answer} to question #{question} is recorded.").format(
                    answer=given.id, question=question.id
                )
            ),
            Context(
                phrase(
                    _("See it with its question: {command}"),
                    command=Code(f"/question {question.id}"),
                )
            ),
            notices=notices,
            data={"answer": _answer_data(ctx, given)},
        )
    question, given = find_answer(ctx, wanted.target)
    if wanted.action == "edit":
        changed = rules.edit_answer(ctx.session, question, given, ctx.member, wanted.text, ctx.now)
        said = (
            _("Answer #{id} is changed; the earlier text stays in the history.")
            if changed
            else _("Answer #{id} already says that; nothing changed.")
        )
        return reply(Text.of(said.format(id=given.id)), data={"answer": _answer_data(ctx, given)})
    rules.delete_answer(ctx.session, question, given, ctx.member, ctx.now)
    return reply(
        Text.of(
            _("Answer #{id} is deleted; the question's history still records it.").format(
                id=given.id
            )
        ),
        data={"answer": {"id": given.id, "deleted": True}},
    )


def _tell_asker(ctx: Ctx, question: Question, given: Answer, asker: Member) -> Notice:
    """Written in the asker's language, with the button to accept it."""
    with ctx.writing_to(asker):
        told = Text.of(
            *phrase(
                _("{member} answered your question #{id}:"),
                member=mention_of(ctx.member),
                id=str(question.id),
            )
        )
        how = phrase(
            _("Accept it with {command}."),
            command=Code(f"/answered {question.id} answer:{given.id}"),
        )
        return Notice(
            to=mention_of(asker),
            blocks=(
                told,
                Text.of(given.text),
                Context(how),
                Actions(
                    (Button(_("Accept"), f"/answered {question.id} answer:{given.id}", "primary"),)
                ),
            ),
        )


def _answer_data(ctx: Ctx, given: Answer) -> dict[str, Any]:
    author = ctx.session.get(Member, given.author_id) if given.author_id is not None else None
    return {
        "id": given.id,
        "question": given.question_id,
        "author": author.handle if author is not None else None,
        "text": given.text,
        "accepted": given.accepted,
        "created_at": given.created_at.isoformat(),
        "edited_at": given.edited_at.isoformat() if given.edited_at else None,
    }


@command(
    "question",
    summary=N_("Show a question with its answers; its asker edits or withdraws it."),
    syntax=("ID", "history ID", "edit ID TEXT", "withdraw ID", "promote ID"),
    examples=(
        N_("/question 1"),
        N_("/question history 1"),
        N_("/question edit 1 How do you find landlords in Rome?"),
        N_("/question withdraw 1"),
    ),
    details=N_(
        "Curators turn an answered question and its accepted answer into a practice draft of "
        "kind answer with /question promote ID; it goes through the usual review."
    ),
    parse="raw",
)
def question(ctx: Ctx, args: Args) -> Reply:
    head, _sep, rest = args.text.strip().partition(" ")
    verb = head.lower()
    if verb == "edit":
        number, _sep, text = rest.strip().partition(" ")
        asked = find_question(ctx, number, "/question edit 1 TEXT")
        text = text.strip()
        if not text:
            raise UsageError(_("Write the new question after its number."))
        if len(text) > question_rules.MAX_QUESTION:
            raise UsageError(
                _("Your question is {length} characters; please keep it under {limit}.").format(
                    length=len(text), limit=question_rules.MAX_QUESTION
                )
            )
        changed = rules.edit_question(ctx.session, asked, ctx.member, text, ctx.now)
        said = (
            _("Question #{id} is changed; the earlier text stays in the history.")
            if changed
            else _("Question #{id} already says that; nothing changed.")
        )
        return reply(Text.of(said.format(id=asked.id)), data=_question_data(ctx, asked))
    if verb == "withdraw":
        asked = find_question(ctx, rest.strip(), "/question withdraw 1")
        rules.withdraw_question(ctx.session, asked, ctx.member, ctx.now)
        return reply(
            Text.of(_("Question #{id} is withdrawn; its answers stay.").format(id=asked.id)),
            data=_question_data(ctx, asked),
        )
    if verb == "promote":
        ctx.require(Role.CURATOR, _("promote a question to a practice"))
        asked = find_question(ctx, rest.strip(), "/question promote 1")
        practice, given = rules.promote(ctx.session, ctx.community_id, asked, ctx.member, ctx.now)
        return reply(
            Text.of(
                _(
                    "Question #{id} and its accepted answer #{answer} are now practice draft "
                    "#{practice}, credited to the asker and the answer's author."
                ).format(id=asked.id, answer=given.id, practice=practice.id)
            ),
            Context(
                phrase(
                    _("It waits for review like any practice: {command}"),
                    command=Code(f"/practice approve {practice.id}"),
                )
            ),
            data={
                "practice": {
                    "id": practice.id,
                    "kind": practice.kind,
                    "status": practice.status,
                    "question": asked.id,
                    "answer": given.id,
                }
            },
        )
    if verb == "history":
        return _history(ctx, find_question(ctx, rest.strip(), "/question history 1"))
    if rest.strip():
        raise UsageError(_("/question takes a question's number; for example /question 12."))
    return _show(ctx, find_question(ctx, head, "/question 1"))


def _show(ctx: Ctx, asked: Question) -> Reply:
    zone = first_zone(ctx.member.timezone, ctx.community.timezone)
    labels = ", ".join(ctx.taxonomy.label(d, ctx.language) for d in asked.domains)
    given = rules.answers_of(ctx.session, asked)
    blocks: list[Block] = [
        Header(_("Question #{id}").format(id=asked.id) + (f" · {labels}" if labels else "")),
        Text.of(
            *phrase(
                _("{member} asks: {question}"),
                member=_who(ctx, asked.asker_id),
                question=asked.text,
            )
        ),
        Context(
            spans(
                show_date(asked.created_at, zone),
                " · ",
                _(STATUSES.get(asked.status, asked.status)),
            )
        ),
    ]
    if not given:
        blocks.append(
            Context(
                phrase(
                    _("No answers yet. Answer with {command}"),
                    command=Code(f"/answer {asked.id} TEXT"),
                )
            )
        )
    for a in given:
        meta = phrase(
            _("answered by {member} on {date}"),
            member=_who(ctx, a.author_id),
            date=show_date(a.created_at, zone),
        )
        blocks.append(
            Item(
                title=spans(
                    f"#{a.id} ", "✅ " + _("accepted") + " · " if a.accepted else "", a.text
                ),
                meta=meta,
            )
        )
    if asked.status != rules.WITHDRAWN:
        blocks.append(Actions((Button(_("Answer"), f"/answer {asked.id}"),)))
    return reply(*blocks, data=_question_data(ctx, asked, given))


def _question_data(ctx: Ctx, asked: Question, given: list[Answer] | None = None) -> dict[str, Any]:
    asker = repos.member_of(ctx.session, asked.asker_id)
    answers = given if given is not None else rules.answers_of(ctx.session, asked)
    return {
        "question": {
            "id": asked.id,
            "text": asked.text,
            "domains": asked.domains,
            "status": asked.status,
            "asker": asker.handle if asker is not None else None,
            "created_at": asked.created_at.isoformat(),
            "answers": [_answer_data(ctx, a) for a in answers],
        }
    }


def _history(ctx: Ctx, asked: Question) -> Reply:
    zone = first_zone(ctx.member.timezone, ctx.community.timezone)
    lines = rules.history_of(ctx.session, asked)
    blocks: list[Block] = [Header(_("History of question #{id}").format(id=asked.id))]
    for line in lines:
        what = (
            _("answer #{id}").format(id=line.answer_id)
            if line.answer_id is not None
            else _("the question")
        )
        fields = ", ".join(sorted(line.changes))
        blocks.append(
            Item(
                title=spans(f"{what}: {fields}"),
                meta=phrase(
                    _("by {member} on {date}"),
                    member=_who(ctx, line.editor_id),
                    date=show_date(line.at, zone),
                ),
            )
        )
    return reply(
        *blocks,
        data={
            "history": [
                {
                    "answer": line.answer_id,
                    "at": line.at.isoformat(),
                    "changes": line.changes,
                }
                for line in lines
            ]
        },
    )


def accept(ctx: Ctx, asked: Question, word: str) -> Reply:
    """`/answered ID answer:N`: the asker accepts answer N, which also marks it answered."""
    answer_id = parse_id(word, "answer", f"/answered {asked.id} answer:3")
    _question, given = find_answer(ctx, answer_id)
    rules.accept_answer(ctx.session, asked, given, ctx.member, ctx.now)
    notices: list[Notice] = []
    author = ctx.session.get(Member, given.author_id) if given.author_id is not None else None
    if author is not None and author.id != ctx.member.id:
        with ctx.writing_to(author):
            told = _("{handle} accepted your answer #{answer} to question #{question}.").format(
                handle=f"@{ctx.member.handle}", answer=given.id, question=asked.id
            )
            notices.append(Notice(to=mention_of(author), blocks=(Text.of(told),)))
    return reply(
        Text.of(
            _("Answer #{answer} is accepted and question #{question} is marked answered.").format(
                answer=given.id, question=asked.id
            )
        ),
        notices=notices,
        data={"question": {"id": asked.id, "status": asked.status, "accepted": given.id}},
    )


def search(ctx: Ctx, args: Args) -> Reply:
    """`/questions QUERY [domain:SLUG] [answered]`."""
    words = list(args.words)
    answered_only = bool(words) and words[-1].lower() in ("answered", _("answered").lower())
    if answered_only:
        words = words[:-1]
    domain: str | None = None
    if "domain" in args.options:
        match = ctx.taxonomy.match(args.options["domain"])
        if not match.matches:
            raise UsageError(
                _("{domain} is not a domain; /domains lists them.").format(
                    domain=repr(args.options["domain"][:40])
                )
            )
        domain = match.matches[0].slug
    query = " ".join(words)
    shown = shorten(query, 80)  # a long query is searched whole but never echoed whole
    found = search_questions(
        ctx.session, ctx.community_id, query, domain=domain, answered_only=answered_only
    )
    if not found:
        return reply(
            Text.of(_("No question matches “{query}”.").format(query=shown or "…")),
            Context(phrase(_("Ask it with {command}."), command=Code(_("/ask TOPIC: QUESTION")))),
            data={"questions": [], "total": 0, "query": shown},
        )
    zone = first_zone(ctx.member.timezone, ctx.community.timezone)
    blocks: list[Block] = [Header(_("Questions matching “{query}”").format(query=shown or "…"))]
    for f in found[:SEARCH_LIMIT]:
        q = f.question
        blocks.append(
            Item(
                title=spans(f"#{q.id} ", q.text[:200] + ("…" if len(q.text) > 200 else "")),
                meta=spans(
                    *phrase(
                        _("asked by {member} on {date}"),
                        member=mention_of(f.asker) if f.asker else _("a former member"),
                        date=show_date(q.created_at, zone),
                    ),
                    f" · {_(STATUSES.get(q.status, q.status))}",
                ),
            )
        )
    return reply(
        *blocks,
        data={
            "query": shown,
            "questions": [
                {
                    "id": f.question.id,
                    "text": f.question.text,
                    "domains": f.question.domains,
                    "status": f.question.status,
                    "asker": f.asker.handle if f.asker else None,
                }
                for f in found
            ],
            "total": len(found),
        },
    )
