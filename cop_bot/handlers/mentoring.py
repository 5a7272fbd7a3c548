"""`/mentoring`: programmes that pair members, mentor with mentee or peer with peer, in rounds.

The rules and queries are in `cop_bot/mentoring/programmes.py`, the pairing in
`mentoring/matching.py`, the wording of pairs in `mentoring/wording.py`; this module reads what
was typed and words the replies. Pairs and check-ins are shown to the pair and the coordinators
(facilitators, admins and whoever created the programme) only."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from cop_bot.core import i18n
from cop_bot.core.args import Args, split_words
from cop_bot.core.errors import CommandError, PermissionDenied, UsageError
from cop_bot.core.i18n import N_, _, n_
from cop_bot.core.model import (
    Code,
    Context,
    Fields,
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
from cop_bot.core.wording import mention_of, phrase
from cop_bot.experts.profiles import parse_domains, parse_languages, parse_yes_no
from cop_bot.groups import rules as groups
from cop_bot.handlers.sessions import schedule
from cop_bot.mentoring import programmes as rules
from cop_bot.mentoring import visits
from cop_bot.mentoring.wording import reason_text, why_text
from cop_bot.sessions import places
from cop_bot.storage import repos
from cop_bot.storage.models import CopGroup, Meeting, Member, MentoringPair, MentoringProgramme

HEADING = N_("Mentoring and peer pairing")
"""The heading `/help` lists this capability under."""
CREATE_KEYS = ("mode", "every", "domains", "cross-border", "group")
JOIN_KEYS = ("as", "domains", "capacity", "languages")


@command(
    "mentoring",
    summary=N_("Mentoring and peer pairing: programmes that pair members in rounds."),
    syntax=(
        "NAME",
        "create NAME [mode: mentor|peer|organisations] [group: SLUG] [every: N weeks] [domains: ...] "
        "[cross-border: yes|no]",
        "join NAME [as: mentor|mentee] [domains: ...] [capacity: N] [languages: ...]",
        "leave NAME",
        "match NAME [--json]",
        "met NAME yes|no|later",
        "visit NAME @other|ORG WHEN [for DURATION] [tz ZONE] at PLACE",
    ),
    examples=(
        N_("/mentoring create Housing peers mode: peer every: 2 weeks domains: housing"),
        N_("/mentoring join Housing peers languages: fr, en"),
        N_("/mentoring create City mentors domains: housing"),
        N_("/mentoring join City mentors as: mentor capacity: 2 languages: fr"),
        N_("/mentoring match Housing peers"),
        N_("/mentoring Housing peers"),
        N_('/mentoring visit City mentors @tunis 2027-03-09 for 2 days at "Town hall, Tunis"'),
    ),
    details=N_(
        "Admins and facilitators create programmes and make rounds; every member can join. "
        "Joining takes your profile's domains and languages unless you give others; a mentee "
        "names the domains they want to learn. A round pairs people who share a language and "
        "work at different organisations, never a pair from the last 3 rounds, and prefers "
        "domain fit, different countries and overlapping working hours. Everyone left "
        "unpaired is told why. A mentee joins with, say, `/mentoring join City mentors as: mentee "
        "domains: housing, labour market`; a week after a round, `/mentoring met Housing peers "
        "yes` answers the check-in. `/mentoring visit` schedules a visit for your pair: the side "
        "you name hosts it, at the place given, and the programme view shows who has hosted and "
        "who has visited, so coordinators see which pairs made their two-way visit."
    ),
    parse="raw",
)
def mentoring_command(ctx: Ctx, args: Args) -> Reply:
    first, _space, rest = args.text.strip().partition(" ")
    action = first.lower()
    if not action:
        return _list(ctx)
    if action == "create":
        return _create(ctx, rest)
    if action == "join":
        return _join(ctx, rest)
    if action == "leave":
        return _leave(ctx, rest)
    if action == "match":
        return _match(ctx, rest)
    if action == "met":
        return _met(ctx, rest)
    if action == "visit":
        return _visit(ctx, rest)
    return _show(ctx, " ".join(w for w in args.text.split() if w != "--json"))


def _group(ctx: Ctx, programme: MentoringProgramme) -> CopGroup | None:
    return ctx.session.get(CopGroup, programme.group_id) if programme.group_id else None


def _coordinator(ctx: Ctx, programme: MentoringProgramme) -> bool:
    """Facilitators and admins, whoever created the programme, and its group's focal points."""
    if programme.created_by_id == ctx.member.id or ctx.has(Role.FACILITATOR):
        return True
    group = _group(ctx, programme)
    return group is not None and groups.is_focal(ctx.session, group, ctx.member)


