"""A real Synapse homeserver on loopback for the Matrix tests (see docs/platform-rules.md).

`start_synapse(dir)` writes a config (random free port, SQLite, no federation, relaxed `rc_*`
limits unless `default_limits=True`), starts `python -m synapse.app.homeserver` and waits until
the client API answers. `Synapse.register(name)` uses shared-secret registration.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

FAST = {"per_second": 1000, "burst_count": 1000}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Account:
    user_id: str
    access_token: str
    device_id: str
    password: str


@dataclass
class Synapse:
    url: str
    secret: str
    process: subprocess.Popen[bytes]
    directory: Path

    def register(self, username: str, password: str | None = None) -> Account:
        password = password or secrets.token_hex(8)
        path = f"{self.url}/_synapse/admin/v1/register"
        with urllib.request.urlopen(path, timeout=10) as resp:
            nonce = json.load(resp)["nonce"]
        mac = hmac.new(
            self.secret.encode(),
            b"\0".join([nonce.encode(), username.encode(), password.encode(), b"notadmin"]),
            hashlib.sha1,
        ).hexdigest()
        body = json.dumps(
            {"nonce": nonce, "username": username, "password": password, "admin": False, "mac": mac}
        ).encode()
        request = urllib.request.Request(
            path, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            data = json.load(resp)
        return Account(data["user_id"], data["access_token"], data["device_id"], password)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_synapse(directory: Path, *, default_limits: bool = False) -> Synapse:
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    secret = secrets.token_hex(16)
    log_config = directory / "log.yaml"
    log_config.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "formatters": {"f": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
                "handlers": {
                    "file": {
                        "class": "logging.FileHandler",
                        "formatter": "f",
                        "filename": str(directory / "homeserver.log"),
                    }
                },
                "root": {"level": "WARNING", "handlers": ["file"]},
                "disable_existing_loggers": False,
            }
        )
    )
    config: dict[str, object] = {
        "server_name": "localhost",
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "pid_file": str(directory / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(directory / "homeserver.db")}},
        "log_config": str(log_config),
        "media_store_path": str(directory / "media"),
        "signing_key_path": str(directory / "signing.key"),
        "registration_shared_secret": secret,
        "macaroon_secret_key": secrets.token_hex(16),
        "form_secret": secrets.token_hex(16),
        "report_stats": False,
        "enable_metrics": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "enable_registration": False,
        "bcrypt_rounds": 4,
        "presence": {"enabled": False},
        "url_preview_enabled": False,
        "default_room_version": "11",
    }
    if not default_limits:
        config.update(
            {
                "rc_message": FAST,
                "rc_registration": FAST,
                "rc_room_creation": FAST,
                "rc_joins": {"local": FAST, "remote": FAST},
                "rc_joins_per_room": FAST,
                "rc_login": {"address": FAST, "account": FAST, "failed_attempts": FAST},
                "rc_invites": {"per_room": FAST, "per_user": FAST, "per_issuer": FAST},
                "rc_admin_redaction": FAST,
            }
        )
    path = directory / "homeserver.yaml"
    path.write_text(yaml.safe_dump(config))
    out = (directory / "stdout.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "synapse.app.homeserver", "-c", str(path)],
        cwd=directory,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    server = Synapse(f"http://127.0.0.1:{port}", secret, process, directory)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"Synapse exited with {process.returncode}; see {directory}/stdout.log"
            )
        try:
            with urllib.request.urlopen(f"{server.url}/_matrix/client/versions", timeout=2):
                return server
        except OSError:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"Synapse did not answer within 60 s; see {directory}") from None
            time.sleep(0.1)
