"""Multi-workspace mode: Slack's OAuth install flow, with installations on the bot's own database.

On when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set. slack-bolt's `AsyncOAuthFlow` serves
`/slack/install` (a page with the "Add to Slack" link and a one-time `state`, also set as a
cookie) and `/slack/oauth_redirect` (Slack sends the installer back with a `code`, exchanged with
`oauth.v2.access` for the workspace's bot token). Installations and states live in slack-sdk's
tables on the app's engine (`stores.py`, migration 0006); bolt's `authorize` finds the bot token of
the workspace each request comes from, and `tokens.WorkspaceClient` uses it for every Web API call
made while handling that request.

- **Communities.** Each workspace (its `team_id`) is its own community, exactly as with one
  workspace: members, practices, sessions and roles never cross. The member who installs the app
  becomes an admin of their workspace's community, which is named after the workspace.
- **Org-wide installs** (Enterprise Grid) are refused with a clear page: the manifest keeps
  `org_deploy_enabled: false`, and each workspace of an organisation installs the app itself.
- **Token rotation** is off in the manifest; if it is turned on in the app's settings, bolt
  refreshes expiring tokens with the client id and secret, and scheduled messages do too.
- **Uninstalling** (`app_uninstalled`) or revoking the bot token (`tokens_revoked`) deletes the
  workspace's installation; its community's data stays, so a reinstall finds everything again.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.error import BoltError
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.token_rotation import TokenRotator
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import desc
from sqlalchemy.exc import SQLAlchemyError

from cop_bot.core import i18n
from cop_bot.core.i18n import N_, _
from cop_bot.core.members import set_up_community
from cop_bot.core.model import Actor, Outgoing
from cop_bot.core.outbox import Direct, Together
from cop_bot.platforms.slack.client import api_base, make_web_client
from cop_bot.platforms.slack.convert import conversation_for, handle_for
from cop_bot.platforms.slack.manifest import INSTALL_PATH, REDIRECT_PATH, SCOPES
from cop_bot.platforms.slack.outbox import (
    SlackOutbox,
    SlackWebOutbox,
    direct_message,
    post_message,
    recipient,
    together_message,
    together_users,
)
from cop_bot.platforms.slack.stores import InstallationStore, StateStore
from cop_bot.platforms.slack.tokens import use_token
from cop_bot.render.slack import render_message

if TYPE_CHECKING:
    from cop_bot.app import App
    from cop_bot.config import Settings
    from cop_bot.platforms.slack.bot import SlackBot

log = logging.getLogger(__name__)

DEFAULT_AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"
STATE_SECONDS = 600  # an install link works once, for 10 minutes (bolt's default)
TOKEN_ROTATION_MINUTES = 120  # refresh a rotating token this long before it expires
ORG_INSTALL = "org_install_not_supported"

# What the installer reads when an install fails, by bolt's failure reason.
FAILURES: dict[str, str] = {
    "access_denied": N_("The installation was cancelled in Slack, so nothing was installed."),
    "invalid_browser": N_(
        "This installation was started in another browser, or your browser did not keep this "
        "site's cookie. Please start again from the install page, in this browser."
    ),
    "invalid_state": N_(
        "This installation link has expired or was already used: each link works once, for "
        "10 minutes. Please start again from the install page."
    ),
    "missing_code": N_("Slack did not send an authorization code. Please start again."),
    "invalid_code": N_(
        "Slack did not accept the authorization code (it may have expired or been used "
        "already). Please start again from the install page."
    ),
    "storage_error": N_(
        "The installation could not be saved. Please try again in a moment; if it keeps "
        "failing, tell the person who runs this bot."
    ),
    ORG_INSTALL: N_(
        "Installing for a whole Enterprise Grid organisation is not supported: each workspace "
        "is its own community. Please install the app in each workspace instead."
    ),
}


def redirect_uri(settings: Settings) -> str | None:
    base = settings.public_url
    return base.rstrip("/") + REDIRECT_PATH if base else None


def install_url(settings: Settings) -> str:
    base = settings.public_url or f"http://{settings.http_host}:{settings.http_port}"
    return base.rstrip("/") + INSTALL_PATH


def page_language(headers: Mapping[str, Sequence[str]], default: str) -> str:
    """The installer's browser language (`Accept-Language`) when the bot speaks it, else the
    deployment's: the install pages are seen before anyone is a member."""
    ranked: list[tuple[float, int, str]] = []
    for value in headers.get("accept-language") or ():
        for i, part in enumerate(value.split(",")):
            code, _semi, q = part.strip().partition(";q=")
            try:
                weight = float(q) if q else 1.0
            except ValueError:
                continue
            if (language := i18n.supported(code)) is not None and weight > 0:
                ranked.append((-weight, i, language))
    return min(ranked)[2] if ranked else (i18n.supported(default) or i18n.DEFAULT)


