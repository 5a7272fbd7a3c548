"""Slack multi-workspace mode (issue 8): the OAuth install flow on the real bolt app, installations
and states on the bot's own database (SQLite and PostgreSQL), one community per workspace.

As in tests/test_slack.py, requests are signed as Slack signs them and the Web API is the local
recording stand-in (tests/slack_stand_in.py), which also plays Slack's side of OAuth: `grant()` is
a member approving the install on Slack's authorize page, `oauth.v2.access` exchanges the code
once for that workspace's bot token, and every call records the token it came with.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import text

import cop_bot.platforms.slack.stores  # noqa: F401  (slack-sdk's tables on the metadata)
from cop_bot.app import build_app
from cop_bot.config import Settings, load_settings
from cop_bot.core.clock import FixedClock
from cop_bot.core.errors import ConfigError
from cop_bot.core.model import Conversation, Mention, Outgoing, Text, reply
from cop_bot.core.outbox import Direct
from cop_bot.platforms.slack.bot import SlackBot
from cop_bot.platforms.slack.manifest import REDIRECT_PATH, SCOPES, build_manifest
from cop_bot.platforms.slack.oauth import WorkspaceWebOutbox
from cop_bot.platforms.slack.runner import make_outbox
from tests.slack_stand_in import ANSWER, APP_ID, CLIENT_ID, CLIENT_SECRET, StandIn
from tests.test_slack import (
    ACK_LIMIT,
    SECRET,
    TOKEN,
    _free_port,
    sign,
    slack_settings,
    slash_command,
    texts,
    wait_until_healthy,
)

pytestmark = pytest.mark.slack

PUBLIC_URL = "https://bot.example.org"
REDIRECT_URI = PUBLIC_URL + REDIRECT_PATH
COOKIE = "slack-app-oauth-state"
ALPHA, BETA = "T0ALPHA", "T0BETA"


def multi_settings(db_url: str, stand_in: StandIn) -> Settings:
    return Settings(
        database_url=db_url,
        admins=("u0root",),
        community_name="Test network",
        public_url=PUBLIC_URL,
        slack_signing_secret=SECRET,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_api_url=stand_in.api_url,
        slack_authorize_url=f"{stand_in.url}/oauth/v2/authorize",
    )


@dataclass
class Page:
    status: int
    html: str
    cookies: list[str]


@dataclass
class Multi:
    """The bot's HTTP server in multi-workspace mode, its stand-in Slack, and a browser."""

    url: str
    bot: SlackBot
    stand_in: StandIn
    http: aiohttp.ClientSession

    async def get(self, path: str, cookie: str | None = None) -> Page:
        headers = {"Cookie": cookie} if cookie else {}
        async with self.http.get(self.url + path, headers=headers, allow_redirects=False) as r:
            return Page(r.status, await r.text(), r.headers.getall("Set-Cookie", []))

    async def start_install(self) -> tuple[str, str, str]:
        """Open /slack/install: the "Add to Slack" link, its state and the browser's cookie."""
        page = await self.get("/slack/install")
        assert page.status == 200, page.html
        link = unescape(re.search(r'<a href="([^"]+)"><img alt="Add to Slack"', page.html)[1])  # type: ignore[index]
        state = parse_qs(urlsplit(link).query)["state"][0]
        [set_cookie] = page.cookies
        assert set_cookie.startswith(f"{COOKIE}={state};")
        return link, state, f"{COOKIE}={state}"

    async def redirect(self, cookie: str | None, **query: str) -> Page:
        return await self.get(f"/slack/oauth_redirect?{urlencode(query)}", cookie)

    async def install(self, team_id: str, team_name: str, installer: str = "U0INSTALL") -> Page:
        """The whole flow, as an installer's browser goes through it."""
        _, state, cookie = await self.start_install()
        code = self.stand_in.grant(
            team_id, team_name, installer=installer, redirect_uri=REDIRECT_URI
        )
        page = await self.redirect(cookie, code=code, state=state)
        assert page.status == 200, page.html
        return page

    async def send(self, body: str, content_type: str) -> tuple[int, str, float]:
        start = time.monotonic()
        async with self.http.post(
            f"{self.url}/slack/events",
            data=body.encode(),
            headers={"Content-Type": content_type, **sign(body)},
        ) as response:
            return response.status, await response.text(), time.monotonic() - start

    async def command(
        self, team: str, command: str, text: str = "", *, user: str = "U0ANN", key: str = "1"
    ) -> tuple[int, str, float]:
        payload = slash_command(command, text, user, self.stand_in.response_url(key), team=team)
        body = urlencode(payload)
        status, ack_body, elapsed = await self.send(body, "application/x-www-form-urlencoded")
        self.stand_in.shown(key, ack_body)
        return status, ack_body, elapsed

    async def event(self, team: str, event: dict[str, Any], *, event_id: str) -> int:
        body = json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": team,
                "api_app_id": APP_ID,
                "event": event,
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "authorizations": [
                    {"team_id": team, "user_id": "U0BOT", "is_bot": True, "enterprise_id": None}
                ],
            }
        )
        status, _, _ = await self.send(body, "application/json")
        return status

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.bot.app.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]

    def token_of(self, team_id: str) -> str:
        [(token,)] = self.rows("SELECT bot_token FROM slack_bots WHERE team_id = :t", t=team_id)
        return str(token)


