"""`/find-expert`: the right people for a topic, even with typos, synonyms or another language."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from cop_bot.core import i18n
from cop_bot.core.args import Args, parse_int
from cop_bot.core.errors import UsageError
from cop_bot.core.i18n import N_, _, n_
from cop_bot.core.model import (
    Actions,
    Block,
    Button,
    Code,
    Context,
    Header,
    Item,
    Mention,
    Reply,
    Role,
    Text,
    reply,
    spans,
)
from cop_bot.core.router import Ctx, command
from cop_bot.core.taxonomy import Candidate
from cop_bot.core.wording import echo, fits_echo, phrase
from cop_bot.experts.directory import Directory, Filters, Hit
from cop_bot.experts.profiles import country_name, language_name, parse_country, parse_languages
from cop_bot.groups.rules import group_scope

PAGE_SIZE = 5


def parse_page(value: str | None) -> int:
    if value is None:
        return 1
    page = parse_int(value, 1, 10_000)
    if page is None:
        raise UsageError(
            _("page:{value} is not a page number; pages start at page:1.").format(value=value)
        )
    return page


def parse_filters(args: Args, ctx: Ctx | None = None) -> Filters:
    """The filters typed; `group:SLUG` needs `ctx` (the group's members, a strict filter)."""
    opts = args.options
    try:
        country = parse_country(opts["country"]) if "country" in opts else None
        languages = parse_languages(opts["lang"]) if "lang" in opts else []
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if len(languages) > 1:
        raise UsageError(_("Give one language per search, e.g. lang:fr."))
    members = None
    if "group" in opts and ctx is not None:
        members = group_scope(ctx.session, ctx.member, opts["group"], admin=ctx.has(Role.ADMIN))
    return Filters(
        country=country,
        language=languages[0] if languages else None,
        organisation=opts.get("org"),
        members=members,
    )


@command(
    "find-expert",
    aliases=("find-experts", "experts", "expert"),
    summary=N_("Find members who know a topic; filter by country, language or organisation."),
    syntax=("QUERY [country:XX] [lang:xx] [org:TEXT] [group:SLUG] [page:N]",),
    examples=(
        N_("/find-expert labour-market"),
        N_("/find-expert employment country:IT lang:fr"),
        N_("/find-expert mental health for refugees"),
    ),
    details=N_(
        "QUERY can be a domain, its name in another language, a synonym or any words from "
        "experts' profiles. Only members who opted in as experts appear."
    ),
    options=("country", "lang", "org", "group", "page"),
)
def find_expert(ctx: Ctx, args: Args) -> Reply:
    query = args.rest
    filters = parse_filters(args, ctx)
    page = parse_page(args.options.get("page"))
    if not query and filters == Filters():
        raise UsageError(_("Tell me what kind of expertise you need."))
    match = ctx.taxonomy.match(query) if query else None
    candidates = match.matches if match else ()
    index = ctx.service(Directory).index(ctx.session, ctx.community, ctx.now)
    total, shown = index.search(
        query,
        candidates,
        filters,
        taxonomy=ctx.taxonomy,
        today=ctx.now.date(),
        language=ctx.language,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
        exclude=ctx.member.id,
    )
    you = ctx.member.id is not None and index.matches(ctx.member.id, query, candidates, filters)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    data = {
        "matched_domains": [c.slug for c in candidates],
        "experts": [_json(h) for h in shown],
        "total": total,
        "page": page,
        "you_left_out": you,
    }
    described = _describe(query, filters, args.options.get("group"))
    if not total:
        found = _nothing(
            ctx, query, described, candidates, match.suggestions if match else (), data
        )
        return replace(found, blocks=(*found.blocks, *_you(you)))
    if not shown:
        raise UsageError(
            n_(
                pages,
                "There is only {count} page of results for {search}.",
                "There are only {count} pages of results for {search}.",
                search=described,
            )
        )
    blocks: list[Block] = [Header(_("Experts for {search}").format(search=described))]
    if candidates:
        # every domain the query names is searched, and the reply says which ("Housing and
        # International protection")
        labels = i18n.join(ctx.taxonomy.label(c.slug, ctx.language) for c in candidates)
        blocks.append(Context(spans(_("Domains: {labels}").format(labels=labels))))
    elif match and match.suggestions:  # "refugees": found by its words; say where to narrow
        names = ", ".join(
            f"{ctx.taxonomy.label(c.slug, ctx.language)} ({c.slug})" for c in match.suggestions
        )
        blocks.append(Context(spans(_("Closest domains: {names}.").format(names=names))))
    blocks.extend(_item(ctx, h) for h in shown)
    footer = n_(total, "{count} expert", "{count} experts") + " · "
    footer += _("page {page} of {pages}").format(page=i18n.number(page), pages=i18n.number(pages))
    if page < pages:
        next_cmd = _command_for(args, page + 1)
        blocks.append(
            Context(
                phrase(_("{summary} · next: {command}"), summary=footer, command=Code(next_cmd))
            )
        )
        blocks.append(Actions((Button(_("Next page"), next_cmd),)))
    else:
        blocks.append(Context(spans(footer)))
    blocks.extend(_you(you))
    return reply(*blocks, data=data)


def _you(matched: bool) -> tuple[Context, ...]:
    """Members search for others: their own profile is left out, and they are told so."""
    if not matched:
        return ()
    return (Context(spans(_("Your own profile matches too; it is left out of your results."))),)


def _item(ctx: Ctx, hit: Hit) -> Item:
    e = hit.expert
    facts = [x for x in (e.organisation, country_name(e.country)) if x]
    langs = ", ".join(sorted(e.languages))
    domains = ", ".join(ctx.taxonomy.label(d, ctx.language) for d in sorted(e.domains))
    meta = " · ".join(x for x in (" · ".join(facts), langs) if x)
    reasons = "; ".join(hit.why)
    return Item(
        title=spans(e.name or e.handle, " (", Mention(e.handle, e.name, e.platform_user_id), ")"),
        body=spans(
            _("Why: {reasons}. Domains: {domains}").format(reasons=reasons, domains=domains)
            if domains
            else _("Why: {reasons}").format(reasons=reasons)
        ),
        meta=spans(meta),
    )


def _json(hit: Hit) -> dict[str, object]:
    e = hit.expert
    return {
        "handle": e.handle,
        "name": e.name,
        "organisation": e.organisation,
        "country": e.country,
        "languages": sorted(e.languages),
        "domains": sorted(e.domains),
        "score": hit.score,
        "why": list(hit.why),
    }


def _describe(query: str, filters: Filters, group: str | None = None) -> str:
    """`“housing” in Italy speaking French at “City of Turin”`: the search, as words."""
    parts = (
        echo(query) if query else _("everyone"),
        _("in {country}").format(country=country_name(filters.country)) if filters.country else "",
        _("speaking {language}").format(language=language_name(filters.language))
        if filters.language
        else "",
        _("at {organisation}").format(organisation=echo(filters.organisation))
        if filters.organisation
        else "",
        _("in the group {slug}").format(slug=group.lower().lstrip("#")) if group else "",
    )
    return " ".join(p for p in parts if p)


def _nothing(
    ctx: Ctx,
    query: str,
    described: str,
    matched: Sequence[Candidate],
    suggestions: Sequence[Candidate],
    data: dict[str, object],
) -> Reply:
    blocks: list[Block] = [Text.of(_("No experts found for {search}.").format(search=described))]
    if matched:
        labels = ", ".join(ctx.taxonomy.label(c.slug, ctx.language) for c in matched)
        blocks.append(
            Text.of(
                _("I understood: {labels}. Try fewer filters, or a related domain.").format(
                    labels=labels
                )
            )
        )
    elif suggestions:
        names = ", ".join(
            f"{ctx.taxonomy.label(c.slug, ctx.language)} ({c.slug})" for c in suggestions
        )
        blocks.append(Text.of(_("Closest domains: {names}.").format(names=names)))
    elif query:  # nothing close: say so rather than guess, and show where to look
        blocks.append(
            Text(
                phrase(
                    _("No domain matches this; see them all with {command}."),
                    command=Code("/domains"),
                )
            )
        )
    topic = query if query and fits_echo(query) else _("TOPIC")
    question = _("YOUR QUESTION")
    ask = f"/ask {topic}: {question}"
    blocks.append(
        Context(phrase(_("Ask the whole community instead: {command}"), command=Code(ask)))
    )
    return reply(*blocks, data=data)


def _command_for(args: Args, page: int) -> str:
    parts = ["/find-expert", *args.words]
    parts.extend(f"{k}:{v}" for k, v in args.options.items() if k != "page")
    parts.append(f"page:{page}")
    return " ".join(p if " " not in p else f'"{p}"' for p in parts)
