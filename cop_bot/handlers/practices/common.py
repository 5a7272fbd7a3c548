"""What the practice commands show alike: a practice as a list item, its status in words, its
data in `--json`, dates in the member's zone, and the one way a practice number is looked up."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from cop_bot.core.errors import CommandError, PermissionDenied, UsageError
from cop_bot.core.i18n import _, n_
from cop_bot.core.model import (
    Actions,
    Block,
    Button,
    Code,
    Context,
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
from cop_bot.core.router import Ctx, role_phrase
from cop_bot.core.times import first_zone, show_date, show_datetime
from cop_bot.core.wording import mention_of, phrase, shorten
from cop_bot.experts.profiles import country_name
from cop_bot.groups.rules import focal_groups
from cop_bot.practices.fields import FIELDS, kind_label
from cop_bot.practices.queries import get, practice_number
from cop_bot.practices.review import (
    NEEDS_CONFIRMATION,
    PENDING,
    REJECTED,
    is_author,
    may_curate,
    may_see,
)
from cop_bot.storage.models import Member, Practice


def find_practice(ctx: Ctx, id_text: str) -> Practice:
    """The practice, if this member may see it. Anything else reads as "no such practice", so
    nothing leaks."""
    pid = practice_number(id_text)
    if pid is None:
        raise UsageError(
            _("{text} is not a practice number; practices look like #12.").format(
                text=repr(id_text[:30])
            )
        )
    practice = get(ctx.session, ctx.community_id, pid)
    if practice is None or not (may_see(practice, ctx) or may_curate(ctx.session, practice, ctx)):
        raise CommandError(
            _("There is no practice #{id}.").format(id=pid),
            hint=_("Search with `/practices WORDS`, or see yours with `/practices mine`."),
        )
    return practice


def practice_to_curate(ctx: Ctx, id_text: str, doing: str) -> Practice:
    """The practice, if this member may curate it: curators any, a group's focal points those
    shared in their group (issue 18). Anyone else is refused as before, naming the role."""
    if ctx.has(Role.CURATOR):
        return find_practice(ctx, id_text)
    if focal_groups(ctx.session, ctx.member):
        practice = find_practice(ctx, id_text)
        if may_curate(ctx.session, practice, ctx):
            return practice
    raise PermissionDenied(
        role_phrase(Role.CURATOR).format(doing=doing), hint=ctx.who_can_grant(Role.CURATOR)
    )


def member_id(ctx: Ctx) -> int:
    assert ctx.member.id is not None
    return ctx.member.id


def member_inline(member: Member | None) -> Inline:
    return Mention(member.handle, member.display_name) if member else _("a former member")


def tell(ctx: Ctx, member: Member | None, write: Callable[[], Sequence[Block]]) -> list[Notice]:
    """A direct message to `member` about what someone else did (none when it was them),
    `write` building its blocks in the member's own language."""
    if member is None or member.id == ctx.member.id:
        return []
    with ctx.writing_to(member):
        return [Notice(to=mention_of(member), blocks=tuple(write()))]


def item(ctx: Ctx, practice: Practice, endorsements: int, *, extra: Spans = ()) -> Item:
    lang = ctx.language
    meta: list[Inline] = [
        kind_label(practice.kind),
        " · ",
        ", ".join(ctx.taxonomy.label(d, lang) for d in practice.domains),
    ]
    if practice.country:
        meta.extend([" · ", country_name(practice.country) or practice.country])
    meta.append(" · " + endorsement_count(endorsements))
    if practice.link:
        meta.extend([" · ", Link(practice.link)])
    meta.extend(extra)
    return Item(
        title=spans(f"#{practice.id} ", practice.title),
        body=spans(shorten(practice.summary, 240)),
        meta=spans(*meta),
    )


ButtonStyle = Literal["default", "primary", "danger"]


def button(label: str, command: str, style: ButtonStyle = "default") -> Button:
    """A `Button` whose label is already translated: the command it runs and its style are
    no words (the gettext scan of `tests/test_catalogues.py` reads every `Button(...)`
    argument as one)."""
    return Button(label, command, style)


def endorsement_count(count: int) -> str:
    """`3 endorsements`, with the language's plural forms (Arabic has six)."""
    return n_(count, "{count} endorsement", "{count} endorsements")


def endorse_button(practice_id: int | None, endorsed: bool) -> Button:
    if endorsed:
        return button(_("Undo endorsement"), f"/endorse {practice_id} undo")
    return button(_("Endorse"), f"/endorse {practice_id}", "primary")


def item_actions(ctx: Ctx, practice: Practice, endorsed: bool) -> Actions:
    buttons = [button(_("Details"), f"/practice {practice.id}")]
    if not is_author(practice, ctx.member):
        buttons.insert(0, endorse_button(practice.id, endorsed))
    return Actions(tuple(buttons))


def invalid(problems: Sequence[str], template: str | None) -> Reply:
    """What is wrong with a form; for a new practice, also the form to copy and complete."""
    heading = (
        _("I could not share this practice yet:")
        if template is not None
        else _("I could not make this change:")
    )
    blocks: list[Block] = [Text.of(heading)]
    blocks.extend(Item(title=spans(problem)) for problem in problems)
    if template is not None:
        blocks.append(Text.of(_("Copy this, complete it and send it again:")))
        blocks.append(Text.of(Code(template)))
        blocks.append(
            Context(
                phrase(
                    _("Optional fields: {fields}. Type {command} for details."),
                    fields=", ".join(f.key for f in FIELDS if not f.required),
                    command=Code("/help share-practice"),
                )
            )
        )
    data: dict[str, Any] = {
        "code": "invalid",
        "message": " ".join([heading, *problems]),
        "problems": list(problems),
    }
    if template is not None:
        data["template"] = template
    return replace(reply(*blocks, data={"error": data}), status=Status.USER_ERROR)


def share_data(practice: Practice) -> dict[str, Any]:
    return {
        "id": practice.id,
        "status": practice.status,
        "title": practice.title,
        "kind": practice.kind,
        "domains": list(practice.domains),
        "country": practice.country,
        "link": practice.link,
    }


def list_data(practice: Practice, endorsements: int) -> dict[str, Any]:
    return {
        "id": practice.id,
        "title": practice.title,
        "kind": practice.kind,
        "domains": list(practice.domains),
        "country": practice.country,
        "endorsements": endorsements,
        "link": practice.link,
    }


def status_phrase(practice: Practice) -> str:
    if practice.status == PENDING:
        return _("waiting for a curator's review")
    if practice.status == NEEDS_CONFIRMATION:
        return _("waiting for the author to confirm it holds no personal data")
    if practice.status == REJECTED:
        if practice.rejected_reason:
            return _("rejected ({reason})").format(reason=practice.rejected_reason)
        return _("rejected")
    return _("approved")


def viewer_zone(ctx: Ctx) -> ZoneInfo:
    """Practice dates read in the member's zone, else the community's (else UTC)."""
    return first_zone(ctx.member.timezone, ctx.community.timezone)


def local_date(ctx: Ctx, at: datetime | None) -> str:
    """`Wed 1 Dec 2027` (`?` for a date an import left out)."""
    return show_date(at, viewer_zone(ctx)) if at else "?"


def local_time(ctx: Ctx, at: datetime) -> str:
    """`Wed 1 Dec 2027, 21:29 CET`."""
    return show_datetime(at, viewer_zone(ctx))
