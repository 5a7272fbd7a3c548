"""The log file rotates (issue 21, defect 2): a bot left running, or flooded with refused
requests, must not fill the disk. COP_BOT_LOG_MAX_BYTES and COP_BOT_LOG_BACKUPS are validated
like every other setting."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cop_bot.config import DEFAULT_LOG_MAX_BYTES, Settings, load_settings, parse_size
from cop_bot.core.errors import ConfigError
from cop_bot.logs import setup_logging


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in saved:
        root.addHandler(handler)
    root.setLevel(level)


def test_the_log_file_rotates_at_its_size_and_keeps_its_backups(
    tmp_path: Path, restore_logging: None
) -> None:
    path = tmp_path / "bot.log"
    settings = Settings(log_file=str(path), log_max_bytes=4096, log_backups=2)
    setup_logging(settings, stderr_level=logging.CRITICAL)
    for n in range(400):
        logging.getLogger("cop_bot.test").info("line %d %s", n, "x" * 80)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["bot.log", "bot.log.1", "bot.log.2"]
    line = 200  # one line may pass the size before the file is rotated
    assert all((tmp_path / name).stat().st_size <= 4096 + line for name in files)
    assert "line 399 " in path.read_text(encoding="utf-8")


def test_a_log_size_of_zero_never_rotates(tmp_path: Path, restore_logging: None) -> None:
    path = tmp_path / "bot.log"
    setup_logging(Settings(log_file=str(path), log_max_bytes=0), stderr_level=logging.CRITICAL)
    for n in range(100):
        logging.getLogger("cop_bot.test").info("line %d %s", n, "x" * 80)
    assert [p.name for p in tmp_path.iterdir()] == ["bot.log"]


def test_log_rotation_settings_are_read_and_validated() -> None:
    assert load_settings({}).log_max_bytes == DEFAULT_LOG_MAX_BYTES == 10 * 1024 * 1024
    assert load_settings({}).log_backups == 5
    settings = load_settings({"COP_BOT_LOG_MAX_BYTES": "50MB", "COP_BOT_LOG_BACKUPS": "3"})
    assert (settings.log_max_bytes, settings.log_backups) == (50 * 1024 * 1024, 3)
    assert load_settings({"COP_BOT_LOG_MAX_BYTES": "0"}).log_max_bytes == 0
    bad = {"COP_BOT_LOG_MAX_BYTES": "ten", "COP_BOT_LOG_BACKUPS": "0"}
    with pytest.raises(ConfigError) as raised:
        load_settings(bad)
    problems = str(raised.value).splitlines()
    assert problems == [
        "COP_BOT_LOG_MAX_BYTES must be a size of at least 1KB, such as 10MB, or 0 to never "
        "rotate the log; got 'ten'.",
        "COP_BOT_LOG_BACKUPS must be a whole number from 1 to 100, such as 5; got '0'.",
    ]
    for raw in ("512", "1023B", "-1", "1.5MB", "10 TB", "²"):
        with pytest.raises(ConfigError, match="COP_BOT_LOG_MAX_BYTES"):
            load_settings({"COP_BOT_LOG_MAX_BYTES": raw})
    for raw in ("101", "five", "²", "-3"):
        with pytest.raises(ConfigError, match="COP_BOT_LOG_BACKUPS"):
            load_settings({"COP_BOT_LOG_BACKUPS": raw})


def test_config_check_lists_the_rotation_settings() -> None:
    from cop_bot.config import DESCRIPTIONS

    assert "COP_BOT_LOG_MAX_BYTES" in DESCRIPTIONS and "COP_BOT_LOG_BACKUPS" in DESCRIPTIONS
    masked = load_settings({"COP_BOT_LOG_MAX_BYTES": "1MB"}).masked()
    assert masked["COP_BOT_LOG_MAX_BYTES"] == "1048576"
    assert masked["COP_BOT_LOG_BACKUPS"] == "5"


UNITS = {"": 1, "B": 1, "KB": 1024, "kib": 1024, "K": 1024, "MB": 1024**2, "m": 1024**2}
UNITS |= {"GiB": 1024**3, "g": 1024**3}


@given(
    number=st.integers(0, 10**12),
    unit=st.sampled_from(sorted(UNITS)),
    space=st.sampled_from(["", " "]),
)
def test_sizes_are_read_with_binary_units(number: int, unit: str, space: str) -> None:
    assert parse_size(f"{number}{space}{unit}") == number * UNITS[unit]
    assert parse_size(f" {number}{unit} ") == number * UNITS[unit]


@given(raw=st.text(max_size=20))
def test_anything_else_is_not_a_size(raw: str) -> None:
    size = parse_size(raw)
    assert size is None or (size >= 0 and raw.strip()[:1].isascii() and raw.strip()[:1].isdigit())
