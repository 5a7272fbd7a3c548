"""`/domains`: browse the community's domains of practice by group, with counts."""

from __future__ import annotations

from cop_bot.core.args import Args
from cop_bot.core.errors import UsageError
from cop_bot.core.i18n import N_, _, n_
from cop_bot.core.model import Code, Context, Header, Item, Reply, Text, reply, spans
from cop_bot.core.router import Ctx, command
from cop_bot.core.wording import echo, phrase
from cop_bot.practices import queries as practice_queries
from cop_bot.storage import repos


@command(
    "domains",
    summary=N_("Browse the domains of practice, with how many members and practices each has."),
    syntax=("[TEXT]",),
    examples=(N_("/domains"), N_("/domains housing")),
    details=N_("With TEXT, shows which domains the text matches and how sure the match is."),
)
def domains_command(ctx: Ctx, args: Args) -> Reply:
    if args.words:
        return _match(ctx, args.rest)
    members = repos.member_counts_by_domain(ctx.session, ctx.community_id)
    practices = practice_queries.counts_by_domain(ctx.session, ctx.community_id)
    lang = ctx.language
    blocks: list[Header | Item | Context] = []
    rows = []
    groups = ctx.taxonomy.groups or ()
    grouped = [(g.slug, g.label(lang)) for g in groups] or [("", _("Domains"))]
    for group_slug, group_label in grouped:
        in_group = [d for d in ctx.taxonomy.domains if d.group == group_slug or not groups]
        if not in_group:
            continue
        blocks.append(Header(group_label))
        for domain in in_group:
            m, p = members[domain.slug], practices[domain.slug]
            blocks.append(
                Item(
                    title=spans(domain.label(lang), " (", Code(domain.slug), ")"),
                    body=spans(domain.description),
                    meta=spans(
                        n_(m, "{count} member", "{count} members")
                        + " · "
                        + n_(p, "{count} practice", "{count} practices")
                    ),
                )
            )
            rows.append(
                {
                    "slug": domain.slug,
                    "label": domain.label(lang),
                    "group": group_slug,
                    "members": m,
                    "practices": p,
                }
            )
    find = Code(_("/find-expert DOMAIN"))
    blocks.append(Context(phrase(_("Find people with {command}."), command=find)))
    return reply(*blocks, data={"domains": rows})


def _match(ctx: Ctx, text: str) -> Reply:
    result = ctx.taxonomy.match(text)
    lang = ctx.language
    data = {
        "query": text,
        "matches": [
            {
                "slug": c.slug,
                "label": ctx.taxonomy.label(c.slug, lang),
                "confidence": c.score,
                "matched": c.term,
                "via": c.via,
            }
            for c in result.candidates
            if c.score >= 60
        ],
    }
    if not result.matches:
        close = result.suggestions
        if not close:
            raise UsageError(
                _("No domain matches {text}.").format(text=echo(text)),
                hint=_("Type /domains to see them all."),
            )
        names = ", ".join(f"{ctx.taxonomy.label(c.slug, lang)} ({c.slug})" for c in close)
        return reply(
            Text.of(
                _("No domain clearly matches {text}. Closest: {names}.").format(
                    text=echo(text), names=names
                )
            ),
            data=data,
        )
    items = [
        Item(
            title=spans(ctx.taxonomy.label(c.slug, lang), " (", Code(c.slug), ")"),
            meta=spans(
                _("{score} sure · matched {term} ({via})").format(
                    score=f"{c.score:.0f}%", term=echo(c.term), via=_via(c.via)
                )
            ),
        )
        for c in result.matches
    ]
    return reply(Header(_("Domains matching {text}").format(text=echo(text))), *items, data=data)


def _via(kind: str) -> str:
    """What kind of name matched (`slug`, `label (fr)`, `synonym`), in the active language."""
    if kind == "slug":
        return _("slug")
    if kind == "synonym":
        return _("synonym")
    if kind.startswith("label (") and kind.endswith(")"):
        return _("label ({language})").format(language=kind[len("label (") : -1])
    return kind
