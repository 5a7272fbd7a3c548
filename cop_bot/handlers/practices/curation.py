"""`/practice edit|approve|reject`: how authors improve a practice and curators review it. What
an edit does to the status, and who may do what, is decided in `cop_bot/practices/`."""

from __future__ import annotations

from cop_bot.core.args import parse_form
from cop_bot.core.errors import CommandError, PermissionDenied, UsageError
from cop_bot.core.i18n import _
from cop_bot.core.model import Block, Code, Context, Reply, Role, Text, reply
from cop_bot.core.router import Ctx
from cop_bot.core.wording import jsonable, phrase
from cop_bot.handlers.practices.common import (
    find_practice,
    invalid,
    local_date,
    member_inline,
    practice_to_curate,
    share_data,
    status_phrase,
    tell,
)
from cop_bot.practices import changes
from cop_bot.practices.fields import BY_ATTR, FORM_KEYS, field_name, read_fields
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
            _("Only the author of #{id} or a curator can edit it.").format(id=practice.id),
            hint=_("Suggest the change to the author, or ask a curator. {grant}").format(
                grant=ctx.who_can_grant(Role.CURATOR)
            ),
        )
    if not text.strip():
        raise UsageError(
            _("Say what to change, e.g. `/practice edit {id} city: Bologna`.").format(
                id=practice.id
            )
        )
    parsed, _extras = read_fields(ctx.taxonomy, parse_form(text, keys=FORM_KEYS), creating=False)
    if parsed.problems:
        return invalid(parsed.problems, None)
    done = changes.edit(ctx.session, ctx, practice, parsed.values, ctx.now)
    if not done.diff:
        raise CommandError(_("Nothing changed: #{id} already says that.").format(id=practice.id))
    notes: list[Block] = []
    if done.held:
        notes.append(
            Text(
                phrase(
                    _(
                        "#{id} may hold personal data about people — {findings}. It stays out "
                        "of the repertoire until you remove it or confirm with {command}."
                    ),
                    id=str(practice.id),
                    findings=describe(done.held),
                    command=Code(f"/share-practice confirm {practice.id}"),
                )
            )
        )
    elif done.cleared:
        notes.append(
            Text.of(
                _("Thanks: it no longer looks like personal data; it is now {status}.").format(
                    status=status_phrase(practice)
                )
            )
        )
    elif done.requeued:
        notes.append(Text.of(_("It is back in the queue for a curator's review.")))
    labels = ", ".join(field_name(BY_ATTR[a]) for a in done.diff)
    return reply(
        Text(
            phrase(
                _("Updated #{id} “{title}”: {fields}."),
                id=str(practice.id),
                title=practice.title,
                fields=labels,
            )
        ),
        *notes,
        Context(
            phrase(
                _("See every change with {command}."),
                command=Code(f"/practice history {practice.id}"),
            )
        ),
        data={
            "practice": share_data(practice),
            "changes": {a: [jsonable(v) for v in pair] for a, pair in done.diff.items()},
        },
    )


def approve(ctx: Ctx, id_text: str) -> Reply:
    practice = practice_to_curate(ctx, id_text, _("approve practices"))
    assert practice.id is not None
    if practice.status == NEEDS_CONFIRMATION:
        raise CommandError(
            _("#{id} waits for its author to confirm it holds no personal data.").format(
                id=practice.id
            ),
            hint=_(
                "Check it with `/practice {id}`; you can confirm for them with "
                "`/share-practice confirm {id}`."
            ).format(id=practice.id),
        )
    renewal = practice.status == APPROVED
    changes.set_status(ctx.session, practice, APPROVED, editor=ctx.member, now=ctx.now)
    due = local_date(ctx, practice.review_by)
    notices = []
    if not renewal:
        notices = tell(
            ctx,
            author_of(ctx.session, practice),
            lambda: (
                Text(
                    phrase(
                        _(
                            "Good news: your practice #{id} “{title}” was approved by {curator} "
                            "and is now in the shared repertoire."
                        ),
                        id=str(practice.id),
                        title=practice.title,
                        curator=member_inline(ctx.member),
                    )
                ),
                Context(
                    phrase(_("See it with {command}."), command=Code(f"/practice {practice.id}"))
                ),
            ),
        )
    message = (
        _("#{id} is still current: next review by {date}.").format(id=practice.id, date=due)
        if renewal
        else _("Approved #{id}: it is now in the shared repertoire (review by {date}).").format(
            id=practice.id, date=due
        )
    )
    return reply(Text.of(message), data={"practice": share_data(practice)}, notices=notices)


def reject(ctx: Ctx, id_text: str, reason: str) -> Reply:
    practice = practice_to_curate(ctx, id_text, _("reject practices"))
    assert practice.id is not None
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        raise UsageError(
            _(
                "Say why, so the author can improve it: "
                "`/practice reject {id} Please add the results and a link`."
            ).format(id=practice.id)
        )
    if len(reason) > MAX_REASON:
        raise UsageError(_("Keep the reason under {limit} characters.").format(limit=MAX_REASON))
    if practice.status == REJECTED:
        raise CommandError(_("#{id} is already rejected.").format(id=practice.id))
    changes.set_status(
        ctx.session, practice, REJECTED, editor=ctx.member, now=ctx.now, reason=reason
    )
    notices = tell(
        ctx,
        author_of(ctx.session, practice),
        lambda: (
            Text(
                phrase(
                    _(
                        "Your practice #{id} “{title}” was not approved. The curator's reason: {reason}"
                    ),
                    id=str(practice.id),
                    title=practice.title,
                    reason=reason,
                )
            ),
            Context(
                phrase(
                    _("Improve it with {command} and it goes back for review."),
                    command=Code(_("/practice edit {id} FIELD: new text").format(id=practice.id)),
                )
            ),
        ),
    )
    return reply(
        Text.of(
            _("Rejected #{id} “{title}”; the author is told why.").format(
                id=practice.id, title=practice.title
            )
        ),
        data={"practice": share_data(practice)},
        notices=notices,
    )
