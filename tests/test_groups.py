"""Groups (issue 18): `/group create`, `/groups`, `/group SLUG`, join and leave, closed groups
with their focal points, cohort alumni, the group scope of `/find-expert` and `/practices`,
focal points in `/role`, privacy export and erasure, and bad input that writes nothing."""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import Session, select

from cop_bot.core.errors import UsageError
from cop_bot.groups.form import KEYS, parse_date, parse_group_form, parse_kind, slugify
from cop_bot.platforms.console import render_for_console
from cop_bot.storage.models import CopGroup, GroupMember
from tests.conftest import Bot

ADMIN = "root-admin"
WG = "/group create Housing working group kind: working-group domains: housing, health channel"


def reply(bot: Bot, line: str, as_: str = ADMIN, channel: str | None = None) -> Any:
    return bot.reply(line, as_=as_, channel=channel)


def data(bot: Bot, line: str, as_: str = ADMIN, channel: str | None = None) -> Any:
    result = reply(bot, line, as_=as_, channel=channel)
    assert result.ok, result
    return result.data


def error(bot: Bot, line: str, as_: str = ADMIN) -> str:
    result = reply(bot, line, as_=as_)
    assert not result.ok, result
    return render_for_console(result)  # the message, its hint, the usage


def rows(bot: Bot) -> tuple[int, int]:
    """How many groups and memberships there are (to show an error wrote nothing)."""
    with Session(bot.app.engine) as session:
        groups = session.exec(select(func.count()).select_from(CopGroup)).one()
        members = session.exec(select(func.count()).select_from(GroupMember)).one()
        return int(groups), int(members)


def meet(bot: Bot, *handles: str) -> None:
    for handle in handles:
        assert bot.reply("/help", as_=handle).ok


# ---- create, list, show, join, leave ----------------------------------------------------------


def test_create_gives_the_stable_json_and_ties_the_channel(bot: Bot) -> None:
    made = data(bot, WG, channel="C-housing")["group"]
    assert made == {
        "id": made["id"],
        "slug": "housing-working-group",
        "name": "Housing working group",
        "kind": "working-group",
        "domains": ["housing", "health"],
        "starts": None,
        "ends": None,
        "channel": "C-housing",
        "closed": False,
    }
    listed = data(bot, "/groups", as_="bob")["groups"]
    assert [g["slug"] for g in listed] == ["housing-working-group"]
    assert "Housing working group" in bot.send("/groups", as_="bob")
    cohort = data(
        bot, "/group create Diploma cohort 2027 kind:cohort starts:2027-01-11 ends:2027-06-30"
    )
    assert cohort["group"]["starts"] == "2027-01-11" and cohort["group"]["channel"] is None


def test_join_show_and_leave_an_open_group(bot: Bot) -> None:
    data(bot, WG)
    assert data(bot, "/group join housing-working-group", as_="bob")["action"] == "join"
    shown = data(bot, "/group Housing-Working-Group", as_="carol")["group"]
    assert shown["members"] == ["bob"] and shown["focal_points"] == []
    assert "@bob" in bot.send("/group housing-working-group", as_="carol")
    assert data(bot, "/group leave housing-working-group", as_="bob")["action"] == "leave"
    assert data(bot, "/group housing-working-group", as_="carol")["group"]["members"] == []


def test_only_facilitators_and_admins_create_groups(bot: Bot) -> None:
    assert "facilitators and admins" in error(bot, WG, as_="bob")
    assert rows(bot) == (0, 0)
    assert data(bot, "/role grant @fran facilitator confirm")
    assert data(bot, WG, as_="fran")["group"]["slug"] == "housing-working-group"


# ---- focal points and closed groups -----------------------------------------------------------


def test_a_closed_group_takes_members_from_its_focal_points_and_admins(bot: Bot) -> None:
    meet(bot, "fp", "bob", "carol", "dan")
    data(bot, "/group create Diploma cohort kind: cohort closed")
    before = rows(bot)
    assert "closed group" in error(bot, "/group join diploma-cohort", as_="bob")
    assert "Only the focal points of diploma-cohort and admins" in error(
        bot, "/group add diploma-cohort @bob", as_="carol"
    )
    assert "Only admins" in error(bot, "/group focal diploma-cohort @carol", as_="carol")
    assert rows(bot) == before
    assert data(bot, "/group focal diploma-cohort @fp")["action"] == "focal"
    assert data(bot, "/group add diploma-cohort @bob", as_="fp")["member"] == "bob"
    shown = data(bot, "/group diploma-cohort", as_="bob")["group"]
    assert shown["members"] == ["fp", "bob"] and shown["focal_points"] == ["fp"]
    assert data(bot, "/group remove diploma-cohort @bob", as_="fp")["action"] == "remove"
    # a focal point of one group has no rights over another
    data(bot, "/group create Other closed")
    assert "Only the focal points of other" in error(bot, "/group add other @dan", as_="fp")


