"""Every word the bot writes is translated in every language, and nothing bypasses gettext.

1. The catalogues: each msgid `pybabel extract` finds (with the keywords of `scripts/i18n`) has
   a translation in each of the six other languages that is not missing, empty or fuzzy, with
   the same `{placeholders}` and as many plural forms as the language has (Arabic six), and
   Babel's own checkers find nothing.
2. The source: a string literal with words in it, given straight to a reply's building blocks
   (`Text.of`, `spans`, `Header`, `Button`, `UsageError`, ...), is English that no catalogue can
   translate. The scan runs per module, so `pytest -k handlers/practices` checks one package.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir

from cop_bot.core import i18n

PACKAGE = Path(i18n.__file__).resolve().parent.parent
OTHERS = [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT]


@cache
def extracted() -> dict[str, tuple[str, ...]]:
    """msgid -> (msgid, plural) as `pybabel extract` sees the package, with where it is."""
    found: dict[str, tuple[str, ...]] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PACKAGE),
        method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
        keywords=i18n.KEYWORDS,
    ):
        forms = message if isinstance(message, tuple) else (message,)
        if forms[0]:
            found.setdefault(forms[0], tuple(forms))
    return found


@cache
def catalogue(language: str) -> Catalog:
    found = i18n.catalogue(language)
    assert found is not None, f"{language}: no catalogue under {i18n.LOCALES_DIR / language}"
    return found


def placeholders(text: str) -> set[str]:
    try:
        return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}
    except ValueError:
        return {"<unbalanced braces>"}


def test_the_languages_are_the_taxonomys() -> None:
    from cop_bot.core.taxonomy import load_taxonomy

    assert set(load_taxonomy().languages) == set(i18n.LANGUAGES)


def test_something_is_extracted() -> None:
    assert len(extracted()) > 10


@pytest.mark.parametrize("language", OTHERS)
def test_every_message_is_translated(language: str) -> None:
    catalog = catalogue(language)
    missing = []
    for msgid in extracted():
        message = catalog.get(msgid)
        if message is None or not i18n.translated(message) or message.fuzzy:
            missing.append(msgid)
    assert not missing, f"{language}: {len(missing)} untranslated, e.g. {missing[:5]}"


@pytest.mark.parametrize("language", OTHERS)
def test_placeholders_and_plural_forms_match(language: str) -> None:
    catalog = catalogue(language)
    wrong: list[str] = []
    for msgid, forms in extracted().items():
        message = catalog.get(msgid)
        if message is None or not i18n.translated(message):
            continue
        wrong.extend(_form_problems(language, catalog, message, forms))
    assert not wrong, f"{language}: " + "\n".join(wrong[:10])


def _form_problems(
    language: str, catalog: Catalog, message: Message, forms: tuple[str, ...]
) -> Iterator[str]:
    wanted = placeholders(forms[0]) | (placeholders(forms[1]) if len(forms) > 1 else set())
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    if len(forms) > 1:
        if len(strings) != catalog.num_plurals:
            yield f"{forms[0]!r}: {len(strings)} plural forms, {language} has {catalog.num_plurals}"
        for text in strings:
            # a form may leave out {count} ("une seule pratique"), never add a name
            if not placeholders(text) <= wanted or not (wanted - {"count"}) <= placeholders(text):
                yield f"{forms[0]!r}: {text!r} has {sorted(placeholders(text))}"
    elif placeholders(strings[0]) != wanted:
        yield f"{forms[0]!r}: {strings[0]!r} has {sorted(placeholders(strings[0]))}"


@pytest.mark.parametrize("language", OTHERS)
def test_babels_checkers_find_nothing(language: str) -> None:
    errors = [
        f"{message.id!r}: {problem}"
        for message, problems in catalogue(language).check()
        for problem in problems
    ]
    assert not errors, f"{language}: " + "\n".join(errors[:10])


@pytest.mark.parametrize("language", OTHERS)
def test_the_catalogue_compiles_and_translates(language: str) -> None:
    sample = next(iter(extracted()))
    with i18n.using(language):
        assert i18n._(sample) == catalogue(language)[sample].string or isinstance(
            catalogue(language)[sample].string, tuple
        )


# ---- the source ----------------------------------------------------------------------------

BUILDERS = {
    "Text",
    "of",  # Text.of
    "spans",
    "Header",
    "Context",
    "Item",
    "Button",
    "Fields",
    "Notice",
    "UsageError",
    "CommandError",
    "PermissionDenied",
    "InvalidField",
}
"""Calls whose string arguments members read."""
NOT_SHOWN = {"cli", "migrations", "demo"}
"""Operator-facing (the command line and its logs are English) or data (the demo's content)."""
WORDS = re.compile(r"[A-Za-z]{2,}")
ALLOWED = re.compile(r"^[\s\W\d]*$|^https?://|^/[a-z-]+$|^@|^[a-z][a-z-]*:$")
"""Punctuation, numbers, URLs, command names, handles and option keys are not words to
translate."""


def modules() -> list[Path]:
    return sorted(
        p
        for p in PACKAGE.rglob("*.py")
        if not NOT_SHOWN & set(p.relative_to(PACKAGE).parts)
        and p.name not in {"config.py", "logs.py"}
    )


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def bare_literals(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or _name(node.func) not in BUILDERS:
            continue
        arguments = [*node.args, *(k.value for k in node.keywords)]
        if _name(node.func) == "Button":  # a label, then the command it types and a style
            arguments = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "label")]
        for arg in arguments:
            for literal in _literals(arg):
                text = literal if isinstance(literal, str) else ""
                if WORDS.search(text) and not ALLOWED.match(text.strip()):
                    yield f"{path.relative_to(PACKAGE)}:{arg.lineno}: {text.strip()[:70]!r}"


def _literals(arg: ast.expr) -> Iterator[str]:
    """The English a call is given directly: a literal, an f-string's text, either side of a
    conditional or a `+`. A `_()` call, or anything else, is not a literal."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        yield arg.value
    elif isinstance(arg, ast.JoinedStr):
        yield "".join(
            v.value for v in arg.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    elif isinstance(arg, ast.IfExp):
        yield from _literals(arg.body)
        yield from _literals(arg.orelse)
    elif isinstance(arg, ast.BinOp):
        yield from _literals(arg.left)
        yield from _literals(arg.right)
    elif isinstance(arg, ast.Tuple | ast.List):
        for element in arg.elts:
            yield from _literals(element)


@pytest.mark.parametrize(
    "path", modules(), ids=lambda p: str(p.relative_to(PACKAGE).with_suffix(""))
)
def test_no_words_bypass_gettext(path: Path) -> None:
    found = list(bare_literals(path))
    assert not found, "English given straight to a reply; wrap it in _():\n" + "\n".join(found)
