"""The shared repertoire: `/share-practice`, `/practices`, `/practice` and `/endorse`.

Members share good practices, resources and toolkits; curators review them; everyone searches
and endorses what helped them. The rules for fields live in `cop_bot/practices.py` (shared with
the CLI import), search in `cop_bot/practices_search.py`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func
from sqlmodel import col, select

from cop_bot.core.args import Args, form_key, parse_form, parse_handle
from cop_bot.core.errors import CommandError, PermissionDenied, UsageError
from cop_bot.core.model import (
    Actions,
    Block,
    Bold,
    Button,
    Code,
    Context,
    Fields,
    Header,
    Inline,
    Item,
    Link,
    Mention,
    Notice,
    Reply,
    Role,
    Spans,
    Status,
    Text,
    reply,
    spans,
)
from cop_bot.core.router import Ctx, command
from cop_bot.core.wording import jsonable, mention_of, plural, quoted, shorten
from cop_bot.experts.profiles import country_name, language_name, parse_country
from cop_bot.practices import rules as P
from cop_bot.practices.search import PAGE_SIZE, PracticeSearch, Query
from cop_bot.storage import repos
from cop_bot.storage.models import Member, Practice, PracticeRevision

MAX_PAGE = 10_000
MIN_REASON, MAX_REASON = 4, 500
HISTORY_SHOWN = 20

SHARE_EXAMPLES = (
    "/share-practice Job-readiness workshops for young migrants; summary: Six weekly workshops "
    "on CVs, interviews and work permits, run with local employers. 60% of participants found "
    "work within six months.; domains: labour market; country: MA; city: Casablanca; "
    "link: https://example.org/job-readiness",
    "/share-practice Neighbourhood language cafés; summary: Volunteers host weekly conversation "
    "tables in public libraries where newcomers practise Italian with residents.; "
    "domains: language learning, neighbourhood participation; country: IT; city: Bologna; "
    "author: @giulia.ferrante",
)


# ---- /share-practice ---------------------------------------------------------------------------


@command(
    "share-practice",
    summary="Share a good practice, resource or toolkit with the community.",
    syntax=(
        "TITLE; summary: TEXT; domains: DOMAIN, DOMAIN [; kind: K] [; country: XX] [; link: URL] …",
        "confirm ID",
    ),
    examples=SHARE_EXAMPLES,
    details=(
        "Give `key: value` lines or parts separated by `;` (the first may be the title alone). "
        "Required: title, summary, domains. Optional: kind (practice, resource, toolkit), tags, "
        "country, city, organisation, link (http/https), language, target-group, and the "
        "benchmark fields standard, key-factors, rationale, guide-questions, examples, results; "
        "then contact, licence. Curators may add `author: @handle` to share on someone's "
        "behalf. New practices wait for a curator's review unless you are a curator or review "
        "is off. If the text looks like it holds personal data (e-mail addresses, phone "
        "numbers, case or passport numbers), I ask you to confirm with "
        "`/share-practice confirm ID` or edit it first."
    ),
    parse="raw",
)
def share_practice(ctx: Ctx, args: Args) -> Reply:
    confirm = re.fullmatch(r"confirm\s+(\S+)", args.text, re.IGNORECASE)
    if confirm:
        return _confirm(ctx, confirm.group(1))
    if not args.text:
        return _invalid(
            ["Tell me about the practice: a title, a summary and its domains."],
            P.template({}),
        )
    try:
        pairs = _read_share_form(args.text)
    except UsageError as exc:
        return _invalid([exc.message], P.template({}))
    parsed, extras = P.read_fields(ctx.taxonomy, pairs, creating=True, extra_keys=("author",))
    on_behalf_of: str | None = None
    if "author" in extras:
        if not ctx.has(Role.CURATOR):
            parsed.problems.append(
                "Only curators and admins can share on someone's behalf (`author:`); leave it "
                "out to share as yourself."
            )
        else:
            try:
                on_behalf_of = parse_handle(extras["author"])
            except UsageError as exc:
                parsed.problems.append(f"Author: {exc.message}")
        parsed.raw["author"] = extras["author"]
    if parsed.problems:  # nothing is written: not even the member named as author
        return _invalid(parsed.problems, _filled_template(parsed.raw))
    author = ctx.member
    if on_behalf_of is not None:
        author = repos.ensure_member(ctx.session, ctx.community_id, on_behalf_of, now=ctx.now)
    findings = P.scan_personal_data(parsed.values)
    status = P.NEEDS_CONFIRMATION if findings else _initial_status(ctx, author)
    practice = P.create(
        ctx.session,
        ctx.community_id,
        parsed.values,
        author=author,
        status=status,
        now=ctx.now,
        approver=ctx.member,
        channel_id=ctx.invocation.conversation.channel_id,
        editor=ctx.member,
    )
    notices: list[Notice] = []
    if author.id != ctx.member.id:
        notices.append(
            Notice(
                to=mention_of(author),
                blocks=(
                    Text.of(
                        Mention(ctx.member.handle, ctx.member.display_name),
                        f" shared a practice on your behalf: #{practice.id} ",
                        quoted(practice.title),
                        ".",
                    ),
                    Context(spans("See it with ", Code(f"/practice {practice.id}"), ".")),
                ),
            )
        )
    return _after_share(ctx, practice, author, findings, notices)


def _read_share_form(text: str) -> list[tuple[str, str]]:
    """`parse_form` with one kindness: a first line like `Welcome desks: a one-stop shop`, whose
    "key" is no field, is the title (titles often hold a colon)."""
    first, rest = _split_first(text)
    found = form_key(first)
    if found is not None:
        key = found[0]
        if P.canonical_key(key) is None and key != "author":
            title = first.replace("\\;", ";").strip()
            return [("title", title), *(parse_form(rest) if rest.strip() else [])]
    return parse_form(text, title_key="title")


def _split_first(text: str) -> tuple[str, str]:
    i = 0
    while i < len(text):
        if text.startswith("\\;", i):
            i += 2
            continue
        if text[i] in ";\n":
            return text[:i], text[i + 1 :]
        i += 1
    return text, ""


def _filled_template(raw: dict[str, str]) -> str:
    text = P.template(raw)
    if "author" in raw:
        text += f"\nauthor: {raw['author']}"
    return text


def _invalid(problems: Sequence[str], template: str | None) -> Reply:
    blocks: list[Block] = [
        Text.of(
            "I could not share this practice yet:"
            if template is not None
            else "I could not make this change:"
        )
    ]
    blocks.extend(Item(title=spans(problem)) for problem in problems)
    if template is not None:
        blocks.append(Text.of("Copy this, complete it and send it again:"))
        blocks.append(Text.of(Code(template)))
        blocks.append(
            Context(
                spans(
                    "Optional fields: "
                    + ", ".join(f.key for f in P.FIELDS if not f.required)
                    + ". Type ",
                    Code("/help share-practice"),
                    " for details.",
                )
            )
        )
    data: dict[str, Any] = {"code": "invalid", "problems": list(problems)}
    if template is not None:
        data["template"] = template
    return replace(reply(*blocks, data={"error": data}), status=Status.USER_ERROR)


def _initial_status(ctx: Ctx, author: Member) -> str:
    """Approved at once when a curator shares (or confirms), or when review is off."""
    if not ctx.community.review_enabled or ctx.has(Role.CURATOR):
        return P.APPROVED
    if author.id is not None and author.id != ctx.member.id:
        roles = repos.granted_roles(ctx.session, author.id)
        if Role.CURATOR in roles or Role.ADMIN in roles:
            return P.APPROVED
    return P.PENDING


def _after_share(
    ctx: Ctx,
    practice: Practice,
    author: Member | None,
    findings: Sequence[P.Finding],
    notices: Sequence[Notice] = (),
) -> Reply:
    assert practice.id is not None
    data = {"practice": _share_data(practice)}
    pid = practice.id
    if practice.status == P.NEEDS_CONFIRMATION:
        return reply(
            Text.of(
                f"Before #{pid} ",
                quoted(practice.title),
                " goes further: it looks like it may hold personal data about people — "
                + P.describe(findings)
                + ".",
            ),
            Text.of(
                "Practices are shared with the whole community, so remove anything that "
                "identifies a person with ",
                Code(f"/practice edit {pid} FIELD: new text"),
                ". If it is not personal data (an office phone line, a public reference), "
                "confirm with ",
                Code(f"/share-practice confirm {pid}"),
                ".",
            ),
            Actions((Button("Confirm: no personal data", f"/share-practice confirm {pid}"),)),
            data=data,
            notices=notices,
        )
    if practice.status == P.PENDING:
        return reply(
            Text.of(
                f"Thanks! #{pid} ",
                quoted(practice.title),
                " is waiting for a curator's review; I will tell you when it is approved.",
            ),
            Context(spans("See what you shared with ", Code("/practices mine"), ".")),
            data=data,
            notices=notices,
        )
    return reply(
        Text.of(
            "New in the shared repertoire, shared by ",
            _author_inline(author),
            ":",
        ),
        _item(ctx, practice, 0),
        Context(
            spans(
                "Details: ",
                Code(f"/practice {pid}"),
                " · found it useful? ",
                Code(f"/endorse {pid}"),
            )
        ),
        Actions((Button("Endorse", f"/endorse {pid}", "primary"),)),
        visibility="channel",
        data=data,
        notices=notices,
    )


def _confirm(ctx: Ctx, id_text: str) -> Reply:
    practice = _find(ctx, id_text)
    if not (_is_author(ctx, practice) or ctx.has(Role.CURATOR)):
        raise PermissionDenied("Only the author or a curator can confirm a practice.")
    if practice.status != P.NEEDS_CONFIRMATION:
        raise CommandError(
            f"#{practice.id} does not wait for a confirmation; it is {_status_phrase(practice)}."
        )
    author = _author(ctx, practice)
    status = _initial_status(ctx, author or ctx.member)
    P.set_status(ctx.session, practice, status, editor=ctx.member, now=ctx.now)
    return _after_share(ctx, practice, author, ())


# ---- /practices --------------------------------------------------------------------------------


@command(
    "practices",
    summary="Search the shared repertoire; curators also see what waits for review.",
    syntax=(
        "[QUERY] [domain:SLUG] [country:XX] [kind:K] [page:N]",
        "pending [page:N]",
        "stale [page:N]",
        "mine [page:N]",
    ),
    examples=(
        "/practices",
        "/practices job readines",
        "/practices language country:IT",
        "/practices domain:housing kind:toolkit",
        "/practices pending",
        "/practices stale",
    ),
    options=("domain", "country", "kind", "page"),
    details=(
        "Searches titles, summaries, tags and domains of approved practices, forgiving typos; "
        "the best matches come first, then the most endorsed, then the newest. "
        f"{PAGE_SIZE} per page. `pending` lists what waits for a curator (curators), `stale` "
        "the practices due for review, `mine` what you shared."
    ),
)
def practices_command(ctx: Ctx, args: Args) -> Reply:
    page = _page(args)
    if len(args.words) == 1 and args.words[0].lower() in {"pending", "stale", "mine"}:
        extra = set(args.options) - {"page"}
        if extra:
            raise UsageError(
                f"`/practices {args.words[0].lower()}` takes only page:N, not "
                + ", ".join(f"{k}:" for k in sorted(extra))
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
        raise UsageError(f"page:{text[:20]} is not a page number; pages start at page:1.")
    return int(text)


def _search(ctx: Ctx, args: Args, page: int) -> Reply:
    query = Query(
        text=args.rest,
        domain=_domain_option(ctx, args.options.get("domain")),
        country=_country_option(args.options.get("country")),
        kind=_kind_option(args.options.get("kind")),
        page=page,
    )
    search = ctx.service(PracticeSearch)
    result = search.search(ctx.session, ctx.community, ctx.taxonomy, query)
    rows = _load(ctx, result.ids)
    counts = P.endorsement_counts(ctx.session, result.ids)
    mine = P.endorsed_by(ctx.session, _member_id(ctx), result.ids)
    data = {
        "practices": [_list_data(p, counts[p.id or 0]) for p in rows],
        "total": result.total,
        "page": page,
    }
    described = _describe_query(ctx, query)
    if result.total == 0:
        if not described:
            return reply(
                Text.of("The shared repertoire is empty so far."),
                Context(spans("Share the first practice with ", Code("/share-practice"), ".")),
                data=data,
            )
        return reply(
            Text.of(f"No approved practice matches {described}."),
            _no_result_hint(ctx, query),
            data=data,
        )
    pages = -(-result.total // PAGE_SIZE)
    if not rows:
        return reply(
            Text.of(
                f"Page {page} is past the end: the {plural(result.total, 'practice')} found fit on "
                f"{plural(pages, 'page')}."
            ),
            data=data,
        )
    blocks: list[Block] = [
        Header(f"Practices matching {described}" if described else "The shared repertoire")
    ]
    if result.partial:
        blocks.append(Context(spans("No practice holds every word; these hold some of them.")))
    for practice in rows:
        assert practice.id is not None
        blocks.append(_item(ctx, practice, counts[practice.id]))
        blocks.append(_item_actions(ctx, practice, practice.id in mine))
    blocks.append(_footer(ctx, args, page, pages, result.total, result.domains))
    return reply(*blocks, data=data)


def _describe_query(ctx: Ctx, query: Query) -> str:
    parts = [repr(query.text)] if query.text else []
    if query.domain:
        parts.append(f"in {ctx.taxonomy.label(query.domain, ctx.language)}")
    if query.country:
        parts.append(f"from {country_name(query.country)}")
    if query.kind:
        parts.append(f"of kind {query.kind}")
    return " ".join(parts)


def _no_result_hint(ctx: Ctx, query: Query) -> Context:
    parts: list[Inline] = []
    if query.text:
        close = ctx.taxonomy.match(query.text).suggestions
        if close:
            names = ", ".join(c.slug for c in close)
            parts.extend(["Closest domains: ", names, ". "])
    parts.extend(["Know one? Share it with ", Code("/share-practice"), "."])
    return Context(spans(*parts))


def _footer(
    ctx: Ctx, args: Args, page: int, pages: int, total: int, domains: Sequence[str]
) -> Context:
    first = (page - 1) * PAGE_SIZE + 1
    last = min(page * PAGE_SIZE, total)
    parts: list[Inline] = [f"{first}–{last} of {plural(total, 'practice')}"]
    if page < pages:
        words = [args.rest] if args.rest else []
        words += [f"{k}:{v}" for k, v in args.options.items() if k != "page"]
        parts.extend([" · next page: ", Code(" ".join(["/practices", *words, f"page:{page + 1}"]))])
    if domains:
        labels = ", ".join(ctx.taxonomy.label(s, ctx.language) for s in domains)
        parts.append(f" · read as the domain{'s' if len(domains) > 1 else ''} {labels}")
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
    raise UsageError(
        f"domain:{text[:40]} is not a domain I know" + (f"; closest: {close}." if close else "."),
        hint="Type /domains to see them all.",
    )


def _country_option(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return parse_country(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _kind_option(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return P.parse_kind(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _pending(ctx: Ctx, page: int) -> Reply:
    ctx.require(Role.CURATOR, "see the practices waiting for review")
    where = (Practice.community_id == ctx.community_id, Practice.status == P.PENDING)
    total = _count(ctx, *where)
    rows = list(
        ctx.session.exec(
            select(Practice)
            .where(*where)
            .order_by(col(Practice.created_at), col(Practice.id))
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).all()
    )
    data = _list_reply_data(ctx, rows, total, page)
    if total == 0:
        return reply(Text.of("Nothing waits for review. Well done!"), data=data)
    authors = P.members_by_id(ctx.session, [p.author_id for p in rows])
    blocks: list[Block] = [Header(f"Waiting for review ({total})")]
    for practice in rows:
        assert practice.id is not None
        author = authors.get(practice.author_id) if practice.author_id else None
        blocks.append(_item(ctx, practice, 0, extra=spans(" · shared by ", _author_inline(author))))
        blocks.append(
            Actions(
                (
                    Button("Approve", f"/practice approve {practice.id}", "primary"),
                    Button("Reject…", f"/practice reject {practice.id}", "danger"),
                    Button("Details", f"/practice {practice.id}"),
                )
            )
        )
    blocks.append(_page_footer("/practices pending", page, total))
    blocks.append(
        Context(
            spans(
                "Reject with a reason the author can act on: ",
                Code("/practice reject ID REASON"),
                ".",
            )
        )
    )
    return reply(*blocks, data=data)


def _stale(ctx: Ctx, page: int) -> Reply:
    total = P.count_stale(ctx.session, ctx.community_id, ctx.now)
    rows = P.stale(ctx.session, ctx.community_id, ctx.now, limit=page * PAGE_SIZE)[
        (page - 1) * PAGE_SIZE :
    ]
    data = _list_reply_data(ctx, rows, total, page)
    if total == 0:
        return reply(Text.of("No practice is due for review."), data=data)
    counts = P.endorsement_counts(ctx.session, [p.id for p in rows if p.id is not None])
    blocks: list[Block] = [Header(f"Due for review ({total})")]
    for practice in rows:
        assert practice.id is not None
        due = spans(f" · review was due {_date(ctx, practice.review_by)}")
        blocks.append(_item(ctx, practice, counts[practice.id], extra=due))
        if ctx.has(Role.CURATOR):
            blocks.append(
                Actions((Button("Still current", f"/practice approve {practice.id}", "primary"),))
            )
    blocks.append(_page_footer("/practices stale", page, total))
    blocks.append(
        Context(
            spans(
                "Curators: check each is still current, then ",
                Code("/practice approve ID"),
                " (renews it for a year), ",
                Code("/practice edit ID"),
                " or ",
                Code("/practice reject ID REASON"),
                ".",
            )
        )
    )
    return reply(*blocks, data=data)


def _mine(ctx: Ctx, page: int) -> Reply:
    where = (Practice.community_id == ctx.community_id, Practice.author_id == ctx.member.id)
    total = _count(ctx, *where)
    rows = list(
        ctx.session.exec(
            select(Practice)
            .where(*where)
            .order_by(col(Practice.created_at).desc(), col(Practice.id).desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).all()
    )
    data = _list_reply_data(ctx, rows, total, page)
    if total == 0:
        return reply(
            Text.of(
                "You have not shared a practice yet. Share one with ", Code("/share-practice"), "."
            ),
            data=data,
        )
    counts = P.endorsement_counts(ctx.session, [p.id for p in rows if p.id is not None])
    blocks: list[Block] = [Header(f"Your practices ({total})")]
    for practice in rows:
        assert practice.id is not None
        status = spans(f" · {_status_phrase(practice)}")
        blocks.append(_item(ctx, practice, counts[practice.id], extra=status))
    blocks.append(_page_footer("/practices mine", page, total))
    return reply(*blocks, data=data)


def _count(ctx: Ctx, *where: Any) -> int:
    return int(ctx.session.exec(select(func.count()).select_from(Practice).where(*where)).one())


def _list_reply_data(ctx: Ctx, rows: Sequence[Practice], total: int, page: int) -> dict[str, Any]:
    counts = P.endorsement_counts(ctx.session, [p.id for p in rows if p.id is not None])
    return {
        "practices": [{**_list_data(p, counts[p.id or 0]), "status": p.status} for p in rows],
        "total": total,
        "page": page,
    }


def _page_footer(base: str, page: int, total: int) -> Context:
    pages = max(1, -(-total // PAGE_SIZE))
    parts: list[Inline] = [f"Page {page} of {pages}"]
    if page < pages:
        parts.extend([" · next: ", Code(f"{base} page:{page + 1}")])
    return Context(spans(*parts))


# ---- /practice ---------------------------------------------------------------------------------


@command(
    "practice",
    summary="Show a practice in full; its author or a curator edits it; curators approve or reject.",
    syntax=(
        "ID",
        "edit ID KEY: VALUE; KEY: VALUE",
        "history ID",
        "approve ID",
        "reject ID REASON",
    ),
    examples=(
        "/practice 1",
        "/practice edit 1 target-group: young migrants aged 18 to 30; results: 60% in work "
        "after six months",
        "/practice history 1",
        "/practice approve 1",
        "/practice reject 1 Out of date: the programme ended in 2025",
    ),
    details=(
        "Edits take the same fields as /share-practice; an empty value or `-` clears an "
        "optional field. Every change is kept in the history. Approving an approved practice "
        "renews its review date for a year. Rejecting needs a reason, which the author receives."
    ),
    parse="raw",
)
def practice_command(ctx: Ctx, args: Args) -> Reply:
    parts = args.text.split(maxsplit=2)
    if not parts:
        raise UsageError("Which practice? Give its number, e.g. `/practice 12`.")
    action = parts[0].lower()
    if action in {"edit", "history", "approve", "reject"}:
        if len(parts) < 2:
            raise UsageError(f"`/practice {action}` needs the practice's number.")
        rest = parts[2] if len(parts) > 2 else ""
        if action == "edit":
            return _edit(ctx, parts[1], rest)
        if action == "history":
            _no_extra(action, rest)
            return _history(ctx, parts[1])
        if action == "approve":
            _no_extra(action, rest)
            return _approve(ctx, parts[1])
        return _reject(ctx, parts[1], rest)
    if len(parts) > 1:
        raise UsageError(
            f"I don't know `/practice {parts[0][:30]}`: use a number, edit, history, approve or "
            "reject."
        )
    return _show(ctx, parts[0])


def _no_extra(action: str, rest: str) -> None:
    if rest.strip():
        raise UsageError(f"`/practice {action} ID` takes nothing after the number.")


def _show(ctx: Ctx, id_text: str) -> Reply:
    practice = _find(ctx, id_text)
    assert practice.id is not None
    pid = practice.id
    author = _author(ctx, practice)
    endorsements = P.endorsement_counts(ctx.session, [pid])[pid]
    endorsed = pid in P.endorsed_by(ctx.session, _member_id(ctx), [pid])
    lang = ctx.language
    blocks: list[Block] = [Header(f"#{pid} {practice.title}"), Text.of(practice.summary)]
    fields: list[tuple[str, Spans]] = [
        ("Kind", spans(practice.kind)),
        ("Domains", spans(", ".join(ctx.taxonomy.label(d, lang) for d in practice.domains))),
    ]
    where = ", ".join(x for x in (practice.city, country_name(practice.country)) if x)
    optional: list[tuple[str, Spans]] = [
        ("Where", spans(where)),
        ("Organisation", spans(practice.organisation)),
        ("Language", spans(language_name(practice.language) if practice.language else None)),
        ("Target group", spans(practice.target_group)),
        ("Link", spans(Link(practice.link) if practice.link else None)),
        ("Tags", spans(", ".join(practice.tags))),
        ("Contact", spans(practice.contact)),
        ("Licence", spans(practice.licence)),
    ]
    fields.extend((label, value) for label, value in optional if value)
    blocks.append(Fields(tuple(fields)))
    for key in P.BENCHMARK_FIELDS:
        spec = P.BY_KEY[key]
        value = getattr(practice, spec.attr)
        if value:
            blocks.append(Text.of(Bold(spec.label), "\n", value))
    meta: list[Inline] = ["Shared by ", _author_inline(author)]
    meta.append(f" on {_date(ctx, practice.created_at)} · {plural(endorsements, 'endorsement')}")
    if practice.status == P.APPROVED:
        meta.append(f" · approved {_date(ctx, practice.approved_at)}")
        if practice.review_by is not None:
            overdue = practice.review_by < ctx.now
            meta.append(
                f" · review {'was due' if overdue else 'by'} {_date(ctx, practice.review_by)}"
            )
    else:
        meta.append(f" · {_status_phrase(practice)}")
    blocks.append(Context(spans(*meta)))
    buttons: list[Button] = []
    if practice.status == P.APPROVED and not _is_author(ctx, practice):
        buttons.append(
            Button("Undo endorsement", f"/endorse {pid} undo")
            if endorsed
            else Button("Endorse", f"/endorse {pid}", "primary")
        )
    if practice.status == P.PENDING and ctx.has(Role.CURATOR):
        buttons.append(Button("Approve", f"/practice approve {pid}", "primary"))
        buttons.append(Button("Reject…", f"/practice reject {pid}", "danger"))
    if practice.status == P.NEEDS_CONFIRMATION:
        buttons.append(Button("Confirm: no personal data", f"/share-practice confirm {pid}"))
    buttons.append(Button("History", f"/practice history {pid}"))
    blocks.append(Actions(tuple(buttons)))
    data = _full_data(practice, author, endorsements)
    data["endorsed_by_you"] = endorsed
    return reply(*blocks, data={"practice": data})


def _edit(ctx: Ctx, id_text: str, text: str) -> Reply:
    practice = _find(ctx, id_text)
    assert practice.id is not None
    is_author = _is_author(ctx, practice)
    if not (is_author or ctx.has(Role.CURATOR)):
        raise PermissionDenied(
            f"Only the author of #{practice.id} or a curator can edit it.",
            hint=f"Suggest the change to the author, or ask a curator. {ctx.who_can_grant(Role.CURATOR)}",
        )
    if not text.strip():
        raise UsageError(f"Say what to change, e.g. `/practice edit {practice.id} city: Bologna`.")
    pairs = parse_form(text)
    parsed, _ = P.read_fields(ctx.taxonomy, pairs, creating=False)
    if parsed.problems:
        return _invalid(parsed.problems, None)
    findings = P.scan_personal_data(parsed.values)
    diff = P.apply_changes(ctx.session, practice, parsed.values, editor=ctx.member, now=ctx.now)
    if not diff:
        raise CommandError(f"Nothing changed: #{practice.id} already says that.")
    notes: list[Block] = []
    if findings and practice.status != P.NEEDS_CONFIRMATION:
        P.set_status(ctx.session, practice, P.NEEDS_CONFIRMATION, editor=ctx.member, now=ctx.now)
    if practice.status == P.NEEDS_CONFIRMATION:
        remaining = P.scan_personal_data(
            {spec.attr: getattr(practice, spec.attr) for spec in P.FIELDS}
        )
        if remaining:
            notes.append(
                Text.of(
                    f"#{practice.id} may hold personal data about people — "
                    + P.describe(remaining)
                    + ". It stays out of the repertoire until you remove it or confirm with ",
                    Code(f"/share-practice confirm {practice.id}"),
                    ".",
                )
            )
        else:
            status = _initial_status(ctx, _author(ctx, practice) or ctx.member)
            P.set_status(ctx.session, practice, status, editor=ctx.member, now=ctx.now)
            notes.append(
                Text.of(
                    f"Thanks: it no longer looks like personal data; it is now {_status_phrase(practice)}."
                )
            )
    elif practice.status == P.REJECTED and is_author:
        P.set_status(ctx.session, practice, P.PENDING, editor=ctx.member, now=ctx.now)
        notes.append(Text.of("It is back in the queue for a curator's review."))
    labels = ", ".join(P.BY_ATTR[a].label.lower() for a in diff)
    return reply(
        Text.of(f"Updated #{practice.id} ", quoted(practice.title), f": {labels}."),
        *notes,
        Context(spans("See every change with ", Code(f"/practice history {practice.id}"), ".")),
        data={
            "practice": _share_data(practice),
            "changes": {a: [jsonable(v) for v in pair] for a, pair in diff.items()},
        },
    )


def _history(ctx: Ctx, id_text: str) -> Reply:
    practice = _find(ctx, id_text)
    revisions = list(
        ctx.session.exec(
            select(PracticeRevision)
            .where(PracticeRevision.practice_id == practice.id)
            .order_by(col(PracticeRevision.at).desc(), col(PracticeRevision.id).desc())
        ).all()
    )
    editors = P.members_by_id(ctx.session, [r.editor_id for r in revisions])
    blocks: list[Block] = [Header(f"History of #{practice.id} {practice.title}")]
    rows = []
    for revision in revisions[:HISTORY_SHOWN]:
        editor = editors.get(revision.editor_id) if revision.editor_id else None
        who: Inline = (
            Mention(editor.handle, editor.display_name)
            if editor
            else (revision.editor_label or "a former member")
        )
        changes = "; ".join(_change_text(k, v) for k, v in revision.changes.items())
        blocks.append(
            Item(title=spans(_datetime(ctx, revision.at), " · ", who), body=spans(changes))
        )
        rows.append(
            {
                "at": revision.at.isoformat(),
                "editor": editor.handle if editor else revision.editor_label,
                "changes": revision.changes,
            }
        )
    if len(revisions) > HISTORY_SHOWN:
        blocks.append(Context(spans(f"… and {len(revisions) - HISTORY_SHOWN} earlier changes.")))
    return reply(*blocks, data={"history": rows, "total": len(revisions)})


def _change_text(attr: str, pair: Any) -> str:
    label = P.BY_ATTR[attr].label.lower() if attr in P.BY_ATTR else attr.replace("_", " ")
    old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
    if attr == "status" and old is None:
        return f"shared ({new})"
    return f"{label}: {_short_value(old)} → {_short_value(new)}"


def _short_value(value: Any) -> str:
    if value is None or value == []:
        return "(empty)"
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return shorten(text.replace("\n", " "), 60)


def _approve(ctx: Ctx, id_text: str) -> Reply:
    ctx.require(Role.CURATOR, "approve practices")
    practice = _find(ctx, id_text)
    assert practice.id is not None
    if practice.status == P.NEEDS_CONFIRMATION:
        raise CommandError(
            f"#{practice.id} waits for its author to confirm it holds no personal data.",
            hint=f"Check it with `/practice {practice.id}`; you can confirm for them with "
            f"`/share-practice confirm {practice.id}`.",
        )
    renewal = practice.status == P.APPROVED
    P.set_status(ctx.session, practice, P.APPROVED, editor=ctx.member, now=ctx.now)
    author = _author(ctx, practice)
    due = _date(ctx, practice.review_by)
    notices: list[Notice] = []
    if not renewal and author is not None and author.id != ctx.member.id:
        notices.append(
            Notice(
                to=mention_of(author),
                blocks=(
                    Text.of(
                        "Good news: your practice #",
                        str(practice.id),
                        " ",
                        quoted(practice.title),
                        " was approved by ",
                        Mention(ctx.member.handle, ctx.member.display_name),
                        " and is now in the shared repertoire.",
                    ),
                    Context(spans("See it with ", Code(f"/practice {practice.id}"), ".")),
                ),
            )
        )
    message = (
        f"#{practice.id} is still current: next review by {due}."
        if renewal
        else f"Approved #{practice.id}: it is now in the shared repertoire (review by {due})."
    )
    return reply(
        Text.of(message),
        data={"practice": _share_data(practice)},
        notices=notices,
    )


def _reject(ctx: Ctx, id_text: str, reason: str) -> Reply:
    ctx.require(Role.CURATOR, "reject practices")
    practice = _find(ctx, id_text)
    assert practice.id is not None
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        raise UsageError(
            "Say why, so the author can improve it: "
            f"`/practice reject {practice.id} Please add the results and a link`."
        )
    if len(reason) > MAX_REASON:
        raise UsageError(f"Keep the reason under {MAX_REASON} characters.")
    if practice.status == P.REJECTED:
        raise CommandError(f"#{practice.id} is already rejected.")
    P.set_status(ctx.session, practice, P.REJECTED, editor=ctx.member, now=ctx.now, reason=reason)
    author = _author(ctx, practice)
    notices: list[Notice] = []
    if author is not None and author.id != ctx.member.id:
        notices.append(
            Notice(
                to=mention_of(author),
                blocks=(
                    Text.of(
                        f"Your practice #{practice.id} ",
                        quoted(practice.title),
                        " was not approved. The curator's reason: ",
                        reason,
                    ),
                    Context(
                        spans(
                            "Improve it with ",
                            Code(f"/practice edit {practice.id} FIELD: new text"),
                            " and it goes back for review.",
                        )
                    ),
                ),
            )
        )
    return reply(
        Text.of(f"Rejected #{practice.id} ", quoted(practice.title), "; the author is told why."),
        data={"practice": _share_data(practice)},
        notices=notices,
    )


# ---- /endorse ----------------------------------------------------------------------------------


@command(
    "endorse",
    summary="Endorse a practice that helped you (one endorsement per member), or undo it.",
    syntax=("ID", "ID undo"),
    examples=("/endorse 2", "/endorse 2 undo"),
    details="Endorsements rank practices in searches and show everywhere the practice does.",
)
def endorse_command(ctx: Ctx, args: Args) -> Reply:
    if not args.words or len(args.words) > 2:
        raise UsageError("Which practice? Give its number, e.g. `/endorse 12`.")
    undo = len(args.words) == 2
    if undo and args.words[1].lower() not in {"undo", "remove", "withdraw"}:
        raise UsageError(
            f"`/endorse ID` takes only `undo` after the number, not {args.words[1][:30]!r}."
        )
    practice = _find(ctx, args.words[0])
    assert practice.id is not None
    pid = practice.id
    if practice.status != P.APPROVED:
        raise CommandError(f"#{pid} is not in the repertoire yet ({_status_phrase(practice)}).")
    if undo:
        if not P.unendorse(ctx.session, practice, ctx.member):
            raise CommandError(f"You have not endorsed #{pid}, so there is nothing to undo.")
        done = "You no longer endorse"
    else:
        if _is_author(ctx, practice):
            raise CommandError(
                "You shared this practice, so you cannot endorse it; ask the members it "
                "helped to endorse it."
            )
        if not P.endorse(ctx.session, practice, ctx.member, ctx.now):
            raise CommandError(
                f"You already endorse #{pid}.", hint=f"Undo it with `/endorse {pid} undo`."
            )
        done = "You endorse"
    count = P.endorsement_counts(ctx.session, [pid])[pid]
    return reply(
        Text.of(
            f"{done} #{pid} ", quoted(practice.title), f"; it has {plural(count, 'endorsement')}."
        ),
        data={"practice": {"id": pid, "endorsements": count, "endorsed": not undo}},
    )


# ---- shared pieces -----------------------------------------------------------------------------


def _find(ctx: Ctx, id_text: str) -> Practice:
    """The practice, if this member may see it: approved ones for everyone, others for their
    author and curators. Anything else reads as "no such practice", so nothing leaks."""
    pid = P.parse_id(id_text)
    if pid is None:
        raise UsageError(f"{id_text[:30]!r} is not a practice number; practices look like #12.")
    practice = P.get(ctx.session, ctx.community_id, pid)
    if practice is None or not (
        practice.status == P.APPROVED or _is_author(ctx, practice) or ctx.has(Role.CURATOR)
    ):
        raise CommandError(
            f"There is no practice #{pid}.",
            hint="Search with `/practices WORDS`, or see yours with `/practices mine`.",
        )
    return practice


def _is_author(ctx: Ctx, practice: Practice) -> bool:
    return practice.author_id is not None and practice.author_id == ctx.member.id


def _member_id(ctx: Ctx) -> int:
    assert ctx.member.id is not None
    return ctx.member.id


def _author(ctx: Ctx, practice: Practice) -> Member | None:
    return ctx.session.get(Member, practice.author_id) if practice.author_id else None


def _author_inline(author: Member | None) -> Inline:
    return Mention(author.handle, author.display_name) if author else "a former member"


def _load(ctx: Ctx, ids: Sequence[int]) -> list[Practice]:
    if not ids:
        return []
    found = {
        p.id: p
        for p in ctx.session.exec(select(Practice).where(col(Practice.id).in_(list(ids)))).all()
    }
    return [found[i] for i in ids if i in found]


def _item(ctx: Ctx, practice: Practice, endorsements: int, *, extra: Spans = ()) -> Item:
    lang = ctx.language
    meta: list[Inline] = [
        practice.kind,
        " · ",
        ", ".join(ctx.taxonomy.label(d, lang) for d in practice.domains),
    ]
    if practice.country:
        meta.extend([" · ", country_name(practice.country) or practice.country])
    meta.append(f" · {plural(endorsements, 'endorsement')}")
    if practice.link:
        meta.extend([" · ", Link(practice.link)])
    meta.extend(extra)
    return Item(
        title=spans(f"#{practice.id} ", practice.title),
        body=spans(shorten(practice.summary, 240)),
        meta=spans(*meta),
    )


def _item_actions(ctx: Ctx, practice: Practice, endorsed: bool) -> Actions:
    buttons = [Button("Details", f"/practice {practice.id}")]
    if not _is_author(ctx, practice):
        buttons.insert(
            0,
            Button("Undo endorsement", f"/endorse {practice.id} undo")
            if endorsed
            else Button("Endorse", f"/endorse {practice.id}", "primary"),
        )
    return Actions(tuple(buttons))


def _share_data(practice: Practice) -> dict[str, Any]:
    return {
        "id": practice.id,
        "status": practice.status,
        "title": practice.title,
        "kind": practice.kind,
        "domains": list(practice.domains),
        "country": practice.country,
        "link": practice.link,
    }


def _list_data(practice: Practice, endorsements: int) -> dict[str, Any]:
    return {
        "id": practice.id,
        "title": practice.title,
        "kind": practice.kind,
        "domains": list(practice.domains),
        "country": practice.country,
        "endorsements": endorsements,
        "link": practice.link,
    }


def _full_data(practice: Practice, author: Member | None, endorsements: int) -> dict[str, Any]:
    data: dict[str, Any] = {"id": practice.id, "status": practice.status}
    for spec in P.FIELDS:
        value = getattr(practice, spec.attr)
        data[spec.attr] = list(value) if isinstance(value, list) else value
    data.update(
        {
            "author": author.handle if author else None,
            "endorsements": endorsements,
            "created_at": jsonable(practice.created_at),
            "updated_at": jsonable(practice.updated_at),
            "approved_at": jsonable(practice.approved_at),
            "review_by": jsonable(practice.review_by),
            "rejected_reason": practice.rejected_reason,
        }
    )
    return data


def _status_phrase(practice: Practice) -> str:
    if practice.status == P.PENDING:
        return "waiting for a curator's review"
    if practice.status == P.NEEDS_CONFIRMATION:
        return "waiting for the author to confirm it holds no personal data"
    if practice.status == P.REJECTED:
        reason = f" ({practice.rejected_reason})" if practice.rejected_reason else ""
        return f"rejected{reason}"
    return "approved"


def _zone(ctx: Ctx) -> ZoneInfo:
    try:
        return ZoneInfo(ctx.community.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _date(ctx: Ctx, at: datetime | None) -> str:
    return at.astimezone(_zone(ctx)).date().isoformat() if at else "?"


def _datetime(ctx: Ctx, at: datetime) -> str:
    return at.astimezone(_zone(ctx)).strftime("%Y-%m-%d %H:%M")
