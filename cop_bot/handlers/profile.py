"""`/profile`: members describe themselves; listing as an expert is opt-in and off by default."""

from __future__ import annotations

import json
from typing import Any, Literal

from cop_bot.capabilities import privacy_sections
from cop_bot.core import i18n
from cop_bot.core.args import Args, parse_handle
from cop_bot.core.errors import CommandError, UsageError
from cop_bot.core.i18n import N_, _
from cop_bot.core.members import locale_for
from cop_bot.core.model import (
    Actions,
    Attachment,
    Block,
    Button,
    Code,
    Context,
    Fields,
    Header,
    Inline,
    Reply,
    Spans,
    Text,
    join_inline,
    reply,
    spans,
)
from cop_bot.core.privacy import Choice, PrivacySection, erase_member, export_member, open_choices
from cop_bot.core.router import Ctx, command
from cop_bot.core.wording import jsonable, mention_of, phrase
from cop_bot.experts.admins import refuse_erasing_last_admin
from cop_bot.experts.privacy import export_profile
from cop_bot.experts.profiles import (
    apply_profile,
    country_name,
    language_name,
    monthly_capacity,
    read_profile_form,
)
from cop_bot.storage import repos
from cop_bot.storage.models import Member

EDIT, EXPORT = "/profile set", "/profile export"
"""What the profile's buttons run (commands, not words to translate)."""
DANGER: Literal["danger"] = "danger"
TEMPLATE = (
    "/profile set domains: labour market, housing; country: IT; city: Turin; languages: it, en, fr;\n"
    "organisation: City of Turin; organisation-type: public; timezone: Europe/Rome;\n"
    "bio: I coordinate job-placement programmes for refugees.; expert: yes; asks: yes; capacity: 4"
)


@command(
    "profile",
    aliases=("me",),
    summary=N_(
        "See or edit your profile, see a member's public profile, export or erase your data."
    ),
    syntax=(
        "",
        "HANDLE",
        "set KEY: VALUE; KEY: VALUE ...",
        "export",
        "delete [confirm [transfer|withdraw]]",
    ),
    examples=(
        N_("/profile"),
        N_(
            "/profile set domains: labour market, housing; country: IT; languages: it, en; "
            "expert: yes"
        ),
        N_("/profile set language: fr"),
        N_("/profile export"),
        N_("/profile @amina.haddad"),
    ),
    details=N_(
        "Keys for set: domains, country, city, languages, organisation, organisation-type "
        "(ngo, public, international, academia, private, other), bio, timezone, expert (yes/no: "
        "list me in /find-expert), asks (yes/no: experts may receive /ask questions), capacity "
        "(questions a month), name, language (the language I write to you in: en, fr, es, it, "
        "de, ar or el; languages is the ones you speak). Use `-` to clear a value. Listing as "
        "an expert is off until you say yes. "
        "Erasing your data asks first what becomes of practices you shared: transfer them to "
        "the community (without your name or contact) or withdraw them. "
        "Separate the fields with `;` or new lines. A `;` starts a new field only when a field "
        "name and a colon follow it (`; country: IT`), so a bio may contain semicolons; write "
        "`\\;` for a semicolon that would otherwise start a field."
    ),
    parse="raw",
)
def profile_command(ctx: Ctx, args: Args) -> Reply:
    first, _sep, rest = args.text.partition(" ")
    action = first.lower()
    if not action:
        return _show(ctx, ctx.member, own=True)
    if action == "set":
        return _set(ctx, rest)
    if action == "export":
        return _export(ctx)
    if action in {"delete", "erase"}:
        return _delete(ctx, rest.strip().lower())  # "confirm", then the answer to any choice
    if rest.strip():
        raise UsageError(
            _("I don't know `/profile {action}`: use set, export, delete or a handle.").format(
                action=action
            )
        )
    handle = parse_handle(first)
    member = repos.find_member(ctx.session, ctx.community_id, handle)
    if member is None:
        raise CommandError(
            _("There is no member @{handle} here.").format(handle=handle),
            hint=_("Try /find-expert TOPIC."),
        )
    return _show(ctx, member, own=member.id == ctx.member.id)


