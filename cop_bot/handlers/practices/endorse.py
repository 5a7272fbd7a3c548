"""`/endorse`: a member vouches for a practice that helped them; endorsements rank searches."""

from __future__ import annotations

from cop_bot.core.args import Args
from cop_bot.core.errors import CommandError, UsageError
from cop_bot.core.model import Reply, Text, reply
from cop_bot.core.router import Ctx, command
from cop_bot.core.wording import plural, quoted
from cop_bot.handlers.practices.common import find_practice, status_phrase
from cop_bot.practices import changes
from cop_bot.practices.queries import endorsement_counts
from cop_bot.practices.review import APPROVED, is_author


@command(
    "endorse",
    summary="Endorse a practice that helped you (one endorsement per member), or undo it.",
    syntax=("ID", "ID undo"),
    examples=("/endorse 2", "/endorse 2 undo"),
    details="Endorsements rank practices in searches and show everywhere the practice does.",
)
def endorse_command(ctx: Ctx, args: Args) -> Reply:
    if not args.words or len(args.words) > 2:
        raise UsageError("Which practice? Give its number, e.g. `/endorse 12`.")
    undo = len(args.words) == 2
    if undo and args.words[1].lower() not in {"undo", "remove", "withdraw"}:
        raise UsageError(
            f"`/endorse ID` takes only `undo` after the number, not {args.words[1][:30]!r}."
        )
    practice = find_practice(ctx, args.words[0])
    assert practice.id is not None
    pid = practice.id
    if practice.status != APPROVED:
        raise CommandError(f"#{pid} is not in the repertoire yet ({status_phrase(practice)}).")
    if undo:
        if not changes.unendorse(ctx.session, practice, ctx.member):
            raise CommandError(f"You have not endorsed #{pid}, so there is nothing to undo.")
        done = "You no longer endorse"
    else:
        if is_author(practice, ctx.member):
            raise CommandError(
                "You shared this practice, so you cannot endorse it; ask the members it "
                "helped to endorse it."
            )
        if not changes.endorse(ctx.session, practice, ctx.member, ctx.now):
            raise CommandError(
                f"You already endorse #{pid}.", hint=f"Undo it with `/endorse {pid} undo`."
            )
        done = "You endorse"
    count = endorsement_counts(ctx.session, [pid])[pid]
    return reply(
        Text.of(
            f"{done} #{pid} ", quoted(practice.title), f"; it has {plural(count, 'endorsement')}."
        ),
        data={"practice": {"id": pid, "endorsements": count, "endorsed": not undo}},
    )