def _list(ctx: Ctx) -> Reply:
    from sqlmodel import col

    found = ctx.session.exec(
        select(MentoringProgramme)
        .where(MentoringProgramme.community_id == ctx.community_id)
        .order_by(col(MentoringProgramme.slug))
    ).all()
    if not found:
        return reply(
            Text(
                phrase(
                    _("No mentoring programme yet. Facilitators start one with {command}."),
                    command=Code("/mentoring create NAME"),
                )
            ),
            data={"programmes": []},
        )
    return reply(
        Header(_("Mentoring programmes")),
        *(Item(title=spans(p.name), meta=spans(p.slug, " · ", p.mode)) for p in found),
        data={"programmes": [{"slug": p.slug, "name": p.name, "mode": p.mode} for p in found]},
    )


def _create(ctx: Ctx, rest: str) -> Reply:
    name, options = rules.parse_options(rest, CREATE_KEYS)
    group = (
        groups.group_or_error(ctx.session, ctx.community_id, options["group"])
        if ("group" in options)
        else None
    )
    if group is None or not groups.is_focal(ctx.session, group, ctx.member):
        ctx.require(Role.FACILITATOR, _("create a mentoring programme"))
    if not rules.slug_of(name):
        raise UsageError(_("Give the programme a name."))
    mode = options.get("mode", "mentor").strip().lower()
    if mode not in rules.MODES:
        raise UsageError(
            _("{value} is not a mode; use mentor, peer or organisations.").format(
                value=repr(mode[:40])
            )
        )
    every = None
    if "every" in options:
        try:
            every = rules.parse_every(options["every"])
        except ValueError:
            raise UsageError(
                _("{value} is not a number of weeks; use, say, every: 2 weeks (1 to 52).").format(
                    value=repr(options["every"][:40])
                )
            ) from None
    domains = _domains(ctx, options["domains"]) if "domains" in options else []
    cross_border = True
    if "cross-border" in options:
        try:
            cross_border = parse_yes_no(options["cross-border"])
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    programme = rules.create(
        ctx.session,
        ctx.community_id,
        name=name,
        mode=mode,
        every_weeks=every,
        domains=domains,
        cross_border=cross_border,
        channel_id=ctx.invocation.conversation.channel_id,
        creator=ctx.member,
        now=ctx.now,
        group_id=group.id if group is not None else None,
    )
    text = (
        n_(
            every,
            "Created {name}: a round every week.",
            "Created {name}: a round every {count} weeks.",
            name=programme.name,
        )
        if every
        else _("Created {name}: make a round with {command}.").format(
            name=programme.name, command=f"/mentoring match {programme.slug}"
        )
    )
    return reply(
        Text.of(text),
        Context(
            phrase(
                _("Members join with {command}."),
                command=Code(f"/mentoring join {programme.slug}"),
            )
        ),
        data={"programme": _programme_data(programme)},
    )


def _programme_data(p: MentoringProgramme) -> dict[str, Any]:
    return {
        "id": p.id,
        "slug": p.slug,
        "name": p.name,
        "mode": p.mode,
        "every_weeks": p.every_weeks,
        "domains": list(p.domains),
        "cross_border": p.cross_border,
        "group_id": p.group_id,
    }


def _domains(ctx: Ctx, value: str) -> list[str]:
    parsed = parse_domains(ctx.taxonomy, value)
    if parsed.unmatched:
        raise UsageError(
            _("{terms}: not a domain I know; /domains lists them.").format(
                terms=", ".join(repr(t[:40]) for t, _near in parsed.unmatched)
            )
        )
    return parsed.slugs


