"""A local stand-in for Slack: the Web API (`/api/<method>`) and `response_url`s (`/response/<key>`),
recording every call and answering like Slack's documented responses.

Modelled on bolt-python's tests/mock_web_api_server, but a real aiohttp server on loopback, so the
app under test uses its ordinary HTTP clients. Knobs: `rate_limit[method] = (n, retry_after)`
answers the next n calls with HTTP 429 and `Retry-After`; `fail[method] = "error_code"` answers
`{"ok": false, "error": ...}`. Messages breaking Slack's size limits are refused the way Slack
refuses them (`invalid_blocks`, `msg_too_long`), so a test sees what production would.

Channels, as `chat.postMessage` documents its errors: a channel in `outside` is one the bot is
not a member of (`not_in_channel`), in `archived` an archived one (`is_archived`), in `deleted`
one that no longer exists (`channel_not_found`); each answers HTTP 200 with `{"ok": false,
"error": ...}`, like Slack.

Files, in Slack's three documented steps: `files.getUploadURLExternal` (a `filename` and its
`length` in bytes; a length of 0 is `missing_argument`) answers a `file_id` and an `upload_url`
on this server; a POST of the bytes there (raw or multipart) answers `OK - <length>` (a length
other than the one announced is refused with HTTP 400); `files.completeUploadExternal` takes
`files` (a JSON array of `{"id", "title"}`, each uploaded: else `file_not_found`) and a
`channel_id` (refused like a message to it), and shares them. `shared` maps each shared file id
to its channel, title, name and bytes.

OAuth (multi-workspace mode): `grant(team_id, team_name)` is what Slack does when a member approves
the install on Slack's authorize page: it returns the one-time `code` the installer's browser
brings to the bot's redirect URL. `oauth.v2.access` checks the app's client id and secret and the
code (once), and answers with a bot token of that workspace; `auth.test` and the Authorization
header then tell the workspaces apart. `revoked` tokens are refused with `token_revoked`.

Socket Mode: `apps.connections.open` takes only an app-level token (`xapp-...`) and only in the
Authorization header (a bot token: `not_allowed_token_type`; app-level tokens are refused by every
other method the same way); it answers a one-time `ws://` URL on this server. On connecting the
app gets Slack's `hello`; `push(type, payload)` then sends it an envelope (`slash_commands`,
`events_api`, `interactive`) and each acknowledgement it sends back (`{"envelope_id", "payload"?}`)
is recorded as a `socket_ack` call keyed by the envelope id (`acked(envelope_id)` awaits it). The
message in a slash command's ack is shown to the member, so it is recorded as an `ack` too (see
`ANSWER`); one Slack would refuse is recorded as `ack_refused`. `disconnect(reason)` is Slack's
`disconnect` message (e.g. `refresh_requested`), after which the app opens a new connection.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aiohttp import WSCloseCode, WSMsgType, web

TEAM_ID = "T0TEST"
BOT_USER_ID = "U0BOT"
APP_ID = "A0COPBOT"
CLIENT_ID = "1111111111.2222222222222"
CLIENT_SECRET = "0123456789abcdef0123456789abcdef"
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_TEXT = 40_000
ANSWER = "answer"
ANSWERED_BY = ("ack", "response_url")
SOCKET_PATH = "/socket-mode"
SOCKET_HOST = "applink-stand-in"  # the debug_info host Slack names in hello and disconnect
# What an app-level token may call; anything else answers not_allowed_token_type.
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})


@dataclass
class Call:
    # a Web API method, "response_url", "ack" (a message in a command's ack), "ack_refused"
    # (one Slack would not show) or "socket_ack" (a Socket Mode acknowledgement, args its payload)
    method: str
    args: dict[str, Any]
    token: str | None = None
    key: str | None = None  # the response_url key; a socket_ack's envelope id


def block_problem(blocks: Any, limit: int = MAX_BLOCKS) -> str | None:
    """Why Slack would refuse these blocks, or None."""
    if blocks is None:
        return None
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if len(blocks) > limit:
        return "invalid_blocks"
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        if block.get("type") == "section" and len(text) > MAX_SECTION_TEXT:
            return "invalid_blocks"
        if block.get("type") == "header" and len(text) > 150:
            return "invalid_blocks"
    return None


@dataclass
class Grant:
    """A workspace's approval of the install: what `oauth.v2.access` exchanges its code for."""

    team_id: str | None
    team_name: str | None
    installer: str
    bot_token: str
    bot_user_id: str
    scopes: str
    enterprise: dict[str, str] | None = None
    redirect_uri: str | None = None

    @property
    def is_enterprise_install(self) -> bool:
        return self.team_id is None and self.enterprise is not None


