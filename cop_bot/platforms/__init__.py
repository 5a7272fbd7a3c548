"""Chat platforms: each only translates its wire format to an `Invocation` and renders replies.

A platform package (`cop_bot.platforms.slack`, `cop_bot.platforms.matrix`) has a `runner`
module exposing `run(app) -> int`, which serves until stopped, and `make_outbox(app) -> Outbox`,
which posts on the platform's behalf outside the running bot (e.g. `cop-bot digest run-due`).
What both adapters share is in `common.py`; `http.py` is the web server of every platform.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from cop_bot.core.errors import ConfigError

if TYPE_CHECKING:
    from cop_bot.app import App
    from cop_bot.core.outbox import Outbox


def adapter(platform: str, name: str) -> Callable[..., object]:
    """A function of a platform's runner, or a clear `ConfigError` when it is not available."""
    try:
        module = importlib.import_module(f"cop_bot.platforms.{platform}.runner")
    except ImportError as exc:
        raise ConfigError(f"The {platform} adapter cannot be loaded: {exc}") from None
    found = getattr(module, name, None)
    if not callable(found):
        raise ConfigError(f"The {platform} adapter of this version has no `{name}`.")
    return cast(Callable[..., object], found)


def outbox_for(app: App) -> Outbox:
    """The outbox of the configured platform, for jobs run outside the bot (`digest run-due`)."""
    from cop_bot.core.outbox import ConsoleOutbox, Outbox
    from cop_bot.core.slash import SlashOutbox

    platform, _why = app.settings.chosen_platform()
    if platform == "console":
        return SlashOutbox(ConsoleOutbox(sys.stdout), app.router.registry.slash)
    made = cast(Outbox, adapter(platform, "make_outbox")(app))
    return SlashOutbox(made, app.router.registry.slash)