def page(title: str, *paragraphs: str) -> str:
    """A small HTML page in the active language; every paragraph is given as HTML (callers
    escape what they insert)."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    language = i18n.active()
    direction = ' dir="rtl"' if i18n.is_rtl(language) else ""
    return (
        f'<!doctype html>\n<html lang="{language}"{direction}><head><meta charset="utf-8">'
        f'<link rel="icon" href="data:,"><title>{html.escape(title)}</title>'
        "<style>body{font-family:sans-serif;max-width:36em;margin:3em auto;padding:0 1em;"
        "text-align:center}</style></head>\n"
        f"<body><h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n"
    )


class OAuthFlow(AsyncOAuthFlow):
    """bolt's flow with this bot's install page, refusing org-wide installs and turning a
    database failure into a clear page rather than a bare 500."""

    community_name = "cop-bot"
    language = i18n.DEFAULT  # the deployment's (COP_BOT_LANGUAGE)

    async def build_install_page_html(self, url: str, request: AsyncBoltRequest) -> str:
        with i18n.using(page_language(request.headers, self.language)):
            return self._install_page(url)

    def _install_page(self, url: str) -> str:
        alt = html.escape(_("Add to Slack"), quote=True)
        link = (
            f'<a href="{html.escape(url)}"><img alt="{alt}" height="40" width="139" '
            'src="https://platform.slack-edge.com/img/add_to_slack.png" '
            'srcset="https://platform.slack-edge.com/img/add_to_slack.png 1x, '
            'https://platform.slack-edge.com/img/add_to_slack@2x.png 2x"></a>'
        )
        return page(
            _("Add {community} to Slack").format(community=self.community_name),
            html.escape(
                _(
                    "Find experts, share good practices and meet your community of practice. "
                    "Each workspace that installs the app is its own community; whoever installs "
                    "it becomes its first admin."
                )
            ),
            link,
            html.escape(_("The link works once, for 10 minutes.")),
        )

    async def store_installation(
        self, request: AsyncBoltRequest, installation: Installation
    ) -> None:
        if installation.is_enterprise_install:
            raise BoltError(ORG_INSTALL)
        try:
            await self.settings.installation_store.async_save(installation)
        except SQLAlchemyError as exc:
            log.exception("slack: saving the installation of %s failed", installation.team_id)
            raise BoltError("storage_error") from exc


class Workspaces:
    """Everything multi-workspace: the OAuth flow and its routes, the stores, the per-request
    token, the uninstall listeners and delivery of scheduled messages per workspace."""

    def __init__(self, app: App, client: AsyncWebClient) -> None:
        settings = app.settings
        client_id, client_secret = settings.slack_client_id, settings.slack_client_secret
        if not (client_id and client_secret):
            raise ValueError("multi-workspace mode needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
        self.app = app
        self.installations = InstallationStore(client_id, app.engine)
        self.states = StateStore(app.engine, STATE_SECONDS)
        self.redirect_uri = redirect_uri(settings)
        self.install_url = install_url(settings)
        oauth_settings = AsyncOAuthSettings(
            client_id=client_id,
            client_secret=client_secret,
            scopes=list(SCOPES),
            user_scopes=[],
            redirect_uri=self.redirect_uri,
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            callback_options=AsyncCallbackOptions(success=self._installed, failure=self._failed),
            authorization_url=settings.slack_authorize_url or DEFAULT_AUTHORIZE_URL,
            installation_store=self.installations,
            installation_store_bot_only=True,
            token_rotation_expiration_minutes=TOKEN_ROTATION_MINUTES,
            state_store=self.states,
            state_expiration_seconds=STATE_SECONDS,
            logger=log,
        )
        # bolt's default authorize would refresh rotating tokens through slack.com (use the
        # configured Web API: GovSlack, tests), and would call auth.test for every request: with
        # its cache, once per token. The token itself still comes from the installation store
        # each time (whose short cache forgets at once what this process saves or deletes), so
        # an uninstalled workspace is not served from bolt's cache.
        self.authorize = AsyncInstallationStoreAuthorize(
            logger=log,
            installation_store=self.installations,
            client_id=client_id,
            client_secret=client_secret,
            token_rotation_expiration_minutes=TOKEN_ROTATION_MINUTES,
            bot_only=True,
            cache_enabled=True,
            client=client,
        )
        self.rotator = AsyncTokenRotator(
            client_id=client_id, client_secret=client_secret, client=client
        )
        oauth_settings.authorize = self.authorize
        self.flow = OAuthFlow(client=client, logger=log, settings=oauth_settings)
        self.flow.community_name = settings.community_name
        self.flow.language = settings.language

    # ---- wiring into SlackBot ----

    def bolt_options(self) -> dict[str, Any]:
        """Extra `AsyncApp` arguments: bolt authorizes each request from the installations."""
        return {"oauth_flow": self.flow}

    def attach(self, bolt: AsyncApp) -> None:
        bolt.middleware(self._use_workspace_token)
        bolt.event("app_uninstalled")(self._on_uninstalled)
        bolt.event("tokens_revoked")(self._on_tokens_revoked)

    def add_routes(self, web_app: web.Application) -> None:
        web_app.router.add_get(INSTALL_PATH, self._install)
        web_app.router.add_get(REDIRECT_PATH, self._redirect)

    # ---- HTTP ----

    async def _install(self, request: web.Request) -> web.Response:
        answer = await self.flow.handle_installation(await to_bolt_request(request))
        return await to_aiohttp_response(answer)

    async def _redirect(self, request: web.Request) -> web.Response:
        answer = await self.flow.handle_callback(await to_bolt_request(request))
        return await to_aiohttp_response(answer)

    async def _installed(self, args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        try:
            await asyncio.to_thread(self._prepare_community, installation)
        except SQLAlchemyError:  # installed all the same: the community appears on first use
            log.exception("slack: preparing the community of %s failed", installation.team_id)
        log.info(
            "slack: installed in workspace %s (%s) by %s",
            installation.team_id,
            installation.team_name,
            installation.user_id,
        )
        with i18n.using(page_language(args.request.headers, self.app.settings.language)):
            body = self._installed_page(installation)
        return self._html(200, body, args.settings)

    def _installed_page(self, installation: Installation) -> str:
        team = installation.team_name or installation.team_id or _("your workspace")
        deep_link = f"slack://app?team={installation.team_id}&id={installation.app_id}"
        command = html.escape(self.app.router.registry.slash.command("cop"))
        open_slack = html.escape(_("Open Slack"))
        return page(
            _("Installed"),
            html.escape(
                _(
                    "{community} is now installed in {workspace}, and you are an admin of its "
                    "community."
                )
            ).format(
                community=html.escape(self.app.settings.community_name),
                workspace=f"<strong>{html.escape(team)}</strong>",
            ),
            html.escape(_("Type {command} in any channel to see every command.")).format(
                command=f"<code>{command}</code>"
            )
            + f' <a href="{html.escape(deep_link)}">{open_slack}</a>.',
        )

    async def _failed(self, args: AsyncFailureArgs) -> BoltResponse:
        reason = args.reason
        if args.error is not None and str(args.error) in FAILURES:
            reason = str(args.error)
        log.warning("slack: an installation failed: %s", reason)
        with i18n.using(page_language(args.request.headers, self.app.settings.language)):
            known = FAILURES.get(reason)
            message = (
                _(known)
                if known
                else _("Slack reported an error ({reason}). Please start again.").format(
                    reason=reason
                )
            )
            again = html.escape(_("Start the installation again"))
            link = f'<a href="{html.escape(INSTALL_PATH)}">{again}</a>'
            body = page(_("The installation did not complete"), html.escape(message), link)
        return self._html(args.suggested_status_code, body, args.settings)

    @staticmethod
    def _html(status: int, body: str, settings: AsyncOAuthSettings) -> BoltResponse:
        headers = {
            "Content-Type": "text/html; charset=utf-8",
            "Set-Cookie": [settings.state_utils.build_set_cookie_for_deletion()],
        }
        return BoltResponse(status=status, body=body, headers=headers)

    def _prepare_community(self, installation: Installation) -> None:
        """The workspace's community, named after it, with the installer as an admin."""
        team_id, user_id = installation.team_id, installation.user_id
        if not team_id:
            return
        admin = Actor(handle=handle_for(user_id), platform_user_id=user_id) if user_id else None
        app = self.app
        set_up_community(
            app.engine,
            app.settings,
            conversation_for(team_id, None),
            app.clock.now(),
            name=installation.team_name,
            admin=admin,
        )

    # ---- requests from Slack ----

    async def _use_workspace_token(
        self, context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
    ) -> None:
        """Every Web API call made for this request uses its workspace's bot token."""
        use_token(context.bot_token or context.token)
        await next()

    async def _on_uninstalled(self, context: AsyncBoltContext) -> None:
        await self.installations.async_delete_all(
            enterprise_id=context.enterprise_id, team_id=context.team_id
        )
        log.info("slack: uninstalled from workspace %s; installation deleted", context.team_id)

    async def _on_tokens_revoked(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        tokens = event.get("tokens") or {}
        if tokens.get("bot"):  # the app is bot-only: without its bot token it is gone
            await self.installations.async_delete_all(
                enterprise_id=context.enterprise_id, team_id=context.team_id
            )
            log.info("slack: bot token revoked in %s; installation deleted", context.team_id)
        for user_id in tokens.get("oauth") or []:
            await self.installations.async_delete_installation(
                enterprise_id=context.enterprise_id, team_id=context.team_id, user_id=user_id
            )

    # ---- scheduled messages ----

    async def installed_count(self) -> int:
        def count() -> int:
            from sqlalchemy import distinct, func, select

            bots = self.installations.sync.bots
            query = select(func.count(distinct(bots.c.team_id))).where(
                bots.c.client_id == self.installations.sync.client_id
            )
            with self.app.engine.connect() as conn:
                return int(conn.execute(query).scalar_one())

        return await asyncio.to_thread(count)

    async def bot_token(self, team_id: str) -> str | None:
        """The bot token of an installed workspace (refreshed first if it rotates and expires
        soon), or None when the app is not installed there."""
        bot = await asyncio.to_thread(find_team_bot, self.installations, team_id)
        if bot is None:
            return None
        if bot.bot_refresh_token:
            refreshed = await self.rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=TOKEN_ROTATION_MINUTES
            )
            if refreshed is not None:
                await self.installations.async_save_bot(refreshed)
                bot = refreshed
        return bot.bot_token

    async def as_workspace(self, team_id: str, work: Coroutine[Any, Any, object]) -> None:
        """Run `work` (a delivery) with the bot token of workspace `team_id`."""
        try:
            token = await self.bot_token(team_id)
        except BaseException:
            work.close()
            raise
        if token is None:
            work.close()
            raise RuntimeError(f"the app is not installed in Slack workspace {team_id}")
        use_token(token)  # this runs as a task of its own: the token stays with this delivery
        await work

    def outbox(self, bot: SlackBot) -> WorkspaceOutbox:
        return WorkspaceOutbox(bot, self)


