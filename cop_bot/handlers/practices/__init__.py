"""The shared repertoire in chat: `/share-practice`, `/practices`, `/practice` and `/endorse`.

Members share good practices, resources and toolkits; curators review them; everyone searches
and endorses what helped them. One module per command; the rules, queries and search they call
are in `cop_bot/practices/`.
"""

from __future__ import annotations

from cop_bot.handlers.practices import endorse, listing, practice, share

MODULES = (share, listing, practice, endorse)
"""The modules that declare the commands; `cop_bot/handlers/__init__.py` registers them."""
