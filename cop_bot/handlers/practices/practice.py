"""`/practice`: one practice in full and its history; its sub-commands `edit`, `approve` and
`reject` (the curation work) are in `curation.py`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect

from cop_bot.core.args import Args
from cop_bot.core.errors import UsageError
from cop_bot.core.i18n import N_, _, n_
from cop_bot.core.model import (
    Actions,
    Block,
    Bold,
    Button,
    Context,
    Fields,
    Header,
    Inline,
    Item,
    Link,
    Reply,
    Spans,
    Text,
    reply,
    spans,
)
from cop_bot.core.router import Ctx, command
from cop_bot.core.wording import jsonable, phrase, shorten
from cop_bot.experts.profiles import country_name, language_name
from cop_bot.handlers.practices import curation
from cop_bot.handlers.practices.common import (
    button,
    endorse_button,
    endorsement_count,
    find_practice,
    local_date,
    local_time,
    member_id,
    member_inline,
    status_phrase,
)
from cop_bot.library import tokens
from cop_bot.practices import queries
from cop_bot.practices.fields import (
    BENCHMARK_FIELDS,
    BY_ATTR,
    BY_KEY,
    FIELDS,
    field_name,
    kind_label,
    label,
)
from cop_bot.practices.review import APPROVED, NEEDS_CONFIRMATION, PENDING, is_author, may_curate
from cop_bot.storage import repos
from cop_bot.storage.models import Member, Practice
from cop_bot.storage.types import UTCDateTime

HISTORY_SHOWN = 20
DATE_ATTRS = frozenset(c.key for c in inspect(Practice).columns if isinstance(c.type, UTCDateTime))
"""The practice's dates (`review_by`, ...), which the history keeps as ISO stamps."""


@command(
    "practice",
    summary=N_(
        "Show a practice in full; its author or a curator edits it; curators approve or reject."
    ),
    syntax=(
        "ID",
        "edit ID KEY: VALUE; KEY: VALUE",
        "history ID",
        "approve ID",
        "reject ID REASON",
    ),
    examples=(
        "/practice 1",
        # Not marked for translation: Babel reads "60% i" as a %-placeholder every language
        # would have to repeat.
        "/practice edit 1 target-group: young migrants aged 18 to 30; results: 60% in work "
        "after six months",
        "/practice history 1",
        "/practice approve 1",
        N_("/practice reject 1 Out of date: the programme ended in 2025"),
    ),
    details=N_(
        "Edits take the same fields as /share-practice; an empty value or `-` clears an "
        "optional field. Every change is kept in the history. Approving an approved practice "
        "renews its review date for a year. Rejecting needs a reason, which the author receives."
    ),
    parse="raw",
)
def practice_command(ctx: Ctx, args: Args) -> Reply:
    parts = args.text.split(maxsplit=2)
    if not parts:
        raise UsageError(_("Which practice? Give its number, e.g. `/practice 12`."))
    action = parts[0].lower()
    if action in {"edit", "history", "approve", "reject"}:
        if len(parts) < 2:
            raise UsageError(
                _("`/practice {action}` needs the practice's number.").format(action=action)
            )
        rest = parts[2] if len(parts) > 2 else ""
        if action == "edit":
            return curation.edit(ctx, parts[1], rest)
        if action == "history":
            _no_extra(action, rest)
            return _history(ctx, parts[1])
        if action == "approve":
            _no_extra(action, rest)
            return curation.approve(ctx, parts[1])
        return curation.reject(ctx, parts[1], rest)
    if len(parts) > 1:
        raise UsageError(
            _(
                "I don't know `/practice {word}`: use a number, edit, history, approve or reject."
            ).format(word=parts[0][:30])
        )
    return _show(ctx, parts[0])


def _no_extra(action: str, rest: str) -> None:
    if rest.strip():
        raise UsageError(
            _("`/practice {action} ID` takes nothing after the number.").format(action=action)
        )


# ---- the practice in full ----------------------------------------------------------------------


def _show(ctx: Ctx, id_text: str) -> Reply:
    practice = find_practice(ctx, id_text)
    assert practice.id is not None
    pid = practice.id
    author = queries.author_of(ctx.session, practice)
    endorsements = queries.endorsement_counts(ctx.session, [pid])[pid]
    endorsed = pid in queries.endorsed_by(ctx.session, member_id(ctx), [pid])
    blocks: list[Block] = [Header(f"#{pid} {practice.title}"), Text.of(practice.summary)]
    blocks.append(_fields(ctx, practice))
    for key in BENCHMARK_FIELDS:
        spec = BY_KEY[key]
        value = getattr(practice, spec.attr)
        if value:
            blocks.append(Text.of(Bold(label(spec)), "\n", value))
    blocks.append(_meta(ctx, practice, author, endorsements))
    blocks.append(_show_actions(ctx, practice, endorsed))
    data = _full_data(practice, author, endorsements)
    web = tokens.practice_urls(ctx.session, ctx.community, ctx.settings.public_url)
    if web is not None and practice.status == APPROVED:  # only approved practices are on the web
        data["web"] = web(pid, practice.title)
        blocks.insert(3, Context(spans(Link(data["web"], _("Read it on the web library")))))
    data["endorsed_by_you"] = endorsed
    return reply(*blocks, data={"practice": data})