def _show(ctx: Ctx, member: Member, *, own: bool) -> Reply:
    assert member.id is not None
    domains = repos.member_domains(ctx.session, member.id)
    name = member.display_name or member.handle
    if not own and not member.is_expert:
        return reply(
            Text.of(
                *phrase(
                    _("{member} has not published a profile in the expert directory."),
                    member=mention_of(member),
                )
            ),
            data={
                "profile": {"handle": member.handle, "name": member.display_name, "expert": False}
            },
        )
    lang = i18n.active()  # ctx.language, or the new one when `/profile set language:` changed it
    pairs: list[tuple[str, Spans]] = []

    def add(label: str, *parts: Inline | None) -> None:
        value = spans(*parts)
        if value:
            pairs.append((label, value))

    add(
        _("Organisation"),
        member.organisation,
        f" ({member.organisation_type})" if member.organisation_type else None,
    )
    add(_("Where"), ", ".join(x for x in (member.city, country_name(member.country)) if x) or None)
    add(_("Languages"), ", ".join(language_name(c) for c in member.languages) or None)
    add(_("Domains"), ", ".join(ctx.taxonomy.label(d, lang) for d in domains) or None)
    add(_("Bio"), member.bio)
    if own:
        zone = member.timezone or _("{zone} (the community's)").format(zone=ctx.community.timezone)
        add(_("Time zone"), zone)
        chosen = i18n.supported(member.locale)
        if chosen is not None:
            add(_("I write to you in"), language_name(chosen))
        add(
            _("Listed as expert"),
            _("yes") if member.is_expert else _("no (opt in with `expert: yes`)"),
        )
        if member.accepts_asks:
            asks = _("yes, up to {count} a month").format(count=monthly_capacity(member))
        else:
            asks = _("no")
        add(_("Receives questions"), asks)
    blocks: list[Block] = (
        [Header(f"{name} (@{member.handle})"), Fields(tuple(pairs))]
        if pairs
        else [Header(f"{name} (@{member.handle})")]
    )
    if own and not pairs:
        blocks.append(Text.of(_("Your profile is empty. Tell the community what you work on:")))
    if own:
        edit = Code(TEMPLATE.split("\n")[0] + " ...")
        blocks.append(Context(phrase(_("Edit: {command}"), command=edit)))
        blocks.append(
            Actions(
                (
                    Button(_("Edit profile"), EDIT),
                    Button(_("Export my data"), EXPORT),
                )
            )
        )
    data = _public(ctx, member, domains) if not own else export_profile(ctx.session, member)
    return reply(*blocks, data={"profile": jsonable(data)})


def _public(ctx: Ctx, member: Member, domains: list[str]) -> dict[str, Any]:
    return {
        "handle": member.handle,
        "name": member.display_name,
        "organisation": member.organisation,
        "organisation_type": member.organisation_type,
        "country": member.country,
        "city": member.city,
        "languages": list(member.languages),
        "domains": domains,
        "bio": member.bio,
        "expert": member.is_expert,
    }


def _set(ctx: Ctx, text: str) -> Reply:
    if not text.strip():
        raise UsageError(
            _("Tell me what to change, as `key: value` pairs separated by `;` or new lines.")
        )
    member = ctx.member
    assert member.id is not None
    domains_now = repos.member_domains(ctx.session, member.id)
    form = read_profile_form(ctx.taxonomy, ctx.language, text, domains_now)
    if form.problems:
        raise UsageError(
            _("Nothing was saved. Please fix: {problems}").format(problems=" ".join(form.problems))
        )
    apply_profile(ctx.session, member, form.changes, ctx.now)
    if "name" in form.changes and form.changes["name"] is None:  # back to the platform's name
        member.display_name = repos.fit(ctx.invocation.actor.display_name, Member, "display_name")
    if "locale" not in form.changes:
        return _updated(ctx, form.changes, form.notes)
    # The reply is the first thing written in the new language (or, cleared, in the one the
    # member now falls back to: their platform's, else the community's).
    language = locale_for(member, ctx.invocation.actor.locale, ctx.community)
    with i18n.using(language):
        return _updated(ctx, form.changes, form.notes, language=language)


def _updated(
    ctx: Ctx, changes: dict[str, Any], notes: list[str], *, language: str | None = None
) -> Reply:
    """What changed, then the profile as it now is, in the active language."""
    member = ctx.member
    blocks: list[Block] = [Text.of(_("Your profile is updated."))]
    if language is not None:
        blocks.append(Text.of(_language_changed(member, changes, language)))
    if notes:
        blocks.append(
            Context(spans(_("Domains understood: {notes}").format(notes="; ".join(notes))))
        )
    if changes.get("expert") is True:
        blocks.append(
            Context(
                phrase(
                    _("You are listed in /find-expert. Leave any time with {command}."),
                    command=Code("/profile set expert: no"),
                )
            )
        )
    elif changes.get("expert") is False:
        blocks.append(Context(spans(_("You are no longer listed as an expert."))))
    shown = _show(ctx, member, own=True)
    return reply(*blocks, *shown.blocks, data={**shown.data, "changed": sorted(changes)})


