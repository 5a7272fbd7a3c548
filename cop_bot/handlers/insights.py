"""`/insights`: the coordinator's view, counts only (the numbers come from `cop_bot.insights`)."""

from __future__ import annotations

from cop_bot.core import i18n
from cop_bot.core.args import Args
from cop_bot.core.errors import PermissionDenied
from cop_bot.core.i18n import N_, _, n_
from cop_bot.core.model import Attachment, Block, Context, Fields, Header, Reply, Role, reply, spans
from cop_bot.core.router import Ctx, command
from cop_bot.experts.profiles import country_name, language_name
from cop_bot.groups import rules as groups
from cop_bot.insights.counts import compute, parse_period

SHOWN = 8
"""Names a Fields row lists before it says how many more: a new community has every domain of
the taxonomy without a practice, and a row of 22 names is not read."""


def _listing(names: list[str], none: str) -> str:
    """`names` joined, the first `SHOWN` only and then how many more."""
    if not names:
        return none
    shown = ", ".join(names[:SHOWN])
    rest = len(names) - SHOWN
    if rest <= 0:
        return shown
    return n_(rest, "{shown} and {count} more", "{shown} and {count} more", shown=shown)


@command(
    "insights",
    summary=N_("Counts for coordinators: questions, coverage gaps, practices, sessions, activity."),
    syntax=("[chart] [period:30d|90d|1y] [group:SLUG]",),
    examples=("/insights", "/insights chart period:90d", "/insights group:housing-working-group"),
    details=N_(
        "For admins, curators and a group's focal points (with group:). Only counts, never "
        "names: questions asked and answered, the share answered within 7 days, the median time "
        "to a first answer, open questions by age, escalations, domains nobody covers, the "
        "repertoire, sessions and weekly active members. Also the languages and countries of "
        "askers that no expert who takes questions speaks or lives in (with how many askers), "
        "and the domains without an approved practice."
    ),
    options=("period", "group"),
    checks_role=True,
)
def insights(ctx: Ctx, args: Args) -> Reply:
    days = parse_period(args.options.get("period"))
    typed = args.options.get("group")
    group = groups.group_or_error(ctx.session, ctx.community_id, typed) if typed else None
    allowed = ctx.has(Role.CURATOR) or (
        group is not None and groups.is_focal(ctx.session, group, ctx.member)
    )
    if not allowed:
        raise PermissionDenied(
            _("Only admins, curators and a group's focal points (with group:) can see insights."),
            hint=ctx.who_can_grant(Role.CURATOR),
        )
    found = compute(
        ctx.session,
        ctx.community_id,
        ctx.now,
        days,
        group,
        domains=[d.slug for d in ctx.taxonomy.domains],
    )
    share = found.answered_within_7_days
    median = found.median_hours_to_first_answer
    ages = found.open_by_age
    active = [n for _w, n in found.weekly_active]
    none = _("none yet")
    rows = (
        (_("Questions asked"), i18n.number(found.asked)),
        (_("Questions answered"), i18n.number(found.answered)),
        (_("Answered within 7 days"), f"{round(share * 100)} %" if share is not None else none),
        (
            _("Median time to a first answer"),
            _("{hours} hours").format(hours=i18n.number(median)) if median is not None else none,
        ),
        (
            _("Open questions by age"),
            _("{young} under 7 days, {middle} 7 to 30 days, {old} older").format(
                young=ages["under_7_days"], middle=ages["7_to_30_days"], old=ages["over_30_days"]
            ),
        ),
        (_("Passed on to more experts"), i18n.number(found.escalated)),
        (_("Need a hand"), i18n.number(found.needs_a_hand)),
        (
            _("Domains asked about with fewer than 2 experts"),
            ", ".join(ctx.taxonomy.label(s, ctx.language) for s in found.coverage_gaps) or none,
        ),
        (
            _("Askers' languages no expert speaks (askers)"),
            _listing(
                [
                    f"{language_name(g.language)} ({i18n.number(g.askers)})"
                    for g in found.language_gaps
                ],
                none,
            ),
        ),
        (
            _("Askers' countries with no expert (askers)"),
            _listing(
                [
                    f"{country_name(g.country) or g.country} ({i18n.number(g.askers)})"
                    for g in found.country_gaps
                ],
                none,
            ),
        ),
        (
            _("Domains with no approved practice"),
            _listing([ctx.taxonomy.label(s, ctx.language) for s in found.no_practice], none),
        ),
        (_("Experts"), i18n.number(found.experts)),
        (
            _("Practices"),
            _("{total} approved, {new} new").format(total=found.practices, new=found.new_practices),
        ),
        (_("Sessions held"), i18n.number(found.sessions)),
        (
            _("Active members a week"),
            _("{last} this week, {peak} at most").format(
                last=active[-1] if active else 0, peak=max(active, default=0)
            ),
        ),
    )
    title = _("Insights, last {days} days").format(days=days)
    if group is not None:
        title += f" · {group.name}"
    blocks: list[Block] = [
        Header(title),
        Fields(tuple((label, spans(value)) for label, value in rows)),
        Context(spans(_("Counts only: no names are shown or kept."))),
    ]
    files: list[Attachment] = []
    if (args.word(0) or "").lower() == "chart":
        from cop_bot.insights.chart import weekly_png

        files.append(
            Attachment(
                filename=f"insights-{ctx.now:%Y-%m-%d}.png",
                mime="image/png",
                content=weekly_png(found),
                title=title,
            )
        )
    return reply(*blocks, *files, data={"insights": found.as_json()})
