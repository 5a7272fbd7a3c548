"""The Slack app: slack-bolt's `AsyncApp` translating Slack requests to the engine and back.

Every listener acks first (Slack gives us 3 s, and does not redeliver a slash command or a
click that timed out), then resolves the member (`users.info`, cached), runs the synchronous
`Router.dispatch` in a worker thread and answers through the request's `response_url`, or the Web
API when there is none. Commands, buttons and App Home all run the same typed commands as every
other platform: a button's `value` *is* the command it stands for.

Replies are rendered in their own language (`Reply.locale`); what the adapter writes itself (a
form, the App Home footer, the welcome, a file it could not send) is in the member's language as
`platforms/slack/language.py` knows it, without a storage session.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlalchemy.exc import SQLAlchemyError

from cop_bot.app import App
from cop_bot.core import i18n
from cop_bot.core.args import parse_command_line
from cop_bot.core.i18n import _
from cop_bot.core.members import release_welcome, welcome_once
from cop_bot.core.model import (
    Actor,
    Code,
    Conversation,
    Divider,
    Header,
    Invocation,
    Mention,
    Reply,
    Status,
    Text,
    reply,
)
from cop_bot.core.outbox import DeliveryError
from cop_bot.core.seen import Seen, is_replay
from cop_bot.core.wording import phrase, plural
from cop_bot.platforms.common import LogLimit, Tasks
from cop_bot.platforms.http import add_routes
from cop_bot.platforms.slack import inbound, modals
from cop_bot.platforms.slack.client import make_client
from cop_bot.platforms.slack.convert import (
    PLATFORM,
    actor_from_profile,
    conversation_for,
    handle_for,
    unslack,
    user_id_for,
)
from cop_bot.platforms.slack.language import Languages
from cop_bot.platforms.slack.manifest import EVENTS_PATH
from cop_bot.platforms.slack.oauth import Workspaces, watch_installation
from cop_bot.render import text as plain
from cop_bot.render.slack import ACTION_ID_PREFIX, Json, render_blocks, render_message

if TYPE_CHECKING:
    from cop_bot.platforms.engine_pool import EnginePool

log = logging.getLogger(__name__)

MAX_HOME_BLOCKS = 100
# App Home: the member's profile, upcoming sessions and open questions, each a command's reply.
HOME_COMMANDS = ("/profile", "/sessions all", "/questions")
USER_CACHE_SECONDS = 3600.0
USER_CACHE_SIZE = 20_000
# Slack waits 3 s for an ack; what the engine answers within this budget rides on the ack itself
# (one round trip fewer), anything slower is acked empty and answered through response_url.
ACK_BUDGET = 2.0
BUTTON_ACTION = re.compile(rf"^{ACTION_ID_PREFIX}\d+$")
# Refused requests are logged one line each, at most this many a minute per process.
REFUSALS_PER_MINUTE = 10
ONCE = "cop_once"  # bolt context: what identifies this request, when it may come again
REFUSAL_ANSWERS = {401: "invalid request", 413: "request too large"}
FORM_LOOKUP = 1.0  # seconds a form waits for the member's Slack locale (trigger_id: 3 s)


# ---- small bounded memories ---------------------------------------------------------------------


class UserCache:
    """`users.info` results per workspace and user, for `USER_CACHE_SECONDS`."""

    def __init__(self, size: int = USER_CACHE_SIZE, seconds: float = USER_CACHE_SECONDS) -> None:
        self.size = size
        self.seconds = seconds
        self._users: OrderedDict[tuple[str, str], tuple[float, Actor]] = OrderedDict()

    def get(self, team: str, user: str) -> Actor | None:
        found = self._users.get((team, user))
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, team: str, user: str, actor: Actor) -> None:
        self._users[(team, user)] = (time.monotonic() + self.seconds, actor)
        self._users.move_to_end((team, user))
        while len(self._users) > self.size:
            self._users.popitem(last=False)


# ---- the app -----------------------------------------------------------------------------------


def command_names(app: App) -> list[str]:
    """Every name a command answers to, aliases included, with and without the deployment's
    COP_BOT_SLASH_PREFIX (the manifest registers the prefixed ones)."""
    return app.router.registry.slash.every_typed_name()


class SlackBot:
    """One Slack workspace's bot: the bolt app, its Web API client and delivery of replies."""

    def __init__(
        self, app: App, *, client: AsyncWebClient | None = None, engine: EnginePool | None = None
    ) -> None:
        settings = app.settings
        self.app = app
        self.engine = engine
        self.client = client or make_client(settings.slack_bot_token, settings.slack_api_url)
        self.users = UserCache()
        self.languages = Languages(settings.language)  # of the last reply each member got
        self.seen = Seen(app.engine, app.clock)  # retried events (commands: `Invocation.once`)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.ack_budget = ACK_BUDGET
        self.refusals = LogLimit(REFUSALS_PER_MINUTE, 60.0)
        self._http: ClientSession | None = None
        self.tasks = Tasks(log, "slack: work after the ack failed")
        # Commands run on a bounded pool of their own: under a burst, work queues here rather
        # than as threads all waiting on the database (SQLite takes one writer at a time and
        # gives up after its busy timeout; a burst of acked commands must not turn into
        # "database is locked" errors).
        workers = 2 if app.engine.dialect.name == "sqlite" else 8
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cop-slack")
        self.workspaces: Workspaces | None = None  # multi-workspace mode (SLACK_CLIENT_ID)
        if settings.slack_multi_workspace:
            self.workspaces = Workspaces(app, self.client)
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=settings.slack_signing_secret,
            # Listeners ack themselves and hand slow work to `_spawn`: bolt's own background mode
            # polls for the ack every 10 ms, which would cap a listener's throughput.
            process_before_response=True,
            # `_handle` checks every signature before bolt sees the request (bolt would parse
            # first, and log a refused request's whole body); Socket Mode has none to check.
            request_verification_enabled=False,
            raise_error_for_unhandled_request=False,
            **(self.workspaces.bolt_options() if self.workspaces else {}),
        )
        self.bolt.middleware(self._screen)
        watch_installation(self.bolt, self.workspaces)
        # One listener for every command: bolt tries listeners one by one, so twenty of them
        # would cost twenty matcher calls per request.
        names = "|".join(re.escape(n) for n in command_names(app))
        self.bolt.command(re.compile(f"^/(?:{names})$"))(self._on_command)
        self.bolt.action(BUTTON_ACTION)(self._on_button)
        self.bolt.view(modals.CALLBACK)(self._on_submit)
        self.bolt.event("app_home_opened")(self._on_home_opened)
        self.bolt.event("member_joined_channel")(self._on_member_joined)

    async def dispatch(self, invocation: Invocation) -> Reply:
        """The router's reply, whose language is remembered for the member's next form."""
        if self.engine is not None:
            result = await self.engine.dispatch(invocation)
        else:
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(self.executor, self.app.router.dispatch, invocation)
        if not is_replay(result):
            self.languages.heard(invocation.conversation.community_id, invocation.actor, result)
        return result

    def language_of(self, team: str, user_id: str, actor: Actor | None = None) -> str:
        """The member's language for words written without a reply (no storage session)."""
        return self.languages.of(team, user_id, actor or self.users.get(team, user_id))

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)

    def http(self) -> ClientSession:
        """One keep-alive HTTP session for every call to Slack (slack_sdk and bolt otherwise
        open and close a session, and a connection, per request). Made on the running loop."""
        if self._http is None or self._http.closed:
            self._http = ClientSession(timeout=ClientTimeout(total=30))
            if self.client.session is None or self.client.session.closed:
                self.client.session = self._http
        return self._http

    async def aclose(self) -> None:
        await self.tasks.wait(5.0)  # replies already acked are delivered before we go
        self.close()
        if self._http is not None and not self._http.closed:
            await self._http.close()

    def _spawn(self, work: Awaitable[Any]) -> None:
        """Work after the ack (bolt's error handler only sees what runs before the ack)."""
        self.tasks.spawn(work)

    # ---- HTTP ----

    def web_app(self, *, events: bool = True) -> web.Application:
        """`/healthz` and the calendar feeds always; `/slack/events` in HTTP mode (Socket Mode
        needs no public URL)."""
        web_app = web.Application()
        add_routes(web_app, self.app, PLATFORM, self.executor)
        if events:
            web_app.router.add_post(EVENTS_PATH, self._handle)
        if self.workspaces is not None:  # /slack/install and /slack/oauth_redirect
            self.workspaces.add_routes(web_app)
        web_app.on_startup.append(self._bind_loop)
        return web_app

    async def _bind_loop(self, _: web.Application) -> None:
        self.loop = asyncio.get_running_loop()
        self.http()

    async def _handle(self, request: web.Request) -> web.Response:
        """`/slack/events`: the signature first (401 without reading the body when the headers
        are missing, malformed or stale), then the body's shape (400), then bolt."""
        headers = request.headers
        size = request.content_length
        try:
            timestamp, signature = inbound.check_stamp(
                headers.get("X-Slack-Request-Timestamp"),
                headers.get("X-Slack-Signature"),
                time.time(),
            )
            if size is not None and size > inbound.MAX_BODY:
                raise inbound.Refused(413, f"its body is over {inbound.MAX_BODY} bytes")
            try:
                raw = await request.read()
            except web.HTTPRequestEntityTooLarge:
                raise inbound.Refused(413, f"its body is over {inbound.MAX_BODY} bytes") from None
            size = len(raw)
            secret = self.app.settings.slack_signing_secret or ""
            inbound.check_signature(secret, timestamp, signature, raw)
            body = inbound.parse(raw, headers.get("Content-Type"))
            kind = inbound.kind_of(body)
        except inbound.Refused as refused:
            return self._refuse(request, refused, size)
        bolt_request = AsyncBoltRequest(
            body="", query=request.query_string, headers=inbound.bolt_headers(request)
        )
        # The body as parsed and checked above (bolt would parse it again, its own way)
        bolt_request.raw_body = raw.decode()
        bolt_request.body = body
        bolt_request.context = build_async_context(AsyncBoltContext(), body)
        if kind in {inbound.Kind.COMMAND, inbound.Kind.INTERACTION}:
            # claimed with the command it runs, so that a replay acts once (`Invocation.once`)
            bolt_request.context[ONCE] = inbound.replay_key(timestamp, signature)
        return await to_aiohttp_response(await self.bolt.async_dispatch(bolt_request))

    def _refuse(
        self, request: web.Request, refused: inbound.Refused, size: int | None
    ) -> web.Response:
        """One line per refused request, without its body, at most `REFUSALS_PER_MINUTE` a
        minute (anyone can send them)."""
        allowed, held = self.refusals.allow()
        if held == 1:
            log.warning("slack: one more request was refused in the last minute, not logged.")
        elif held:
            log.warning(
                "slack: %(count)d more requests were refused in the last minute, not logged.",
                {"count": held},
            )
        if allowed:
            log.warning(
                "slack: refused a request from %(source)s (%(size)s, HTTP %(status)d): %(reason)s.",
                {
                    "source": inbound.source_of(request),
                    "size": "size unknown" if size is None else plural(size, "byte"),
                    "status": refused.status,
                    "reason": refused.reason,
                },
            )
        if refused.status == 400:  # signed: whoever sent it holds the secret, so say what is wrong
            answer = {"error": "bad request", "reason": refused.reason}
        else:
            answer = {"error": REFUSAL_ANSWERS.get(refused.status, "refused")}
        return web.json_response(answer, status=refused.status)

    # ---- middleware ----

    async def _screen(
        self,
        req: AsyncBoltRequest,
        body: dict[str, Any],
        next: Callable[[], Awaitable[None]],
    ) -> BoltResponse | None:
        """Socket Mode requests get the body check HTTP ones got in `_handle`; events are
        acted on once across replicas. Slack redelivers an event up to 3 times when our answer
        was slow or lost, with the same outer `event_id` (Socket Mode may drop the retry
        headers, so `X-Slack-Retry-Num` is not relied on)."""
        if req.mode == "socket_mode":
            try:
                inbound.kind_of(body)
            except inbound.Refused as refused:
                log.warning(
                    "slack: refused a Socket Mode request: %(reason)s.", {"reason": refused.reason}
                )
                return BoltResponse(status=200, body="")  # acked: sent again, it is no better
        key = inbound.event_key(body)
        if key is not None and not await self.first_time(key):
            log.info("slack: dropped a redelivered event %s", key[-1])
            return BoltResponse(status=200, body="")
        await next()
        return None

    async def first_time(self, key: tuple[str, ...]) -> bool:
        """Whether no replica has claimed `key` yet (claiming it). When the database cannot
        say, the request is served: the command itself then meets the same database."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, self.seen.first_time, *key)
        except SQLAlchemyError as exc:
            log.warning(
                "slack: could not check whether this was seen before, so it is handled: %s", exc
            )
            return True

    # ---- listeners ----

    async def _on_command(
        self,
        ack: AsyncAck,
        command: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        """The answer rides on the ack when the engine has it within `ack_budget`; a slower
        one, and anything meant for a direct message, follows the empty ack. A replay (the
        same signed request again) is acked and dropped."""
        once = context.get(ONCE)
        name = str(command.get("command", "")).lstrip("/")
        text = unslack(str(command.get("text", "")))
        team = str(command.get("team_id", ""))
        conversation = conversation_for(
            team, command.get("channel_id"), str(command.get("channel_name", ""))
        )
        spec = self.app.router.registry.get(name)
        form = modals.form_for(spec.name, text) if spec is not None else None
        if form is not None and command.get("trigger_id"):
            await ack()
            if once is not None and not await self.first_time(once):
                return
            # trigger_id is valid for 3 s and once: open the form before anything else
            metadata = {"team": team, "channel": conversation.channel_id}
            user = (str(command.get("user_id", "")), str(command.get("user_name", "")))
            initial = modals.initial_values(form, text)
            trigger = str(command["trigger_id"])
            self._spawn(self._open_form(form, metadata, trigger, team, *user, initial=initial))
            return

        async def run() -> tuple[Reply, Actor]:
            actor = await self.actor(
                team, str(command["user_id"]), str(command.get("user_name", ""))
            )
            invocation = Invocation(
                name=name,
                text=text,
                actor=actor,
                conversation=conversation,
                raw=f"/{name} {text}".rstrip(),
                once=once,
            )
            return await self.dispatch(invocation), actor

        work = asyncio.ensure_future(run())
        await asyncio.wait({work}, timeout=self.ack_budget)
        if work.done() and work.exception() is None:
            result, actor = work.result()
            if is_replay(result):
                await ack()
                return
            if result.visibility != "dm":
                message = render_message(result)
                await ack(
                    text=message["text"],
                    blocks=message["blocks"],
                    response_type=message["response_type"],
                )
                if result.notices or result.attachments:
                    self._spawn(self.deliver_after_ack(result, conversation, actor))
                return
        await ack()
        has_url = bool(command.get("response_url"))

        async def finish() -> None:
            result, actor = await work
            if not is_replay(result):
                await self.deliver(result, conversation, actor, respond if has_url else None)

        self._spawn(finish())

    async def _open_form(
        self,
        form: modals.Form,
        metadata: dict[str, str],
        trigger_id: str,
        team: str,
        user_id: str,
        user_name: str,
        *,
        initial: dict[str, str] | None = None,
    ) -> None:
        """The form in the member's language: a newcomer's Slack locale is worth a short wait
        (`users.info`, cached), within the 3 s the trigger_id lives."""
        actor = self.users.get(team, user_id)
        if actor is None and not self.languages.knows(team, user_id):
            with contextlib.suppress(TimeoutError):
                actor = await asyncio.wait_for(self.actor(team, user_id, user_name), FORM_LOOKUP)
        with i18n.using(self.language_of(team, user_id, actor)):
            view = modals.view(form, metadata, initial)
        await self._call("views.open", self.client.views_open, trigger_id=trigger_id, view=view)

    async def _on_button(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        """A button runs its typed command (its `value`) as the member who clicked it; the
        Answer button (`/answer 12`) opens the answer form instead, within the trigger's 3 s."""
        await ack()
        parsed = parse_command_line(str(action.get("value", "")))
        form = modals.form_for(parsed.name, parsed.rest) if parsed is not None else None
        if parsed is not None and form is not None and form.numbered and body.get("trigger_id"):
            user = body.get("user") or {}
            team = str((body.get("team") or {}).get("id") or user.get("team_id") or "")
            channel = str((body.get("channel") or {}).get("id") or "")
            metadata = {"team": team, "channel": conversation_for(team, channel or None).channel_id}
            who = (str(user.get("id", "")), str(user.get("username", "")))
            initial = modals.initial_values(form, parsed.rest)
            trigger = str(body["trigger_id"])
            self._spawn(self._open_form(form, metadata, trigger, team, *who, initial=initial))
            return
        self._spawn(self._click(body, action, respond, context.get(ONCE)))

    async def _click(
        self,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        once: tuple[str, ...] | None,
    ) -> None:
        parsed = parse_command_line(str(action.get("value", "")))
        if parsed is None:
            return
        user = body.get("user") or {}
        team = str((body.get("team") or {}).get("id") or user.get("team_id") or "")
        channel = (body.get("channel") or {}).get("id")
        conversation = conversation_for(team, channel)
        actor = await self.actor(team, str(user.get("id", "")), str(user.get("username", "")))
        invocation = Invocation(
            name=parsed.name,
            text=parsed.rest,
            actor=actor,
            conversation=conversation,
            raw=str(action.get("value", "")),
            once=once,
        )
        result = await self.dispatch(invocation)
        if is_replay(result):
            return
        has_url = bool(body.get("response_url"))
        await self.deliver(result, conversation, actor, respond if has_url else None)

    async def _on_submit(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        context: AsyncBoltContext,
    ) -> None:
        """A submitted form runs its command; problems go back onto the form's fields."""
        form = modals.FORMS.get(
            str(view.get("callback_id", "")).removeprefix(modals.CALLBACK_PREFIX)
        )
        if form is None:
            await ack()
            return
        metadata: dict[str, Any] = {}
        with contextlib.suppress(ValueError, TypeError):
            metadata = dict(json.loads(str(view.get("private_metadata") or "{}")))
        user = body.get("user") or {}
        user_id = str(user.get("id", ""))
        team = str(metadata.get("team") or user.get("team_id") or "")
        conversation = conversation_for(team, str(metadata.get("channel") or "") or None)
        try:  # the ack below carries the verdict, so nothing here may take long
            actor = await asyncio.wait_for(
                self.actor(team, user_id, str(user.get("username", ""))), 1.0
            )
        except TimeoutError:
            actor = actor_from_profile(user_id, None, str(user.get("username", "")))
        text = form.text(modals.submitted(view))
        invocation = Invocation(
            form.command,
            text,
            actor,
            conversation,
            raw=f"/{form.command} {text}",
            once=context.get(ONCE),
        )
        task = asyncio.ensure_future(self.dispatch(invocation))
        try:
            result = await asyncio.wait_for(asyncio.shield(task), self.ack_budget)
        except TimeoutError:  # too slow to judge inside Slack's 3 s: close, answer later
            await ack()

            async def later() -> None:
                result = await task
                if not is_replay(result):
                    await self.deliver(result, conversation, actor, None)

            self._spawn(later())
            return
        if is_replay(result):
            await ack()
            return
        error = result.data.get("error") or {}
        if result.status is Status.USER_ERROR and error.get("code") != "permission":
            problems = error.get("problems") or [error.get("message") or plain.render(result)]
            with i18n.using(result.locale):  # the complaints may name fields by their labels
                errors = modals.errors_for(form, "\n".join(str(p) for p in problems))
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        self._spawn(self.deliver(result, conversation, actor, None))

    async def _on_home_opened(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab") == "home":
            self._spawn(self._publish_home(event, body))

    async def _publish_home(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """App Home: the replies of `HOME_COMMANDS`, as the member would see them."""
        user_id = str(event.get("user", ""))
        team = str(body.get("team_id", ""))
        actor = await self.actor(team, user_id, "")
        conversation = conversation_for(team, str(event.get("channel", "")) or None)
        blocks: list[Json] = []
        language = self.language_of(team, user_id, actor)
        for line in HOME_COMMANDS:
            parsed = parse_command_line(line)
            if parsed is None or self.app.router.registry.get(parsed.name) is None:
                continue
            invocation = Invocation(parsed.name, parsed.rest, actor, conversation, raw=line)
            result = await self.dispatch(invocation)
            if blocks:
                blocks.append({"type": "divider"})
            blocks.extend(render_blocks(result))
            language = result.locale
        with i18n.using(language):
            hint = _("Type /cop in any channel for every command.")
        hint = self.app.router.registry.slash.text(hint)
        footer = {"type": "context", "elements": [{"type": "mrkdwn", "text": hint}]}
        view = {"type": "home", "blocks": [*blocks[: MAX_HOME_BLOCKS - 1], footer]}
        await self._call("views.publish", self.client.views_publish, user_id=user_id, view=view)

    async def _on_member_joined(
        self, event: dict[str, Any], body: dict[str, Any], context: Mapping[str, Any]
    ) -> None:
        self._spawn(self._onboard(event, body, context))

    async def _onboard(
        self, event: dict[str, Any], body: dict[str, Any], context: Mapping[str, Any]
    ) -> None:
        """Onboarding: one direct message per member, whichever channel they join first.

        The welcome is claimed in the database before it is sent (so two joins at once send
        one), and given back if Slack would not take it (so a later join tries again)."""
        user_id = str(event.get("user", ""))
        if not user_id or user_id == context.get("bot_user_id"):
            return
        team = str(event.get("team") or body.get("team_id") or "")
        conversation = conversation_for(team, event.get("channel"))
        actor = await self.actor(team, user_id, "")
        loop = asyncio.get_running_loop()
        app = self.app
        claimed = await loop.run_in_executor(
            self.executor,
            welcome_once,
            app.engine,
            app.settings,
            conversation,
            actor,
            app.clock.now(),
        )
        if claimed is None:
            return
        member_id, language = claimed
        welcome = self.welcome(actor, team, language=language)
        if not await self.direct(user_id, render_message(welcome)):
            await loop.run_in_executor(self.executor, release_welcome, app.engine, member_id)

    def welcome(self, actor: Actor, team: str = "", *, language: str | None = None) -> Reply:
        """The welcome in the newcomer's language: `language` as the core resolved it (their
        Slack locale when the bot speaks it, else the community's), else as far as this
        process knows it."""
        name = self.app.settings.community_name
        chosen = language or self.language_of(team, actor.platform_user_id or "", actor)
        with i18n.using(chosen):
            return self.app.router.registry.slash.reply(self._welcome(actor, name))

    def _welcome(self, actor: Actor, name: str) -> Reply:
        mention = Mention(actor.handle, actor.display_name, actor.platform_user_id)
        return reply(
            Header(_("Welcome to {community}").format(community=name)),
            Text(
                phrase(
                    _(
                        "Hi {member}! This community shares good practices, finds experts and "
                        "runs sessions."
                    ),
                    member=mention,
                )
            ),
            Text(
                phrase(
                    _(
                        "Set up your profile so others can find you: {command}. Listing yourself "
                        "is opt-in and you can withdraw at any time."
                    ),
                    command=Code("/profile set"),
                )
            ),
            Divider(),
            Text(phrase(_("Type {command} to see every command."), command=Code("/cop"))),
            visibility="dm",
        )

    # ---- members ----

    async def actor(self, team: str, user_id: str, fallback_name: str) -> Actor:
        """The member as an `Actor`, with time zone and locale from `users.info` (cached). A
        profile's own time zone or language wins over these in the engine."""
        cached = self.users.get(team, user_id)
        if cached is not None:
            return cached
        user: Mapping[str, Any] | None = None
        try:
            response = await self.client.users_info(user=user_id, include_locale=True)
            found = response.get("user")
            user = found if isinstance(found, dict) else None
        except (SlackApiError, ClientError, TimeoutError) as exc:
            log.warning("slack: users.info for %s failed: %s", user_id, exc)
        actor = actor_from_profile(user_id, user, fallback_name)
        if user is not None:
            self.users.put(team, user_id, actor)
        return actor

    # ---- delivery ----

    async def deliver(
        self,
        result: Reply,
        conversation: Conversation,
        actor: Actor,
        respond: AsyncRespond | None,
    ) -> None:
        """The reply where it belongs, then each notice as a direct message."""
        message = render_message(result)
        user_id = actor.platform_user_id or handle_for(actor.handle).upper()
        if result.visibility == "dm" or (respond is None and not conversation.channel_id):
            await self.direct(user_id, message)
        elif respond is not None and respond.response_url:
            webhook = AsyncWebhookClient(respond.response_url, session=self.http())
            try:
                answer = await webhook.send_dict(
                    {
                        "text": message["text"],
                        "blocks": message["blocks"],
                        "response_type": message["response_type"],
                        "replace_original": False,
                    }
                )
                if answer.status_code != 200:
                    log.warning("slack: response_url answered %s", answer.status_code)
            except (ClientError, TimeoutError) as exc:
                log.warning("slack: response_url failed: %s", exc)
        elif result.visibility == "channel":
            await self.post(conversation.channel_id, message)
        else:
            await self._call(
                "chat.postEphemeral",
                self.client.chat_postEphemeral,
                channel=conversation.channel_id,
                user=user_id,
                text=message["text"],
                blocks=message["blocks"],
            )
        await self.deliver_files(result, conversation, actor)
        await self.deliver_notices(result)

    async def deliver_after_ack(
        self, result: Reply, conversation: Conversation, actor: Actor
    ) -> None:
        """What a reply that rode on the ack still needs: its files, then its notices."""
        await self.deliver_files(result, conversation, actor)
        await self.deliver_notices(result)

    async def deliver_files(self, result: Reply, conversation: Conversation, actor: Actor) -> None:
        """Each file the reply carries, shared in its channel with a channel reply, else in the
        member's direct messages with the bot (Slack has no ephemeral files). A file Slack did
        not take is logged, and the member told so."""
        from cop_bot.platforms.slack.files import upload_file  # only when there is a file

        user_id = actor.platform_user_id or handle_for(actor.handle).upper()
        for attachment in result.attachments:
            try:
                channel = conversation.channel_id if result.visibility == "channel" else ""
                if not channel:
                    opened = await self.client.conversations_open(users=user_id)
                    channel = str((opened.get("channel") or {}).get("id") or "")
                await upload_file(self.client, channel, attachment)
            except (DeliveryError, SlackApiError, ClientError, TimeoutError) as exc:
                log.warning("slack: %s for %s was not sent: %s", attachment.filename, user_id, exc)
                with i18n.using(result.locale):
                    sorry = reply(
                        Text.of(
                            _("I could not send you the file {filename}; please try again.").format(
                                filename=attachment.filename
                            )
                        )
                    )
                await self.direct(user_id, render_message(sorry))

    async def deliver_notices(self, result: Reply) -> None:
        """Each notice (a promotion off a waiting list, a curator's verdict) as a direct message."""
        for notice in result.notices:
            to = user_id_for(notice.to)
            if to is None:
                log.warning("slack: no Slack user id for @%s; notice not sent", notice.to.handle)
                continue
            message = Reply(blocks=notice.blocks, visibility="dm", locale=notice.locale)
            await self.direct(to, render_message(message))

    async def post(self, channel: str, message: Json) -> bool:
        """True when Slack took the message."""
        return None is not await self._call(
            "chat.postMessage",
            self.client.chat_postMessage,
            channel=channel,
            text=message["text"],
            blocks=message["blocks"],
        )

    async def direct(self, user_id: str, message: Json) -> bool:
        """True when Slack took the message."""
        opened = await self._call(
            "conversations.open", self.client.conversations_open, users=user_id
        )
        channel = (opened or {}).get("channel") or {}
        if not channel.get("id"):
            return False
        return await self.post(str(channel["id"]), message)

    async def _call(
        self, method: str, fn: Callable[..., Awaitable[Any]], **kwargs: Any
    ) -> Mapping[str, Any] | None:
        """A Web API call whose failure is logged, not raised: the member's command has already
        been acked and committed, and one failed delivery must not stop the next."""
        try:
            response = await fn(**kwargs)
            data = response.data
            return data if isinstance(data, dict) else None
        except SlackApiError as exc:
            log.warning("slack: %s failed: %s", method, exc.response.get("error"))
        except (ClientError, TimeoutError) as exc:
            log.warning("slack: %s failed: %s", method, exc)
        return None
