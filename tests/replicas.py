"""Several `cop-bot run` replicas behind a real HAProxy on loopback, speaking Slack: what
tests/test_replicas.py and benchmarks/bench_replicas.py both start.

- `HAProxy`: Debian's `haproxy` (`apt-get install haproxy`; `.ci/run` installs it), in the
  foreground with a config of our own: round robin, health checks on `/healthz` every 500 ms,
  a refused connection retried on another server (safe for a POST: nothing was sent), and an
  `X-Served-By` header naming the replica that answered.
- `Replica`: `cop-bot run` as its own process, with default settings except what points it at
  the test database, the Slack stand-in (tests/slack_stand_in.py) and its own port and folder.
- The request bodies Slack sends (slash commands, button clicks, Events API callbacks), signed
  the way Slack signs them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.slack_stand_in import APP_ID, TEAM_ID

HAPROXY = shutil.which("haproxy") or next(
    (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if Path(p).exists()), None
)
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-test-token"
SERVED_BY = "X-Served-By"
FORM = "application/x-www-form-urlencoded"
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def fresh_postgres(server_url: str) -> Iterator[str]:
    """A database of its own on the server, dropped afterwards even when the test fails."""
    admin_url = make_url(server_url)
    name = f"cop_bot_replicas_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ---- HAProxy -------------------------------------------------------------------------------------


def haproxy_config(port: int, servers: Sequence[tuple[str, int]], *, check: bool = True) -> str:
    """Round robin over `servers`; with `check`, health-checked on /healthz every 500 ms (down
    after 3 failures, up after 2 passes; a busy replica has 3 s to answer, as for Slack)."""
    checks = " check inter 500ms fall 3 rise 2" if check else ""
    lines = [
        "global",
        "    maxconn 2000",
        "defaults",
        "    mode http",
        "    timeout connect 1s",
        "    timeout client 30s",
        "    timeout server 30s",
        "    timeout check 3s",
        "    retries 3",
        "    option redispatch 1",
        "    retry-on conn-failure",  # only a connection never made: a POST is not replayed
        "frontend slack",
        f"    bind 127.0.0.1:{port}",
        "    default_backend bots",
        "backend bots",
        "    balance roundrobin",
        f"    http-response set-header {SERVED_BY} %[srv_name]",
    ]
    if check:
        lines += ["    option httpchk GET /healthz", "    http-check expect status 200"]
    lines += [f"    server {name} 127.0.0.1:{p}{checks}" for name, p in servers]
    return "\n".join(lines) + "\n"


@dataclass
class HAProxy:
    folder: Path
    port: int
    servers: Sequence[tuple[str, int]]
    check: bool = True
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HAProxy:
        assert HAPROXY is not None, "haproxy is not installed"
        config = self.folder / f"haproxy-{self.port}.cfg"
        config.write_text(haproxy_config(self.port, self.servers, check=self.check))
        log = (self.folder / f"haproxy-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [HAPROXY, "-f", str(config), "-db"], stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 15
        while True:
            assert self.process.poll() is None, (
                self.folder / f"haproxy-{self.port}.log"
            ).read_text()
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 1),
            ):
                return self
            assert time.monotonic() < deadline, "haproxy did not listen"
            time.sleep(0.05)

    async def serving(self, http: aiohttp.ClientSession, timeout: float = 60) -> None:
        """Until the proxy routes to every server (its checks pass), seen through the proxy."""
        seen: set[str] = set()
        deadline = time.monotonic() + timeout
        while seen != {name for name, _ in self.servers}:
            assert time.monotonic() < deadline, f"haproxy routes only to {sorted(seen)}"
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.get(f"{self.url}/healthz") as response:
                    if response.status == 200:
                        seen.add(response.headers.get(SERVED_BY, ""))
            await asyncio.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


# ---- replicas ------------------------------------------------------------------------------------


def replica_env(database_url: str, api_url: str, port: int, folder: Path) -> dict[str, str]:
    """`cop-bot run` on Slack over HTTP with default settings, but for where things are."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("COP_BOT_", "SLACK_", "MATRIX_"))
    }
    env.update(
        {
            "COP_BOT_DATABASE_URL": database_url,
            "COP_BOT_HTTP_PORT": str(port),
            "COP_BOT_STATE_DIR": str(folder / "state"),
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api_url,
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


@dataclass
class Replica:
    """One `cop-bot run`; its stderr goes to `folder/stderr.log`, its log file to `state/`."""

    name: str
    port: int
    folder: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @classmethod
    def make(cls, name: str, database_url: str, api_url: str, root: Path) -> Replica:
        port = free_port()
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        return cls(name, port, folder, replica_env(database_url, api_url, port, folder))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stderr(self) -> Path:
        return self.folder / "stderr.log"

    def start(self) -> Replica:
        self.starts += 1
        out = self.stderr.open("ab")
        out.write(f"---- start {self.starts}\n".encode())
        out.flush()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cop_bot", "run"],
            cwd=self.folder,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        return self

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, as when a machine or a container dies."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode

    async def health(self, http: aiohttp.ClientSession) -> dict[str, Any] | None:
        try:
            async with http.get(f"{self.url}/healthz", timeout=aiohttp.ClientTimeout(total=3)) as r:
                body: dict[str, Any] = await r.json()
                return body if r.status == 200 else None
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None

    async def healthy(self, http: aiohttp.ClientSession, timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None and self.process.poll() is None, self.stderr.read_text()
            found = await self.health(http)
            if found is not None:
                return found
            assert time.monotonic() < deadline, self.stderr.read_text()
            await asyncio.sleep(0.1)


# ---- what Slack sends ----------------------------------------------------------------------------


def sign(body: str, *, ts: int | None = None) -> dict[str, str]:
    """X-Slack-Request-Timestamp and the v0 HMAC-SHA256 signature, as Slack sends them."""
    stamp = str(int(time.time()) if ts is None else ts)
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def slash_command(
    command: str, text: str, user: str, response_url: str, *, channel: str = "C0GENERAL"
) -> str:
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "team_domain": TEAM_ID.lower(),
            "channel_id": channel,
            "channel_name": channel.lower(),
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "response_url": response_url,
            "trigger_id": f"{secrets.randbelow(10**10)}.738474920.8088930838d88f008e0",
        }
    )


def button_click(value: str, user: str, response_url: str) -> str:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "team": {"id": TEAM_ID, "domain": "test-network"},
        "channel": {"id": "C0GENERAL", "name": "general"},
        "container": {"type": "message", "channel_id": "C0GENERAL", "is_ephemeral": True},
        "trigger_id": f"{secrets.randbelow(10**10)}.738474920.8088930838d88f008e0",
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": "cop_cmd_1",
                "block_id": "b1",
                "value": value,
                "text": {"type": "plain_text", "text": "Go"},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def event_callback(event: dict[str, Any], event_id: str) -> str:
    return json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [
                {"team_id": TEAM_ID, "user_id": "U0BOT", "is_bot": True, "enterprise_id": None}
            ],
        }
    )