def _join(ctx: Ctx, rest: str) -> Reply:
    name, options = rules.parse_options(rest, JOIN_KEYS)
    programme = rules.find(ctx.session, ctx.community_id, name)
    roles = rules.ROLES[programme.mode]
    role = options.get("as", roles[-1]).strip().lower()
    if role not in roles:
        raise UsageError(
            _("In {name} you can join as {roles}.").format(
                name=programme.slug, roles=i18n.join((f"`as: {r}`" for r in roles), style="or")
            )
        )
    group = _group(ctx, programme)
    if group is not None and groups.membership(ctx.session, group, ctx.member) is None:
        raise CommandError(
            _("{name} is for the members of the group {group}.").format(
                name=programme.slug, group=group.slug
            ),
            hint=_("Join it first: {command}").format(command=f"/group join {group.slug}"),
        )
    if programme.mode == "organisations" and not ctx.member.organisation:
        raise UsageError(
            _(
                "{name} pairs organisations: set yours first with /profile set organisation: NAME."
            ).format(name=programme.slug)
        )
    capacity = 1
    if "capacity" in options:
        try:
            capacity = rules.parse_capacity(options["capacity"])
        except ValueError:
            raise UsageError(
                _(
                    "The capacity is how many people you take each round: a number from 1 to "
                    "{most}, such as capacity: 2."
                ).format(most=rules.MAX_CAPACITY)
            ) from None
        if role not in ("mentor", "peer") and capacity != 1:
            raise UsageError(_("Only mentors and peers take more than one person a round."))
    assert ctx.member.id is not None
    if "domains" in options:
        domains = _domains(ctx, options["domains"])
    elif role == "mentee":
        domains = []
    else:
        domains = repos.member_domains(ctx.session, ctx.member.id)
    if role == "mentee" and not domains:
        raise UsageError(_("Name the domains you want to learn about, such as domains: housing."))
    if "languages" in options:
        try:
            languages = parse_languages(options["languages"])
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    else:
        languages = list(ctx.member.languages)
    if not languages:
        raise UsageError(
            _("Which languages do you speak? Add languages: fr, en (or set them in /profile).")
        )
    rules.join(
        ctx.session,
        programme,
        ctx.member,
        role=role,
        domains=domains,
        languages=languages,
        capacity=capacity,
        now=ctx.now,
    )
    return reply(
        Text.of(
            _("You joined {name} as {role}; the next round pairs you.").format(
                name=programme.name, role=role
            )
        ),
        data={
            "participant": {
                "programme": programme.slug,
                "role": role,
                "domains": domains,
                "languages": languages,
                "capacity": capacity,
            }
        },
    )


def _leave(ctx: Ctx, rest: str) -> Reply:
    programme = rules.find(ctx.session, ctx.community_id, rest)
    if not rules.leave(ctx.session, programme, ctx.member):
        raise CommandError(_("You are not in {name}.").format(name=programme.slug))
    return reply(Text.of(_("You left {name}.").format(name=programme.name)))


def _side(pair: MentoringPair, members: dict[int, Member], first: bool) -> Mention | str:
    """A side of a pair as shown: its member, or in organisations mode its organisation."""
    organisation = pair.a_organisation if first else pair.b_organisation
    if organisation:
        return organisation
    return mention_of(members[pair.a_id if first else pair.b_id])


def _name(side: Mention | str) -> str:
    return side if isinstance(side, str) else side.handle


def _pair_json(pair: MentoringPair, members: dict[int, Member], ctx: Ctx) -> dict[str, Any]:
    return {
        "a": _name(_side(pair, members, True)),
        "b": _name(_side(pair, members, False)),
        "score": pair.score,
        "why": why_text(pair.why, ctx.taxonomy),
        "met": [pair.met_a, pair.met_b],
    }


def _match(ctx: Ctx, rest: str) -> Reply:
    words = rest.split()
    name = " ".join(w for w in words if w != "--json")
    programme = rules.find(ctx.session, ctx.community_id, name)
    if not _coordinator(ctx, programme):
        ctx.require(Role.FACILITATOR, _("make a round of pairs"))
    # Introduced by the mentoring job, one conversation per pair, claimed and retried
    # (`mentoring.jobs`), not by notices from this command.
    made = rules.make_round(ctx.session, programme, ctx.community, ctx.now)
    members = made.members
    blocks: list[Any] = [
        Header(_("{name}: round {number}").format(name=programme.name, number=made.round.number))
    ]
    if not made.pairs:
        blocks.append(Text.of(_("Nobody could be paired this round.")))
    else:
        blocks.append(
            Text.of(_("Each pair is introduced in a conversation of its own within a few minutes."))
        )
    for pair in made.pairs:
        blocks.append(
            Item(
                title=(_side(pair, members, True), " ↔ ", _side(pair, members, False)),
                body=spans(why_text(pair.why, ctx.taxonomy)),
            )
        )
    for u in made.unpaired:
        blocks.append(
            Item(
                title=phrase(_("{member}: not paired"), member=mention_of(members[u.member_id])),
                body=spans(reason_text(u.reason, mode=programme.mode)),
            )
        )
    data = {
        "number": made.round.number,
        "pairs": [_pair_json(p, members, ctx) for p in made.pairs],
        "unpaired": [
            {
                "handle": members[u.member_id].handle,
                "reason": u.reason,
                "message": reason_text(u.reason, mode=programme.mode),
            }
            for u in made.unpaired
        ],
    }
    return reply(*blocks, data={"round": data})


