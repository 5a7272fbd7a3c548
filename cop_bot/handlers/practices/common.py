"""What the practice commands show alike: a practice as a list item, its status in words, its
data in `--json`, dates in the member's zone, and the one way a practice number is looked up."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from cop_bot.core.errors import CommandError, UsageError
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
    Spans,
    Status,
    Text,
    reply,
    spans,
)
from cop_bot.core.router import Ctx
from cop_bot.core.times import first_zone, show_date, show_datetime
from cop_bot.core.wording import mention_of, plural, shorten
from cop_bot.experts.profiles import country_name
from cop_bot.practices.fields import FIELDS
from cop_bot.practices.queries import get, practice_number
from cop_bot.practices.review import NEEDS_CONFIRMATION, PENDING, REJECTED, is_author, may_see
from cop_bot.storage.models import Member, Practice


def find_practice(ctx: Ctx, id_text: str) -> Practice:
    """The practice, if this member may see it. Anything else reads as "no such practice", so
    nothing leaks."""
    pid = practice_number(id_text)
    if pid is None:
        raise UsageError(f"{id_text[:30]!r} is not a practice number; practices look like #12.")
    practice = get(ctx.session, ctx.community_id, pid)
    if practice is None or not may_see(practice, ctx):
        raise CommandError(
            f"There is no practice #{pid}.",
            hint="Search with `/practices WORDS`, or see yours with `/practices mine`.",
        )
    return practice


def member_id(ctx: Ctx) -> int:
    assert ctx.member.id is not None
    return ctx.member.id


def member_inline(member: Member | None) -> Inline:
    return Mention(member.handle, member.display_name) if member else "a former member"


def tell(ctx: Ctx, member: Member | None, *blocks: Block) -> list[Notice]:
    """A direct message to `member` about what someone else did (none when it was them)."""
    if member is None or member.id == ctx.member.id:
        return []
    return [Notice(to=mention_of(member), blocks=blocks)]


def item(ctx: Ctx, practice: Practice, endorsements: int, *, extra: Spans = ()) -> Item:
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


def endorse_button(practice_id: int | None, endorsed: bool) -> Button:
    if endorsed:
        return Button("Undo endorsement", f"/endorse {practice_id} undo")
    return Button("Endorse", f"/endorse {practice_id}", "primary")


def item_actions(ctx: Ctx, practice: Practice, endorsed: bool) -> Actions:
    buttons = [Button("Details", f"/practice {practice.id}")]
    if not is_author(practice, ctx.member):
        buttons.insert(0, endorse_button(practice.id, endorsed))
    return Actions(tuple(buttons))


def invalid(problems: Sequence[str], template: str | None) -> Reply:
    """What is wrong with a form; for a new practice, also the form to copy and complete."""
    heading = (
        "I could not share this practice yet:"
        if template is not None
        else "I could not make this change:"
    )
    blocks: list[Block] = [Text.of(heading)]
    blocks.extend(Item(title=spans(problem)) for problem in problems)
    if template is not None:
        blocks.append(Text.of("Copy this, complete it and send it again:"))
        blocks.append(Text.of(Code(template)))
        blocks.append(
            Context(
                spans(
                    "Optional fields: "
                    + ", ".join(f.key for f in FIELDS if not f.required)
                    + ". Type ",
                    Code("/help share-practice"),
                    " for details.",
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
        return "waiting for a curator's review"
    if practice.status == NEEDS_CONFIRMATION:
        return "waiting for the author to confirm it holds no personal data"
    if practice.status == REJECTED:
        reason = f" ({practice.rejected_reason})" if practice.rejected_reason else ""
        return f"rejected{reason}"
    return "approved"


def viewer_zone(ctx: Ctx) -> ZoneInfo:
    """Practice dates read in the member's zone, else the community's (else UTC)."""
    return first_zone(ctx.member.timezone, ctx.community.timezone)


def local_date(ctx: Ctx, at: datetime | None) -> str:
    """`Wed 1 Dec 2027` (`?` for a date an import left out)."""
    return show_date(at, viewer_zone(ctx)) if at else "?"


def local_time(ctx: Ctx, at: datetime) -> str:
    """`Wed 1 Dec 2027, 21:29 CET`."""
    return show_datetime(at, viewer_zone(ctx))