async def serve(settings: Settings, clock: FixedClock) -> tuple[SlackBot, web.AppRunner, str]:
    app = build_app(settings, clock=clock, migrate=False)
    bot = SlackBot(app)
    runner = web.AppRunner(bot.web_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return bot, runner, f"http://127.0.0.1:{port}"


async def stop(bot: SlackBot, runner: web.AppRunner) -> None:
    await runner.cleanup()
    await bot.aclose()
    bot.app.engine.dispose()


@pytest.fixture
async def multi(db_url: str, stand_in: StandIn, clock: FixedClock) -> AsyncIterator[Multi]:
    bot, runner, url = await serve(multi_settings(db_url, stand_in), clock)
    # the browser's cookies are sent by hand: the state cookie is Secure, this is plain http
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        yield Multi(url, bot, stand_in, http)
    await stop(bot, runner)


# ---- the install flow ----------------------------------------------------------------------------


async def test_install_page_shows_the_add_to_slack_link_with_a_state(multi: Multi) -> None:
    link, state, _ = await multi.start_install()
    parts = urlsplit(link)
    assert (
        f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{multi.stand_in.url}/oauth/v2/authorize"
    )
    query = parse_qs(parts.query, keep_blank_values=True)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"] == [",".join(SCOPES)]  # exactly the manifest's bot scopes
    assert query["user_scope"] == [""]
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert multi.rows("SELECT state FROM slack_oauth_states") == [(state,)]
    _, other, _ = await multi.start_install()  # every visit gets its own state
    assert other != state


async def test_redirect_with_a_valid_code_and_state_stores_the_installation(multi: Multi) -> None:
    # on SQLite and on PostgreSQL (the db_url fixture)
    page = await multi.install(ALPHA, "Alpha network", installer="U0AMINA")
    assert "Alpha network" in page.html and "/cop" in page.html
    assert any(c.startswith(f"{COOKIE}=deleted") for c in page.cookies)
    [exchange] = multi.stand_in.of("oauth.v2.access")
    assert exchange.args["redirect_uri"] == REDIRECT_URI
    assert (exchange.token or "").startswith("Basic ")  # client id and secret, never in the URL
    token = multi.token_of(ALPHA)
    assert token.startswith("xoxb-t0alpha-")
    [check] = multi.stand_in.of("auth.test")  # bolt learns the bot id with the new token
    assert check.token == token
    rows = multi.rows(
        "SELECT client_id, app_id, team_id, team_name, user_id, bot_scopes, is_enterprise_install "
        "FROM slack_installations"
    )
    assert rows == [(CLIENT_ID, APP_ID, ALPHA, "Alpha network", "U0AMINA", ",".join(SCOPES), False)]
    assert multi.rows("SELECT count(*) FROM slack_oauth_states") == [(0,)]  # consumed
    # the workspace's community exists, named after it, and the installer is its admin
    assert multi.rows(
        "SELECT c.name, m.handle, r.role FROM community c JOIN member m ON m.community_id = c.id "
        "JOIN role_grant r ON r.member_id = m.id WHERE c.platform = 'slack' AND c.external_id = :t",
        t=ALPHA,
    ) == [("Alpha network", "u0amina", "admin")]


async def test_reinstalling_keeps_one_community_and_uses_the_new_token(multi: Multi) -> None:
    await multi.install(ALPHA, "Alpha network")
    first = multi.token_of(ALPHA)
    multi.stand_in.revoked.add(first)
    await asyncio.sleep(0.01)  # a later installed_at
    await multi.install(ALPHA, "Alpha network")
    tokens = [t for (t,) in multi.rows("SELECT bot_token FROM slack_bots ORDER BY installed_at")]
    assert tokens[0] == first and tokens[-1] != first
    assert multi.rows("SELECT count(*) FROM community WHERE external_id = :t", t=ALPHA) == [(1,)]
    await multi.command(ALPHA, "/profile")
    await multi.stand_in.wait_for(ANSWER)
    [lookup] = multi.stand_in.of("users.info")
    assert lookup.token == tokens[-1]


async def test_bad_expired_and_reused_states_are_refused_with_a_clear_page(multi: Multi) -> None:
    install_link = '<a href="/slack/install">'
    # a state nobody issued (the cookie matches it, so only the store can refuse it)
    code = multi.stand_in.grant(ALPHA, "Alpha network")
    page = await multi.redirect(f"{COOKIE}=forged", code=code, state="forged")
    assert page.status == 401
    assert "expired or was already used" in page.html and install_link in page.html
    # an expired state
    _, state, cookie = await multi.start_install()
    with multi.bot.app.engine.begin() as conn:
        conn.execute(text("UPDATE slack_oauth_states SET expire_at = '2000-01-01 00:00:00'"))
    page = await multi.redirect(cookie, code=code, state=state)
    assert page.status == 401 and "expired or was already used" in page.html
    # a used state: the first redirect installs, the same one again is refused
    _, state, cookie = await multi.start_install()
    assert (await multi.redirect(cookie, code=code, state=state)).status == 200
    code_again = multi.stand_in.grant(ALPHA, "Alpha network")
    page = await multi.redirect(cookie, code=code_again, state=state)
    assert page.status == 401 and "expired or was already used" in page.html
    # a state from another browser (no cookie, or another one)
    _, state, _ = await multi.start_install()
    for cookie in (None, f"{COOKIE}=someone-else"):
        page = await multi.redirect(cookie, code=code_again, state=state)
        assert page.status == 400 and "another browser" in page.html
    # the installer cancelled on Slack's page
    page = await multi.redirect(None, error="access_denied", state=state)
    assert "cancelled" in page.html
    # the refused attempts never reached oauth.v2.access; the one good one did, once
    assert len(multi.stand_in.of("oauth.v2.access")) == 1
    assert len(multi.rows("SELECT team_id FROM slack_installations")) == 1


async def test_a_code_slack_refuses_and_org_wide_installs_are_refused(multi: Multi) -> None:
    _, state, cookie = await multi.start_install()
    page = await multi.redirect(cookie, code="not-a-code", state=state)
    assert page.status == 401 and "did not accept the authorization code" in page.html
    _, state, cookie = await multi.start_install()
    org = {"id": "E0ORG", "name": "Org"}
    code = multi.stand_in.grant(None, None, enterprise=org, redirect_uri=REDIRECT_URI)
    page = await multi.redirect(cookie, code=code, state=state)
    assert page.status == 500 and "Enterprise Grid organisation is not supported" in page.html
    assert multi.rows("SELECT count(*) FROM slack_installations") == [(0,)]


# ---- requests from installed workspaces ---------------------------------------------------------


async def test_each_workspace_is_answered_with_its_own_token_and_is_its_own_community(
    multi: Multi,
) -> None:
    await multi.install(ALPHA, "Alpha network", installer="U0AMINA")
    await multi.install(BETA, "Beta network", installer="U0BRUNO")
    alpha, beta = multi.token_of(ALPHA), multi.token_of(BETA)
    assert alpha != beta

    status, _, elapsed = await multi.command(
        ALPHA, "/profile", "set domains: housing; expert: yes", user="U0ANN", key="a1"
    )
    assert status == 200 and elapsed < ACK_LIMIT
    await multi.stand_in.wait_for(ANSWER, 1)
    await multi.command(ALPHA, "/find-expert", "housing", user="U0CAT", key="a2")
    await multi.command(BETA, "/find-expert", "housing", user="U0DAN", key="b1")
    answers = {a.key: a for a in await multi.stand_in.wait_for(ANSWER, 3)}
    assert "<@U0ANN>" in texts(answers["a2"].args["blocks"])
    assert "U0ANN" not in json.dumps(answers["b1"].args)  # Beta does not see Alpha's expert

    lookups = {c.args["user"]: c.token for c in multi.stand_in.of("users.info")}
    assert lookups == {"U0ANN": alpha, "U0CAT": alpha, "U0DAN": beta}
    members = multi.rows(
        "SELECT c.external_id, c.name, m.handle FROM member m JOIN community c "
        "ON c.id = m.community_id ORDER BY c.external_id, m.handle"
    )
    assert members == [
        (ALPHA, "Alpha network", "u0amina"),
        (ALPHA, "Alpha network", "u0ann"),
        (ALPHA, "Alpha network", "u0cat"),
        (BETA, "Beta network", "u0bruno"),
        (BETA, "Beta network", "u0dan"),
    ]

    # the installer is an admin of their own community only
    await multi.command(BETA, "/settings", "language: fr", user="U0BRUNO", key="b2")
    await multi.command(ALPHA, "/settings", "language: de", user="U0BRUNO", key="a3")
    answers = {a.key: a for a in await multi.stand_in.wait_for(ANSWER, 5)}
    assert "only admins" in answers["a3"].args["text"].lower()
    assert multi.rows("SELECT external_id, language FROM community ORDER BY external_id") == [
        (ALPHA, "en"),
        (BETA, "fr"),
    ]

    # a welcome DM for a member joining a channel in Beta goes out with Beta's token
    joined = {"type": "member_joined_channel", "user": "U0EVE", "channel": "C0B", "team": BETA}
    assert await multi.event(BETA, joined, event_id="Ev0JOIN") == 200
    [opened] = await multi.stand_in.wait_for("conversations.open")
    [posted] = await multi.stand_in.wait_for("chat.postMessage")
    assert opened.token == beta and posted.token == beta


async def test_a_workspace_that_never_installed_is_told_to_reinstall(multi: Multi) -> None:
    await multi.install(ALPHA, "Alpha network")
    status, _, _ = await multi.command(BETA, "/help", user="U0DAN")
    assert status == 200
    [answer] = await multi.stand_in.wait_for(ANSWER)
    assert "reinstall" in answer.args["text"]
    assert multi.stand_in.of("users.info") == []


async def test_uninstall_and_token_revocation_remove_the_installation(multi: Multi) -> None:
    await multi.install(ALPHA, "Alpha network")
    await multi.install(BETA, "Beta network")
    await multi.command(ALPHA, "/profile", "set city: Turin")
    await multi.stand_in.wait_for(ANSWER)

    assert await multi.event(ALPHA, {"type": "app_uninstalled"}, event_id="Ev0UNINST") == 200
    assert (
        await multi.event(
            BETA, {"type": "tokens_revoked", "tokens": {"bot": ["U0BOTT0BETA"]}}, event_id="Ev0REV"
        )
        == 200
    )
    left = "SELECT team_id FROM slack_bots UNION ALL SELECT team_id FROM slack_installations"
    deadline = time.monotonic() + 5
    while multi.rows(left):  # the listeners run after the ack
        assert time.monotonic() < deadline, multi.rows(left)
        await asyncio.sleep(0.02)
    # the community and its members stay, for a reinstall
    assert multi.rows("SELECT count(*) FROM member WHERE handle = 'u0ann'") == [(1,)]

    await multi.command(ALPHA, "/help", key="after")
    [_, after] = await multi.stand_in.wait_for(ANSWER, 2)
    assert "reinstall" in after.args["text"]


# ---- scheduled messages --------------------------------------------------------------------------


async def test_scheduled_messages_go_out_with_their_workspace_token(multi: Multi) -> None:
    await multi.install(ALPHA, "Alpha network")
    await multi.install(BETA, "Beta network")
    bot = multi.bot
    assert bot.workspaces is not None
    outbox = bot.workspaces.outbox(bot)
    message = reply(Text.of("Weekly digest"), visibility="channel")
    # jobs run on scheduler threads
    await asyncio.to_thread(outbox.post, Outgoing(Conversation("slack", BETA, "C0B"), message))
    dm = Direct(Conversation("slack", ALPHA, ""), Mention("u0ann", None, "U0ANN"), message)
    await asyncio.to_thread(outbox.direct, dm)
    posts = await multi.stand_in.wait_for("chat.postMessage", 2)
    assert {(p.args["channel"], p.token) for p in posts} == {
        ("C0B", multi.token_of(BETA)),
        ("D0ANN", multi.token_of(ALPHA)),
    }
    # a workspace without the app: the job is told nothing was sent
    with pytest.raises(RuntimeError, match="not installed"):
        await asyncio.to_thread(
            outbox.post, Outgoing(Conversation("slack", "T0GONE", "C1"), message)
        )

    # `cop-bot digest run-due` and friends, outside the bot: a blocking client per workspace
    web_outbox = make_outbox(bot.app)
    assert isinstance(web_outbox, WorkspaceWebOutbox)
    await asyncio.to_thread(web_outbox.post, Outgoing(Conversation("slack", ALPHA, "C0A"), message))
    posts = await multi.stand_in.wait_for("chat.postMessage", 3)
    assert (posts[-1].args["channel"], posts[-1].token) == ("C0A", multi.token_of(ALPHA))


# ---- single-workspace mode is unchanged ---------------------------------------------------------


async def test_single_workspace_mode_has_no_install_flow(
    sqlite_url: str, stand_in: StandIn, clock: FixedClock
) -> None:
    bot, runner, url = await serve(slack_settings(sqlite_url, stand_in.api_url), clock)
    try:
        assert bot.workspaces is None
        async with aiohttp.ClientSession() as http:
            for path in ("/slack/install", "/slack/oauth_redirect?code=x&state=y"):
                async with http.get(url + path) as response:
                    assert response.status == 404
            multi = Multi(url, bot, stand_in, http)
            await multi.command("T0TEST", "/help")
            await stand_in.wait_for(ANSWER)
            assert [c.token for c in stand_in.of("users.info")] == [TOKEN]
            # an uninstall is acknowledged (and logged), not left unhandled for Slack to retry
            assert await multi.event("T0TEST", {"type": "app_uninstalled"}, event_id="Ev1") == 200
    finally:
        await stop(bot, runner)


# ---- settings, manifest, `cop-bot run` -----------------------------------------------------------


BASE_ENV = {
    "SLACK_SIGNING_SECRET": SECRET,
    "SLACK_CLIENT_ID": CLIENT_ID,
    "SLACK_CLIENT_SECRET": CLIENT_SECRET,
    "COP_BOT_PUBLIC_URL": PUBLIC_URL,
}


def test_settings_choose_multi_workspace_mode_and_mask_the_secret() -> None:
    settings = load_settings(BASE_ENV)
    assert settings.slack_multi_workspace and settings.slack_configured
    platform, why = settings.chosen_platform()
    assert platform == "slack" and "multi-workspace" in why
    shown = settings.masked()
    assert CLIENT_SECRET not in shown["SLACK_CLIENT_SECRET"]
    assert shown["SLACK_CLIENT_ID"] == CLIENT_ID


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"SLACK_CLIENT_SECRET": ""}, "SLACK_CLIENT_SECRET is required when SLACK_CLIENT_ID"),
        ({"SLACK_CLIENT_ID": ""}, "SLACK_CLIENT_ID is required when SLACK_CLIENT_SECRET"),
        ({"SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET is required in multi-workspace"),
        ({"COP_BOT_PUBLIC_URL": ""}, "COP_BOT_PUBLIC_URL is required in multi-workspace"),
        ({"SLACK_BOT_TOKEN": TOKEN}, "Set either SLACK_BOT_TOKEN"),
        ({"SLACK_CLIENT_ID": "xoxb-oops"}, "SLACK_CLIENT_ID must be the app's client id"),
        ({"SLACK_AUTHORIZE_URL": "slack.com"}, "SLACK_AUTHORIZE_URL must be an http(s) URL"),
    ],
)
def test_half_configured_multi_workspace_mode_names_what_to_fix(
    change: dict[str, str], expected: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_settings({**BASE_ENV, **change})


def test_manifest_lists_the_redirect_url_and_the_uninstall_events() -> None:
    from cop_bot.handlers import build_registry

    manifest = build_manifest(build_registry(), "https://chat.example.net/cop/")
    assert manifest["oauth_config"]["redirect_urls"] == [
        "https://chat.example.net/cop/slack/oauth_redirect"
    ]
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert {"app_uninstalled", "tokens_revoked"} <= set(events)
    assert manifest["settings"]["org_deploy_enabled"] is False


async def test_cop_bot_run_serves_the_install_flow(stand_in: StandIn, tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        **BASE_ENV,
        "COP_BOT_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "COP_BOT_HTTP_PORT": str(port),
        "COP_BOT_LOG_FILE": str(tmp_path / "bot.log"),
        "COP_BOT_STATE_DIR": str(tmp_path / "state"),
        "SLACK_API_URL": stand_in.api_url,
    }
    for name in ("SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"):
        env.pop(name, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cop_bot", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
            await wait_until_healthy(http, url, proc)
            multi = Multi(url, None, stand_in, http)  # type: ignore[arg-type]
            await multi.install(ALPHA, "Alpha network")
            status, _, _ = await multi.command(ALPHA, "/help")
            assert status == 200
            [answer] = await stand_in.wait_for(ANSWER, timeout=10)
            assert "/find-expert" in texts(answer.args["blocks"])
            [lookup] = stand_in.of("users.info")
            assert lookup.token is not None and lookup.token.startswith("xoxb-t0alpha-")
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            _, err = proc.communicate()
    assert proc.returncode == 0, err
    assert "multi-workspace mode" in err and f"{PUBLIC_URL}/slack/install" in err
