"""`/practices`: search the repertoire, and the lists curators and authors work from (what waits
for review, what is due for renewal, what I shared). Ranking is in `cop_bot/practices/search.py`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cop_bot.core.args import Args
from cop_bot.core.errors import UsageError
from cop_bot.core.i18n import N_, _, n_
from cop_bot.core.model import (
    Actions,
    Block,
    Code,
    Context,
    Header,
    Inline,
    Item,
    Reply,
    Role,
    Spans,
    Text,
    reply,
    spans,
)
from cop_bot.core.router import Ctx, command
from cop_bot.core.wording import echo, phrase
from cop_bot.experts.profiles import country_name, parse_country
from cop_bot.groups.rules import group_scope
from cop_bot.handlers.practices.common import (
    button,
    item,
    item_actions,
    list_data,
    local_date,
    member_id,
    member_inline,
    status_phrase,
)
from cop_bot.practices import queries
from cop_bot.practices.fields import kind_label, parse_kind
from cop_bot.practices.search import PAGE_SIZE, PracticeSearch, Query
from cop_bot.storage import repos
from cop_bot.storage.models import Practice

MAX_PAGE = 10_000


@command(
    "practices",
    summary=N_("Search the shared repertoire; curators also see what waits for review."),
    syntax=(
        "[QUERY] [domain:SLUG] [country:XX] [kind:K] [group:SLUG] [page:N]",
        "pending [page:N]",
        "stale [page:N]",
        "mine [page:N]",
    ),
    examples=(
        "/practices",
        N_("/practices job readines"),
        N_("/practices language country:IT"),
        "/practices domain:housing kind:toolkit",
        "/practices pending",
        "/practices stale",
    ),
    options=("domain", "country", "kind", "group", "page"),
    details=N_(
        "Searches titles, summaries, tags and domains of approved practices, forgiving typos; "
        "the best matches come first, then the most endorsed, then the newest. "
        "5 per page. `pending` lists what waits for a curator (curators), `stale` "
        "the practices due for review, `mine` what you shared."
    ),
)
def practices_command(ctx: Ctx, args: Args) -> Reply:
    page = _page(args)
    if len(args.words) == 1 and args.words[0].lower() in {"pending", "stale", "mine"}:
        extra = set(args.options) - {"page"}
        if extra:
            raise UsageError(
                _("`/practices {which}` takes only page:N, not {options}").format(
                    which=args.words[0].lower(), options=", ".join(f"{k}:" for k in sorted(extra))
                )
            )
        which = args.words[0].lower()
        if which == "pending":
            return _pending(ctx, page)
        if which == "stale":
            return _stale(ctx, page)
        return _mine(ctx, page)
    return _search(ctx, args, page)


def _page(args: Args) -> int:
    text = args.options.get("page")
    if text is None:
        return 1
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise UsageError(
            _("page:{text} is not a page number; pages start at page:1.").format(text=text[:20])
        )
    return int(text)


# ---- search ------------------------------------------------------------------------------------


def _search(ctx: Ctx, args: Args, page: int) -> Reply:
    query = Query(
        text=args.rest,
        domain=_domain_option(ctx, args.options.get("domain")),
        country=_parsed_option(parse_country, args.options.get("country")),
        kind=_parsed_option(parse_kind, args.options.get("kind")),
        page=page,
        within=_group_option(ctx, args.options.get("group")),
    )
    search = ctx.service(PracticeSearch)
    result = search.search(ctx.session, ctx.community, ctx.taxonomy, query)
    rows = queries.load(ctx.session, result.ids)
    counts = queries.endorsement_counts(ctx.session, result.ids)
    mine = queries.endorsed_by(ctx.session, member_id(ctx), result.ids)
    data = {
        "practices": [list_data(p, counts[p.id or 0]) for p in rows],
        "total": result.total,
        "page": page,
    }
    described = _describe_query(ctx, query, args.options.get("group"))
    if result.total == 0:
        if not described:
            return reply(
                Text.of(_("The shared repertoire is empty so far.")),
                Context(
                    phrase(
                        _("Share the first practice with {command}."),
                        command=Code("/share-practice"),
                    )
                ),
                data=data,
            )
        return reply(
            Text.of(_("No approved practice matches {query}.").format(query=described)),
            _no_result_hint(ctx, query),
            data=data,
        )
    pages = -(-result.total // PAGE_SIZE)
    if not rows:
        return reply(Text.of(_past_the_end(page, result.total, pages)), data=data)
    blocks: list[Block] = [
        Header(
            _("Practices matching {query}").format(query=described)
            if described
            else _("The shared repertoire")
        )
    ]
    if result.partial:
        blocks.append(Context(spans(_("No practice holds every word; these hold some of them."))))
    for practice in rows:
        assert practice.id is not None
        blocks.append(item(ctx, practice, counts[practice.id]))
        blocks.append(item_actions(ctx, practice, practice.id in mine))
    blocks.append(_footer(ctx, args, page, pages, result.total, result.domains))
    return reply(*blocks, data=data)


def _past_the_end(page: int, total: int, pages: int) -> str:
    """Two counts in one sentence: the page count phrase is made first, then the sentence."""
    fit = n_(pages, "{count} page", "{count} pages")
    return n_(
        total,
        "Page {page} is past the end: the {count} practice found fit on {pages}.",
        "Page {page} is past the end: the {count} practices found fit on {pages}.",
        page=page,
        pages=fit,
    )


def _describe_query(ctx: Ctx, query: Query, group: str | None = None) -> str:
    """The words and filters of a search (`housing in Housing from Italy`): each filter is a
    phrase of its own, which the sentences around it quote."""
    parts = (
        echo(query.text) if query.text else "",
        _("in {domain}").format(domain=ctx.taxonomy.label(query.domain, ctx.language))
        if query.domain
        else "",
        _("from {country}").format(country=country_name(query.country)) if query.country else "",
        _("of kind {kind}").format(kind=kind_label(query.kind)) if query.kind else "",
        _("shared in the group {slug}").format(slug=group.strip().lstrip("#").lower()[:60])
        if group
        else "",
    )
    return " ".join(part for part in parts if part)


def _no_result_hint(ctx: Ctx, query: Query) -> Context:
    parts: list[Inline] = []
    if query.text:
        close = ctx.taxonomy.match(query.text).suggestions
        if close:
            names = ", ".join(c.slug for c in close)
            parts.append(_("Closest domains: {domains}. ").format(domains=names))
    parts.extend(phrase(_("Know one? Share it with {command}."), command=Code("/share-practice")))
    return Context(spans(*parts))


def _footer(
    ctx: Ctx, args: Args, page: int, pages: int, total: int, domains: Sequence[str]
) -> Context:
    first = (page - 1) * PAGE_SIZE + 1
    last = min(page * PAGE_SIZE, total)
    parts: list[Inline] = [
        n_(
            total,
            "{first}–{last} of {count} practice",
            "{first}–{last} of {count} practices",
            first=first,
            last=last,
        )
    ]
    if page < pages:
        words = [args.rest] if args.rest else []
        words += [f"{k}:{v}" for k, v in args.options.items() if k != "page"]
        command = Code(" ".join(["/practices", *words, f"page:{page + 1}"]))
        parts.extend(phrase(_(" · next page: {command}"), command=command))
    if domains:
        labels = ", ".join(ctx.taxonomy.label(s, ctx.language) for s in domains)
        parts.append(
            n_(
                len(domains),
                " · read as the domain {domains}",
                " · read as the domains {domains}",
                domains=labels,
            )
        )
    return Context(spans(*parts))


def _domain_option(ctx: Ctx, text: str | None) -> str | None:
    if text is None:
        return None
    if text.lower() in ctx.taxonomy:
        return text.lower()
    result = ctx.taxonomy.match(text)
    if result.best is not None:
        return result.best.slug
    close = ", ".join(c.slug for c in result.suggestions)
    message = (
        _("domain:{text} is not a domain I know; closest: {close}.")
        if close
        else _("domain:{text} is not a domain I know.")
    )
    raise UsageError(
        message.format(text=text[:40], close=close), hint=_("Type /domains to see them all.")
    )


def _group_option(ctx: Ctx, text: str | None) -> frozenset[int] | None:
    """The practices shared by the members of the group `text` names."""
    if text is None:
        return None
    members = group_scope(ctx.session, ctx.member, text, admin=ctx.has(Role.ADMIN))
    return queries.shared_by_members(ctx.session, ctx.community_id, members)


def _parsed_option(parse: Callable[[str], str], text: str | None) -> str | None:
    """An option's value as `parse` reads it; what `parse` objects to is a usage error."""
    if text is None:
        return None
    try:
        return parse(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


# ---- pending, stale, mine ----------------------------------------------------------------------


def _pending(ctx: Ctx, page: int) -> Reply:
    ctx.require(Role.CURATOR, _("see the practices waiting for review"))
    rows, total = queries.pending(ctx.session, ctx.community_id, **_window(page))
    data = _list_reply_data(ctx, rows, total, page)
    if total == 0:
        return reply(Text.of(_("Nothing waits for review. Well done!")), data=data)
    authors = repos.members_by_id(ctx.session, [p.author_id for p in rows])
    blocks: list[Block] = [Header(_("Waiting for review ({count})").format(count=total))]
    for practice in rows:
        assert practice.id is not None
        author = authors.get(practice.author_id) if practice.author_id else None
        shared_by = phrase(_(" · shared by {author}"), author=member_inline(author))
        blocks.append(item(ctx, practice, 0, extra=shared_by))
        blocks.append(
            Actions(
                (
                    button(_("Approve"), f"/practice approve {practice.id}", "primary"),
                    button(_("Reject…"), f"/practice reject {practice.id}", "danger"),
                    button(_("Details"), f"/practice {practice.id}"),
                )
            )
        )
    blocks.append(_page_footer("/practices pending", page, total))
    blocks.append(
        Context(
            phrase(
                _("Reject with a reason the author can act on: {command}."),
                command=Code("/practice reject ID REASON"),
            )
        )
    )
    return reply(*blocks, data=data)


def _stale(ctx: Ctx, page: int) -> Reply:
    total = queries.count_stale(ctx.session, ctx.community_id, ctx.now)
    rows = queries.stale(ctx.session, ctx.community_id, ctx.now, **_window(page))
    data = _list_reply_data(ctx, rows, total, page)
    if total == 0:
        return reply(Text.of(_("No practice is due for review.")), data=data)
    blocks: list[Block] = [Header(_("Due for review ({count})").format(count=total))]
    due = _items(
        ctx,
        rows,
        lambda p: spans(_(" · review was due {date}").format(date=local_date(ctx, p.review_by))),
    )
    for practice, entry in due:
        blocks.append(entry)
        if ctx.has(Role.CURATOR):
            blocks.append(
                Actions(
                    (button(_("Still current"), f"/practice approve {practice.id}", "primary"),)
                )
            )
    blocks.append(_page_footer("/practices stale", page, total))
    blocks.append(
        Context(
            phrase(
                _(
                    "Curators: check each is still current, then {approve} (renews it for a "
                    "year), {edit} or {reject}."
                ),
                approve=Code("/practice approve ID"),
                edit=Code("/practice edit ID"),
                reject=Code("/practice reject ID REASON"),
            )
        )
    )
    return reply(*blocks, data=data)


def _mine(ctx: Ctx, page: int) -> Reply:
    rows, total = queries.shared_by(ctx.session, ctx.community_id, ctx.member.id, **_window(page))
    data = _list_reply_data(ctx, rows, total, page)
    if total == 0:
        return reply(
            Text(
                phrase(
                    _("You have not shared a practice yet. Share one with {command}."),
                    command=Code("/share-practice"),
                )
            ),
            data=data,
        )
    blocks: list[Block] = [Header(_("Your practices ({count})").format(count=total))]
    blocks.extend(
        entry for _, entry in _items(ctx, rows, lambda p: spans(f" · {status_phrase(p)}"))
    )
    blocks.append(_page_footer("/practices mine", page, total))
    return reply(*blocks, data=data)


def _items(
    ctx: Ctx, rows: Sequence[Practice], note: Callable[[Practice], Spans]
) -> list[tuple[Practice, Item]]:
    """Each practice as a list item with its endorsements, `note` added to its line of facts."""
    counts = queries.endorsement_counts(ctx.session, [p.id for p in rows if p.id is not None])
    return [(p, item(ctx, p, counts[p.id or 0], extra=note(p))) for p in rows]


def _window(page: int) -> dict[str, int]:
    return {"offset": (page - 1) * PAGE_SIZE, "limit": PAGE_SIZE}


def _list_reply_data(ctx: Ctx, rows: Sequence[Practice], total: int, page: int) -> dict[str, Any]:
    counts = queries.endorsement_counts(ctx.session, [p.id for p in rows if p.id is not None])
    return {
        "practices": [{**list_data(p, counts[p.id or 0]), "status": p.status} for p in rows],
        "total": total,
        "page": page,
    }


def _page_footer(base: str, page: int, total: int) -> Context:
    pages = max(1, -(-total // PAGE_SIZE))
    parts: list[Inline] = [_("Page {page} of {pages}").format(page=page, pages=pages)]
    if page < pages:
        parts.extend(phrase(_(" · next: {command}"), command=Code(f"{base} page:{page + 1}")))
    return Context(spans(*parts))