def test_a_closed_groups_member_list_is_visible_to_its_members_only(bot: Bot) -> None:
    meet(bot, "bob", "carol")
    data(bot, "/group create Secret circle closed")
    data(bot, "/group add secret-circle @bob")
    outside = data(bot, "/group secret-circle", as_="carol")["group"]
    assert outside["members"] is None and outside["member_count"] == 1
    assert "@bob" not in bot.send("/group secret-circle", as_="carol")
    assert data(bot, "/group secret-circle", as_="bob")["group"]["members"] == ["bob"]
    assert data(bot, "/group secret-circle")["group"]["members"] == ["bob"]  # an admin
    assert "closed group" in error(bot, "/find-expert housing group:secret-circle", as_="carol")
    assert "closed group" in error(bot, "/practices group:secret-circle", as_="carol")


def test_focal_points_are_shown_in_role(bot: Bot) -> None:
    meet(bot, "fp")
    data(bot, WG)
    data(bot, "/group focal housing-working-group @fp")
    roles = data(bot, "/role", as_="fp")
    assert roles["focal_points"] == [{"handle": "fp", "group": "housing-working-group"}]
    assert roles["your_focal_groups"] == ["housing-working-group"]
    text = bot.send("/role", as_="fp")
    assert "@fp (housing-working-group)" in text and "focal point of" in text


# ---- cohorts -----------------------------------------------------------------------------------


def test_a_cohorts_members_are_alumni_after_it_ends(bot: Bot) -> None:
    meet(bot, "bob")
    # the test clock is 2026-11-23
    data(bot, "/group create Cohort 2026 kind: cohort starts: 2026-01-12 ends: 2026-06-30")
    data(bot, "/group create Cohort 2027 kind: cohort starts: 2027-01-11 ends: 2027-06-30")
    for slug in ("cohort-2026", "cohort-2027"):
        data(bot, f"/group join {slug}", as_="bob")
    past = data(bot, "/group cohort-2026", as_="bob")["group"]
    assert past["alumni"] is True and past["members"] == ["bob"]  # still listed
    text = bot.send("/group cohort-2026", as_="bob")
    assert "1 alumnus" in text and "alumni" in text and "@bob" in text
    assert data(bot, "/group cohort-2027", as_="bob")["group"]["alumni"] is False
    # a working group with an end date has no alumni
    data(bot, "/group create Old group ends: 2026-01-01")
    assert data(bot, "/group old-group")["group"]["alumni"] is False


# ---- group scope -------------------------------------------------------------------------------


def test_find_expert_group_is_a_strict_filter(bot: Bot) -> None:
    for handle in ("amina", "sofia"):
        profile = "domains: housing; languages: fr; country: FR; expert: yes"
        assert bot.reply(f"/profile set {profile}", as_=handle).ok
    data(bot, WG)
    data(bot, "/group join housing-working-group", as_="amina")
    everyone = data(bot, "/find-expert housing", as_="carol")["experts"]
    assert {e["handle"] for e in everyone} == {"amina", "sofia"}
    scoped = data(bot, "/find-expert housing group:housing-working-group", as_="carol")
    assert [e["handle"] for e in scoped["experts"]] == ["amina"]
    listed = data(bot, "/find-expert group:housing-working-group", as_="carol")
    assert [e["handle"] for e in listed["experts"]] == ["amina"]
    assert "in the group housing-working-group" in bot.send(
        "/find-expert housing group:housing-working-group", as_="carol"
    )
    data(bot, "/group leave housing-working-group", as_="amina")
    assert data(bot, "/find-expert housing group:housing-working-group")["experts"] == []
    assert "There is no group" in error(bot, "/find-expert housing group:nope")


def test_practices_group_lists_what_its_members_shared(bot: Bot) -> None:
    assert data(bot, "/settings review: off")
    for handle, title in (("amina", "Welcome desks"), ("sofia", "Tenancy mediation")):
        line = f"/share-practice {title}; summary: How our team welcomes new arrivals every week, step by step; domains: housing"
        assert bot.reply(line, as_=handle).ok
    data(bot, WG)
    data(bot, "/group join housing-working-group", as_="amina")
    assert data(bot, "/practices housing")["total"] == 2
    scoped = data(bot, "/practices group:housing-working-group")
    assert [p["title"] for p in scoped["practices"]] == ["Welcome desks"]
    assert data(bot, "/practices mediation")["total"] == 1
    words = data(bot, "/practices mediation group:housing-working-group")
    assert words["total"] == 0