@dataclass
class Sent:
    """One delivery and what came back (status 0: the connection failed)."""

    status: int
    body: str
    served_by: str
    at: float
    latency: float


@dataclass
class Request:
    """One request as Slack would make it; `sent` lists every delivery of it."""

    kind: str  # "command", "click", "event"
    key: str  # the question text it stores, or the event id
    body: str
    content_type: str
    user: str
    replay: bool = False  # send the same signed request again after the first delivery
    retry: bool = False  # an event: deliver again with X-Slack-Retry-Num, as for a lost ack
    headers: dict[str, str] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)

    @property
    def acked(self) -> bool:
        return any(s.status == 200 for s in self.sent)


async def deliver(
    http: aiohttp.ClientSession, url: str, request: Request, headers: dict[str, str]
) -> Sent:
    start = time.monotonic()
    try:
        async with http.post(
            url,
            data=request.body.encode(),
            headers={"Content-Type": request.content_type, **headers},
            timeout=aiohttp.ClientTimeout(total=10),
        ) as response:
            body = await response.text()
            served = response.headers.get(SERVED_BY, "")
            status = response.status
    except (aiohttp.ClientError, TimeoutError):
        body, served, status = "", "", 0
    sent = Sent(status, body, served, start, time.monotonic() - start)
    request.sent.append(sent)
    return sent
