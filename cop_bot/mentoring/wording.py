"""What members read about pairs: why a pair was made, why someone is unpaired, the
introduction and the check-in. Each function words in the active language (`i18n.using`)."""

from __future__ import annotations

from collections.abc import Mapping

from cop_bot.core import i18n
from cop_bot.core.i18n import _
from cop_bot.core.model import Actions, Block, Button, Code, Inline, Mention, Text
from cop_bot.core.taxonomy import Taxonomy
from cop_bot.core.wording import phrase
from cop_bot.experts.profiles import country_name, language_name
from cop_bot.mentoring import reasons
from cop_bot.storage.models import MentoringProgramme


def _place(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    if len(value) == 2 and value.isupper():
        return country_name(value) or value
    return value


def why_text(why: Mapping[str, object], taxonomy: Taxonomy) -> str:
    """`you both work on Housing, in French; Lyon ↔ Tunis`."""
    raw_domains = why.get("domains")
    slugs = [d for d in raw_domains if isinstance(d, str)] if isinstance(raw_domains, list) else []
    domains = i18n.join(taxonomy.label(s, i18n.active()) for s in slugs)
    code = why.get("language")
    language = language_name(code) if isinstance(code, str) else ""
    if domains:
        text = _("you both work on {domains}, in {language}").format(
            domains=domains, language=language
        )
    else:
        text = _("you both speak {language}").format(language=language)
    places = why.get("places")
    if isinstance(places, list) and len(places) == 2:
        here, there = _place(places[0]), _place(places[1])
        if here and there and here != there:
            text = _("{why}; {here} ↔ {there}").format(why=text, here=here, there=there)
    return text


def reason_text(reason: str, *, mode: str) -> str:
    """Why someone is unpaired, the nearest rule first (`reasons.REASONS`)."""
    if reason == reasons.FEW_MEMBERS:
        return _(
            "An organisation takes part once at least 2 of its members have joined; ask a "
            "colleague to join."
        )
    if reason == reasons.NO_ONE:
        if mode == "peer":
            return _("No other peer has joined the programme yet.")
        return _("Nobody has joined the other side of the programme yet.")
    if reason == reasons.NO_LANGUAGE:
        return _("Nobody you could be paired with speaks one of your languages.")
    if reason == reasons.SAME_ORGANISATION:
        return _("Everyone who shares a language with you works at your organisation.")
    if reason == reasons.RECENT:
        return _("Everyone you could be paired with was your pair in one of the last 3 rounds.")
    return _(
        "Everyone you could be paired with was already paired in this round, up to their capacity."
    )


def introduction_together(
    programme: MentoringProgramme,
    sides: tuple[Mention | str, Mention | str],
    members: tuple[Mention, ...],
    why: Mapping[str, object],
    taxonomy: Taxonomy,
) -> tuple[Block, ...]:
    """The one message a new pair gets, in one conversation with everyone in it. `sides` are the
    two members, or the two organisations in organisations mode (then `members` are all of
    their joined members, named once)."""
    a, b = sides
    if isinstance(a, str):  # organisations
        head = phrase(
            _("{programme}: {a} and {b} are paired, because {why}."),
            programme=programme.name,
            a=a,
            b=b,
            why=why_text(why, taxonomy),
        )
        named: list[Inline] = [_("In this conversation:") + " "]
        for i, member in enumerate(members):
            named.extend([", "] if i else [])
            named.append(member)
        intro: tuple[Block, ...] = (Text(head), Text(tuple(named)))
    else:
        intro = (
            Text(
                phrase(
                    _("{programme}: {a} and {b}, you are paired, because {why}."),
                    programme=programme.name,
                    a=a,
                    b=b,
                    why=why_text(why, taxonomy),
                )
            ),
        )
    handles = " ".join(f"@{m.handle}" for m in members)
    command = f'/schedule-session "{programme.name}" next Tuesday 15:00 with {handles}'
    return (
        *intro,
        Text(phrase(_("Suggest a first session: {command}"), command=Code(command))),
    )


def check_in(programme: MentoringProgramme, other: Mention | str) -> tuple[Block, ...]:
    """A week after the pair was made: have they met?"""
    base = f"/mentoring met {programme.slug}"
    return (
        Text(
            phrase(
                _("{programme}: have you met {other} yet?"), programme=programme.name, other=other
            )
        ),
        Actions(
            (
                Button(_("Yes, we met"), f"{base} yes", style="primary"),
                Button(_("Not yet"), f"{base} later"),
                Button(_("No"), f"{base} no"),
            )
        ),
        Text(phrase(_("Or type {command}."), command=Code(f"{base} yes|no|later"))),
    )
