"""The language of the words the Slack adapter writes without a command's reply (a form, the
App Home footer, the welcome), found without opening a storage session.

Every reply carries the language the router wrote it in (`Reply.locale`: the member's choice,
else their Slack locale, else the community's), so the adapter remembers the last one each
member got. Before any, it falls back on what Slack says of the member (`users.info` locale,
when the bot speaks it), then on the deployment's language (COP_BOT_LANGUAGE).
"""

from __future__ import annotations

from collections import OrderedDict

from cop_bot.core import i18n
from cop_bot.core.model import Actor, Reply

SIZE = 20_000


class Languages:
    """The language of the last reply each member got, per workspace (bounded)."""

    def __init__(self, default: str, size: int = SIZE) -> None:
        self.default = i18n.supported(default) or i18n.DEFAULT
        self.size = size
        self._last: OrderedDict[tuple[str, str], str] = OrderedDict()

    def heard(self, team: str, actor: Actor, result: Reply) -> None:
        """`result` was written for `actor`: remember its language."""
        user = actor.platform_user_id or actor.handle
        self._last[(team, user)] = result.locale
        self._last.move_to_end((team, user))
        while len(self._last) > self.size:
            self._last.popitem(last=False)

    def knows(self, team: str, user: str) -> bool:
        return (team, user) in self._last

    def of(self, team: str, user: str, actor: Actor | None = None) -> str:
        """The member's language as the adapter knows it (see the module docstring)."""
        found = self._last.get((team, user))
        if found is not None:
            return found
        reported = i18n.supported(actor.locale) if actor is not None else None
        return reported or self.default
