"""A wheel carries the catalogues: an installed bot speaks the seven languages with no step
after `pip install` (the `.po` files are read at first use; nothing is compiled in the build)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from hatchling.builders.wheel import WheelBuilder

from cop_bot.core import i18n

REPO = Path(__file__).resolve().parent.parent


def test_the_wheel_holds_every_catalogue_and_an_install_of_it_translates(tmp_path: Path) -> None:
    built = list(WheelBuilder(str(REPO)).build(directory=str(tmp_path), versions=["standard"]))
    wheel = zipfile.ZipFile(built[0])
    names = set(wheel.namelist())
    for language in i18n.LANGUAGES[1:]:
        assert f"cop_bot/locales/{language}/LC_MESSAGES/cop_bot.po" in names
    assert "cop_bot/_config/taxonomy.yaml" in names
    assert {f"cop_bot/_config/lexicon/{lang}.yaml" for lang in i18n.LANGUAGES} <= names
    installed = tmp_path / "site"
    wheel.extractall(installed)
    probe = (
        "import cop_bot.core.i18n as i; "
        f"assert i.LOCALES_DIR.is_relative_to({str(installed)!r}), i.LOCALES_DIR; "
        "i.switch('el'); print(i._('Usage:'))"
    )
    shown = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            f"import sys; sys.path.insert(0, {str(installed)!r}); {probe}",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": ""},
        cwd=tmp_path,
    )
    assert shown.stdout.strip() == "Σύνταξη:"
