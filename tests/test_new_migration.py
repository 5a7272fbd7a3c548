"""`scripts/new-migration` never overwrites a shipped migration (issue 17, item 2): it refuses a
revision id in use and, given none, takes the next free one."""

from __future__ import annotations

import subprocess
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from cop_bot.storage.db import head_revision
from cop_bot.storage.revisions import VERSIONS, check_new_id, next_id, used_ids

ROOT = Path(__file__).resolve().parents[1]


def test_new_migration_refuses_a_revision_id_in_use() -> None:
    shipped = VERSIONS / "0003_practices.py"
    before, files = shipped.read_bytes(), sorted(VERSIONS.glob("*.py"))
    result = subprocess.run(
        [str(ROOT / "scripts" / "new-migration"), "practices", "0003"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"scripts/new-migration: revision 0003 already exists (0003_practices.py); the next "
        f"free one is {next_id()}."
    ]
    assert shipped.read_bytes() == before
    assert sorted(VERSIONS.glob("*.py")) == files  # nothing new either


def test_the_next_free_revision_follows_the_newest_migration() -> None:
    assert head_revision() in used_ids()
    assert int(next_id()) == int(max(used_ids())) + 1
    assert next_id() == f"{int(head_revision() or 0) + 1:04d}"


def test_next_id_of_an_empty_folder_is_0001(tmp_path: Path) -> None:
    assert next_id(tmp_path) == "0001"
    (tmp_path / "0001_initial.py").write_text("")
    (tmp_path / "notes.py").write_text("")
    assert next_id(tmp_path) == "0002"


@given(st.text(max_size=8))
def test_a_new_revision_id_is_four_free_digits_or_refused(text: str) -> None:
    try:
        rev = check_new_id(text)
    except ValueError as exc:
        assert str(exc)  # one reason, with an example id
        assert next_id() in str(exc)
        return
    assert len(rev) == 4 and rev.isdigit() and rev.isascii()
    assert rev not in used_ids()
    assert rev == text.strip()


@given(st.sampled_from(sorted(used_ids())))
def test_every_shipped_revision_id_is_refused(rev: str) -> None:
    try:
        check_new_id(rev)
    except ValueError as exc:
        assert "already exists" in str(exc)
    else:
        raise AssertionError(f"{rev} was accepted")


def test_the_readme_example_uses_the_next_free_revision_id() -> None:
    """The example a newcomer copies must never name a shipped migration."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    free = next_id()
    assert f'scripts/new-migration "member pronouns" {free}' in readme
    assert f"the next free id: {free} today" in readme
