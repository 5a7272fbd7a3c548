"""`/share-practice`: the form a member fills in to add to the repertoire, and the confirmation
that a practice flagged for personal data holds none. The rules are in `cop_bot/practices/`."""

from __future__ import annotations

import re
from collections.abc import Sequence

from cop_bot.core.args import Args, form_key, parse_form, parse_handle
from cop_bot.core.errors import CommandError, PermissionDenied, UsageError
from cop_bot.core.i18n import N_, _
from cop_bot.core.model import (
    Actions,
    Code,
    Context,
    Notice,
    Reply,
    Role,
    Text,
    reply,
)
from cop_bot.core.router import Ctx, command
from cop_bot.core.wording import ECHO_LIMIT, phrase, shorten
from cop_bot.handlers.practices.common import (
    button,
    find_practice,
    invalid,
    item,
    member_inline,
    share_data,
    status_phrase,
    tell,
)
from cop_bot.practices import changes
from cop_bot.practices.fields import FORM_KEYS, canonical_key, read_fields, template
from cop_bot.practices.personal_data import Finding, describe
from cop_bot.practices.queries import author_of
from cop_bot.practices.review import NEEDS_CONFIRMATION, PENDING, may_change
from cop_bot.storage.models import Member, Practice

SHARE_EXAMPLES = (
    # Not marked for translation: Babel reads "60% o" as a %-placeholder every language would
    # have to repeat.
    "/share-practice Job-readiness workshops for young migrants; summary: Six weekly workshops "
    "on CVs, interviews and work permits, run with local employers. 60% of participants found "
    "work within six months.; domains: labour market; country: MA; city: Casablanca; "
    "link: https://example.org/job-readiness",
    N_(
        "/share-practice Neighbourhood language cafés; summary: Volunteers host weekly "
        "conversation tables in public libraries where newcomers practise Italian with "
        "residents.; domains: language learning, neighbourhood participation; country: IT; "
        "city: Bologna; author: @giulia.ferrante"
    ),
)


@command(
    "share-practice",
    summary=N_("Share a good practice, resource or toolkit with the community."),
    syntax=(
        "TITLE; summary: TEXT; domains: DOMAIN, DOMAIN [; kind: K] [; country: XX] [; link: URL] …",
        "confirm ID",
    ),
    examples=SHARE_EXAMPLES,
    details=N_(
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
        return invalid(
            [_("Tell me about the practice: a title, a summary and its domains.")], template({})
        )
    try:
        pairs = _read_share_form(args.text)
    except UsageError as exc:
        return invalid([exc.message], template({}))
    parsed, extras = read_fields(ctx.taxonomy, pairs, creating=True, extra_keys=("author",))
    on_behalf_of: str | None = None
    if "author" in extras:
        if not ctx.has(Role.CURATOR):
            parsed.problems.append(
                _(
                    "Only curators and admins can share on someone's behalf (`author:`); leave "
                    "it out to share as yourself."
                )
            )
        else:
            try:
                on_behalf_of = parse_handle(extras["author"])
            except UsageError as exc:
                parsed.problems.append(_("Author: {problem}").format(problem=exc.message))
        parsed.raw["author"] = extras["author"]
    if parsed.problems:  # nothing is written: not even the member named as author
        return invalid(parsed.problems, _filled_template(parsed.raw))
    practice, findings = changes.share(
        ctx.session,
        ctx,
        parsed.values,
        on_behalf_of=on_behalf_of,
        channel_id=ctx.invocation.conversation.channel_id,
        now=ctx.now,
    )
    author = author_of(ctx.session, practice)
    notices = tell(
        ctx,
        author,
        lambda: (
            Text(
                phrase(
                    _("{curator} shared a practice on your behalf: #{id} “{title}”."),
                    curator=member_inline(ctx.member),
                    id=str(practice.id),
                    title=practice.title,
                )
            ),
            Context(phrase(_("See it with {command}."), command=Code(f"/practice {practice.id}"))),
        ),
    )
    return _after_share(ctx, practice, author, findings, notices)


_KEYS = FORM_KEYS | {"author"}


def _read_share_form(text: str) -> list[tuple[str, str]]:
    """`parse_form` with one kindness: a first line like `Welcome desks: a one-stop shop`, whose
    "key" is no field, is the title (titles often hold a colon)."""
    first, rest = _split_first(text)
    found = form_key(first)
    if found is not None:
        key = found[0]
        if canonical_key(key) is None and key != "author":
            title = first.replace("\\;", ";").strip()
            return [("title", title), *(parse_form(rest, keys=_KEYS) if rest.strip() else [])]
    return parse_form(text, title_key="title", keys=_KEYS)


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
    text = template(raw)
    if "author" in raw:
        text += f"\nauthor: {shorten(raw['author'], ECHO_LIMIT)}"
    return text


def _after_share(
    ctx: Ctx,
    practice: Practice,
    author: Member | None,
    findings: Sequence[Finding],
    notices: Sequence[Notice] = (),
) -> Reply:
    assert practice.id is not None
    data = {"practice": share_data(practice)}
    pid = practice.id
    if practice.status == NEEDS_CONFIRMATION:
        return reply(
            Text.of(
                _(
                    "Before #{id} “{title}” goes further: it looks like it may hold personal "
                    "data about people — {findings}."
                ).format(id=pid, title=practice.title, findings=describe(findings)),
            ),
            Text(
                phrase(
                    _(
                        "Practices are shared with the whole community, so remove anything "
                        "that identifies a person with {edit}. If it is not personal data (an "
                        "office phone line, a public reference), confirm with {confirm}."
                    ),
                    edit=Code(_("/practice edit {id} FIELD: new text").format(id=pid)),
                    confirm=Code(f"/share-practice confirm {pid}"),
                )
            ),
            Actions((button(_("Confirm: no personal data"), f"/share-practice confirm {pid}"),)),
            data=data,
            notices=notices,
        )
    if practice.status == PENDING:
        return reply(
            Text.of(
                _(
                    "Thanks! #{id} “{title}” is waiting for a curator's review; I will tell you "
                    "when it is approved."
                ).format(id=pid, title=practice.title),
            ),
            Context(
                phrase(_("See what you shared with {command}."), command=Code("/practices mine"))
            ),
            data=data,
            notices=notices,
        )
    return reply(
        Text(
            phrase(
                _("New in the shared repertoire, shared by {author}:"),
                author=member_inline(author),
            )
        ),
        item(ctx, practice, 0),
        Context(
            phrase(
                _("Details: {show} · found it useful? {endorse}"),
                show=Code(f"/practice {pid}"),
                endorse=Code(f"/endorse {pid}"),
            )
        ),
        Actions((button(_("Endorse"), f"/endorse {pid}", "primary"),)),
        visibility="channel",
        data=data,
        notices=notices,
    )


def _confirm(ctx: Ctx, id_text: str) -> Reply:
    practice = find_practice(ctx, id_text)
    if not may_change(practice, ctx):
        raise PermissionDenied(_("Only the author or a curator can confirm a practice."))
    if practice.status != NEEDS_CONFIRMATION:
        raise CommandError(
            _("#{id} does not wait for a confirmation; it is {status}.").format(
                id=practice.id, status=status_phrase(practice)
            )
        )
    author = changes.confirm(ctx.session, ctx, practice, ctx.now)
    return _after_share(ctx, practice, author, ())