def _met(ctx: Ctx, rest: str) -> Reply:
    name, _space, answer = rest.strip().rpartition(" ")
    answer = answer.lower()
    if answer not in rules.ANSWERS or not name:
        raise UsageError(_("Answer yes, no or later, after the programme's name."))
    programme = rules.find(ctx.session, ctx.community_id, name)
    rules.record_check_in(ctx.session, programme, ctx.member, answer)
    thanks = {
        "yes": _("Thank you: glad you met."),
        "no": _("Thank you; the coordinators will see that you have not met."),
        "later": _("Thank you; there is still time to meet."),
    }[answer]
    return reply(Text.of(thanks), data={"check_in": {"programme": programme.slug, "met": answer}})


def _visit(ctx: Ctx, rest: str) -> Reply:
    """`/mentoring visit NAME @other|ORG WHEN … at PLACE`: a visit session for a pair."""
    words = split_words(rest.strip())
    programme, at = _programme_prefix(ctx, words)
    if at >= len(words):
        raise UsageError(
            _("Name the side that hosts the visit, then when and where, e.g. {example}.").format(
                example=f"`/mentoring visit {programme.slug} @other 2027-03-09 at Town hall`"
            )
        )
    typed = words[at]
    side = visits.named_side(ctx.session, ctx.community_id, typed)
    pair, host = visits.pair_for(ctx.session, programme, side, typed)
    if not (_coordinator(ctx, programme) or visits.in_pair(pair, ctx.member)):
        raise PermissionDenied(
            _("Only the pair's members and the programme's coordinators can schedule its visits.")
        )
    when, parts = schedule.segments(words[at + 1 :])
    if "at" not in parts:
        raise UsageError(
            _("A visit needs a place: add {example}.").format(example=_(places.PLACE_EXAMPLE))
        )
    zone, source = schedule.zone_of(ctx, parts)
    days = schedule.days_of(parts)
    placed, _rule, _note, all_day = schedule.first_start(ctx.now, when, {**parts}, zone, days)
    duration, link, capacity = schedule.options(parts, days)
    members = repos.members_by_id(ctx.session, [pair.a_id, pair.b_id])
    hosting = _side(pair, members, host == "a")
    organisation = (pair.a_organisation if host == "a" else pair.b_organisation) or (
        members[pair.a_id if host == "a" else pair.b_id].organisation
    )
    row = Meeting(
        community_id=ctx.community_id,
        channel_id=ctx.invocation.conversation.channel_id,
        host_id=ctx.member.id,
        title=_("Visit to {host} ({programme})").format(
            host=_name(hosting), programme=programme.name
        )[:200],
        starts_at=placed.at,
        duration_minutes=duration,
        timezone=zone.key,
        link=link,
        capacity=capacity,
        created_at=ctx.now,
        updated_at=ctx.now,
        location=places.parse_place(parts["at"]),
        host_organisation=organisation,
        kind="visit",
        days=days,
        all_day=all_day,
        pair_id=pair.id,
        visit_host=host,
    )
    ctx.session.add(row)
    ctx.session.flush()
    made = schedule.scheduled(ctx, row, zone, source, placed, None)
    visitor = _side(pair, members, host != "a")
    data = dict(made.data or {})
    data["visit"] = {
        "programme": programme.slug,
        "host": _name(hosting),
        "visitor": _name(visitor),
    }
    return Reply(blocks=made.blocks, visibility=made.visibility, data=data, locale=made.locale)


def _programme_prefix(ctx: Ctx, words: list[str]) -> tuple[MentoringProgramme, int]:
    """The programme the first words name (the longest that matches), and where the rest
    starts; an unknown programme gets `programmes.find`'s error with its closest name."""
    for end in range(len(words), 0, -1):
        slug = rules.slug_of(" ".join(words[:end]))
        found = ctx.session.exec(
            select(MentoringProgramme).where(
                MentoringProgramme.community_id == ctx.community_id,
                MentoringProgramme.slug == slug,
            )
        ).first()
        if slug and found is not None:
            return found, end
    side = next((i for i, w in enumerate(words) if w.startswith("@")), min(len(words), 1))
    return rules.find(ctx.session, ctx.community_id, " ".join(words[:side])), len(words)


