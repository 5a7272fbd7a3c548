"""What the Matrix bot remembers between restarts, as one small JSON file in `COP_BOT_STATE_DIR`.

* the login (user id, device id and, after a password login, the access token, so a restart
  reuses the device instead of creating a new one each time);
* the sync token, so a restart continues where it stopped;
* which of its messages announced which session or practice (for reactions), which reaction
  event ran which command (so removing it can undo it), members' replies to a question's post
  (recorded as an answer when their author reacts ✅), its direct room with each member, and
  the rooms already told that it cannot read encrypted messages.

Tables are bounded (oldest entries dropped) and the file is replaced atomically, owner-only.
Only the bot's event loop touches it, so it needs no lock.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
MAX_ENTRIES = 5000
FILE_NAME = "matrix-state.json"


class State:
    def __init__(self, directory: str | Path, user_id: str, *, read_only: bool = False) -> None:
        self.path = Path(directory) / FILE_NAME
        self.user_id = user_id
        self.read_only = read_only  # a helper process next to the running bot: never write
        self.device_id: str | None = None
        self.access_token: str | None = None
        self.next_batch: str | None = None
        self.announcements: dict[str, list[Any]] = {}  # event id -> [kind, entity id]
        self.reactions: dict[str, list[Any]] = {}  # reaction event id -> [room, sender, command]
        self.direct_rooms: dict[str, str] = {}  # user id -> room id
        # a member's reply to a question's post -> [sender, question id, text], until a ✅
        self.replies: dict[str, list[Any]] = {}
        self.together_rooms: dict[str, str] = {}  # `Together.key` -> room id
        self.warned_rooms: list[str] = []

    @classmethod
    def load(cls, directory: str | Path, user_id: str, *, read_only: bool = False) -> State:
        state = cls(directory, user_id, read_only=read_only)
        try:
            raw = json.loads(state.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return state
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable Matrix state %s: %s", state.path, exc)
            return state
        if not isinstance(raw, dict) or raw.get("user_id") != user_id:
            log.warning("Matrix state in %s belongs to another user; starting afresh", state.path)
            return state
        state.device_id = raw.get("device_id")
        state.access_token = raw.get("access_token")
        state.next_batch = raw.get("next_batch")
        state.announcements = dict(raw.get("announcements") or {})
        state.reactions = dict(raw.get("reactions") or {})
        state.direct_rooms = dict(raw.get("direct_rooms") or {})
        state.replies = dict(raw.get("replies") or {})
        state.together_rooms = dict(raw.get("together_rooms") or {})
        state.warned_rooms = list(raw.get("warned_rooms") or [])
        return state

    def save(self) -> None:
        if self.read_only:
            return
        for table in (
            self.announcements,
            self.reactions,
            self.direct_rooms,
            self.replies,
            self.together_rooms,
        ):
            for key in list(table)[: max(0, len(table) - MAX_ENTRIES)]:
                del table[key]
        self.warned_rooms = self.warned_rooms[-MAX_ENTRIES:]
        data = {
            "user_id": self.user_id,
            "device_id": self.device_id,
            "access_token": self.access_token,
            "next_batch": self.next_batch,
            "announcements": self.announcements,
            "reactions": self.reactions,
            "direct_rooms": self.direct_rooms,
            "replies": self.replies,
            "together_rooms": self.together_rooms,
            "warned_rooms": self.warned_rooms,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out)
        tmp.replace(self.path)
