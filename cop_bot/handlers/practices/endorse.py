"""`/endorse`: a member vouches for a practice that helped them; endorsements rank searches."""

from __future__ import annotations

from cop_bot.core.args import Args
from cop_bot.core.errors import CommandError, UsageError
from cop_bot.core.i18n import N_, _, n_
from cop_bot.core.model import Reply, Text, reply
from cop_bot.core.router import Ctx, command
from cop_bot.handlers.practices.common import find_practice, status_phrase
from cop_bot.practices import changes
from cop_bot.practices.queries import endorsement_counts
from cop_bot.practices.review import APPROVED, is_author


@command(
    "endorse",
    summary=N_("Endorse a practice that helped you (one endorsement per member), or undo it."),
    syntax=("ID", "ID undo"),
    examples=("/endorse 2", "/endorse 2 undo"),
    details=N_("Endorsements rank practices in searches and show everywhere the practice does."),
)
def endorse_command(ctx: Ctx, args: Args) -> Reply:
    if not args.words or len(args.words) > 2:
        raise UsageError(_("Which practice? Give its number, e.g. `/endorse 12`."))
    undo = len(args.words) == 2
    if undo and args.words[1].lower() not in {"undo", "remove", "withdraw"}:
        raise UsageError(
            _("`/endorse ID` takes only `undo` after the number, not {word}.").format(
                word=repr(args.words[1][:30])
            )
        )
    practice = find_practice(ctx, args.words[0])
    assert practice.id is not None
    pid = practice.id
    if practice.status != APPROVED:
        raise CommandError(
            _("#{id} is not in the repertoire yet ({status}).").format(
                id=pid, status=status_phrase(practice)
            )
        )
    if undo:
        if not changes.unendorse(ctx.session, practice, ctx.member):
            raise CommandError(
                _("You have not endorsed #{id}, so there is nothing to undo.").format(id=pid)
            )
    else:
        if is_author(practice, ctx.member):
            raise CommandError(
                _(
                    "You shared this practice, so you cannot endorse it; ask the members it "
                    "helped to endorse it."
                )
            )
        if not changes.endorse(ctx.session, practice, ctx.member, ctx.now):
            raise CommandError(
                _("You already endorse #{id}.").format(id=pid),
                hint=_("Undo it with `/endorse {id} undo`.").format(id=pid),
            )
    count = endorsement_counts(ctx.session, [pid])[pid]
    return reply(
        Text.of(_said(undo, count, pid, practice.title)),
        data={"practice": {"id": pid, "endorsements": count, "endorsed": not undo}},
    )


def _said(undo: bool, count: int, pid: int, title: str) -> str:
    """The whole sentence for each case, so each language words its own plural forms."""
    if undo:
        return n_(
            count,
            "You no longer endorse #{id} “{title}”; it has {count} endorsement.",
            "You no longer endorse #{id} “{title}”; it has {count} endorsements.",
            id=pid,
            title=title,
        )
    return n_(
        count,
        "You endorse #{id} “{title}”; it has {count} endorsement.",
        "You endorse #{id} “{title}”; it has {count} endorsements.",
        id=pid,
        title=title,
    )
