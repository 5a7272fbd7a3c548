"""`/practice edit|approve|reject`: how authors improve a practice and curators review it. What
an edit does to the status, and who may do what, is decided in `cop_bot/practices/`."""

from __future__ import annotations

from cop_bot.core.args import parse_form
from cop_bot.core.errors import CommandError, PermissionDenied, UsageError
from cop_bot.core.model import Block, Code, Context, Reply, Role, Text, reply, spans
from cop_bot.core.router import Ctx
from cop_bot.core.wording import jsonable, quoted
from cop_bot.handlers.practices.common import (
    find_practice,
    invalid,
    local_date,
    member_inline,
    share_data,
    status_phrase,
    tell,
)
from cop_bot.practices import changes
from cop_bot.practices.fields import BY_ATTR, FORM_KEYS, read_fields
from cop_bot.practices.personal_data import describe
from cop_bot.practices.queries import author_of
from cop_bot.practices.review import (
    APPROVED,
    MAX_REASON,
    MIN_REASON,
    NEEDS_CONFIRMATION,
    REJECTED,
    may_change,
)


def edit(ctx: Ctx, id_text: str, text: str) -> Reply:
    practice = find_practice(ctx, id_text)
    assert practice.id is not None
    if not may_change(practice, ctx):
        raise PermissionDenied(
            f"Only the author of #{practice.id} or a curator can edit it.",
            hint=f"Suggest the change to the author, or ask a curator. {ctx.who_can_grant(Role.CURATOR)}",
        )
    if not text.strip():
        raise UsageError(f"Say what to change, e.g. `/practice edit {practice.id} city: Bologna`.")
    parsed, _ = read_fields(ctx.taxonomy, parse_form(text, keys=FORM_KEYS), creating=False)
    if parsed.problems:
        return invalid(parsed.problems, None)
    done = changes.edit(ctx.session, ctx, practice, parsed.values, ctx.now)
    if not done.diff:
        raise CommandError(f"Nothing changed: #{practice.id} already says that.")
    notes: list[Block] = []
    if done.held:
        notes.append(
            Text.of(
                f"#{practice.id} may hold personal data about people — "
                + describe(done.held)
                + ". It stays out of the repertoire until you remove it or confirm with ",
                Code(f"/share-practice confirm {practice.id}"),
                ".",
            )
        )
    elif done.cleared:
        notes.append(
            Text.of(
                f"Thanks: it no longer looks like personal data; it is now {status_phrase(practice)}."
            )
        )
    elif done.requeued:
        notes.append(Text.of("It is back in the queue for a curator's review."))
    labels = ", ".join(BY_ATTR[a].label.lower() for a in done.diff)
    return reply(
        Text.of(f"Updated #{practice.id} ", quoted(practice.title), f": {labels}."),
        *notes,
        Context(spans("See every change with ", Code(f"/practice history {practice.id}"), ".")),
        data={
            "practice": share_data(practice),
            "changes": {a: [jsonable(v) for v in pair] for a, pair in done.diff.items()},
        },
    )


def approve(ctx: Ctx, id_text: str) -> Reply:
    ctx.require(Role.CURATOR, "approve practices")
    practice = find_practice(ctx, id_text)
    assert practice.id is not None
    if practice.status == NEEDS_CONFIRMATION:
        raise CommandError(
            f"#{practice.id} waits for its author to confirm it holds no personal data.",
            hint=f"Check it with `/practice {practice.id}`; you can confirm for them with "
            f"`/share-practice confirm {practice.id}`.",
        )
    renewal = practice.status == APPROVED
    changes.set_status(ctx.session, practice, APPROVED, editor=ctx.member, now=ctx.now)
    due = local_date(ctx, practice.review_by)
    notices = []
    if not renewal:
        notices = tell(
            ctx,
            author_of(ctx.session, practice),
            Text.of(
                "Good news: your practice #",
                str(practice.id),
                " ",
                quoted(practice.title),
                " was approved by ",
                member_inline(ctx.member),
                " and is now in the shared repertoire.",
            ),
            Context(spans("See it with ", Code(f"/practice {practice.id}"), ".")),
        )
    message = (
        f"#{practice.id} is still current: next review by {due}."
        if renewal
        else f"Approved #{practice.id}: it is now in the shared repertoire (review by {due})."
    )
    return reply(Text.of(message), data={"practice": share_data(practice)}, notices=notices)


def reject(ctx: Ctx, id_text: str, reason: str) -> Reply:
    ctx.require(Role.CURATOR, "reject practices")
    practice = find_practice(ctx, id_text)
    assert practice.id is not None
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        raise UsageError(
            "Say why, so the author can improve it: "
            f"`/practice reject {practice.id} Please add the results and a link`."
        )
    if len(reason) > MAX_REASON:
        raise UsageError(f"Keep the reason under {MAX_REASON} characters.")
    if practice.status == REJECTED:
        raise CommandError(f"#{practice.id} is already rejected.")
    changes.set_status(
        ctx.session, practice, REJECTED, editor=ctx.member, now=ctx.now, reason=reason
    )
    notices = tell(
        ctx,
        author_of(ctx.session, practice),
        Text.of(
            f"Your practice #{practice.id} ",
            quoted(practice.title),
            " was not approved. The curator's reason: ",
            reason,
        ),
        Context(
            spans(
                "Improve it with ",
                Code(f"/practice edit {practice.id} FIELD: new text"),
                " and it goes back for review.",
            )
        ),
    )
    return reply(
        Text.of(f"Rejected #{practice.id} ", quoted(practice.title), "; the author is told why."),
        data={"practice": share_data(practice)},
        notices=notices,
    )