# ---- privacy -----------------------------------------------------------------------------------


def test_membership_is_exported_and_erased(bot: Bot) -> None:
    data(bot, "/role grant @fran facilitator confirm")
    data(bot, WG, as_="fran")
    data(bot, "/group join housing-working-group", as_="bob")
    data(bot, "/group focal housing-working-group @bob")
    export = data(bot, "/profile export", as_="bob")["export"]["groups"]
    (membership,) = export["memberships"]
    assert membership["group"] == "housing-working-group" and membership["focal_point"] is True
    assert data(bot, "/profile export", as_="fran")["export"]["groups"]["created"] == [
        "housing-working-group"
    ]
    assert reply(bot, "/profile delete confirm", as_="bob").ok
    assert rows(bot) == (1, 0)
    assert data(bot, "/group housing-working-group")["group"]["focal_points"] == []
    gone = reply(bot, "/profile delete confirm", as_="fran")
    assert gone.ok and "The group you created stays" in bot.send("/groups") + str(gone)
    with Session(bot.app.engine) as session:
        (group,) = session.exec(select(CopGroup)).all()
        assert group.created_by_id is None


# ---- bad input: a clear error, nothing written ------------------------------------------------


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("/group join nope", "There is no group 'nope'"),
        ("/group housing-workgroup", "Did you mean housing-working-group"),
        ("/group join housing-working-group", "already a member"),
        ("/group leave nope", "There is no group"),
        ("/group create Housing working group", "There is already a group"),
        ("/group create", "Give the group a name"),
        ("/group create X kind: team", "is not a kind of group"),
        ("/group create X starts: 2027-13-01", "is not a date"),
        ("/group create X starts: 2027-06-01 ends: 2027-01-01", "cannot end"),
        ("/group create X kind: cohort colour: red", "There is no option `colour:`"),
        ("/group create X knd: cohort", "Did you mean `kind:`"),
        ("/group create X domains: zzzqqq", "is not a domain I know"),
        ("/group create X kind: cohort kind: network", "given twice"),
        ("/group add housing-working-group @ghost", "There is no member @ghost"),
        ("/group add housing-working-group @bob", "already a member"),
        ("/group add housing-working-group", "needs the group's slug and a member"),
        ("/group frobnicate x", "I don't know `/group frobnicate`"),
        ("/group", "Name a group"),
    ],
)
def test_bad_input_is_explained_and_writes_nothing(bot: Bot, line: str, said: str) -> None:
    data(bot, WG)
    data(bot, "/group join housing-working-group", as_="bob")
    data(bot, "/group join housing-working-group")
    before = rows(bot)
    as_ = ADMIN if "add" in line or "create" in line else "bob"
    assert said in error(bot, line, as_=as_)
    assert rows(bot) == before


# ---- the form parser ---------------------------------------------------------------------------


def test_the_form_reads_keys_with_or_without_spaces_and_flags() -> None:
    form = parse_group_form("Housing: Italy; kind: cohort; domains: housing, health channel closed")
    assert form.name == "Housing: Italy"
    assert form.values == {"kind": "cohort", "domains": "housing, health"}
    assert form.channel and form.closed
    assert parse_group_form("X kind:network starts:2027-01-01").values == {
        "kind": "network",
        "starts": "2027-01-01",
    }
    assert parse_kind("Working group") == "working-group" and parse_kind("cohorts") == "cohort"
    assert parse_date("2027-1-5", "starts") == date(2027, 1, 5)
    assert slugify("Réseau – Logement (2027)") == "reseau-logement-2027"
    assert slugify("Join") == "join-group" and slugify("مجموعة") == ""


_TEXT = st.lists(
    st.sampled_from([*"abcxyz -;,:/é\n\t0129", *KEYS, "channel", "closed", "kind: ", "knd:"]),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_the_form_parser_is_total(text: str) -> None:
    try:
        form = parse_group_form(text)
    except UsageError as exc:
        assert exc.message
        return
    assert form.name and form.name == form.name.strip()
    assert set(form.values) <= set(KEYS) and all(form.values.values())
    for value in form.values.values():
        assert value == value.strip()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_dates_kinds_and_slugs_never_raise_anything_else(text: str) -> None:
    for parse in (lambda t: parse_date(t, "ends"), parse_kind):
        with contextlib.suppress(UsageError):
            parse(text)
    slug = slugify(text)
    assert len(slug) <= 66 and all(c.isascii() and (c.isalnum() or c == "-") for c in slug)