def watch_installation(bolt: AsyncApp, workspaces: Workspaces | None) -> None:
    """Uninstall and token revocation: delete the installation (multi-workspace), or say in the
    log that SLACK_BOT_TOKEN no longer works (one workspace). Either way Slack gets its 200."""
    if workspaces is not None:
        workspaces.attach(bolt)
        return

    async def uninstalled(context: AsyncBoltContext) -> None:
        log.warning(
            "slack: the app was uninstalled from %s; SLACK_BOT_TOKEN is now invalid",
            context.team_id,
        )

    async def revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
        if (event.get("tokens") or {}).get("bot"):
            log.warning(
                "slack: the bot token of %s was revoked; SLACK_BOT_TOKEN is now invalid",
                context.team_id,
            )

    bolt.event("app_uninstalled")(uninstalled)
    bolt.event("tokens_revoked")(revoked)


def find_team_bot(store: InstallationStore, team_id: str) -> Bot | None:
    """The newest bot installation of a workspace, whatever its organisation (scheduled
    messages know the workspace, the community's external id, but not the Grid org)."""
    sync = store.sync
    c = sync.bots.c
    query = (
        sync.bots.select()
        .where(c.client_id == sync.client_id, c.team_id == team_id, c.bot_token.is_not(None))
        .order_by(desc(c.installed_at))
        .limit(1)
    )
    with sync.engine.connect() as conn:
        for row in conn.execute(query).mappings():
            return SQLAlchemyInstallationStore.build_bot_entity(row)
    return None