@dataclass
class StandIn:
    calls: list[Call] = field(default_factory=list)
    rate_limit: dict[str, tuple[int, int]] = field(default_factory=dict)
    fail: dict[str, str] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)  # by file id, not shared
    shared: dict[str, dict[str, Any]] = field(default_factory=dict)  # by file id
    outside: set[str] = field(default_factory=set)  # channels the bot is not a member of
    archived: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    url: str = ""
    codes: dict[str, Grant] = field(default_factory=dict)  # issued, not yet exchanged
    installed: dict[str, Grant] = field(default_factory=dict)  # by bot token
    revoked: set[str] = field(default_factory=set)
    tickets: set[str] = field(default_factory=set)  # Socket Mode URLs issued, not yet used
    sockets: list[web.WebSocketResponse] = field(default_factory=list)  # open, hello sent
    envelopes: dict[str, dict[str, Any]] = field(default_factory=dict)  # pushed, by id
    _runner: web.AppRunner | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self, port: int = 0) -> StandIn:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get(SOCKET_PATH, self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        for ws in list(self.sockets):  # an open websocket would hold the server's shutdown
            await ws.close(code=WSCloseCode.GOING_AWAY)
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, key: str = "1") -> str:
        return f"{self.url}/response/{key}"

    def of(self, method: str) -> list[Call]:
        """`ANSWER` stands for what a member sees in reply to a command: the message in its ack,
        or one sent to its response_url."""
        methods = ANSWERED_BY if method == ANSWER else (method,)
        return [c for c in self.calls if c.method in methods]

    def shown(self, key: str, ack_body: str) -> None:
        """What Slack does with a slash command's ack: a message in it is shown to the member
        (an empty ack shows nothing). A message Slack would refuse fails the test."""
        if not ack_body:
            return
        args = json.loads(ack_body)
        problem = block_problem(args.get("blocks"))
        assert problem is None, f"Slack would refuse this ack: {problem}"
        assert len(str(args.get("text", ""))) <= MAX_TEXT, "Slack would refuse this ack: too long"
        self._record(Call("ack", args, key=key))

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """The calls of `method` once there are at least `count` of them."""
        await self._until(
            lambda: len(self.of(method)) >= count, f"{count} {method} call(s)", timeout
        )
        return self.of(method)

    async def _until(self, done: Callable[[], bool], expected: str, timeout: float) -> None:
        """Until `done()`, checked whenever something is recorded (and every 50 ms)."""
        deadline = time.monotonic() + timeout
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [c.method for c in self.calls]
                raise AssertionError(f"expected {expected}; saw {seen}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 0.05))

    # ---- Socket Mode ----

    async def socket(
        self, timeout: float = 5.0, *, replacing: web.WebSocketResponse | None = None
    ) -> web.WebSocketResponse:
        """The app's open Socket Mode connection (the newest), once it has one; with
        `replacing`, the one the app opened in its place once that one is closed."""

        def ready() -> bool:
            fresh = [ws for ws in self._open() if ws is not replacing]
            return bool(fresh) and (replacing is None or replacing.closed)

        await self._until(ready, "a Socket Mode connection", timeout)
        return self._open()[-1]

    async def sockets_closed(self, timeout: float = 5.0) -> None:
        """Until the app has closed every Socket Mode connection (as it should when it stops)."""
        await self._until(lambda: not self.sockets, "no Socket Mode connection", timeout)

    def _open(self) -> list[web.WebSocketResponse]:
        return [ws for ws in self.sockets if not ws.closed]

    async def push(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        accepts_response_payload: bool | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        timeout: float = 5.0,
    ) -> str:
        """Deliver `payload` to the app over Socket Mode as Slack wraps it; the envelope id.

        Slack takes a response payload in the ack of a slash command or a view submission
        only, and sends `retry_attempt`/`retry_reason` with Events API envelopes only (a
        redelivery keeps the payload's `event_id` and counts up `retry_attempt`)."""
        ws = await self.socket(timeout)
        envelope_id = envelope_id or str(uuid.uuid4())
        if accepts_response_payload is None:
            accepts_response_payload = (
                type == "slash_commands" or payload.get("type") == "view_submission"
            )
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": type,
            "accepts_response_payload": accepts_response_payload,
        }
        if type == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        self.envelopes[envelope_id] = envelope
        await ws.send_json(envelope)
        return envelope_id

    async def acked(self, envelope_id: str, timeout: float = 5.0) -> Call:
        """The app's acknowledgement of the envelope `envelope_id`, once it has come."""

        def found() -> list[Call]:
            return [c for c in self.of("socket_ack") if c.key == envelope_id]

        await self._until(lambda: bool(found()), f"an ack of envelope {envelope_id}", timeout)
        return found()[0]

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Slack's notice that it is about to drop the connection: the app should reconnect."""
        for ws in self._open():
            await ws.send_json(
                {"type": "disconnect", "reason": reason, "debug_info": {"host": SOCKET_HOST}}
            )

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self.tickets:  # a URL is good for one connection
            return web.Response(status=401, text="invalid_ticket")
        self.tickets.discard(ticket)
        ws = web.WebSocketResponse()  # answers the client's pings, as Slack does
        await ws.prepare(request)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self._open()) + 1,
                "debug_info": {
                    "host": SOCKET_HOST,
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": APP_ID},
            }
        )
        self.sockets.append(ws)
        self._changed.set()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._acknowledged(json.loads(message.data))
        finally:
            self.sockets.remove(ws)
            self._changed.set()
        return ws

    def _acknowledged(self, ack: dict[str, Any]) -> None:
        envelope_id = str(ack.get("envelope_id", ""))
        payload: dict[str, Any] = ack.get("payload") or {}
        envelope = self.envelopes.get(envelope_id, {})
        shown = envelope.get("type") == "slash_commands"  # to the member, like an HTTP ack
        if payload and shown and envelope.get("accepts_response_payload"):
            self._show_socket_ack(envelope, payload)
        self._record(Call("socket_ack", payload, key=envelope_id))

    def _show_socket_ack(self, envelope: dict[str, Any], message: dict[str, Any]) -> None:
        """Keyed like the command's response_url when it is ours, so `ANSWER` reads the same
        in both modes."""
        url = str(envelope["payload"].get("response_url", ""))
        key = url.rsplit("/", 1)[-1] if url.startswith(self.url) else envelope["envelope_id"]
        problem = block_problem(message.get("blocks"))
        if problem is None and len(str(message.get("text", ""))) > MAX_TEXT:
            problem = "msg_too_long"
        if problem:
            self._record(Call("ack_refused", {"error": problem}, key=key))
        else:
            self._record(Call("ack", message, key=key))

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._changed.set()

    # ---- handlers ----

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        raw = await request.text()
        if raw:
            if request.content_type == "application/json":
                args.update(json.loads(raw))
            else:
                args.update(parse_qsl(raw, keep_blank_values=True))
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth else args.get("token")
        self._record(Call(method, args, token=token))
        pending, retry_after = self.rate_limit.get(method, (0, 0))
        if pending > 0:
            self.rate_limit[method] = (pending - 1, retry_after)
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        if method in self.fail:
            return web.json_response({"ok": False, "error": self.fail[method]})
        if not token:
            return web.json_response({"ok": False, "error": "not_authed"})
        if token in self.revoked:
            return web.json_response({"ok": False, "error": "token_revoked"})
        if method in APP_TOKEN_METHODS and not auth:  # documented: the header, never the body
            return web.json_response({"ok": False, "error": "not_authed"})
        if token.startswith("xapp-") and method not in APP_TOKEN_METHODS:
            return web.json_response({"ok": False, "error": "not_allowed_token_type"})
        answer = getattr(self, "_" + method.replace(".", "_"), None)
        if answer is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        body: dict[str, Any] = answer({**args, "token": token})  # as Slack sees the caller
        return web.json_response(body)

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL of `files.getUploadURLExternal`: the file's bytes, raw or multipart."""
        file_id = request.match_info["file_id"]
        pending = self.uploads.get(file_id)
        if pending is None:
            return web.Response(status=404, text="not_found")
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            part = next(iter(form.values()), b"")
            data = part.file.read() if isinstance(part, web.FileField) else str(part).encode()
        else:
            data = await request.read()
        self._record(Call("upload", {"file_id": file_id, "bytes": len(data)}))
        if len(data) != pending["length"]:
            return web.Response(status=400, text="length_mismatch")
        pending["content"] = data
        return web.Response(text=f"OK - {len(data)}")

    async def _response_url(self, request: web.Request) -> web.Response:
        args = json.loads(await request.text())
        self._record(Call("response_url", args, key=request.match_info["key"]))
        problem = block_problem(args.get("blocks"))
        if problem:
            return web.Response(status=400, text=problem)
        return web.Response(text="ok")

    # ---- Web API methods (documented success shapes) ----

    def grant(
        self,
        team_id: str | None,
        team_name: str | None,
        *,
        installer: str = "U0INSTALL",
        scopes: str = "commands,chat:write,im:write,mpim:write,files:write,users:read,channels:read,groups:read",
        enterprise: dict[str, str] | None = None,
        redirect_uri: str | None = None,
    ) -> str:
        """A member approved the install (team_id None: an org-wide install): the `code`."""
        code = f"{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"
        where = (team_id or (enterprise or {}).get("id") or "x").lower()
        self.codes[code] = Grant(
            team_id=team_id,
            team_name=team_name,
            installer=installer,
            bot_token=f"xoxb-{where}-{secrets.token_hex(12)}",
            bot_user_id=f"U0BOT{where.upper()}"[:11],
            scopes=scopes,
            enterprise=enterprise,
            redirect_uri=redirect_uri,
        )
        return code

    def _oauth_v2_access(self, args: dict[str, Any]) -> dict[str, Any]:
        client_id, client_secret = args.get("client_id"), args.get("client_secret")
        auth = str(args.get("token") or "")
        if auth.startswith("Basic "):  # HTTP Basic auth, as slack_sdk sends the credentials
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        if client_id != CLIENT_ID:
            return {"ok": False, "error": "invalid_client_id"}
        if client_secret != CLIENT_SECRET:
            return {"ok": False, "error": "bad_client_secret"}
        grant = self.codes.pop(str(args.get("code", "")), None)  # a code works once
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        if grant.redirect_uri is not None and args.get("redirect_uri") != grant.redirect_uri:
            return {"ok": False, "error": "bad_redirect_uri"}
        self.installed[grant.bot_token] = grant
        team = {"id": grant.team_id, "name": grant.team_name} if grant.team_id else None
        return {
            "ok": True,
            "access_token": grant.bot_token,
            "token_type": "bot",
            "scope": grant.scopes,
            "bot_user_id": grant.bot_user_id,
            "app_id": APP_ID,
            "team": team,
            "enterprise": grant.enterprise,
            "is_enterprise_install": grant.is_enterprise_install,
            "authed_user": {"id": grant.installer},
        }

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not str(args.get("token")).startswith("xapp-"):  # a bot or user token
            return {"ok": False, "error": "not_allowed_token_type"}
        ticket = secrets.token_hex(16)
        self.tickets.add(ticket)
        host = urlsplit(self.url).netloc
        return {"ok": True, "url": f"ws://{host}{SOCKET_PATH}?ticket={ticket}&app_id={APP_ID}"}

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        grant = self.installed.get(str(args.get("token")))
        if grant is not None:
            where = grant.team_id or (grant.enterprise or {}).get("id") or ""
            return {
                "ok": True,
                "url": f"https://{where.lower()}.slack.com/",
                "team": grant.team_name,
                "user": "cop-bot",
                "team_id": grant.team_id,
                "user_id": grant.bot_user_id,
                "bot_id": "B" + grant.bot_user_id[1:],
                "enterprise_id": (grant.enterprise or {}).get("id"),
                "is_enterprise_install": grant.is_enterprise_install,
            }
        return {
            "ok": True,
            "url": "https://test-network.slack.com/",
            "team": "Test network",
            "user": "cop-bot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": "B0BOT",
            "is_enterprise_install": False,
        }

    def _channel_problem(self, channel: str) -> dict[str, Any] | None:
        """Slack's documented refusals for a channel (chat.postMessage, files.completeUploadExternal)."""
        if not channel or channel in self.deleted:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.archived:
            return {"ok": False, "error": "is_archived"}
        if channel in self.outside:
            return {"ok": False, "error": "not_in_channel"}
        return None

    def _message_problem(self, args: dict[str, Any]) -> dict[str, Any] | None:
        refused = self._channel_problem(str(args.get("channel") or ""))
        if refused:
            return refused
        if len(str(args.get("text", ""))) > MAX_TEXT:
            return {"ok": False, "error": "msg_too_long"}
        problem = block_problem(args.get("blocks"))
        return {"ok": False, "error": problem} if problem else None

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        problem = self._message_problem(args)
        if problem:
            return problem
        ts = f"{time.time():.6f}"
        return {
            "ok": True,
            "channel": args["channel"],
            "ts": ts,
            "message": {"type": "message", "user": BOT_USER_ID, "text": args.get("text"), "ts": ts},
        }

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = str(args.get("filename") or "")
        try:
            length = int(args.get("length") or 0)
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        if not filename or length <= 0:
            return {"ok": False, "error": "missing_argument"}
        file_id = "F" + secrets.token_hex(5).upper()
        self.uploads[file_id] = {"filename": filename, "length": length, "content": None}
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            files = json.loads(str(args.get("files") or ""))
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        channel = str(args.get("channel_id") or "")
        if channel:
            refused = self._channel_problem(channel)
            if refused:
                return refused
        done = []
        for item in files:
            pending = self.uploads.get(str(item.get("id")))
            if pending is None or pending["content"] is None:
                return {"ok": False, "error": "file_not_found"}
            done.append((str(item["id"]), str(item.get("title") or pending["filename"]), pending))
        for file_id, title, pending in done:
            del self.uploads[file_id]
            self.shared[file_id] = {
                "channel": channel or None,
                "title": title,
                "name": pending["filename"],
                "content": pending["content"],
            }
        return {"ok": True, "files": [{"id": f, "title": t} for f, t, _ in done]}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        problem = self._message_problem(args)
        if problem:
            return problem
        if not args.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": f"{time.time():.6f}"}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users", ""))
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        ids = [u.strip() for u in users.split(",") if u.strip()]
        if len(ids) == 1:
            return {"ok": True, "channel": {"id": "D" + ids[0][1:]}}
        if len(ids) > 8:  # Slack: "users" is 1 to 8 ids
            return {"ok": False, "error": "too_many_users"}
        # several users: a multi-person DM (an mpim), the same one again for the same people
        key = ",".join(sorted(set(ids)))
        mpim = "G" + hashlib.sha1(key.encode()).hexdigest()[:9].upper()
        return {
            "ok": True,
            "channel": {"id": mpim, "is_mpim": True, "is_im": False, "is_private": True},
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        uid = str(args.get("user", ""))
        if uid in self.users:
            return {"ok": True, "user": self.users[uid]}
        if not uid.startswith(("U", "W")):
            return {"ok": False, "error": "user_not_found"}
        return {
            "ok": True,
            "user": {
                "id": uid,
                "team_id": TEAM_ID,
                "name": uid.lower(),
                "real_name": f"Member {uid}",
                "tz": "Europe/Rome",
                "tz_offset": 3600,
                "locale": "en-GB",  # a test that needs another sets `self.users[uid]`
                "profile": {"display_name": f"member-{uid.lower()}", "real_name": f"Member {uid}"},
            },
        }

    def _view(self, args: dict[str, Any], limit: int) -> dict[str, Any]:
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict) or block_problem(view.get("blocks"), limit):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "view": {"id": "V0TEST", **view}}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        return self._view(args, 100)

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("user_id"):
            return {"ok": False, "error": "invalid_arguments"}
        return self._view(args, 100)
