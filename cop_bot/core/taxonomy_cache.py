"""The parsed taxonomy, kept as JSON in the state folder and keyed by the YAML file's SHA-256.

Every `cop-bot` command loads the taxonomy, and PyYAML (its import and the parse) cost about a
twentieth of a command's start-up, where JSON takes a fraction of a millisecond. The cache
holds what `parse_taxonomy` made of the file, so reading it back gives the same taxonomy; a
changed file has another key. Any problem with the cache (missing, unreadable, from another
version) only means the YAML is read again, and a cache that cannot be written is skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

CACHE_FILE = "taxonomy-cache.json"
VERSION = 1


def read(folder: str | Path, key: str) -> dict[str, Any] | None:
    """The cached taxonomy data for the file whose SHA-256 is `key`, else None."""
    try:
        found = json.loads((Path(folder) / CACHE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict) or found.get("version") != VERSION or found.get("key") != key:
        return None
    data = found.get("taxonomy")
    return data if isinstance(data, dict) else None


def write(folder: str | Path, key: str, data: dict[str, Any]) -> None:
    """Replace the cache in one step (a concurrent reader sees the old one or the new one)."""
    path = Path(folder) / CACHE_FILE
    partial = path.with_name(f"{CACHE_FILE}.{os.getpid()}.tmp")
    body = json.dumps({"version": VERSION, "key": key, "taxonomy": data}, ensure_ascii=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(body, encoding="utf-8")
        partial.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink()
