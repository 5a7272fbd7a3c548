"""Revision ids of the Alembic migrations: four digits, in order (0001, 0002, ...).

`scripts/new-migration` takes the next free id, or checks the one it is given, before it
writes anything: Alembic would otherwise overwrite a shipped migration that has the same id.
"""

from __future__ import annotations

import re
from pathlib import Path

VERSIONS = Path(__file__).with_name("migrations") / "versions"
_ID = re.compile(r"[0-9]{4}")


def used_ids(versions: Path = VERSIONS) -> dict[str, str]:
    """Revision id -> the migration file that has it."""
    return {
        path.name[:4]: path.name
        for path in sorted(versions.glob("*.py"))
        if _ID.fullmatch(path.name[:4]) and path.name[4:5] == "_"
    }


def next_id(versions: Path = VERSIONS) -> str:
    """One more than the highest id in use: `0008` after `0007_...py`."""
    used = used_ids(versions)
    return f"{max((int(i) for i in used), default=0) + 1:04d}"


def check_new_id(text: str, versions: Path = VERSIONS) -> str:
    """`text` as a revision id no migration has yet; `ValueError` saying why not otherwise."""
    wanted = text.strip()
    if not _ID.fullmatch(wanted):
        raise ValueError(
            f"{text!r} is not a revision id; use four digits such as {next_id(versions)}."
        )
    taken = used_ids(versions).get(wanted)
    if taken is not None:
        raise ValueError(
            f"revision {wanted} already exists ({taken}); the next free one is {next_id(versions)}."
        )
    return wanted