def _language_changed(member: Member, changes: dict[str, Any], language: str) -> str:
    """`I will write to you in French. The languages you speak are unchanged: Italian, English.`:
    the bot's language and the spoken ones are two different fields, and the member is told
    which one they changed."""
    name = language_name(language)
    if member.locale:
        first = _("I will write to you in {language}.").format(language=name)
    else:
        first = _(
            "Your language choice is cleared: I will write to you in {language}, the language "
            "of your platform or of the community."
        ).format(language=name)
    spoken = ", ".join(language_name(c) for c in member.languages)
    if "languages" in changes:
        second = (
            _("The languages you speak are now: {languages}.").format(languages=spoken)
            if spoken
            else _("The languages you speak are cleared.")
        )
    elif spoken:
        second = _("The languages you speak are unchanged: {languages}.").format(languages=spoken)
    else:
        second = _("The languages you speak are not set (`languages: fr, en`).")
    return f"{first} {second}"


def _export(ctx: Ctx) -> Reply:
    """As a JSON file, whole: in a message it was cut at Slack's 3,000 characters."""
    data = jsonable(export_member(ctx.session, ctx.member, privacy_sections()))
    text = json.dumps(data, ensure_ascii=False, indent=2)
    filename = f"cop-bot-export-{ctx.member.handle}.json"
    return reply(
        Header(_("Everything cop-bot holds about you")),
        Text.of(_("Your data is in the attached file, as JSON.")),
        Attachment.of_text(filename, "application/json", text + "\n"),
        Context(phrase(_("Erase it all with {command}."), command=Code("/profile delete"))),
        visibility="dm",
        data={"export": data},
    )


def _delete(ctx: Ctx, text: str) -> Reply:
    refuse_erasing_last_admin(ctx.session, ctx.member, ctx.settings.admins)
    word, _sep, answer = text.partition(" ")
    answer = answer.strip()
    sections = privacy_sections()
    choices = open_choices(ctx.session, ctx.member, sections)
    if word != "confirm":
        return _delete_prompt(choices)
    known = [w for s in sections if s.choice is not None for w in s.choice.words()]
    if answer and answer not in known:
        raise UsageError(
            _("I don't know {answer} after `/profile delete confirm`; use {words}.").format(
                answer=repr(answer[:30]), words=i18n.join(known, style="or")
            )
        )
    if choices and not answer:
        return _delete_prompt(choices, first=Text.of(_("Nothing is erased yet: choose first.")))
    handle = ctx.member.handle
    notes = erase_member(
        ctx.session,
        ctx.member,
        sections,
        {section.name: answer for section, _choice, _question in choices},
    )
    return _erased(handle, [note for found in notes.values() for note in found])


def _delete_prompt(
    choices: list[tuple[PrivacySection, Choice, str]], first: Block | None = None
) -> Reply:
    """What erasure does, and the choices it needs (their buttons run the answers)."""
    blocks: list[Block | None] = [
        first,
        Text.of(
            _(
                "This erases your profile, your domains, your roles, your questions and your "
                "personal digest. It cannot be undone."
            )
        ),
        Text.of(
            _(
                "What others rely on stays, without your name: your endorsements, your answers "
                "to sessions and their agenda items, sessions you scheduled, and your edits to "
                "practices others shared."
            )
        ),
    ]
    commands: list[str] = []
    buttons: list[Button] = []
    for _section, choice, question in choices:
        blocks.append(Text.of(question))
        for option in choice.options:
            blocks.append(Text.of(_(option.means)))
            command = f"/profile delete confirm {option.word}"
            commands.append(command)
            buttons.append(Button(_(option.label), command, style=DANGER))
    if not commands:
        commands = ["/profile delete confirm"]
        buttons = [Button(_("Erase my data"), commands[0], style=DANGER)]
    blocks.append(Context(_to_go_ahead([Code(c) for c in commands])))
    blocks.append(Actions(tuple(buttons)))
    return reply(*blocks, data={"confirm": commands[0], "choices": commands})


def _to_go_ahead(commands: list[Code]) -> Spans:
    """`To go ahead, type /a or /b.`: the commands joined by the language's "or"."""
    marker = Code("")
    out: list[Inline] = []
    for part in phrase(_("To go ahead, type {commands}."), commands=marker):
        out.extend(join_inline(commands, _(" or ")) if part is marker else (part,))
    return spans(*out)


def _erased(handle: str, notes: list[str]) -> Reply:
    """Exactly what stays, and why: each capability's notes, one per line."""
    blocks: list[Block] = [
        Text.of(
            _(
                "Done: @{handle} is erased. Your profile, your domains, your roles, your "
                "questions and your personal digest are gone."
            ).format(handle=handle)
        )
    ]
    if notes:
        blocks.append(Text.of(_("What stays, without your name, and why:")))
        blocks.extend(Text.of(note) for note in notes)
    else:
        blocks.append(Text.of(_("Nothing else the community shares held your name.")))
    blocks.append(Context(spans(_("Thank you for taking part."))))
    return reply(*blocks, data={"erased": handle, "kept": notes})
