"""`/domains`: browse the community's domains of practice by group, with counts."""

from __future__ import annotations

from cop_bot.core.args import Args
from cop_bot.core.errors import UsageError
from cop_bot.core.model import Code, Context, Header, Item, Reply, Text, reply, spans
from cop_bot.core.router import Ctx, command
from cop_bot.core.wording import echo, plural
from cop_bot.practices import queries as practice_queries
from cop_bot.storage import repos


@command(
    "domains",
    summary="Browse the domains of practice, with how many members and practices each has.",
    syntax=("[TEXT]",),
    examples=("/domains", "/domains housing"),
    details="With TEXT, shows which domains the text matches and how sure the match is.",
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
    grouped = [(g.slug, g.label(lang)) for g in groups] or [("", "Domains")]
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
                    meta=spans(f"{plural(m, 'member')} · {plural(p, 'practice')}"),
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
    blocks.append(Context(spans("Find people with ", Code("/find-expert DOMAIN"), ".")))
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
                f"No domain matches {echo(text)}.", hint="Type /domains to see them all."
            )
        names = ", ".join(f"{ctx.taxonomy.label(c.slug, lang)} ({c.slug})" for c in close)
        return reply(
            Text.of(f"No domain clearly matches {echo(text)}. Closest: ", names, "."),
            data=data,
        )
    items = [
        Item(
            title=spans(ctx.taxonomy.label(c.slug, lang), " (", Code(c.slug), ")"),
            meta=spans(f"{c.score:.0f}% sure · matched {echo(c.term)} ({c.via})"),
        )
        for c in result.matches
    ]
    return reply(Header(f"Domains matching {echo(text)}"), *items, data=data)