def _visits_meta(pair: MentoringPair, members: dict[int, Member], seen: visits.PairVisits) -> str:
    names = {"a": _name(_side(pair, members, True)), "b": _name(_side(pair, members, False))}
    if seen.two_way:
        return _("two-way visit made")
    hosted = [names[k] for k in ("a", "b") if seen.hosted[k]]
    if hosted:
        return _("hosted by {host}").format(host=", ".join(hosted))
    if any(seen.planned.values()):
        return _("visit planned")
    return _("no visit yet")


def _visits_json(
    pair: MentoringPair, members: dict[int, Member], seen: visits.PairVisits
) -> dict[str, Any]:
    names = {"a": _name(_side(pair, members, True)), "b": _name(_side(pair, members, False))}
    other = {"a": "b", "b": "a"}
    return {
        "hosted": [names[k] for k in ("a", "b") if seen.hosted[k]],
        "visited": [names[other[k]] for k in ("a", "b") if seen.hosted[k]],
        "planned": seen.planned["a"] + seen.planned["b"],
        "two_way": seen.two_way,
    }


def _show(ctx: Ctx, name: str) -> Reply:
    programme = rules.find(ctx.session, ctx.community_id, name)
    coordinator = _coordinator(ctx, programme)
    people = rules.participants(ctx.session, programme)
    counts = {
        role: sum(1 for p in people if p.role == role) for role in rules.ROLES[programme.mode]
    }
    rounds = rules.rounds(ctx.session, programme)
    pairs = rules.pairs_of(ctx.session, [r.id for r in rounds if r.id is not None])
    number_of = {r.id: r.number for r in rounds}
    made_at = {r.id: r.created_at for r in rounds}
    mine = (ctx.member.organisation or "").casefold().strip()

    def in_pair(p: MentoringPair) -> bool:
        if ctx.member.id in (p.a_id, p.b_id):
            return True
        sides = ((p.a_organisation or "").casefold().strip(), (p.b_organisation or "").casefold())
        return bool(mine) and any(mine == side.strip() for side in sides)

    visible = [p for p in pairs if coordinator or in_pair(p)]
    members = repos.members_by_id(ctx.session, [x for p in visible for x in (p.a_id, p.b_id)])
    seen = visits.visits_by_pair(ctx.session, [p.id for p in visible if p.id is not None], ctx.now)
    blocks: list[Any] = [Header(programme.name)]
    blocks.append(
        Fields(
            (
                (_("Mode"), spans(programme.mode)),
                (_("Participants"), spans(str(len(people)))),
                (_("Rounds"), spans(str(len(rounds)))),
            )
        )
    )
    due = [p for p in pairs if ctx.now - made_at[p.round_id] >= rules.CHECK_IN_AFTER]
    met_rate = round(sum(1 for p in due if rules.met(p)) / len(due), 3) if due else None
    never = [p for p in due if not rules.met(p)]
    if coordinator and met_rate is not None:
        blocks.append(
            Text.of(
                _("Met rate: {rate} of the pairs at least a week old.").format(
                    rate=f"{round(met_rate * 100)} %"
                )
            )
        )
    for pair in visible[-20:]:
        blocks.append(
            Item(
                title=(_side(pair, members, True), " ↔ ", _side(pair, members, False)),
                body=spans(why_text(pair.why, ctx.taxonomy)),
                meta=spans(
                    _("round {number}").format(number=number_of[pair.round_id]),
                    " · ",
                    _("met") if rules.met(pair) else _("not met yet"),
                    " · ",
                    _visits_meta(pair, members, seen[pair.id or 0]),
                ),
            )
        )
    data: dict[str, Any] = {
        **_programme_data(programme),
        "participants": counts,
        "rounds": [
            {
                "number": r.number,
                "pairs": [
                    _pair_json(p, members, ctx)
                    | {"visits": _visits_json(p, members, seen[p.id or 0])}
                    for p in visible
                    if p.round_id == r.id
                ],
            }
            for r in rounds
        ],
    }
    if coordinator:
        data["two_way_visits"] = sum(1 for v in seen.values() if v.two_way)
        data["met_rate"] = met_rate
        data["never_met"] = [
            {
                "a": _name(_side(p, members, True)),
                "b": _name(_side(p, members, False)),
                "round": number_of[p.round_id],
            }
            for p in never
        ]
    return reply(*blocks, data={"programme": data})