# ---- outboxes ----------------------------------------------------------------------------------


class WorkspaceOutbox(SlackOutbox):
    """`Outbox` of the running bot in multi-workspace mode: each message goes out with the bot
    token of its community's workspace (thread-safe, like `SlackOutbox`)."""

    def __init__(self, bot: SlackBot, workspaces: Workspaces, *, timeout: float = 60.0) -> None:
        super().__init__(bot, timeout=timeout)
        self.workspaces = workspaces

    def post(self, message: Outgoing) -> None:
        rendered = render_message(message.reply)
        team = message.conversation.community_id
        work = post_message(self.bot.client, message.conversation.channel_id, rendered)
        self._run(self.workspaces.as_workspace(team, work))

    def direct(self, message: Direct) -> None:
        to = recipient(message.to)
        work = direct_message(self.bot.client, to, render_message(message.reply))
        self._run(self.workspaces.as_workspace(message.community.community_id, work))

    def together(self, message: Together) -> None:
        users = together_users(message)
        if users is None:
            for to in message.to:
                self.direct(Direct(message.community, to, message.reply))
            return
        work = together_message(self.bot.client, users, render_message(message.reply))
        self._run(self.workspaces.as_workspace(message.community.community_id, work))


class WorkspaceWebOutbox:
    """`Outbox` for jobs run outside the bot (`digest run-due`) in multi-workspace mode: a
    blocking `WebClient` per workspace, with its bot token from the installations."""

    def __init__(self, app: App) -> None:
        settings = app.settings
        assert settings.slack_client_id and settings.slack_client_secret
        self.app = app
        self.store = InstallationStore(settings.slack_client_id, app.engine)
        self.api_url = settings.slack_api_url
        self.rotator = TokenRotator(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            client=WebClient(base_url=api_base(self.api_url)),
        )
        self._outboxes: dict[str, SlackWebOutbox] = {}

    def for_team(self, team_id: str) -> SlackWebOutbox:
        bot = find_team_bot(self.store, team_id)
        if bot is None or not bot.bot_token:
            raise RuntimeError(f"the app is not installed in Slack workspace {team_id}")
        refreshed = self.rotator.perform_bot_token_rotation(
            bot=bot, minutes_before_expiration=TOKEN_ROTATION_MINUTES
        )
        if refreshed is not None:
            self.store.sync.save_bot(refreshed)
            bot = refreshed
            self._outboxes.pop(team_id, None)
        outbox = self._outboxes.get(team_id)
        if outbox is None or outbox.client.token != bot.bot_token:
            client = make_web_client(bot.bot_token, self.api_url)
            outbox = self._outboxes[team_id] = SlackWebOutbox(client)
        return outbox

    def post(self, message: Outgoing) -> None:
        self.for_team(message.conversation.community_id).post(message)

    def direct(self, message: Direct) -> None:
        self.for_team(message.community.community_id).direct(message)

    def together(self, message: Together) -> None:
        self.for_team(message.community.community_id).together(message)


def make_outbox(app: App) -> WorkspaceWebOutbox:
    return WorkspaceWebOutbox(app)
