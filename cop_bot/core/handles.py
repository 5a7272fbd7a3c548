"""The one rule for member handles, used wherever a person types or imports one: chat commands,
`cop-bot roles` and `query --user`, the console's `:as` and the members CSV.

A handle is what platforms give (`amina.haddad`, a Slack id such as `u024be7lh`, a Matrix
`bob:other.org`), so it is letters, digits and `.`, `_`, `-`, `:`, starting with a letter or a
digit. The words Slack and Matrix use to notify everyone (`@room`, `@channel`, `@here`,
`@everyone`) are never a member: a role granted to `@room` would go to no one, and a member
called `channel` would be pinged with the whole room.
"""

from __future__ import annotations

import re

from cop_bot.core.clean import clean_line
from cop_bot.core.errors import UsageError
from cop_bot.core.i18n import N_, _

MAX_HANDLE = 80
EVERYONE = frozenset({"room", "channel", "here", "everyone"})
"""Mentions that notify a whole room or workspace on Slack or Matrix."""
_HANDLE_RE = re.compile(r"\w[\w.:-]*")
HINT = N_("Name the member like @amina.haddad.")


def strip_handle(text: str) -> str:
    """`@alice`, `alice` and ` @Alice ` all name the same member (not checked: see
    `parse_handle`)."""
    return clean_line(text).strip().lstrip("@").strip().lower()


def parse_handle(text: str) -> str:
    """A member handle typed or imported, checked so it can be stored, mentioned and shown
    safely; a `UsageError` saying what is wrong otherwise."""
    handle = strip_handle(text)
    shown = clean_line(text).strip()[:40]
    hint = _(HINT)
    if not handle:
        raise UsageError(_("Give the member's handle."), hint=hint)
    if handle in EVERYONE:
        raise UsageError(
            _("@{handle} stands for everyone in the room, not for one member.").format(
                handle=handle
            ),
            hint=hint,
        )
    if len(handle) > MAX_HANDLE:
        raise UsageError(
            _("A handle has at most {most} characters; this one has {count}.").format(
                most=MAX_HANDLE, count=len(handle)
            ),
            hint=hint,
        )
    if not _HANDLE_RE.fullmatch(handle):
        raise UsageError(
            _(
                "{shown} is not a member handle: use letters, digits, dots, dashes or "
                "underscores, without spaces."
            ).format(shown=repr(shown)),
            hint=hint,
        )
    return handle
