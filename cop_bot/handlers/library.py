"""`/library`: the web library's address for members, its reset, and curated toolkits.

`/library link` gives the secret address of a private library (or the public one);
`/library link reset` (admins) replaces the key; `/library collect SLUG ID…` (curators) makes a
toolkit page listing those practices in that order. The rules are in `cop_bot/library/`.
"""

from __future__ import annotations

from collections.abc import Sequence

from cop_bot.core.args import Args
from cop_bot.core.errors import UsageError
from cop_bot.core.i18n import N_, _
from cop_bot.core.model import Code, Context, Header, Reply, Role, Text, reply, spans
from cop_bot.core.router import Ctx, command
from cop_bot.core.wording import phrase
from cop_bot.library import queries, tokens
from cop_bot.practices.queries import practice_number


@command(
    "library",
    summary=N_("The web library of approved practices: its address, and curated toolkits."),
    syntax=("[link]", "link reset", "collect SLUG ID ID…"),
    examples=(N_("/library link"), N_("/library link reset")),
    details=N_(
        "The library is private unless an admin sets /settings library: public; its secret "
        "address is for members. /library link reset (admins) replaces it. /library collect "
        "(curators) makes a toolkit page of practices in the order given; without IDs it "
        "removes the toolkit."
    ),
)
def library_command(ctx: Ctx, args: Args) -> Reply:
    first = (args.word(0) or "link").lower()
    if first == "link":
        second = (args.word(1) or "").lower()
        if second not in {"", "reset"}:
            raise UsageError(_("Use `/library link` or `/library link reset`."))
        return _link(ctx, reset=second == "reset")
    if first == "collect":
        return _collect(ctx, args.words[1:])
    raise UsageError(
        _("I don't know `/library {words}`: use link, link reset or collect.").format(
            words=first[:30]
        )
    )


def _link(ctx: Ctx, *, reset: bool) -> Reply:
    community = ctx.community
    if reset:
        ctx.require(Role.ADMIN, _("reset the library's address"))
        tokens.library_token(ctx.session, community, reset=True)
    path = tokens.link_path(ctx.session, community) + "/"
    base = (ctx.settings.public_url or "").rstrip("/")
    url = f"{base}{path}" if base else path
    notes = []
    if community.library_public:
        notes.append(_("The library is public: anyone may read it."))
    else:
        notes.append(_("Keep it private: anyone with the address can read the library."))
    if reset:
        notes.append(_("The old address no longer works."))
    if not base:
        notes.append(
            _(
                "This is only the end of the address: the bot has no public web "
                "address yet. Ask an admin to set COP_BOT_PUBLIC_URL, then run this again."
            )
        )
    return reply(
        Header(_("The web library")),
        Text.of(*phrase(_("Open it in a browser: {address}"), address=Code(url))),
        Context(spans(" ".join(notes))),
        data={
            "library": {
                "path": path,
                "url": url if base else None,
                "public": community.library_public,
            }
        },
    )


def _collect(ctx: Ctx, words: Sequence[str]) -> Reply:
    ctx.require(Role.CURATOR, _("make a toolkit"))
    if not words:
        raise UsageError(_("Name the toolkit, e.g. `/library collect first-steps 12 4 9`."))
    slug = words[0].lower()
    if not queries.COLLECTION_SLUG.fullmatch(slug):
        raise UsageError(
            _(
                "{slug} is not a toolkit name: use lower-case letters, digits and dashes, "
                "e.g. first-steps."
            ).format(slug=repr(words[0][:40]))
        )
    ids: list[int] = []
    for word in words[1:]:
        number = practice_number(word)
        if number is None:
            raise UsageError(
                _("{word} is not a practice number, e.g. 12.").format(word=repr(word[:20]))
            )
        ids.append(number)
    if len(ids) > queries.MAX_COLLECTION:
        raise UsageError(
            _("A toolkit holds at most {limit} practices.").format(limit=queries.MAX_COLLECTION)
        )
    found = queries.approved_in(ctx.session, ctx.community_id, ids)
    missing = sorted(set(ids) - {p.id for p in found})
    if missing:
        raise UsageError(
            _("These are not approved practices: {ids}.").format(
                ids=", ".join(f"#{i}" for i in missing)
            )
        )
    queries.save_collection(ctx.session, ctx.community, slug, ids, ctx.now)
    if not ids:
        return reply(
            Text.of(_("The toolkit {slug} is removed.").format(slug=slug)), data={"toolkit": None}
        )
    return reply(
        Text.of(
            *phrase(
                _("The toolkit {slug} lists {ids}; see it with {command}."),
                slug=Code(slug),
                ids=", ".join(f"#{i}" for i in ids),
                command=Code("/library link"),
            )
        ),
        data={"toolkit": {"slug": slug, "ids": ids}},
    )