def _fields(ctx: Ctx, practice: Practice) -> Fields:
    lang = ctx.language
    fields: list[tuple[str, Spans]] = [
        (_("Kind"), spans(kind_label(practice.kind))),
        (_("Domains"), spans(", ".join(ctx.taxonomy.label(d, lang) for d in practice.domains))),
    ]
    where = ", ".join(x for x in (practice.city, country_name(practice.country)) if x)
    optional: list[tuple[str, Spans]] = [
        (_("Where"), spans(where)),
        (_("Organisation"), spans(practice.organisation)),
        (_("Language"), spans(language_name(practice.language) if practice.language else None)),
        (_("Target group"), spans(practice.target_group)),
        (_("Link"), spans(Link(practice.link) if practice.link else None)),
        (_("Tags"), spans(", ".join(practice.tags))),
        (_("Contact"), spans(practice.contact)),
        (_("Licence"), spans(practice.licence)),
    ]
    fields.extend((label, value) for label, value in optional if value)
    return Fields(tuple(fields))


def _meta(ctx: Ctx, practice: Practice, author: Member | None, endorsements: int) -> Context:
    meta: list[Inline] = list(
        phrase(
            _("Shared by {author} on {date}"),
            author=member_inline(author),
            date=local_date(ctx, practice.created_at),
        )
    )
    meta.append(" · " + endorsement_count(endorsements))
    if practice.status == APPROVED:
        meta.append(_(" · approved {date}").format(date=local_date(ctx, practice.approved_at)))
        if practice.review_by is not None:
            due = local_date(ctx, practice.review_by)
            if practice.review_by < ctx.now:
                meta.append(_(" · review was due {date}").format(date=due))
            else:
                meta.append(_(" · review by {date}").format(date=due))
    else:
        meta.append(f" · {status_phrase(practice)}")
    return Context(spans(*meta))


def _show_actions(ctx: Ctx, practice: Practice, endorsed: bool) -> Actions:
    pid = practice.id
    buttons: list[Button] = []
    if practice.status == APPROVED and not is_author(practice, ctx.member):
        buttons.append(endorse_button(pid, endorsed))
    if practice.status == PENDING and may_curate(ctx.session, practice, ctx):
        buttons.append(button(_("Approve"), f"/practice approve {pid}", "primary"))
        buttons.append(button(_("Reject…"), f"/practice reject {pid}", "danger"))
    if practice.status == NEEDS_CONFIRMATION:
        buttons.append(button(_("Confirm: no personal data"), f"/share-practice confirm {pid}"))
    buttons.append(button(_("History"), f"/practice history {pid}"))
    return Actions(tuple(buttons))


def _full_data(practice: Practice, author: Member | None, endorsements: int) -> dict[str, Any]:
    data: dict[str, Any] = {"id": practice.id, "status": practice.status}
    for spec in FIELDS:
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


# ---- history -----------------------------------------------------------------------------------


def _history(ctx: Ctx, id_text: str) -> Reply:
    practice = find_practice(ctx, id_text)
    revisions = queries.revisions(ctx.session, practice.id)
    editors = repos.members_by_id(ctx.session, [r.editor_id for r in revisions])
    blocks: list[Block] = [
        Header(_("History of #{id} {title}").format(id=practice.id, title=practice.title))
    ]
    rows = []
    for revision in revisions[:HISTORY_SHOWN]:
        editor = editors.get(revision.editor_id) if revision.editor_id else None
        who: Inline = member_inline(editor) if editor else (_editor_label(revision.editor_label))
        changes = "; ".join(_change_text(ctx, k, v) for k, v in revision.changes.items())
        blocks.append(
            Item(title=spans(local_time(ctx, revision.at), " · ", who), body=spans(changes))
        )
        rows.append(
            {
                "at": revision.at.isoformat(),
                "editor": editor.handle if editor else revision.editor_label,
                "changes": revision.changes,
            }
        )
    if len(revisions) > HISTORY_SHOWN:
        earlier = len(revisions) - HISTORY_SHOWN
        blocks.append(
            Context(
                spans(
                    n_(earlier, "… and {count} earlier change.", "… and {count} earlier changes.")
                )
            )
        )
    return reply(*blocks, data={"history": rows, "total": len(revisions)})


def _editor_label(label: str | None) -> str:
    """Who made a change with no member behind it: an import, or someone since erased."""
    if label == "import":
        return _("import")
    return label or _("a former member")


CHANGE_NAMES = {
    "status": N_("status"),
    "review_by": N_("review by"),
    "rejected_reason": N_("rejected reason"),
}
"""What the history calls the attributes that are no form field (`review_by`: review by)."""
STATUS_NAMES = {
    "pending": N_("pending"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "needs-confirmation": N_("needs-confirmation"),
}
"""A status as the history shows it (the value itself is what `--json` carries)."""


def _status_name(value: Any) -> Any:
    return _(STATUS_NAMES[value]) if isinstance(value, str) and value in STATUS_NAMES else value


def _change_name(attr: str) -> str:
    if attr in BY_ATTR:
        return field_name(BY_ATTR[attr])
    if attr in CHANGE_NAMES:
        return _(CHANGE_NAMES[attr])
    return attr.replace("_", " ")


def _change_text(ctx: Ctx, attr: str, pair: Any) -> str:
    name = _change_name(attr)
    old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
    if attr == "status":
        old, new = _status_name(old), _status_name(new)
        if old is None:
            return _("shared ({status})").format(status=new)
    if attr in DATE_ATTRS:
        return f"{name}: {_date_value(ctx, old)} → {_date_value(ctx, new)}"
    return f"{name}: {_short_value(old)} → {_short_value(new)}"


def _date_value(ctx: Ctx, value: Any) -> str:
    """A date kept in the history as an ISO stamp, shown as a date (`Wed 1 Dec 2027`)."""
    try:
        at = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return _short_value(value)
    if at is None:
        return _("(empty)")
    return local_date(ctx, at if at.tzinfo else at.replace(tzinfo=UTC))


def _short_value(value: Any) -> str:
    if value is None or value == []:
        return _("(empty)")
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return shorten(text.replace("\n", " "), 60)
