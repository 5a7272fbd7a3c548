"""What experts and askers read when a question goes further (in the reader's language)."""

from __future__ import annotations

from cop_bot.core.i18n import _, n_
from cop_bot.core.model import Actions, Block, Button, Code, Context, Text
from cop_bot.core.wording import phrase
from cop_bot.storage.models import Question


def to_expert(question: Question, *, days: int | None) -> tuple[Block, ...]:
    """The ask, with a decline button (its typed twin is `/ask decline ID`)."""
    if days is None:
        intro = _("Question #{id} was passed on to you, and your profile matches:").format(
            id=question.id
        )
    else:
        intro = n_(
            days,
            "Question #{id} has had no answer for {count} day, and your profile matches:",
            "Question #{id} has had no answer for {count} days, and your profile matches:",
            id=question.id,
        )
    how = phrase(
        _("Answer in the channel, then mark it with {command}. Not for you? {decline}"),
        command=Code(f"/answered {question.id}"),
        decline=Code(f"/ask decline {question.id}"),
    )
    return (
        Text.of(intro),
        Text.of(question.text),
        Context(how),
        Actions(
            (
                Button(_("Mark answered"), f"/answered {question.id}"),
                Button(_("Decline"), f"/ask decline {question.id}"),
            )
        ),
    )


def to_asker(question: Question, told: int, *, last: bool) -> tuple[Block, ...]:
    text = n_(
        told,
        "Your question #{id} has no answer yet, so I told {count} more expert.",
        "Your question #{id} has no answer yet, so I told {count} more experts.",
        id=question.id,
    )
    if last:
        text += " " + _("It is now listed as needing a hand.")
    return (Text.of(text),)
