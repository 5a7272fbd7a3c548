"""docker/compose.yaml scales the bot behind a proxy (`--scale bot=N`), and the proxy's config
is one HAProxy accepts. Docker itself is not needed: the files are read, and HAProxy checks its
config when it is installed."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.replicas import HAPROXY

DOCKER = Path(__file__).resolve().parents[1] / "docker"


def compose() -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    return found


def test_the_bot_can_be_scaled_behind_the_proxy() -> None:
    services = compose()["services"]
    bot, proxy = services["bot"], services["proxy"]
    assert "ports" not in bot and "container_name" not in bot  # both would stop --scale
    assert bot["expose"] == ["3000"]
    assert proxy["ports"] == ["3000:3000"]
    assert "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in proxy["volumes"]
    config = (DOCKER / "haproxy.cfg").read_text()
    assert "server-template bot 1-10 bot:3000" in config
    assert "option httpchk GET /healthz" in config
    assert "retry-on conn-failure" in config  # never a request that reached a replica


@pytest.mark.skipif(HAPROXY is None, reason="haproxy is not installed")
def test_haproxy_accepts_the_proxy_config() -> None:
    assert HAPROXY is not None
    checked = subprocess.run(
        [HAPROXY, "-c", "-f", str(DOCKER / "haproxy.cfg")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
